"""`python -m benchmarks history` runs from a fresh clone and reports every figure with its goal
(at a small N: the figures themselves are for the README, not for a test)."""

from __future__ import annotations

import json
import time

import streamlit as st

from benchmarks import __main__ as bench
from benchmarks import history, report


def test_history_benchmark_reports_every_figure(tmp_path, monkeypatch, trained_store) -> None:
    monkeypatch.setattr(history, "HOME", tmp_path / "home")
    monkeypatch.setattr(report, "RESULTS", tmp_path / "results")
    for name in ("CLINIC_DATA_DIR", "MLFLOW_TRACKING_URI", "DATABASE_URL"):
        monkeypatch.setenv(name, "restored after the test")
    st.cache_resource.clear()
    try:
        status = bench.main(["history", "--n", "400", "--repeat", "3"])
    finally:
        st.cache_resource.clear()
    saved = json.loads((tmp_path / "results" / "history-sqlite.json").read_text())
    assert saved["context"] == {"predictions": "400", "database": "sqlite"}
    figures = {f["name"]: f for f in saved["figures"]}
    assert len(figures) == 9
    assert all(0 < f["p50_ms"] <= f["p95_ms"] for f in figures.values())
    goals = {name: f["goal_ms"] for name, f in figures.items() if f["goal_ms"]}
    assert goals["patient lookup: blind index + records (queries)"] == 20
    assert sum(goal == 150 for goal in goals.values()) == 5
    assert status == (0 if all(f["met"] for f in figures.values() if f["goal_ms"]) else 1)


def test_batch_benchmark_and_the_closing_summary(
    tmp_path, monkeypatch, capsys, trained_store
) -> None:
    from benchmarks import batch

    monkeypatch.setattr(batch, "HOME", tmp_path / "home")
    monkeypatch.setattr(report, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(report, "SHOWN", [])
    for name in ("CLINIC_DATA_DIR", "MLFLOW_TRACKING_URI", "DATABASE_URL"):
        monkeypatch.setenv(name, "restored after the test")
    bench.main(["batch", "--n", "300", "--repeat", "2"])
    report.summary()
    saved = json.loads((tmp_path / "results" / "all.json").read_text())
    assert [(f["benchmark"], f["name"], f["goal_ms"]) for f in saved] == [
        ("batch-sqlite", "store 300 predictions from a CSV (sqlite)", 4000)
    ]
    assert 0 < saved[0]["p50_ms"] <= saved[0]["p95_ms"]
    assert "python -m benchmarks batch" in capsys.readouterr().out.splitlines()[-2]


def test_the_sign_in_helper_never_types_a_code_twice(tmp_path, monkeypatch) -> None:
    """The server refuses a code whose time step was used; a second sign-in of the same account
    within one 30 s step gets the next step's code (after waiting for it), which the server
    takes, where typing the current code again is refused as a replay."""
    from datetime import UTC, datetime

    from benchmarks import person
    from clinic import accounts, config, mfa, runtime, totp

    monkeypatch.setenv("CLINIC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    clinic = runtime.start(config.load())
    try:
        account = person.enrolled_account(clinic, "carla", "clinician")
        with clinic.engine.connect() as connection:
            user = accounts.by_username(connection, "carla")
        if (left := totp.INTERVAL - time.time() % totp.INTERVAL) < 3:
            time.sleep(left)  # all of what follows inside one step
        first, first_wait = person._claim_code(account)
        second, second_wait = person._claim_code(account)
        now = datetime.now(UTC)
        step = int(now.timestamp() // totp.INTERVAL)

        assert first_wait == 0  # the enrolment's step was two minutes ago
        assert mfa.verify_second_factor(clinic.engine, clinic.vault, user, first, now)
        assert not mfa.verify_second_factor(clinic.engine, clinic.vault, user, first, now)
        assert second != first and 0 < second_wait <= totp.INTERVAL + person.CLOCK_MARGIN_S
        assert totp.matching_step(account.secret, second, now) == step + 1
        assert mfa.verify_second_factor(clinic.engine, clinic.vault, user, second, now)
    finally:
        clinic.engine.dispose()
