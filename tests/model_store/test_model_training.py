"""Training on the session store: targets, logged evidence, threshold on CV, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import mlflow.data
import numpy as np
import pandas as pd
import pytest
from mlflow.artifacts import download_artifacts
from mlflow.models import get_model_info
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.model_selection import train_test_split

from model_store import registry, tracking, train
from model_store.dataset import DATA_FILE, DATA_SHA256, DataIntegrityError, load_data
from model_store.features import RANDOM_STATE, build_pipeline
from model_store.recipe import HYPER_PARAMS
from model_store.schema import CODES, TARGET

REQUIRED_METRICS = {
    "cv_accuracy",
    "cv_f1",
    "cv_precision",
    "cv_recall",
    "cv_roc_auc",
    "cv_brier",
    "test_accuracy",
    "test_f1",
    "test_precision",
    "test_recall",
    "test_roc_auc",
    "test_brier",
    "threshold",
}


@pytest.fixture(scope="module")
def champion_run(trained_store: Path):
    """The champion's model version and its run, from the session store."""
    client = tracking.connect()
    version = client.get_model_version_by_alias(tracking.MODEL_NAME, tracking.CHAMPION)
    return version, client.get_run(version.run_id)


def _artifact(run_id: str, name: str, tmp_path: Path) -> dict:
    path = download_artifacts(run_id=run_id, artifact_path=name, dst_path=str(tmp_path))
    return json.loads(Path(path).read_text())


def test_meets_the_targets_and_logs_exactly_the_required_metrics(champion_run) -> None:
    version, run = champion_run
    metrics = run.data.metrics
    assert set(metrics) == REQUIRED_METRICS == set(train.METRIC_NAMES)
    assert metrics["cv_f1"] >= 0.76
    assert metrics["cv_roc_auc"] >= 0.93
    assert 0 < metrics["cv_brier"] < 0.15 and 0 < metrics["test_brier"] < 0.15
    assert metrics["test_roc_auc"] >= 0.9
    assert str(version.version) == "1"


def test_logs_params_data_and_sizes(champion_run, data: pd.DataFrame) -> None:
    _, run = champion_run
    params = run.data.params
    for key, value in HYPER_PARAMS.items():
        assert params[key] == str(value)
    assert params["data_sha256"] == DATA_SHA256
    assert (params["n_rows"], params["n_train"], params["n_test"]) == ("2139", "1604", "535")
    assert float(params["threshold"]) == run.data.metrics["threshold"]
    assert params["fingerprint"] == train.fingerprint(DATA_SHA256, HYPER_PARAMS)


def test_threshold_is_the_f1_optimum_of_the_cv_predictions(champion_run, tmp_path: Path) -> None:
    version, run = champion_run
    cv = _artifact(run.info.run_id, "cv_predictions.json", tmp_path)
    y, proba = np.asarray(cv["y"]), np.asarray(cv["proba"])
    assert len(y) == len(proba) == 1604
    # Recomputed here without evaluation.py: F1 at every candidate cut-off, keep the best.
    candidates = np.unique(proba)
    predicted = proba[None, :] >= candidates[:, None]
    tp = (predicted & (y == 1)).sum(axis=1)
    f1s = 2 * tp / (predicted.sum(axis=1) + (y == 1).sum())
    best = candidates[np.flatnonzero(f1s == f1s.max())[0]]
    threshold = run.data.metrics["threshold"]
    assert threshold == best
    assert run.data.metrics["cv_f1"] == pytest.approx(f1s.max(), abs=1e-12)
    assert run.data.metrics["cv_f1"] == pytest.approx(f1_score(y, proba >= threshold))
    predicted = proba >= threshold
    assert run.data.metrics["cv_precision"] == pytest.approx(precision_score(y, predicted))
    assert run.data.metrics["cv_recall"] == pytest.approx(recall_score(y, predicted))
    info = get_model_info(f"models:/{tracking.MODEL_NAME}/{version.version}")
    assert info.metadata["threshold"] == threshold


