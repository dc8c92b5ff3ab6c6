"""Batch scoring on a real database with the real model: what is stored, what is refused, and
that an upload stored twice is stored once."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from benchmarks.person import PASSWORD
from clinic import __main__ as cli
from clinic import (
    accounts,
    audit,
    batch,
    batch_file,
    db,
    demo,
    patients,
    prioritised_list,
    runtime,
    shadow,
)
from clinic.predictions import predict_and_store
from clinic.tables import audit_events, prediction_counts, predictions
from model_store.schema import CODES
from tests.clinic.support import PEOPLE, batch_csv, batch_row
from tests.support import MEASUREMENTS

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def clinic(config):
    return runtime.start(config)


def _stored(clinic) -> list:
    with clinic.engine.connect() as connection:
        return connection.execute(select(predictions).order_by(predictions.c.id)).all()


def _upload(clinic, model, data: bytes, **kwargs) -> batch.Outcome:
    return batch.score_and_store(
        clinic.engine, clinic.vault, model, batch_file.read(data), actor="dr.grey", **kwargs
    )


def test_good_rows_are_stored_and_each_bad_one_reported(clinic, small_model) -> None:
    rows = [
        batch_row(0),
        batch_row(1, age="200"),  # line 3: out of range
        batch_row(2),
        batch_row(3, national_id="", cd40="lots"),  # line 5: two problems
    ]
    checked = batch_file.read(batch_csv(rows))
    assert [(p.line, p.field) for p in checked.bad] == [(3, "age"), (5, "national_id"), (5, "cd40")]
    assert "0–120 years; got 200" in checked.bad[0].reason
    assert checked.rejected_lines == 2

    outcome = batch.score_and_store(
        clinic.engine, clinic.vault, small_model, checked, actor="dr.grey"
    )

    stored = _stored(clinic)
    assert outcome.stored == len(stored) == 2
    assert sorted(r.line for r in outcome.results) == [2, 4]
    by_id = {row.id: row for row in stored}
    with clinic.engine.connect() as connection:
        for result in outcome.results:
            row = by_id[result.id]
            typed = rows[result.line - 2]
            assert row.measurements == {c: MEASUREMENTS[c] for c in CODES} | {
                "time": typed["time"],
                "cd40": typed["cd40"],
            }
            assert (row.source, row.created_by, row.batch_id) == (
                "batch",
                "dr.grey",
                outcome.batch_id,
            )
            assert row.probability == pytest.approx(
                small_model.predict(row.measurements).probability
            )
            identity = patients.decrypt_identity(connection, clinic.vault, row.patient_id)
            assert (identity.full_name, identity.national_id) == (
                typed["full_name"],
                typed["national_id"],
            )


def test_results_come_highest_risk_first_with_explanations(clinic, small_model) -> None:
    outcome = _upload(clinic, small_model, batch_csv([batch_row(i) for i in range(4)]))
    risks = [r.probability for r in outcome.results]
    assert risks == sorted(risks, reverse=True) and len(set(risks)) > 1
    for row in _stored(clinic):
        single = small_model.explain(row.measurements)
        for code in CODES:
            assert row.explanation["contributions"][code] == pytest.approx(
                single.contributions[code], abs=1e-9
            )


def test_the_same_file_twice_is_stored_once(clinic, small_model) -> None:
    data = batch_csv([batch_row(i) for i in range(4)])
    first = _upload(clinic, small_model, data)
    again = _upload(clinic, small_model, data)

    assert (first.stored, first.already_stored) == (4, 0)
    assert (again.stored, again.already_stored) == (0, 4)
    assert sorted(r.id for r in again.results) == sorted(r.id for r in first.results)
    assert len(_stored(clinic)) == 4
    with clinic.engine.connect() as connection:
        tallied = connection.execute(select(func.sum(prediction_counts.c.n))).scalar_one()
    assert tallied == 4


@pytest.mark.parametrize("chunk", [batch.CHUNK, 2])
def test_a_line_repeated_in_one_file_is_stored_and_counted_once(
    clinic, small_model, monkeypatch, chunk
) -> None:
    """The daily tallies count what is stored: the history's totals and the monitoring read
    them, so a line pasted twice counts once, in one transaction or in two (chunk 2)."""
    monkeypatch.setattr(batch, "CHUNK", chunk)
    outcome = _upload(clinic, small_model, batch_csv([batch_row(0), batch_row(1), batch_row(0)]))

    assert (outcome.stored, outcome.already_stored) == (2, 0)
    assert len(_stored(clinic)) == 2
    with clinic.engine.connect() as connection:
        tallied = connection.execute(select(func.sum(prediction_counts.c.n))).scalar_one()
    assert tallied == 2
    events = [e for e in audit.search(clinic.engine) if e["action"] == "batch"]
    assert sum(e["details"]["stored"] for e in events) == 2


def test_a_corrected_file_stores_only_the_corrected_row(clinic, small_model) -> None:
    rows = [batch_row(0), batch_row(1, wtkg="-3"), batch_row(2)]
    first = _upload(clinic, small_model, batch_csv(rows))
    rows[1] = batch_row(1)
    again = _upload(clinic, small_model, batch_csv(rows))
    assert (first.stored, again.stored, again.already_stored) == (2, 1, 2)
    assert len(_stored(clinic)) == 3


def test_a_patient_already_on_file_is_linked_not_duplicated(clinic, small_model) -> None:
    name, national_id = PEOPLE[0]
    earlier = predict_and_store(
        clinic.engine,
        clinic.vault,
        small_model,
        actor="dr.house",
        full_name=name,
        national_id=national_id.replace(".", "").replace("-", ""),
        measurements=MEASUREMENTS,
    )
    outcome = _upload(
        clinic, small_model, batch_csv([batch_row(0, full_name="María José Núñez Ruiz")])
    )
    stored = {row.id: row for row in _stored(clinic)}
    assert stored[outcome.results[0].id].patient_id == earlier.patient_id
    with clinic.engine.connect() as connection:
        latest = patients.decrypt_identity(connection, clinic.vault, earlier.patient_id)
        typed = patients.names(connection, clinic.vault, earlier.patient_id)
    assert latest.full_name == "María José Núñez Ruiz"  # the name on file: typed last
    assert list(typed.values()) == [name, "María José Núñez Ruiz"]  # the first is kept
    assert outcome.results[0].name_masked == "M. J. N. R."


def test_another_uploader_never_sees_the_first_ones_records(clinic, small_model) -> None:
    """Issue 14.5: the same file from two clinicians is stored for each, and neither is told
    of, or shown, the other's records."""
    data = batch_csv([batch_row(i) for i in range(3)])
    checked = batch_file.read(data)
    ana = batch.score_and_store(clinic.engine, clinic.vault, small_model, checked, actor="ana")
    bruno = batch.score_and_store(clinic.engine, clinic.vault, small_model, checked, actor="bruno")
    assert (ana.stored, ana.already_stored) == (3, 0)
    assert (bruno.stored, bruno.already_stored) == (3, 0)
    ana_records = {r.id for r in ana.results}
    bruno_records = {r.id for r in bruno.results}
    assert not ana_records & bruno_records
    stored = _stored(clinic)
    assert {r.id for r in stored if r.created_by == "bruno"} == bruno_records
    again = batch.score_and_store(clinic.engine, clinic.vault, small_model, checked, actor="bruno")
    assert (again.stored, again.already_stored) == (0, 3)
    assert {r.id for r in again.results} == bruno_records
    assert len(_stored(clinic)) == 6


