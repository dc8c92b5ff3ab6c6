"""Key rotation re-encrypts everything under the new key; the old key can then be dropped."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import select

from clinic import accounts, audit, db, mfa, patients, rotation, runtime, totp
from clinic.__main__ import main as clinic_cli
from clinic.identity import Identity
from clinic.tables import patient_names, vault_keys
from clinic.tables import patients as patients_table
from clinic.vault import KeyMissing, generate_keyring, key_id

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
PEOPLE = [Identity("Zacarías Quiñónez", "9.876.543-2"), Identity("Eloísa Barragán", "1020304050")]
LATER_NAME = Identity("Zacarías Quiñónez Ruiz", "98765432")
"""Typed later for the first person's ID: a name version, in its own table."""


def _populate(clinic) -> tuple[accounts.User, str]:
    with db.writing(clinic.engine) as connection:
        for person in [*PEOPLE, LATER_NAME]:
            patients.upsert_many(connection, clinic.vault, [person], NOW, actor="t")
        user = accounts.add(
            connection,
            "t",
            "carla",
            "Carla",
            "clinician",
            "seven blue doors on a wet street",
            temporary=False,
            now=NOW,
        )
    secret = totp.new_secret()
    mfa.confirm_enrolment(
        clinic.engine, clinic.vault, user, secret, pyotp.TOTP(secret).at(NOW), NOW
    )
    return user, secret


def _identities(clinic) -> list[Identity]:
    """Every name typed with its patient's ID, decrypted."""
    with clinic.engine.connect() as connection:
        ids = connection.execute(select(patients_table.c.id)).scalars().all()
        return sorted(
            (
                Identity(name, patients.decrypt_national_id(connection, clinic.vault, pid))
                for pid in ids
                for name in patients.names(connection, clinic.vault, pid).values()
            ),
            key=repr,
        )


TYPED = sorted([*PEOPLE, Identity(LATER_NAME.full_name, PEOPLE[0].national_id)], key=repr)


def test_cli_rotation_with_a_key_file(config, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CLINIC_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("DATABASE_URL", config.database_url)
    before = runtime.start(config)
    user, secret = _populate(before)
    old_kid = before.vault.active_kid
    assert clinic_cli(["keys", "rotate"]) == 0
    assert "Re-encrypted 6 values" in capsys.readouterr().out

    stored = json.loads(config.key_file.read_text())
    assert old_kid not in stored["CLINIC_ENCRYPTION_KEYS"]
    assert config.key_file.stat().st_mode & 0o777 == 0o600
    after = runtime.start(config)
    assert after.vault.active_kid != old_kid
    assert _identities(after) == TYPED
    with after.engine.connect() as connection:
        blobs = connection.execute(select(patients_table.c.full_name_enc)).scalars().all()
        blobs += connection.execute(select(patient_names.c.full_name_enc)).scalars().all()
        kids = set(connection.execute(select(vault_keys.c.kid)).scalars())
    assert len(blobs) == 3 and {key_id(b) for b in blobs} == {after.vault.active_kid}
    assert old_kid not in kids
    later = NOW.replace(minute=5)
    assert mfa.verify_second_factor(
        after.engine, after.vault, user, pyotp.TOTP(secret).at(later), later
    )
    assert "keys.rotate" in [e["action"] for e in audit.search(after.engine)]
    assert audit.verify(after.engine)[1] is None


def test_settings_rotation_lets_the_old_key_go(config) -> None:
    old = generate_keyring()
    old_settings = old.to_settings()
    on_old = dataclasses.replace(
        config,
        encryption_keys=old_settings["CLINIC_ENCRYPTION_KEYS"],
        index_key=old_settings["CLINIC_INDEX_KEY"],
    )
    _populate(runtime.start(on_old))

    new = generate_keyring()
    both = f"{new.to_settings()['CLINIC_ENCRYPTION_KEYS']},{old_settings['CLINIC_ENCRYPTION_KEYS']}"
    on_both = dataclasses.replace(on_old, encryption_keys=both)
    clinic = runtime.start(on_both)
    rewritten, retired = rotation.reencrypt(clinic.engine, clinic.vault, "console", NOW)
    assert rewritten == 6 and retired == [old.active]

    only_new = dataclasses.replace(
        on_old, encryption_keys=new.to_settings()["CLINIC_ENCRYPTION_KEYS"]
    )
    assert _identities(runtime.start(only_new)) == TYPED


def test_without_rotation_the_old_key_is_still_required(config) -> None:
    old = generate_keyring().to_settings()
    on_old = dataclasses.replace(
        config, encryption_keys=old["CLINIC_ENCRYPTION_KEYS"], index_key=old["CLINIC_INDEX_KEY"]
    )
    _populate(runtime.start(on_old))
    new_only = dataclasses.replace(
        on_old, encryption_keys=generate_keyring().to_settings()["CLINIC_ENCRYPTION_KEYS"]
    )
    with pytest.raises(KeyMissing, match="not configured"):
        runtime.start(new_only)
