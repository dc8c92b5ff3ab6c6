"""`python -m model_store`: what an operator sees."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from model_store.__main__ import format_metrics, main


@pytest.fixture(autouse=True)
def _restore_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() quiets MLflow through an env default; keep that inside the test."""
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def test_train_again_prints_the_existing_versions_metrics(trained_store, capsys) -> None:
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Nothing to train: version 1 has the same fingerprint")
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("metric"))
    assert header.split() == ["metric", "cv", "test", "original", "test"]
    f1_row = next(line for line in lines if line.startswith("f1 ")).split()
    assert f1_row[0] == "f1" and float(f1_row[1]) >= 0.76 and f1_row[3] == "0.754"
    assert next(line for line in lines if line.startswith("accuracy")).split()[-1] == "0.871"
    assert "final_model@champion is version 1." in out


def test_train_if_no_champion_does_nothing_when_one_exists(trained_store, capsys) -> None:
    assert main(["train", "--if-no-champion"]) == 0
    assert capsys.readouterr().out == (
        "final_model@champion is version 1; not training (--if-no-champion).\n"
    )


def test_promote_unknown_version_fails_clearly(trained_store, capsys) -> None:
    assert main(["promote", "99"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "error: final_model has no version '99'\n"
    assert captured.out == ""


def test_promote_prints_old_and_new(trained_store, capsys) -> None:
    assert main(["promote", "1"]) == 0
    assert capsys.readouterr().out == "final_model@champion: 1 -> 1\n"


def test_metrics_table_is_aligned() -> None:
    metrics = {
        f"{s}_{m}": 0.5
        for s in ("cv", "test")
        for m in ("accuracy", "f1", "precision", "recall", "roc_auc", "brier")
    }
    table = format_metrics({**metrics, "threshold": 0.25}).splitlines()
    assert table[0].split() == ["metric", "cv", "test", "original", "test"]
    assert table[1].split() == ["accuracy", "0.500", "0.500", "0.871"]
    assert table[5].split() == ["roc_auc", "0.500", "0.500"]
    assert table[-1].split() == ["threshold", "0.250"]
    assert len({line.index("0.500") for line in table[1:7]}) == 1


@pytest.fixture
def server_environment(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process's environment made a clinic server's: no CI or pytest variable (under those
    MLflow switches its telemetry off by itself, and the check would prove nothing) and no
    telemetry setting inherited from the caller or from this process's own model_store import."""
    from mlflow.telemetry import utils

    for name in ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "PYTEST_CURRENT_TEST", "CI"):
        monkeypatch.delenv(name, raising=False)
    assert not utils._is_ci_env_or_testing(), "a CI variable is set: nothing would be proven"
    assert not utils._IS_MLFLOW_DEV_VERSION, "MLflow dev builds never send telemetry"
    return dict(os.environ)


TELEMETRY_CHECK = """
import sys
{first}
import mlflow
from mlflow.telemetry import get_telemetry_client
from mlflow.telemetry.utils import is_telemetry_disabled
sys.exit(0 if is_telemetry_disabled() and get_telemetry_client() is None else 3)
"""


def _telemetry_off(env: dict[str, str], first: str = "") -> bool:
    """MLflow's own verdict, in a fresh interpreter that runs `first` before importing mlflow."""
    script = TELEMETRY_CHECK.format(first=first)
    done = subprocess.run([sys.executable, "-c", script], env=env, timeout=120, check=False)
    assert done.returncode in (0, 3), done
    return done.returncode == 0


def test_importing_model_store_switches_mlflow_telemetry_off(server_environment) -> None:
    """Every path of the project to mlflow goes through the model_store package."""
    assert _telemetry_off(server_environment, first="import model_store")


def test_mlflow_models_serve_runs_with_telemetry_off(server_environment) -> None:
    """`mlflow models serve` imports mlflow before the model's code: its environment says it."""
    from benchmarks.rest_server import serve_environment

    assert _telemetry_off(serve_environment("sqlite:///unused.db"))