def test_a_header_repeating_a_column_80000_times_is_refused_as_repeated(clinic) -> None:
    """Issue 14.8: the check is linear in the header (it was quadratic: about a minute of CPU
    for this one); the file is refused whole with the clear message and nothing is stored."""
    header = ",".join([*batch_file.COLUMNS, *["age"] * 80_000])
    data = f"{header}\n{','.join(['1'] * (len(batch_file.COLUMNS) + 80_000))}\n".encode()
    assert len(data) > 480_000
    with pytest.raises(batch_file.MalformedFile, match=r"^The header repeats: age\.$"):
        batch_file.read(data)
    assert _stored(clinic) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf" + batch_file.template().encode(), "no patients"),
        (batch_csv([batch_row(0)], columns=[c for c in batch_file.COLUMNS if c != "cd40"]), "cd40"),
        (b"full_name,full_name\nA,B\n", "repeats: full_name"),
        (b"PK\x03\x04\x00\x00binary spreadsheet", "binary"),
        (b"\x81\x8d\x8f\x90", "UTF-8"),
    ],
)
def test_a_malformed_file_is_refused_whole(clinic, data: bytes, reason: str) -> None:
    with pytest.raises(batch_file.MalformedFile, match=reason):
        batch_file.read(data)


def test_spreadsheet_dialects_are_read(clinic, small_model) -> None:
    """Excel in a Spanish locale: semicolons, decimal commas, a BOM, headers in capitals."""
    rows = [batch_row(0, wtkg="72,5"), batch_row(1)]
    text = batch_csv(rows, delimiter=";").decode().replace("full_name", "FULL_NAME")
    checked = batch_file.read(b"\xef\xbb\xbf" + text.encode("utf-8") + b"\n;;;\n")
    assert not checked.bad
    assert [row.measurements["wtkg"] for row in checked.good] == [72.5, 72.5]
    latin = batch_file.read(batch_csv([batch_row(1)]).decode().encode("cp1252"))
    assert latin.good[0].identity.full_name == "Ana Lucía Gómez"