def test_confusion_matrices_and_roc_curves_are_logged(champion_run, tmp_path: Path) -> None:
    _, run = champion_run
    metrics = run.data.metrics
    for split, n in (("cv", 1604), ("test", 535)):
        cm = _artifact(run.info.run_id, f"confusion_matrix_{split}.json", tmp_path)
        (tn, fp), (fn, tp) = cm["matrix"]
        assert tn + fp + fn + tp == n
        assert cm["threshold"] == metrics["threshold"]
        assert tp / (tp + fp) == pytest.approx(metrics[f"{split}_precision"])
        assert tp / (tp + fn) == pytest.approx(metrics[f"{split}_recall"])
        assert (tp + tn) / n == pytest.approx(metrics[f"{split}_accuracy"])
        roc = _artifact(run.info.run_id, f"roc_curve_{split}.json", tmp_path)
        assert roc["fpr"][0] == 0 and roc["tpr"][-1] == 1 and len(roc["fpr"]) == len(roc["tpr"])
        assert roc["roc_auc"] == pytest.approx(metrics[f"{split}_roc_auc"])
        assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(roc["roc_auc"])
    html = download_artifacts(
        run_id=run.info.run_id, artifact_path="roc_curve.html", dst_path=str(tmp_path)
    )
    assert "plotly" in Path(html).read_text()


@pytest.mark.filterwarnings("ignore:The specified dataset source:UserWarning")
def test_dataset_is_a_run_input_with_its_digest(champion_run, data: pd.DataFrame) -> None:
    _, run = champion_run
    (logged,) = run.inputs.dataset_inputs
    expected = mlflow.data.from_pandas(data, source=str(DATA_FILE), targets=TARGET)
    assert logged.dataset.digest == expected.digest
    assert "AIDS_Classification.csv" in logged.dataset.source
    assert json.loads(logged.dataset.profile)["num_rows"] == 2139
    assert {t.key: t.value for t in logged.tags}["mlflow.data.context"] == "training"


def test_version_is_tagged_with_its_fingerprint(champion_run) -> None:
    version, _ = champion_run
    expected = train.fingerprint(DATA_SHA256, HYPER_PARAMS)
    assert version.tags["fingerprint"] == expected
    info = get_model_info(f"models:/{tracking.MODEL_NAME}/{version.version}")
    assert info.metadata["fingerprint"] == expected
    flavor = info.flavors["sklearn"]
    assert flavor["serialization_format"] == "skops"
    assert flavor["code"] == "code"
    assert info.flavors["python_function"]["predict_fn"] == "predict_proba"


def test_fingerprint_changes_with_data_params_or_code() -> None:
    base = train.fingerprint(DATA_SHA256, HYPER_PARAMS)
    assert base == train.fingerprint(DATA_SHA256, dict(HYPER_PARAMS))
    assert base != train.fingerprint("0" * 64, HYPER_PARAMS)
    assert base != train.fingerprint(DATA_SHA256, {**HYPER_PARAMS, "max_depth": 49})
    assert set(train.FINGERPRINT_SOURCES) >= {
        "dataset.py",
        "features.py",
        "recipe.py",
        "schema.py",
        "train.py",
    }


def test_training_twice_adds_nothing(champion_run) -> None:
    version, run = champion_run
    client = tracking.connect()
    experiment = client.get_experiment_by_name(tracking.EXPERIMENT)
    before_runs = len(client.search_runs([experiment.experiment_id]))
    before_versions = len(client.search_model_versions(f"name = '{tracking.MODEL_NAME}'"))

    again = train.train()

    assert again.trained is False
    assert (again.version, again.run_id) == (str(version.version), run.info.run_id)
    assert again.metrics == run.data.metrics
    assert again.champion == str(version.version)
    assert len(client.search_runs([experiment.experiment_id])) == before_runs
    assert len(client.search_model_versions(f"name = '{tracking.MODEL_NAME}'")) == before_versions


def test_registered_model_is_the_pipeline_this_code_trains(trained_store, data) -> None:
    X, y = data[list(CODES)], data[TARGET]
    X_train, X_test, y_train, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=RANDOM_STATE
    )
    assert len(X_test) == 535
    pipeline = build_pipeline(**HYPER_PARAMS).fit(X_train, y_train)
    loaded = registry.load()
    np.testing.assert_array_equal(loaded.predict_proba(X), pipeline.predict_proba(X)[:, 1])


def test_refuses_data_with_another_hash(tmp_path: Path, data: pd.DataFrame) -> None:
    tampered = tmp_path / "AIDS_Classification.csv"
    data.assign(time=data["time"] + 1).to_csv(tampered, index=False)
    with pytest.raises(DataIntegrityError, match="expected 0f23c1a05bad"):
        load_data(tampered)
    with pytest.raises(DataIntegrityError):
        train.train(data_path=tampered)
