"""Loading the champion: same numbers as the pipeline, fast, and refusals that say why."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from model_store import registry, tracking
from model_store.features import ClinicalFeatures, build_pipeline
from model_store.persistence import TRUSTED_TYPES
from model_store.schema import CODES, TARGET


@pytest.fixture
def model(champion) -> registry.LoadedModel:
    """The session's champion (tests/conftest.py), loaded once."""
    return champion


def _patients(data: pd.DataFrame, n: int) -> list[dict[str, float]]:
    return [
        {c: float(v) for c, v in row.items()}
        for row in data[list(CODES)].head(n).to_dict("records")
    ]


def test_load_returns_the_champion_with_its_threshold(model, trained_store) -> None:
    client = tracking.connect()
    version = client.get_model_version_by_alias("final_model", "champion")
    run = client.get_run(version.run_id)
    assert (model.name, model.version, model.run_id) == ("final_model", "1", version.run_id)
    assert model.threshold == run.data.metrics["threshold"]
    assert 0.05 < model.threshold < 0.95
    assert model.uri == "models:/final_model/1"
    assert registry.resolve_version() == "1"
    assert registry.resolve_version("models:/final_model@champion") == "1"
    assert registry.pinned("models:/final_model@champion", "1") == "models:/final_model/1"
    assert registry.pinned(None, "7") == "models:/final_model/7"
    assert registry.load(registry.pinned(None, "1")) == model


def test_predict_equals_the_pipeline_row_by_row(model, data: pd.DataFrame) -> None:
    frame = data[list(CODES)].head(300)
    expected = model.pipeline.predict_proba(frame)[:, 1]
    scored = [model.predict(p) for p in _patients(data, 300)]
    np.testing.assert_array_equal([s.probability for s in scored], expected)
    assert [s.infected for s in scored] == list(expected >= model.threshold)
    np.testing.assert_array_equal(model.predict_proba(frame), expected)


def test_many_rows_are_scored_and_explained_as_each_row_alone(model, data: pd.DataFrame) -> None:
    """The port's many-row methods (a batch, demo data, shadow scores) give each row what the
    single-row path gives it; one row takes that path, none gives nothing."""
    patients = _patients(data, 40)
    assert model.predict_many(patients) == [model.predict(p) for p in patients]
    assert model.predict_many(patients[:1]) == [model.predict(patients[0])]
    assert model.explain_many(patients[:1]) == [model.explain(patients[0])]
    assert model.predict_many([]) == [] and model.explain_many([]) == []
    for patient, explained in zip(patients, model.explain_many(patients), strict=True):
        alone = model.explain(patient)
        assert explained.base_rate == pytest.approx(alone.base_rate, abs=1e-12)
        for code in CODES:
            assert explained.contributions[code] == pytest.approx(
                alone.contributions[code], abs=1e-12
            )


def test_predictions_are_useful_on_the_whole_file(model, data: pd.DataFrame) -> None:
    proba = model.predict_proba(data)
    predicted = proba >= model.threshold
    accuracy = float(np.mean(predicted == data[TARGET].to_numpy()))
    assert accuracy > 0.85
    assert 0.15 < predicted.mean() < 0.35


def test_predict_ignores_extra_keys_and_names_missing_ones(model, data: pd.DataFrame) -> None:
    patient = _patients(data, 1)[0]
    assert model.predict({**patient, "full_name": "x"}) == model.predict(patient)
    del patient["cd420"], patient["karnof"]
    with pytest.raises(ValueError, match="Missing clinical fields: cd420, karnof"):
        model.predict(patient)


def test_single_row_predict_is_fast(model, data: pd.DataFrame) -> None:
    patient = _patients(data, 1)[0]
    for _ in range(5):
        model.predict(patient)
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        model.predict(patient)
        timings.append(time.perf_counter() - start)
    assert float(np.median(timings)) < 0.020


