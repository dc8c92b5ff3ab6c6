"""Patients: one row per national ID, identifiers encrypted, found through the blind index.

Names are append-only, so that no clinician can change what another's records say. The patient
row keeps the first name typed for its ID and is never updated; a different name typed later is
a new `patient_names` version (audited), and each prediction points at the version typed with it
(`name_id`; NULL for the patient row's). The name on file is the one typed most recently.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from clinic import audit
from clinic.db import insert_or_merge
from clinic.identity import Identity, mask_name, mask_national_id
from clinic.tables import patient_names, patients, predictions
from clinic.vault import Vault


@dataclass(frozen=True)
class Filed:
    """Where a typed identity went: its patient, and the name version typed (None: the name on
    the patient row), which a prediction stores; and the identity's masks, as stored with it."""

    patient_id: str
    name_id: str | None
    name_masked: str
    national_id_masked: str


def context(column: str, patient_id: str) -> str:
    """The associated data that binds a ciphertext to its column and row."""
    return f"patients.{column}:{patient_id}"


def name_context(name_id: str) -> str:
    """The associated data that binds a later name version's ciphertext to its own row."""
    return f"patient_names.full_name:{name_id}"


def upsert_many(
    connection: Connection,
    vault: Vault,
    identities: Sequence[Identity],
    now: datetime,
    *,
    actor: str,
) -> list[Filed]:
    """Where each identity is filed (in order), in a few statements whatever the count.

    A new national ID gets a patient row. For a known one, the typed name is compared with the
    names already typed for it by decrypting them (no name digest is stored, so no new equality
    leak); a name not seen before is added as a version, and every version added is audited in
    the caller's transaction, by ids only. Nothing already stored changes."""
    rows = [patient_row(vault, identity, str(uuid.uuid4()), now) for identity in identities]
    connection.execute(
        insert_or_merge(connection, patients).on_conflict_do_nothing(
            index_elements=["national_id_index"]
        ),
        rows,
    )
    found = {
        row.national_id_index: row
        for row in connection.execute(
            select(patients.c.national_id_index, patients.c.id, patients.c.full_name_enc).where(
                patients.c.national_id_index.in_({row["national_id_index"] for row in rows})
            )
        )
    }
    known: dict[str, dict[str, str | None]] = {}  # patient id -> typed name -> version id
    for identity, row in zip(identities, rows, strict=True):
        if found[row["national_id_index"]].id == row["id"]:  # inserted just now: name in hand
            known[row["id"]] = {identity.full_name: None}
    earlier = {r.id: r.full_name_enc for r in found.values() if r.id not in known}
    for patient_id, blob in earlier.items():
        known[patient_id] = {vault.decrypt(blob, context("full_name", patient_id)): None}
    if earlier:
        versions = connection.execute(
            select(patient_names.c.id, patient_names.c.patient_id, patient_names.c.full_name_enc)
            .where(patient_names.c.patient_id.in_(list(earlier)))
            .order_by(patient_names.c.created_at)
        )
        for version in versions:
            name = vault.decrypt(version.full_name_enc, name_context(version.id))
            known[version.patient_id].setdefault(name, version.id)
    filed, added = [], []
    for identity, row in zip(identities, rows, strict=True):
        patient_id = found[row["national_id_index"]].id
        names = known[patient_id]
        if identity.full_name not in names:
            added.append(
                _name_row(vault, identity.full_name, row["name_masked"], patient_id, now, actor)
            )
            names[identity.full_name] = added[-1]["id"]
        filed.append(filed_as(row, patient_id, names[identity.full_name]))
    if added:
        connection.execute(insert(patient_names), added)
        audit.record(
            connection,
            actor,
            "patient.name",
            details={"names": [{"patient_id": v["patient_id"], "name_id": v["id"]} for v in added]},
            at=now,
        )
    return filed


def find(connection: Connection, vault: Vault, national_id_normalised: str) -> str | None:
    """The id of the patient with this national ID, without decrypting anything."""
    index = vault.blind_index(national_id_normalised)
    return connection.execute(
        select(patients.c.id).where(patients.c.national_id_index == index)
    ).scalar_one_or_none()


def names(connection: Connection, vault: Vault, patient_id: str) -> dict[str | None, str]:
    """Every name typed for the patient, oldest first, by version id (None: the patient row's).
    Callers must have authorised and audited the access."""
    first = connection.execute(
        select(patients.c.full_name_enc).where(patients.c.id == patient_id)
    ).scalar_one()
    typed: dict[str | None, str] = {None: vault.decrypt(first, context("full_name", patient_id))}
    later = connection.execute(
        select(patient_names.c.id, patient_names.c.full_name_enc)
        .where(patient_names.c.patient_id == patient_id)
        .order_by(patient_names.c.created_at)
    )
    for name_id, blob in later:
        typed[name_id] = vault.decrypt(blob, name_context(name_id))
    return typed


def name_on_file(connection: Connection, patient_id: str) -> str | None:
    """The version of the name typed most recently for the patient (with their latest
    prediction; None: the patient row's)."""
    return connection.execute(
        select(predictions.c.name_id)
        .where(predictions.c.patient_id == patient_id)
        .order_by(predictions.c.created_at.desc(), predictions.c.id.desc())
        .limit(1)
    ).scalar()


def decrypt_national_id(connection: Connection, vault: Vault, patient_id: str) -> str:
    """The patient's national ID as first typed. Callers must have authorised and audited."""
    blob = connection.execute(
        select(patients.c.national_id_enc).where(patients.c.id == patient_id)
    ).scalar_one()
    return vault.decrypt(blob, context("national_id", patient_id))


def decrypt_identity(connection: Connection, vault: Vault, patient_id: str) -> Identity:
    """The patient's national ID and name on file. Callers must have authorised and audited the
    access; a record's own identity is its `name_id` version (see clinic.disclosure.reveal)."""
    typed = names(connection, vault, patient_id)
    return Identity(
        full_name=typed[name_on_file(connection, patient_id)],
        national_id=decrypt_national_id(connection, vault, patient_id),
    )


def patient_row(vault: Vault, identity: Identity, patient_id: str, now: datetime) -> dict:
    """The columns of a new `patients` row: identifiers encrypted and bound to the row's id."""
    return {
        "id": patient_id,
        "national_id_index": vault.blind_index(identity.national_id_normalised),
        "national_id_enc": vault.encrypt(identity.national_id, context("national_id", patient_id)),
        "full_name_enc": vault.encrypt(identity.full_name, context("full_name", patient_id)),
        "name_masked": mask_name(identity.full_name),
        "national_id_masked": mask_national_id(identity.national_id),
        "created_at": now,
        "updated_at": now,
    }


def filed_as(row: dict, patient_id: str, name_id: str | None = None) -> Filed:
    """Where the identity of a `patient_row` was filed, with the masks computed for that row."""
    return Filed(patient_id, name_id, row["name_masked"], row["national_id_masked"])


def _name_row(
    vault: Vault, name: str, name_masked: str, patient_id: str, now: datetime, actor: str
) -> dict:
    """A new name version for a known patient, encrypted and bound to its own row."""
    name_id = str(uuid.uuid4())
    return {
        "id": name_id,
        "patient_id": patient_id,
        "full_name_enc": vault.encrypt(name, name_context(name_id)),
        "name_masked": name_masked,
        "created_at": now,
        "created_by": actor,
    }
