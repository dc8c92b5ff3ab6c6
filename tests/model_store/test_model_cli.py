"""`python -m model_store`: what an operator sees."""

from __future__ import annotations

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
