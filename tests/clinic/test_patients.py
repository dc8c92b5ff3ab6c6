"""Patient names are append-only: a record keeps the identity typed with it, whoever types a
different name for the same ID later (issue 14, point 2). Real database, real crypto."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, update

from clinic import accounts as clinic_accounts
from clinic import audit, batch, batch_file, db, disclosure, history, patients, runtime
from clinic.history import Filters
from clinic.identity import Identity
from clinic.predictions import predict_and_store
from clinic.tables import patient_names
from clinic.tables import patients as patients_table
from clinic.vault import DecryptionFailed
from tests.clinic.support import batch_csv, batch_row
from tests.support import MEASUREMENTS

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
FIRST = ("Zyxwvñ Qponmlé", "1.987.654.321")
OVERWRITE = ("Mallory Overwrite", "1987654321")


@pytest.fixture
def clinic(config):
    return runtime.start(config)


@pytest.fixture
def accounts(clinic) -> dict[str, clinic_accounts.User]:
    with db.writing(clinic.engine) as connection:
        return {
            name: clinic_accounts.add(
                connection,
                "t",
                name,
                name.capitalize(),
                role,
                "seven blue doors on a wet street",
                temporary=False,
                now=NOW,
            )
            for name, role in [("ana", "clinician"), ("bruno", "clinician"), ("sara", "supervisor")]
        }


def _predict(clinic, model, actor: str, identity: tuple[str, str]):
    full_name, national_id = identity
    return predict_and_store(
        clinic.engine,
        clinic.vault,
        model,
        actor=actor,
        full_name=full_name,
        national_id=national_id,
        measurements=MEASUREMENTS,
    )


def _reveal(clinic, supervisor: clinic_accounts.User, record_id: int) -> disclosure.Revealed:
    reason = "Arrange the follow-up visit"
    return disclosure.reveal(
        clinic.engine, clinic.vault, supervisor, record_id, "treatment", reason, NOW
    )


def test_another_clinicians_name_for_the_same_id_never_changes_a_record(
    clinic, accounts, small_model
) -> None:
    """The penetration test's case: B's name for A's patient is a new version, audited; A's
    record, its reveal and every list still show what A typed."""
    mine = _predict(clinic, small_model, "ana", FIRST)
    theirs = _predict(clinic, small_model, "bruno", OVERWRITE)
    assert theirs.patient_id == mine.patient_id
    assert theirs.name_masked == "M. O."

    ana_rows, _ = history.page(clinic.engine, accounts["ana"], Filters())
    assert [r.name_masked for r in ana_rows] == ["Z. Q."]
    bruno_rows, _ = history.page(clinic.engine, accounts["bruno"], Filters())
    assert [r.name_masked for r in bruno_rows] == ["M. O."]
    timeline, _ = history.page(clinic.engine, accounts["sara"], Filters(patient_id=mine.patient_id))
    assert {(r.id, r.name_masked) for r in timeline} == {(mine.id, "Z. Q."), (theirs.id, "M. O.")}
    export = disclosure.export_csv(clinic.engine, accounts["sara"], Filters(), NOW)
    assert f"{mine.id}," in export and "Z. Q." in export and "M. O." in export

    revealed = _reveal(clinic, accounts["sara"], mine.id)
    assert revealed.identity == Identity(*FIRST)
    assert revealed.name_on_file_differs  # B's name was typed last; it is not shown
    latest = _reveal(clinic, accounts["sara"], theirs.id)
    assert latest.identity.full_name == "Mallory Overwrite" and not latest.name_on_file_differs

    events = [e for e in audit.search(clinic.engine) if e["action"] == "patient.name"]
    assert len(events) == 1 and events[0]["actor"] == "bruno"
    with clinic.engine.connect() as connection:
        version = connection.execute(select(patient_names)).one()
    assert events[0]["details"] == {
        "names": [{"patient_id": mine.patient_id, "name_id": version.id}]
    }
    details = json.dumps([e["details"] for e in audit.search(clinic.engine)], ensure_ascii=False)
    for secret in ("Mallory", "Overwrite", "Zyxwvñ", "1987654321", "1.987.654.321"):
        assert secret not in details
    assert audit.verify(clinic.engine)[1] is None


def test_the_first_name_stays_on_the_patient_row_and_the_name_on_file_is_the_latest(
    clinic, accounts, small_model
) -> None:
    mine = _predict(clinic, small_model, "ana", FIRST)
    _predict(clinic, small_model, "bruno", OVERWRITE)
    with clinic.engine.connect() as connection:
        row = connection.execute(select(patients_table)).one()
        assert row.name_masked == "Z. Q."
        first = clinic.vault.decrypt(row.full_name_enc, patients.context("full_name", row.id))
        assert first == FIRST[0]
        assert patients.decrypt_identity(connection, clinic.vault, mine.patient_id) == Identity(
            "Mallory Overwrite", FIRST[1]
        )
    _predict(clinic, small_model, "ana", FIRST)  # typed again: the first name is on file again
    with clinic.engine.connect() as connection:
        on_file = patients.decrypt_identity(connection, clinic.vault, mine.patient_id)
        assert on_file.full_name == FIRST[0]
        assert connection.execute(select(func.count()).select_from(patient_names)).scalar() == 1
    assert not _reveal(clinic, accounts["sara"], mine.id).name_on_file_differs


def test_a_name_typed_again_is_the_same_version(clinic, accounts, small_model) -> None:
    _predict(clinic, small_model, "ana", FIRST)
    once = _predict(clinic, small_model, "bruno", OVERWRITE)
    again = _predict(clinic, small_model, "ana", OVERWRITE)  # compared by decrypting, not a digest
    with clinic.engine.connect() as connection:
        names = connection.execute(select(patient_names.c.id)).scalars().all()
        named = patients.names(connection, clinic.vault, once.patient_id)
    assert len(names) == 1
    assert list(named.values()) == [FIRST[0], OVERWRITE[0]]
    assert _reveal(clinic, accounts["sara"], again.id).identity.full_name == OVERWRITE[0]
    assert len([e for e in audit.search(clinic.engine) if e["action"] == "patient.name"]) == 1


def test_a_name_version_is_bound_to_its_own_row(clinic, small_model) -> None:
    _predict(clinic, small_model, "ana", FIRST)
    _predict(clinic, small_model, "bruno", OVERWRITE)
    _predict(clinic, small_model, "bruno", ("Eve Mover", FIRST[1]))
    with db.writing(clinic.engine) as connection:
        first, second = connection.execute(select(patient_names)).all()
        connection.execute(
            update(patient_names)
            .where(patient_names.c.id == second.id)
            .values(full_name_enc=first.full_name_enc)
        )
    with clinic.engine.connect() as connection, pytest.raises(DecryptionFailed):
        patients.names(connection, clinic.vault, first.patient_id)


def test_a_batch_files_names_as_typed_line_by_line(clinic, accounts, small_model) -> None:
    """One code path for single and batch: a known ID with another name gets a version, a new
    ID typed twice with two names keeps the first on the patient row, the second as a version;
    every record shows the name on its own line."""
    first = _predict(clinic, small_model, "ana", FIRST)
    rows = [
        batch_row(0, full_name="Mallory Overwrite", national_id=FIRST[1]),
        batch_row(1, full_name="Ana Lucía Gómez"),
        batch_row(2, full_name="Ana Lucía Gómez de Ruiz", national_id="52345678"),  # same as line 3
        batch_row(3, full_name=FIRST[0], national_id="1987654321"),
    ]
    outcome = batch.score_and_store(
        clinic.engine, clinic.vault, small_model, batch_file.read(batch_csv(rows)), actor="bruno"
    )
    by_line = {r.line: r for r in outcome.results}
    assert {line: r.name_masked for line, r in by_line.items()} == {
        2: "M. O.",
        3: "A. L. G.",
        4: "A. L. G. D. R.",
        5: "Z. Q.",
    }
    listed, _ = history.page(clinic.engine, accounts["sara"], Filters(), limit=10)
    assert {r.id: r.name_masked for r in listed} == {
        first.id: "Z. Q.",
        **{r.id: r.name_masked for r in outcome.results},
    }
    revealed = {line: _reveal(clinic, accounts["sara"], r.id) for line, r in by_line.items()}
    assert revealed[2].identity.full_name == "Mallory Overwrite"
    assert revealed[4].identity.full_name == "Ana Lucía Gómez de Ruiz"
    assert revealed[5].identity.full_name == FIRST[0] and not revealed[5].name_on_file_differs
    assert revealed[2].name_on_file_differs and revealed[3].name_on_file_differs
    events = [e for e in audit.search(clinic.engine) if e["action"] == "patient.name"]
    assert len(events) == 1 and len(events[0]["details"]["names"]) == 2


def test_filing_many_identities_costs_the_same_statements_as_one(clinic) -> None:
    """No query per row: the batch path stays a few statements whatever its size."""

    def statements(identities: list[Identity]) -> int:
        seen: list[str] = []

        def count(*args) -> None:
            seen.append(args[2])

        event.listen(clinic.engine, "before_cursor_execute", count)
        try:
            with db.writing(clinic.engine) as connection:
                patients.upsert_many(connection, clinic.vault, identities, NOW, actor="bruno")
        finally:
            event.remove(clinic.engine, "before_cursor_execute", count)
        return len(seen)

    known = [Identity(f"Persona Uno {chr(97 + i % 26)}", f"{10_000_000 + i}") for i in range(200)]
    assert statements(known[:1]) == statements(known[1:])  # all new
    renamed = [
        Identity(f"Otra Persona {chr(97 + i % 26)}", f"{10_000_000 + i}") for i in range(200)
    ]
    assert statements(renamed[:1]) == statements(renamed[1:])  # all known, all a new name
