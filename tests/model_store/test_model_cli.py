"""`python -m model_store`: what an operator sees."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from model_store import tracking
from model_store.__main__ import NOT_AUDITED, format_metrics, main


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
    assert capsys.readouterr().out == f"final_model@champion: 1 -> 1\n{NOT_AUDITED}\n"


def _aliases() -> dict[str, str | None]:
    return {a: tracking.alias_version(a) for a in ("champion", "previous", "challenger")}


def test_rollback_with_nothing_to_go_back_to_refuses(versions, capsys) -> None:
    assert main(["rollback"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "error: final_model has no @previous version to roll back to.\n"
    assert captured.out == ""
    assert _aliases() == {"champion": "1", "previous": None, "challenger": None}


def test_rollback_undoes_a_promotion_and_twice_returns(versions, capsys) -> None:
    assert main(["promote", "2", "--model", "final_model"]) == 0
    assert _aliases() == {"champion": "2", "previous": "1", "challenger": None}
    capsys.readouterr()

    assert main(["rollback"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "final_model@champion: 2 -> 1 (rolled back to @previous; @previous is now 2)",
        NOT_AUDITED,
    ]
    assert _aliases() == {"champion": "1", "previous": "2", "challenger": None}
    assert main(["rollback", "--model", "final_model"]) == 0
    assert _aliases() == {"champion": "2", "previous": "1", "challenger": None}


def test_challenger_is_set_and_cleared(versions, capsys) -> None:
    assert main(["challenger", "2"]) == 0
    assert capsys.readouterr().out == f"final_model@challenger: none -> 2\n{NOT_AUDITED}\n"
    assert _aliases() == {"champion": "1", "previous": None, "challenger": "2"}

    assert main(["challenger", "--clear", "--model", "final_model"]) == 0
    assert capsys.readouterr().out == f"final_model@challenger: 2 -> none\n{NOT_AUDITED}\n"
    assert _aliases()["challenger"] is None
    assert main(["challenger", "--clear"]) == 0
    assert capsys.readouterr().out == "final_model@challenger was not set; nothing to clear.\n"


def test_challenger_refuses_an_unknown_version(versions, capsys) -> None:
    assert main(["challenger", "99"]) == 2
    assert capsys.readouterr().err == "error: final_model has no version '99'\n"
    assert _aliases()["challenger"] is None


@pytest.mark.parametrize(
    "argv",
    [
        ["challenger"],  # a version or --clear
        ["challenger", "2", "--clear"],
        ["rollback", "--model", "week20_risk"],  # not a registered model (yet)
    ],
)
def test_alias_commands_refuse_unclear_requests(versions, capsys, argv) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "usage: python -m model_store" in capsys.readouterr().err
    assert _aliases() == {"champion": "1", "previous": None, "challenger": None}


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
