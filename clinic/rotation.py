"""Key rotation: re-encrypt every stored identifier (patient rows and later name versions) and
authenticator key under the active key, then retire the keys nothing uses any more. One
transaction, audited."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, Row, delete, select, update

from clinic import audit, db, mfa, patients
from clinic.tables import patient_names, vault_keys
from clinic.tables import patients as patients_table
from clinic.tables import users as users_table
from clinic.vault import Vault, generate_keyring, key_id, read_key_file, write_key_file


def add_key_to_file(path: Path) -> str:
    """Put a new data key first in the key file (old ones stay, to decrypt until re-encrypted);
    its id."""
    keyring, fresh = read_key_file(path), generate_keyring()
    write_key_file(
        path,
        dataclasses.replace(
            keyring, data_keys={**fresh.data_keys, **keyring.data_keys}, active=fresh.active
        ),
        replace=True,
    )
    return fresh.active


def drop_from_key_file(path: Path, retired: list[str]) -> None:
    """Forget retired keys' material, once nothing is encrypted with them."""
    keyring = read_key_file(path)
    kept = {kid: key for kid, key in keyring.data_keys.items() if kid not in retired}
    write_key_file(path, dataclasses.replace(keyring, data_keys=kept), replace=True)


def _reencrypt_column(
    connection: Connection,
    vault: Vault,
    column: Column,
    rows: list[Row],
    context: Callable[[Any], str],
) -> int:
    """Rewrite under the active key each (id, ciphertext) row of `column` that is not; the
    associated data of a row is `context(id)`. How many were rewritten."""
    rewritten = 0
    for row_id, blob in rows:
        if key_id(blob) != vault.active_kid:
            plain = vault.decrypt(blob, context(row_id))
            connection.execute(
                update(column.table)
                .where(column.table.c.id == row_id)
                .values({column.name: vault.encrypt(plain, context(row_id))})
            )
            rewritten += 1
    return rewritten


def reencrypt(engine: Engine, vault: Vault, actor: str, now: datetime) -> tuple[int, list[str]]:
    """(ciphertexts rewritten, key ids retired): everything ends up under the active key."""
    rewritten = 0
    with db.writing(engine) as connection:
        rows = connection.execute(
            select(
                patients_table.c.id,
                patients_table.c.full_name_enc,
                patients_table.c.national_id_enc,
            )
        )
        for row in rows.all():
            values = {}
            for column in ("full_name", "national_id"):
                blob = row._mapping[f"{column}_enc"]
                if key_id(blob) != vault.active_kid:
                    context = patients.context(column, row.id)
                    values[f"{column}_enc"] = vault.encrypt(vault.decrypt(blob, context), context)
            if values:
                rewritten += len(values)
                connection.execute(
                    update(patients_table).where(patients_table.c.id == row.id).values(**values)
                )
        versions = connection.execute(select(patient_names.c.id, patient_names.c.full_name_enc))
        rewritten += _reencrypt_column(
            connection, vault, patient_names.c.full_name_enc, versions.all(), patients.name_context
        )
        secrets = connection.execute(
            select(users_table.c.id, users_table.c.totp_secret_enc).where(
                users_table.c.totp_secret_enc.is_not(None)
            )
        )
        rewritten += _reencrypt_column(
            connection, vault, users_table.c.totp_secret_enc, secrets.all(), mfa.totp_context
        )
        retired = list(
            connection.execute(
                select(vault_keys.c.kid)
                .where(vault_keys.c.purpose == "data")
                .where(vault_keys.c.kid != vault.active_kid)
            ).scalars()
        )
        connection.execute(delete(vault_keys).where(vault_keys.c.kid.in_(retired)))
        audit.record(
            connection,
            actor,
            "keys.rotate",
            target=vault.active_kid,
            details={"rewritten": rewritten, "retired": retired},
            at=now,
        )
    return rewritten, retired
