"""Train, evaluate, log, register and crown the model: what `python -m model_store train` runs.

Idempotent: a fingerprint of the data, the training code and the hyper-parameters is stored on
each model version, and a second run with the same fingerprint trains and registers nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.data
import mlflow.sklearn
import numpy as np
import pandas as pd
import sklearn
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode
from mlflow.types import ColSpec, Schema, TensorSpec
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import Pipeline

from model_store import evaluation, settings
from model_store.dataset import DATA_FILE, DATA_SHA256, load_data
from model_store.features import RANDOM_STATE, build_pipeline
from model_store.persistence import TRUSTED_TYPES
from model_store.recipe import HYPER_PARAMS, ORIGINAL_HOLDOUT, ORIGINAL_TAG
from model_store.schema import CODES, FIELDS, TARGET
from model_store.tracking import (
    CHAMPION,
    EXPERIMENT,
    MODEL_NAME,
    champion_version,
    connect,
    is_local_store,
)

PACKAGE_DIR = Path(__file__).resolve().parent

TEST_SIZE = 0.25
CV_FOLDS = 5
CV_JOBS = 2
FINGERPRINT_SOURCES = (
    "dataset.py",
    "evaluation.py",
    "features.py",
    "recipe.py",
    "schema.py",
    "train.py",
)
"""The modules whose text changes what training produces."""

METRIC_NAMES: tuple[str, ...] = (
    *(f"cv_{m}" for m in evaluation.METRICS),
    *(f"test_{m}" for m in evaluation.METRICS),
    "threshold",
)


@dataclass(frozen=True)
class TrainResult:
    """What a `train` call did: the version it made (or found), its metrics, the champion after."""

    version: str
    run_id: str
    fingerprint: str
    threshold: float
    metrics: Mapping[str, float]
    trained: bool
    champion: str | None
    previous_champion: str | None


@dataclass(frozen=True)
class _Evaluation:
    pipeline: Pipeline
    threshold: float
    metrics: dict[str, float]
    cv: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    example: pd.DataFrame
    n_train: int
    n_test: int


def fingerprint(data_sha256: str, params: Mapping[str, Any]) -> str:
    """Identifies a training: same data, training code, hyper-parameters and sklearn -> same."""
    payload = {
        "data": data_sha256,
        "sources": {name: (PACKAGE_DIR / name).read_text() for name in FINGERPRINT_SOURCES},
        "params": dict(params),
        "sklearn": sklearn.__version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def train(
    overrides: Mapping[str, Any] | None = None, *, data_path: Path = DATA_FILE
) -> TrainResult:
    """Train unless an identical version exists; log, register, and move `champion` if better."""
    client = connect()
    frame = load_data(data_path)
    params = {**HYPER_PARAMS, **(overrides or {})}
    fp = fingerprint(DATA_SHA256, params)
    previous = champion_version(client)

    existing = _version_with_fingerprint(client, fp)
    if existing is not None:
        run = client.get_run(existing.run_id)
        return TrainResult(
            version=str(existing.version),
            run_id=existing.run_id,
            fingerprint=fp,
            threshold=run.data.metrics["threshold"],
            metrics=run.data.metrics,
            trained=False,
            champion=previous,
            previous_champion=previous,
        )

    result = _evaluate(frame, params)
    run_id, model = _log_run(client, result, params, frame, data_path, fp)
    version = _register(client, model, run_id, fp)

    champion = version
    if previous is not None and _cv_f1(client, previous) > result.metrics["cv_f1"]:
        champion = previous
    else:
        client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    return TrainResult(
        version=version,
        run_id=run_id,
        fingerprint=fp,
        threshold=result.threshold,
        metrics=result.metrics,
        trained=True,
        champion=champion,
        previous_champion=previous,
    )


def model_signature() -> ModelSignature:
    """Raw schema fields in (long for integer fields, double otherwise) -> [P(0), P(1)] out."""
    inputs = Schema([ColSpec("long" if f.integer else "double", f.code) for f in FIELDS])
    outputs = Schema([TensorSpec(np.dtype(np.float64), (-1, 2))])
    return ModelSignature(inputs=inputs, outputs=outputs)


def _evaluate(frame: pd.DataFrame, params: Mapping[str, Any]) -> _Evaluation:
    """Threshold and cv_* metrics from out-of-fold predictions; test_* from the untouched 25%."""
    X, y = frame[list(CODES)], frame[TARGET].to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=RANDOM_STATE
    )
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=RANDOM_STATE)
    cv_proba = cross_val_predict(
        build_pipeline(**params),
        X_train,
        y_train,
        cv=folds,
        method="predict_proba",
        n_jobs=CV_JOBS,
    )[:, 1]
    threshold = evaluation.f1_optimal_threshold(y_train, cv_proba)

    pipeline = build_pipeline(**params).fit(X_train, y_train)
    test_proba = pipeline.predict_proba(X_test)[:, 1]
    metrics = {
        **{f"cv_{k}": v for k, v in evaluation.scores(y_train, cv_proba, threshold).items()},
        **{f"test_{k}": v for k, v in evaluation.scores(y_test, test_proba, threshold).items()},
        "threshold": threshold,
    }
    return _Evaluation(
        pipeline=pipeline,
        threshold=threshold,
        metrics=metrics,
        cv=(y_train, cv_proba),
        test=(y_test, test_proba),
        example=X_test.iloc[[0]],
        n_train=len(X_train),
        n_test=len(X_test),
    )


def _log_run(
    client: MlflowClient,
    result: _Evaluation,
    params: Mapping[str, Any],
    frame: pd.DataFrame,
    data_path: Path,
    fp: str,
) -> tuple[str, ModelInfo]:
    """One MLflow run with params, metrics, evaluation artifacts, the dataset and the model."""
    curves = {"cv": evaluation.roc_points(*result.cv), "test": evaluation.roc_points(*result.test)}
    with mlflow.start_run(experiment_id=_experiment_id(client)) as run:
        mlflow.log_params(
            {
                **params,
                "threshold": result.threshold,
                "data_sha256": DATA_SHA256,
                "n_rows": len(frame),
                "n_train": result.n_train,
                "n_test": result.n_test,
                "test_size": TEST_SIZE,
                "cv_folds": CV_FOLDS,
                "random_state": RANDOM_STATE,
                "sklearn_version": sklearn.__version__,
                "fingerprint": fp,
            }
        )
        mlflow.log_metrics(result.metrics)
        mlflow.set_tags({f"{ORIGINAL_TAG}{k}": v for k, v in ORIGINAL_HOLDOUT.items()})
        _log_dataset(frame, data_path)
        for name, (y, proba) in (("cv", result.cv), ("test", result.test)):
            mlflow.log_dict(
                evaluation.confusion(y, proba, result.threshold), f"confusion_matrix_{name}.json"
            )
            mlflow.log_dict(curves[name], f"roc_curve_{name}.json")
        mlflow.log_dict(
            {"y": result.cv[0].tolist(), "proba": result.cv[1].tolist()}, "cv_predictions.json"
        )
        mlflow.log_figure(evaluation.roc_figure(curves), "roc_curve.html")
        with _deserialization_allowed():
            info = mlflow.sklearn.log_model(
                result.pipeline,
                name="model",
                serialization_format="skops",
                skops_trusted_types=list(TRUSTED_TYPES),
                code_paths=[str(PACKAGE_DIR)],
                pyfunc_predict_fn="predict_proba",
                signature=model_signature(),
                input_example=result.example,
                metadata={"threshold": result.threshold, "fingerprint": fp},
                pip_requirements=_requirements(),
            )
    return run.info.run_id, info


def _register(client: MlflowClient, model: ModelInfo, run_id: str, fp: str) -> str:
    """A new version of final_model tagged with its fingerprint (quietly, unlike register_model)."""
    try:
        client.create_registered_model(MODEL_NAME)
    except MlflowException as exc:
        if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
    version = client.create_model_version(
        MODEL_NAME,
        source=model.model_uri,
        run_id=run_id,
        tags={"fingerprint": fp},
        model_id=model.model_id,
    )
    return str(version.version)


def _log_dataset(frame: pd.DataFrame, data_path: Path) -> None:
    """The CSV as the run's training input (schema, digest, source path, target column)."""
    with warnings.catch_warnings():
        # MLflow warns that a local path matches two (identical) source classes and that integer
        # columns cannot hold missing values; neither matters for this checked file.
        warnings.simplefilter("ignore", UserWarning)
        dataset = mlflow.data.from_pandas(
            frame, source=str(data_path), targets=TARGET, name=data_path.stem
        )
        mlflow.log_input(dataset, context="training")


