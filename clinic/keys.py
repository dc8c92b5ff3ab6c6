"""Which keys the vault starts with, and proof that they are the keys the data was written with."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, Engine, insert, select

from clinic import audit, db
from clinic.config import Config
from clinic.i18n import N_, _
from clinic.tables import vault_keys
from clinic.vault import (
    INDEX_KID,
    KeyMismatch,
    KeyMissing,
    Keyring,
    Vault,
    generate_keyring,
    parse_keyring,
    read_key_file,
    write_key_file,
)

NEW_KEYS = N_(
    "New encryption keys were generated in {path}. Back this file up apart from the database: "
    "without it the patient identities cannot be read."
)
"""The notice `open_vault` gives when it generated the keys (in English, for the console; the
users page shows it again in the reader's language)."""


def open_vault(config: Config, engine: Engine) -> tuple[Vault, str | None]:
    """The vault for this database, and a notice for administrators when keys were generated.

    Keys come from the settings, else from the key file; a fresh install with neither gets a new
    key file. A database that knows keys we do not have is a startup error, never silent garbage.
    Once the keys are proven right, the audit chain's key (derived from them) is bound to the
    engine, so `audit.record` can seal events with nothing but a connection.
    """
    notice = None
    if config.encryption_keys or config.index_key:
        keyring = parse_keyring(config.encryption_keys or "", config.index_key)
    elif config.key_file.exists():
        keyring = read_key_file(config.key_file)
    else:
        with engine.connect() as connection:
            known = _known_keys(connection)
        if known:
            raise KeyMissing(
                _(
                    "This database was encrypted with keys that are not configured. Set "
                    "CLINIC_ENCRYPTION_KEYS and CLINIC_INDEX_KEY, or restore the key file "
                    "{path}."
                ).format(path=config.key_file)
            )
        keyring = generate_keyring()
        write_key_file(config.key_file, keyring)
        notice = NEW_KEYS.format(path=config.key_file)
    _reconcile(engine, keyring)
    audit.bind(engine, audit_key(keyring), config.data_dir / audit.ANCHOR_FILE)
    return Vault(keyring), notice


AUDIT_KEY_INFO = b"clinic audit chain v1"


def audit_key(keyring: Keyring) -> bytes:
    """The audit chain's HMAC key, derived from the blind-index key (HKDF-SHA256).

    Derived rather than configured: every deployment already keeps the index key safe, apart
    from the database, and never rotates it (`keys rotate` changes data keys only), which is
    what a chain sealed over years needs. HKDF with its own label makes it independent of the
    index key's own use: knowing blind indexes or audit hashes reveals nothing about the other."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=AUDIT_KEY_INFO).derive(
        keyring.index_key
    )


def _known_keys(connection: Connection) -> dict[str, tuple[str, str]]:
    rows = connection.execute(select(vault_keys))
    return {row.kid: (row.purpose, row.check_value) for row in rows}


def _reconcile(engine: Engine, keyring: Keyring) -> None:
    """Fail on a wrong or missing key; remember the active and index keys if new.

    Older configured keys are only there to read: the database asks for exactly the keys that
    were active and are not yet retired by `python -m clinic keys rotate`."""
    with db.writing(engine) as connection:
        known = _known_keys(connection)
        configured = keyring.check_values()
        in_use = {kid: configured[kid] for kid in (keyring.active, INDEX_KID)}
        for kid, (purpose, check) in known.items():
            if kid not in configured:
                raise KeyMissing(
                    _(
                        "The database holds data encrypted with key {kid}, which is not "
                        "configured. Add it to CLINIC_ENCRYPTION_KEYS."
                    ).format(kid=repr(kid))
                )
            if configured[kid] != (purpose, check):
                raise KeyMismatch(
                    _(
                        "The configured {purpose} key {kid} is not the key this database was "
                        "written with. Restore the original key."
                    ).format(purpose=purpose, kid=repr(kid))
                )
        now = datetime.now(UTC)
        new = [
            {"kid": kid, "purpose": purpose, "check_value": check, "created_at": now}
            for kid, (purpose, check) in in_use.items()
            if kid not in known
        ]
        if new:
            connection.execute(insert(vault_keys), new)
