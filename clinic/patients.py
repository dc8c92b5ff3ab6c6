"""Patients: one row per national ID, identifiers encrypted, found through the blind index."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, select, update

from clinic.db import insert_or_merge
from clinic.identity import Identity, mask_name, mask_national_id
from clinic.tables import patients
from clinic.vault import Vault


def context(column: str, patient_id: str) -> str:
    """The associated data that binds a ciphertext to its column and row."""
    return f"patients.{column}:{patient_id}"


def upsert(connection: Connection, vault: Vault, identity: Identity, now: datetime) -> str:
    """The patient's id, found by blind index or created; the name on file becomes the latest."""
    return upsert_many(connection, vault, [identity], now)[0]


def upsert_many(
    connection: Connection, vault: Vault, identities: Sequence[Identity], now: datetime
) -> list[str]:
    """Each identity's patient id (in order), found by blind index or created, in a few
    statements whatever the count; for a patient already on file the name typed last wins."""
    rows = [new_row(vault, identity, str(uuid.uuid4()), now) for identity in identities]
    connection.execute(
        insert_or_merge(connection, patients).on_conflict_do_nothing(
            index_elements=["national_id_index"]
        ),
        rows,
    )
    indexes = {row["national_id_index"] for row in rows}
    found = {
        index: patient_id
        for index, patient_id in connection.execute(
            select(patients.c.national_id_index, patients.c.id).where(
                patients.c.national_id_index.in_(indexes)
            )
        )
    }
    renamed = {}  # patient id -> latest name columns, for patients already on file
    for identity, row in zip(identities, rows, strict=True):
        patient_id = found[row["national_id_index"]]
        if patient_id != row["id"] or patient_id in renamed:
            renamed[patient_id] = _name_columns(vault, identity, patient_id, now)
    if renamed:
        connection.execute(
            update(patients).where(patients.c.id == bindparam("patient_id")),
            [{"patient_id": pid, **columns} for pid, columns in renamed.items()],
        )
    return [found[row["national_id_index"]] for row in rows]


def find(connection: Connection, vault: Vault, national_id_normalised: str) -> str | None:
    """The id of the patient with this national ID, without decrypting anything."""
    index = vault.blind_index(national_id_normalised)
    return connection.execute(
        select(patients.c.id).where(patients.c.national_id_index == index)
    ).scalar_one_or_none()


def decrypt_identity(connection: Connection, vault: Vault, patient_id: str) -> Identity:
    """Decrypt one patient's identity. Callers must have authorised and audited the access."""
    row = connection.execute(
        select(patients.c.full_name_enc, patients.c.national_id_enc).where(
            patients.c.id == patient_id
        )
    ).one()
    return Identity(
        full_name=vault.decrypt(row.full_name_enc, context("full_name", patient_id)),
        national_id=vault.decrypt(row.national_id_enc, context("national_id", patient_id)),
    )


def new_row(vault: Vault, identity: Identity, patient_id: str, now: datetime) -> dict:
    """The columns of a new patient row: identifiers encrypted and bound to the row's id."""
    return {
        "id": patient_id,
        "national_id_index": vault.blind_index(identity.national_id_normalised),
        "national_id_enc": vault.encrypt(identity.national_id, context("national_id", patient_id)),
        "created_at": now,
        **_name_columns(vault, identity, patient_id, now),
    }


def _name_columns(vault: Vault, identity: Identity, patient_id: str, now: datetime) -> dict:
    return {
        "full_name_enc": vault.encrypt(identity.full_name, context("full_name", patient_id)),
        "name_masked": mask_name(identity.full_name),
        "national_id_masked": mask_national_id(identity.national_id),
        "updated_at": now,
    }
