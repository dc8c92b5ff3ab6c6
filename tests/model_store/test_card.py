"""The model card and versions list say exactly what the version's MLflow run recorded."""

from __future__ import annotations

import numpy as np
import pytest
from mlflow.artifacts import load_dict

from model_store import card
from model_store.dataset import load_data
from model_store.recipe import HYPER_PARAMS, ORIGINAL_HOLDOUT
from model_store.schema import BY_CODE
from model_store.tracking import connect


def test_card_numbers_are_the_runs_logged_values(champion) -> None:
    result = card.read(champion)
    run = connect().get_run(champion.run_id)
    assert result.metrics == run.data.metrics
    assert result.metrics["test_f1"] == pytest.approx(run.data.metrics["test_f1"])
    assert result.version == champion.version and result.aliases == ["champion"]
    assert result.run_id == champion.run_id
    assert result.original == dict(ORIGINAL_HOLDOUT)
    assert result.hyper_params == {k: str(v) for k, v in HYPER_PARAMS.items()}
    assert result.training["n_rows"] == str(len(load_data()))
    assert result.training["data_sha256"] == run.data.params["data_sha256"]
    matrix = np.array(result.confusion["test"])
    assert matrix.sum() == int(run.data.params["n_test"])
    logged = load_dict(f"runs:/{champion.run_id}/confusion_matrix_cv.json")["matrix"]
    assert result.confusion["cv"] == logged


def test_calibration_and_importances_come_from_the_run_and_the_model(champion) -> None:
    result = card.read(champion)
    predictions = load_dict(f"runs:/{champion.run_id}/cv_predictions.json")
    assert len(result.calibration["predicted"]) == 10
    # quantile bins: each holds a tenth of the out-of-fold predictions, so the observed shares
    # average to the training prevalence
    assert np.mean(result.calibration["observed"]) == pytest.approx(
        np.mean(predictions["y"]), abs=0.01
    )
    assert sum(v for _, v in result.importances) == pytest.approx(1.0)
    assert result.importances[0][0] == BY_CODE["time"].label  # follow-up time dominates


def test_versions_list_compares_every_version(champion) -> None:
    rows = card.versions()
    assert [r.version for r in rows] == [champion.version]
    assert rows[0].aliases == ["champion"]
    metrics = connect().get_run(champion.run_id).data.metrics
    assert rows[0].metrics == {k: metrics[k] for k in card.COMPARED}
