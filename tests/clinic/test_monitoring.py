"""Drift monitoring on a real database: PSI and out-of-range shares from the tallies equal the
same figures computed independently from the stored rows and the training file."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import insert, select

from clinic import counts, db, demo, monitoring, patients, runtime
from clinic.identity import Identity
from clinic.tables import input_counts, predictions
from clinic.tables import patients as patients_table
from clinic.vault import Vault, generate_keyring
from model_store.dataset import load_data
from model_store.reference import PSI_FLAG, bins, psi
from model_store.schema import BY_CODE, CODES
from tests.support import MEASUREMENTS

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SINCE, UNTIL = (NOW - timedelta(days=30)).date(), NOW.date()


def _demo(clinic, small_model, *, shifted: bool, n: int = 3000) -> None:
    plan = demo.Plan(n=n, clinicians=["ana"], now=NOW, days=30, seed=7, shifted=shifted)
    demo.generate(clinic.engine, clinic.vault, small_model, plan, actor="test")


def _independent_psi(code: str, values: np.ndarray) -> float:
    """The PSI written out again from the definition, with numpy, from raw values."""
    cuts = np.array(bins()[code].cuts)
    expected = np.bincount(
        np.searchsorted(cuts, load_data()[code].to_numpy(float), side="right"),
        minlength=len(cuts) + 1,
    ) / len(load_data())
    actual = np.bincount(np.searchsorted(cuts, values, side="right"), minlength=len(cuts) + 1)
    actual = actual / actual.sum()
    e, a = np.maximum(expected, 1e-4), np.maximum(actual, 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def _stored_values(clinic) -> dict[str, np.ndarray]:
    with clinic.engine.connect() as connection:
        rows = connection.execute(select(predictions.c.measurements)).scalars().all()
    return {code: np.array([row[code] for row in rows], dtype=float) for code in CODES}


def test_psi_of_a_known_shift() -> None:
    """Half and half becoming 90/10: 0.4 ln 1.8 + 0.4 ln 5 = 0.8789."""
    assert psi([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.4 * math.log(1.8) + 0.4 * math.log(5))
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0.0


def test_training_bins_are_deciles_of_the_training_data() -> None:
    cd4 = bins()["cd40"]
    assert len(cd4.training_shares) == 10
    assert sum(cd4.training_shares) == pytest.approx(1.0)
    assert all(0.08 < share < 0.12 for share in cd4.training_shares)
    assert bins()["gender"].training_shares == pytest.approx(
        [(load_data()["gender"] == code).mean() for code in (0, 1)]
    )


@pytest.fixture
def clinic(config):
    return runtime.start(config)


def test_shifted_patients_are_flagged_with_the_independent_psi(clinic, small_model) -> None:
    _demo(clinic, small_model, shifted=True)
    report = monitoring.report(clinic.engine, SINCE, UNTIL)
    values = _stored_values(clinic)

    assert report.predictions == 3000
    by_code = {f.code: f for f in report.fields}
    for code in CODES:
        assert by_code[code].psi == pytest.approx(_independent_psi(code, values[code]), abs=1e-9)
    assert {f.code for f in report.flagged} >= set(demo.SHIFT)
    assert all(by_code[code].psi < PSI_FLAG for code in ("race", "gender", "hemo", "karnof"))
    lo, hi = BY_CODE["age"].training_range
    outside = np.mean((values["age"] < lo) | (values["age"] > hi))
    assert by_code["age"].outside == pytest.approx(outside) and outside > 0.02
    assert report.fields[0].psi == max(f.psi for f in report.fields)


def test_patients_like_the_trials_raise_no_flag(clinic, small_model) -> None:
    _demo(clinic, small_model, shifted=False)
    report = monitoring.report(clinic.engine, SINCE, UNTIL)
    assert report.flagged == ()
    assert max(f.psi for f in report.fields) < 0.1


def test_the_window_and_the_weekly_positive_rate(clinic, small_model) -> None:
    _demo(clinic, small_model, shifted=False, n=400)
    report = monitoring.report(clinic.engine, SINCE, UNTIL)
    with clinic.engine.connect() as connection:
        rows = connection.execute(select(predictions.c.created_at, predictions.c.infected)).all()
    assert sum(w.predictions for w in report.weeks) == 400
    assert sum(w.positives for w in report.weeks) == sum(r.infected for r in rows)
    newest = max(r.created_at for r in rows).date()
    empty = monitoring.report(clinic.engine, newest + timedelta(days=1), newest + timedelta(9))
    assert (empty.predictions, empty.weeks, empty.flagged) == (0, (), ())


def test_the_migration_counts_predictions_stored_before_it(database_url) -> None:
    engine = db.make_engine(database_url)
    db.migrate(engine, "0005")
    stored = []
    with engine.begin() as connection:
        patient = patients.patient_row(
            Vault(generate_keyring()), Identity("Ana Pérez", "123456"), "p-1", NOW
        )
        connection.execute(insert(patients_table), patient)
        for days, age in [(0, 30), (0, 80), (3, 30)]:
            row = {
                "patient_id": "p-1",
                "created_at": NOW - timedelta(days=days),
                "created_by": "ana",
                "model_name": "final_model",
                "model_version": "1",
                "threshold": 0.6,
                "probability": 0.2,
                "infected": False,
                "risk_band": "low",
                "measurements": dict(MEASUREMENTS, age=age),
            }
            stored.append(row)
            connection.execute(insert(predictions), row)
    db.migrate(engine)
    with engine.connect() as connection:
        tallied = {
            (r.day, r.field, r.bin): r.n for r in connection.execute(select(input_counts)).all()
        }
    engine.dispose()
    assert tallied == dict(counts.inputs(stored))
    assert tallied[(NOW.date(), "age", 99)] == 1