def test_no_champion_is_unavailable_with_the_command_to_run(empty_store) -> None:
    with pytest.raises(registry.ModelUnavailable) as raised:
        registry.load()
    message = str(raised.value)
    assert "No model at models:/final_model@champion" in message
    assert "python -m model_store train" in message
    with pytest.raises(registry.ModelUnavailable, match="No model at models:/final_model@champion"):
        registry.resolve_version()


def test_missing_alias_or_version_is_unavailable(trained_store) -> None:
    with pytest.raises(registry.ModelUnavailable, match="No model at models:/final_model@nope"):
        registry.load("models:/final_model@nope")
    with pytest.raises(registry.ModelUnavailable, match="No model at models:/final_model/42"):
        registry.resolve_version("models:/final_model/42")
    with pytest.raises(registry.ModelUnavailable, match="Unsupported model URI"):
        registry.load("runs:/abc/model")


def test_unreachable_registry_is_unavailable(monkeypatch, trained_store) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://user:hunter2@127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    with pytest.raises(registry.ModelUnavailable) as raised:
        registry.load()
    message = str(raised.value)
    assert "unreachable" in message and "python -m model_store train" in message
    assert f"http://user:***@127.0.0.1:{port}" in message
    assert "hunter2" not in message


def _register(store: Path, pipeline: Pipeline, **log_kwargs) -> None:
    """Log and register `pipeline` as final_model@champion in the store at `store`.

    The experiment's artifacts go under `store`: a new SQLite store's default experiment would
    put them in ./mlruns of the current directory.
    """
    client = tracking.connect()
    experiment = client.create_experiment("crafted", (store / "artifacts").as_uri())
    with mlflow.start_run(experiment_id=experiment):
        info = mlflow.sklearn.log_model(
            pipeline, name="model", pip_requirements=["scikit-learn"], **log_kwargs
        )
    version = mlflow.register_model(info.model_uri, "final_model").version
    client.set_registered_model_alias("final_model", "champion", version)


def _small_pipeline(data: pd.DataFrame, *extra_steps) -> Pipeline:
    """A fitted two-tree pipeline; extra steps are inserted after fitting and never run."""
    pipeline = build_pipeline(n_estimators=2).fit(data[list(CODES)], data[TARGET])
    pipeline.steps[1:1] = list(extra_steps)
    return pipeline


def test_untrusted_type_is_refused_even_if_the_model_whitelists_it(
    empty_store, data: pd.DataFrame, monkeypatch
) -> None:
    evil = _small_pipeline(data, ("evil", FunctionTransformer(func=os.system)))
    crafted_list = [*TRUSTED_TYPES, "posix.system"]
    _register(
        empty_store,
        evil,
        serialization_format="skops",
        skops_trusted_types=crafted_list,
        metadata={"threshold": 0.5},
    )

    with pytest.raises(registry.UntrustedModel, match="posix.system") as raised:
        registry.load()
    assert isinstance(raised.value, registry.ModelUnavailable)
    # MLflow's own loader would have trusted the list stored in the model itself.
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    loaded = mlflow.sklearn.load_model("models:/final_model@champion")
    assert loaded.named_steps["evil"].func is os.system


def test_pickled_model_is_refused(empty_store, data: pd.DataFrame) -> None:
    _register(
        empty_store,
        _small_pipeline(data),
        serialization_format="pickle",
        metadata={"threshold": 0.5},
    )
    with pytest.raises(registry.UntrustedModel, match="not saved in the skops format"):
        registry.load()


def test_model_without_threshold_is_unavailable(empty_store, data: pd.DataFrame) -> None:
    _register(
        empty_store,
        _small_pipeline(data),
        serialization_format="skops",
        skops_trusted_types=list(TRUSTED_TYPES),
    )
    with pytest.raises(registry.ModelUnavailable, match="no decision threshold"):
        registry.load()


def test_loaded_model_is_a_plain_value(model) -> None:
    assert isinstance(model.pipeline.named_steps["features"], ClinicalFeatures)
    assert "pipeline" not in repr(model)
    with pytest.raises(AttributeError):
        model.threshold = 0.1  # type: ignore[misc]
