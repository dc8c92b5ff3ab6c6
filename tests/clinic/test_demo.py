"""Demo data on a real database: invented people encrypted like real ones, realistic values,
exact tallies, and never mixed into a real clinic's history by accident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clinic import __main__ as cli
from clinic import audit, db, demo, patients, runtime
from clinic.identity import Identity
from clinic.predictions import predict_and_store
from clinic.tables import patients as patients_table
from clinic.tables import prediction_counts, predictions
from clinic.validation import validate
from model_store.schema import FIELDS
from tests.support import MEASUREMENTS

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _count(clinic, *columns) -> int:
    with clinic.engine.connect() as connection:
        return connection.execute(select(*columns)).scalar_one()


def _real_prediction(clinic, small_model):
    """A clinician's prediction for a real patient, national ID 1.234.567."""
    return predict_and_store(
        clinic.engine,
        clinic.vault,
        small_model,
        actor="ana",
        full_name="Lucía Pérez",
        national_id="1.234.567",
        measurements=MEASUREMENTS,
    )


def test_demo_history_is_realistic_encrypted_and_tallied(config, small_model) -> None:
    clinic = runtime.start(config)
    plan = demo.Plan(n=2_500, clinicians=["ana", "bruno"], now=NOW, days=30, seed=7)
    assert demo.generate(clinic.engine, clinic.vault, small_model, plan, actor="console") == 2_500

    assert _count(clinic, func.count(predictions.c.id)) == 2_500
    assert _count(clinic, func.sum(prediction_counts.c.n)) == 2_500
    assert 500 < _count(clinic, func.count(patients_table.c.id)) < 2_500  # repeat visits
    with clinic.engine.connect() as connection:
        rows = connection.execute(select(predictions)).all()
        someone = patients.decrypt_identity(connection, clinic.vault, rows[0].patient_id)
    assert {r.source for r in rows} == {"demo"}
    assert {r.created_by for r in rows} == {"ana", "bruno"}
    assert min(r.created_at for r in rows) >= NOW - timedelta(days=30)
    assert max(r.created_at for r in rows) <= NOW
    assert {r.risk_band for r in rows} == {"low", "moderate", "high"}
    for r in rows[:200]:  # every stored value is one the form would have accepted
        validate(someone.full_name, someone.national_id, r.measurements)
        for f in FIELDS:
            low, high = f.training_range
            assert low <= r.measurements[f.code] <= high
        assert r.probability == pytest.approx(small_model.predict(r.measurements).probability)
    assert len(someone.full_name.split()) == 3

    events = [e for e in audit.search(clinic.engine) if e["action"] == "demo-data"]
    assert sum(e["details"]["predictions"] for e in events) == 2_500
    assert audit.verify(clinic.engine)[1] is None


def test_same_seed_same_history(config, small_model) -> None:
    clinic = runtime.start(config)
    for _ in range(2):
        plan = demo.Plan(n=50, clinicians=["ana"], now=NOW, days=5, seed=11)
        demo.generate(clinic.engine, clinic.vault, small_model, plan, actor="t")
    with clinic.engine.connect() as connection:
        first, second = (
            [r.probability for r in connection.execute(select(predictions).order_by("id"))][i::50]
            for i in (0, 1)
        )
    assert len(first) == 2 and first[0] == first[1] and second[0] == second[1]


def test_refuses_a_database_with_real_predictions(config, small_model) -> None:
    clinic = runtime.start(config)
    demo.refuse_if_real(clinic.engine)  # empty: fine
    plan = demo.Plan(n=10, clinicians=["ana"], now=NOW)
    demo.generate(clinic.engine, clinic.vault, small_model, plan, actor="t")
    demo.refuse_if_real(clinic.engine)  # demo only: fine
    _real_prediction(clinic, small_model)
    with pytest.raises(demo.RealRecordsPresent, match="--force"):
        demo.refuse_if_real(clinic.engine)


class _Repeating:
    """Invents the given identities in turn."""

    def __init__(self, *identities: Identity) -> None:
        self._queue = list(identities)

    def invent(self) -> Identity:
        return self._queue.pop(0)


def test_an_invented_id_that_is_on_file_is_replaced_not_linked(config, small_model) -> None:
    clinic = runtime.start(config)
    real = _real_prediction(clinic, small_model)
    people = _Repeating(Identity("Demo Uno Dos", "1234567"), Identity("Demo Tres", "7654321"))
    with db.writing(clinic.engine) as connection:
        created = demo._add_patients(connection, clinic.vault, people, [0], NOW)[0]
        identity = patients.decrypt_identity(connection, clinic.vault, created.patient_id)
    assert created.patient_id != real.patient_id
    assert identity == Identity("Demo Tres", "7654321")


def test_command_refuses_real_records_unless_forced(
    config, small_model, monkeypatch, capsys, versions
) -> None:
    monkeypatch.setenv("CLINIC_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("DATABASE_URL", config.database_url)
    assert cli.main(["demo-data", "--n", "200", "--days", "7"]) == 0
    assert "Stored 200 demo predictions" in capsys.readouterr().out
    clinic = runtime.start(config)
    _real_prediction(clinic, small_model)
    assert cli.main(["demo-data", "--n", "30"]) == 1
    assert "holds real predictions" in capsys.readouterr().err
    assert _count(clinic, func.count(predictions.c.id)) == 201
    assert cli.main(["demo-data", "--n", "30", "--force", "--clinicians", "Ana,bruno"]) == 0
    with clinic.engine.connect() as connection:
        clinicians = set(
            connection.execute(
                select(predictions.c.created_by).where(predictions.c.source == "demo")
            ).scalars()
        )
    assert _count(clinic, func.count(predictions.c.id)) == 231
    assert clinicians == {"ana", "bruno"} | {f"demo.clinician{i:02d}" for i in range(1, 11)}
