"""The app's side of MLflow: which version is champion, load it safely, score patients.

Loading trusts only the project's own skops allow-list (persistence.TRUSTED_TYPES), never the list
a model carries in its MLmodel file, so it needs no MLFLOW_ALLOW_PICKLE_DESERIALIZATION.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from mlflow.artifacts import download_artifacts
from mlflow.exceptions import MlflowException
from mlflow.models import Model
from mlflow.protos.databricks_pb2 import (
    INVALID_PARAMETER_VALUE,
    RESOURCE_DOES_NOT_EXIST,
    ErrorCode,
)
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from skops.io.exceptions import UntrustedTypesFoundException
from sqlalchemy.exc import SQLAlchemyError

from model_store import settings
from model_store.explain import explain, explain_many
from model_store.explanation import Explanation
from model_store.features import final_step_inputs, raw_rows
from model_store.persistence import load_pipeline
from model_store.ports import Scored
from model_store.tracking import connect, redact

TRAIN_COMMAND = "python -m model_store train"
_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/@]+)|/(?P<version>\d+))$")
_MISSING = {ErrorCode.Name(RESOURCE_DOES_NOT_EXIST), ErrorCode.Name(INVALID_PARAMETER_VALUE)}


class ModelUnavailable(Exception):
    """No usable model: none registered under the URI, registry unreachable, or refused."""


class UntrustedModel(ModelUnavailable):
    """The model file asks for types outside the project's skops allow-list."""