def test_identifiers_never_appear_unmasked(clinic, small_model) -> None:
    outcome = _upload(clinic, small_model, batch_csv([batch_row(i) for i in range(4)]))
    shown = prioritised_list.masked_csv(outcome.results) + repr(outcome)
    for name, national_id in PEOPLE:
        for part in name.split():
            assert part not in shown
        digits = national_id.replace(".", "").replace("-", "").replace(" ", "")
        assert digits not in shown and digits[:6] not in shown
    assert "M. J. Ñ." in shown and "••••5678" in shown


def test_each_chunk_is_audited_with_the_upload(clinic, small_model, monkeypatch) -> None:
    monkeypatch.setattr(batch, "CHUNK", 3)
    seen = []
    outcome = _upload(
        clinic,
        small_model,
        batch_csv([batch_row(i) for i in range(4)]),
        progress=lambda *a: seen.append(a),
    )
    assert seen == [(3, 4), (4, 4)]
    with clinic.engine.connect() as connection:
        events = connection.execute(
            select(audit_events.c.target, audit_events.c.details).where(
                audit_events.c.action == "batch"
            )
        ).all()
    assert [(e.target, e.details["rows"], e.details["stored"]) for e in events] == [
        (outcome.batch_id, 3, 3),
        (outcome.batch_id, 1, 1),
    ]
    assert audit.verify(clinic.engine)[1] is None


def test_a_challenger_scores_every_row_in_the_shadow(clinic, small_model) -> None:
    rival = type(small_model)(
        small_model.name, "99", 0.5, small_model.run_id, pipeline=small_model.pipeline
    )
    _upload(clinic, small_model, batch_csv([batch_row(i) for i in range(3)]), challenger=rival)
    shadow.drain()
    for row in _stored(clinic):
        assert row.challenger_version == "99"
        assert row.challenger_probability == pytest.approx(row.probability)
        assert row.challenger_infected == (row.probability >= 0.5)


def test_demo_patients_file_is_all_valid_and_distinct(capsys) -> None:
    assert cli.main(["demo-csv", "--n", "300", "--seed", "4"]) == 0
    checked = batch_file.read(capsys.readouterr().out.encode())
    assert not checked.bad and len(checked.good) == 300
    assert len({row.identity.national_id_normalised for row in checked.good}) > 290
    assert demo.patients_csv(20, seed=4) == demo.patients_csv(20, seed=4)


def test_command_scores_a_file_as_a_clinician(
    config, monkeypatch, capsys, tmp_path, versions
) -> None:
    monkeypatch.setenv("CLINIC_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("DATABASE_URL", config.database_url)
    clinic = runtime.start(config)
    with db.writing(clinic.engine) as connection:
        for username, role in [("ana", "clinician"), ("root", "admin")]:
            accounts.add(
                connection, "test", username, username, role, PASSWORD, temporary=False, now=NOW
            )
    upload, output = tmp_path / "list.csv", tmp_path / "prioritised.csv"
    upload.write_bytes(batch_csv([batch_row(0), batch_row(1, karnof="55"), batch_row(2)]))

    assert cli.main(["batch", str(upload), "--as", "root"]) == 1
    assert cli.main(["batch", str(upload), "--as", "Ana", "--output", str(output)]) == 3
    err = capsys.readouterr().err
    assert "line 3, karnof: Karnofsky performance score must be one of" in err
    assert "Stored 2 predictions" in err and "lines rejected: 1" in err
    listing = list(csv.DictReader(io.StringIO(output.read_text())))
    assert [row["Line"] for row in listing] != [] and {row["Line"] for row in listing} == {"2", "4"}
    assert {row.created_by for row in _stored(clinic)} == {"ana"}

    upload.write_bytes(b"full_name;national_id\nAna;123\n")
    assert cli.main(["batch", str(upload), "--as", "ana"]) == 1
    assert "nothing was stored: The header lacks the column(s) time" in capsys.readouterr().err
    assert len(_stored(clinic)) == 2