def _experiment_id(client: MlflowClient) -> str:
    """The experiment's id; created with artifacts in the data dir when the store is local."""
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is not None:
        return experiment.experiment_id
    local = is_local_store(settings.tracking_uri())
    return client.create_experiment(
        EXPERIMENT, artifact_location=settings.artifact_location() if local else None
    )


def _version_with_fingerprint(client: MlflowClient, fp: str) -> Any:
    try:
        found = client.search_model_versions(f"name = '{MODEL_NAME}' and tags.fingerprint = '{fp}'")
    except MlflowException:
        return None
    return found[0] if found else None


def _cv_f1(client: MlflowClient, version: str) -> float:
    run_id = client.get_model_version(MODEL_NAME, version).run_id
    return float(client.get_run(run_id).data.metrics.get("cv_f1", float("-inf")))


def _requirements() -> list[str]:
    """Pinned explicitly: MLflow's inference would load the model in a subprocess to guess."""
    import skops

    return [
        f"mlflow=={mlflow.__version__}",
        f"scikit-learn=={sklearn.__version__}",
        f"skops=={skops.__version__}",
        f"numpy=={np.__version__}",
        f"pandas=={pd.__version__}",
    ]


@contextmanager
def _deserialization_allowed() -> Iterator[None]:
    """Let MLflow reload the model it just wrote to validate the input example.

    MLflow gates every format, skops included, behind MLFLOW_ALLOW_PICKLE_DESERIALIZATION; the
    file here is the one this process wrote a moment ago, so the check is safe to allow.
    """
    key = "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"
    before = os.environ.get(key)
    os.environ[key] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before