@dataclass(frozen=True)
class LoadedModel:
    """A registered model version held in memory, with the threshold chosen at training."""

    name: str
    version: str
    threshold: float
    run_id: str
    pipeline: Pipeline = field(repr=False, compare=False)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    def predict(self, measurements: Mapping[str, float]) -> Scored:
        """Score one patient from raw schema values keyed by field code (extra keys ignored)."""
        probability = _one_row_proba(self.pipeline, raw_rows([measurements]))
        return Scored.at(probability, self.threshold)

    def explain(self, measurements: Mapping[str, float]) -> Explanation:
        """Which of the patient's values moved the risk, and how much (exact; see explain)."""
        return explain(self.pipeline, measurements)

    def predict_many(self, rows: Sequence[Mapping[str, float]]) -> list[Scored]:
        """Score each row (model_store.ports.Model); one row takes predict's fast path, with the
        same result."""
        if len(rows) <= 1:
            return [self.predict(row) for row in rows]
        return [Scored.at(float(p), self.threshold) for p in self.predict_proba(raw_rows(rows))]

    def explain_many(self, rows: Sequence[Mapping[str, float]]) -> list[Explanation]:
        """Explain each row (model_store.ports.Model): one row by walking the trees (fast),
        many at once as matrices (explain.explain_many)."""
        if len(rows) <= 1:
            return [self.explain(row) for row in rows]
        return explain_many(self.pipeline, raw_rows(rows))

    def predict_proba(self, frame: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Probability of class 1 (event) for each row of raw schema columns."""
        return self.pipeline.predict_proba(frame)[:, 1]


def _one_row_proba(pipeline: Pipeline, row: np.ndarray) -> float:
    """P(class 1) for one schema-ordered row, bit-identical to pipeline.predict_proba (tested).

    RandomForestClassifier.predict_proba sends every tree through joblib's dispatcher, about
    0.1 ms a tree, which is most of a single-row call; summing the trees' probabilities in the
    same order and dividing once is the same arithmetic without that overhead.
    """
    features, final = final_step_inputs(pipeline, row)
    if type(final) is not RandomForestClassifier:
        return float(final.predict_proba(features)[0, 1])
    features = np.ascontiguousarray(features, dtype=np.float32)
    total = np.zeros((1, len(final.classes_)))
    for tree in final.estimators_:
        total += tree.predict_proba(features, check_input=False)
    total /= len(final.estimators_)
    return float(total[0, 1])


def resolve_version(model_uri: str | None = None) -> str:
    """The version `models:/NAME@ALIAS` (or `models:/NAME/VERSION`) points at right now."""
    uri = model_uri or settings.model_uri()
    name, alias, version = _parse(uri)
    with unavailable_on_error(uri):
        client = connect()
        if alias is not None:
            return str(client.get_model_version_by_alias(name, alias).version)
        return str(client.get_model_version(name, version).version)


def pinned(model_uri: str | None, version: str) -> str:
    """`models:/NAME/VERSION` for the model `model_uri` names, so a load gets exactly the
    version a resolve_version call saw even if the alias moves in between."""
    name, _, _ = _parse(model_uri or settings.model_uri())
    return f"models:/{name}/{version}"


def with_alias(model_uri: str | None, alias: str) -> str:
    """`models:/NAME@alias` for the model `model_uri` names (e.g. its challenger)."""
    name, _, _ = _parse(model_uri or settings.model_uri())
    return f"models:/{name}@{alias}"


def load(model_uri: str | None = None) -> LoadedModel:
    """Resolve, download and load a version; every failure is a ModelUnavailable."""
    uri = model_uri or settings.model_uri()
    name, _, _ = _parse(uri)
    version = resolve_version(uri)
    with unavailable_on_error(uri), tempfile.TemporaryDirectory(prefix="model-") as tmp:
        client = connect()
        run_id = client.get_model_version(name, version).run_id or ""
        root = Path(download_artifacts(artifact_uri=f"models:/{name}/{version}", dst_path=tmp))
        pipeline, threshold = _read_model(root, f"{name} version {version}")
    return LoadedModel(
        name=name, version=version, threshold=threshold, run_id=run_id, pipeline=pipeline
    )


def _read_model(root: Path, label: str) -> tuple[Pipeline, float]:
    """The pipeline and threshold of a downloaded MLflow model directory, checked."""
    try:
        model = Model.load(str(root / "MLmodel"))
    except (OSError, MlflowException) as exc:
        raise ModelUnavailable(f"{label} has no readable MLmodel file: {exc}") from exc
    flavor = model.flavors.get("sklearn") or {}
    if flavor.get("serialization_format") != "skops":
        raise UntrustedModel(f"{label} is not saved in the skops format; refusing to load it.")
    path = (root / str(flavor.get("pickled_model", ""))).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        raise ModelUnavailable(f"{label} has no model file inside its artifacts.")
    try:
        threshold = float((model.metadata or {})["threshold"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelUnavailable(f"{label} has no decision threshold in its metadata.") from exc
    try:
        pipeline = load_pipeline(path)
    except UntrustedTypesFoundException as exc:
        raise UntrustedModel(
            f"{label} contains types this project does not trust; refusing to load it. {exc}"
        ) from exc
    except (TypeError, ValueError, OSError) as exc:
        raise ModelUnavailable(f"{label} could not be loaded: {exc}") from exc
    return pipeline, threshold


def _parse(uri: str) -> tuple[str, str | None, str | None]:
    match = _URI.match(uri)
    if match is None:
        raise ModelUnavailable(
            f"Unsupported model URI {uri!r}: use models:/NAME@ALIAS or models:/NAME/VERSION."
        )
    return match["name"], match["alias"], match["version"]


@contextmanager
def unavailable_on_error(uri: str) -> Iterator[None]:
    """Turn MLflow, database and network failures into a ModelUnavailable saying what to run."""
    try:
        yield
    except ModelUnavailable:
        raise
    except MlflowException as exc:
        if exc.error_code in _MISSING:
            raise ModelUnavailable(f"No model at {uri}. Train one with `{TRAIN_COMMAND}`.") from exc
        raise _unreachable(uri, exc) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise _unreachable(uri, exc) from exc


def _unreachable(uri: str, exc: Exception) -> ModelUnavailable:
    return ModelUnavailable(
        f"No model at {uri}: the model registry {redact(settings.registry_uri())} is unreachable "
        f"or failed ({type(exc).__name__}). Check MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI, or "
        f"train a local model with `{TRAIN_COMMAND}`."
    )
