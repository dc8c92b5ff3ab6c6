"""What MLflow knows about the registered versions, gathered for people: the model card of one
version and the side-by-side list of all. Every number comes from the version's run (metrics,
params, tags, logged artifacts) or its model file, never from this code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from mlflow.artifacts import load_dict
from sklearn.calibration import calibration_curve

from model_store.recipe import HYPER_PARAMS, ORIGINAL_TAG
from model_store.registry import LoadedModel, unavailable_on_error
from model_store.schema import BY_CODE, CODES
from model_store.texts import N_
from model_store.tracking import CHALLENGER, CHAMPION, MODEL_NAME, PREVIOUS, connect

COMPARED = ("cv_f1", "cv_roc_auc", "test_f1", "test_roc_auc", "test_accuracy", "threshold")
"""The metrics the versions list shows side by side."""

ALIASES = {CHAMPION: N_("champion"), CHALLENGER: N_("challenger"), PREVIOUS: N_("previous")}
"""The registry's aliases as people read them (translated where shown); others show as named."""


@dataclass(frozen=True)
class Card:
    name: str
    version: str
    aliases: list[str]
    run_id: str
    registered_at: datetime
    hyper_params: dict[str, str]
    training: dict[str, str]
    metrics: dict[str, float]
    original: dict[str, float]
    confusion: dict[str, list[list[int]]]
    """cv / test -> [[TN, FP], [FN, TP]] (rows truth, columns prediction)."""
    roc: dict[str, dict]
    calibration: dict[str, list[float]]
    """Cross-validated: mean predicted probability and observed event share per decile."""
    importances: list[tuple[str, float]]
    """(field label, impurity importance), largest first."""


@dataclass(frozen=True)
class VersionRow:
    version: str
    aliases: list[str]
    registered_at: datetime
    run_id: str
    metrics: dict[str, float]


def read(model: LoadedModel) -> Card:
    """The card of a loaded version (its run's records plus the forest's importances)."""
    uri = model.uri
    with unavailable_on_error(uri):
        client = connect()
        registered = client.get_model_version(model.name, model.version)
        run = client.get_run(model.run_id)
        artifacts = f"runs:/{model.run_id}"
        confusion = {
            part: load_dict(f"{artifacts}/confusion_matrix_{part}.json")["matrix"]
            for part in ("cv", "test")
        }
        roc = {part: load_dict(f"{artifacts}/roc_curve_{part}.json") for part in ("cv", "test")}
        predictions = load_dict(f"{artifacts}/cv_predictions.json")
    params = run.data.params
    observed, predicted = calibration_curve(
        np.asarray(predictions["y"]),
        np.asarray(predictions["proba"]),
        n_bins=10,
        strategy="quantile",
    )
    forest = model.pipeline.steps[-1][1]
    importances = sorted(
        (
            (BY_CODE[code].label, float(v))
            for code, v in zip(CODES, forest.feature_importances_, strict=True)
        ),
        key=lambda item: -item[1],
    )
    return Card(
        name=model.name,
        version=model.version,
        aliases=sorted(registered.aliases),
        run_id=model.run_id,
        registered_at=_when(registered.creation_timestamp),
        hyper_params={k: params[k] for k in HYPER_PARAMS if k in params},
        training={
            k: params[k]
            for k in ("data_sha256", "n_rows", "n_train", "n_test", "cv_folds", "sklearn_version")
            if k in params
        },
        metrics=dict(run.data.metrics),
        original=_original(run.data.tags),
        confusion=confusion,
        roc=roc,
        calibration={"predicted": predicted.tolist(), "observed": observed.tolist()},
        importances=importances,
    )


def versions(name: str = MODEL_NAME) -> list[VersionRow]:
    """Every registered version, newest first, with the metrics to compare them by."""
    with unavailable_on_error(f"models:/{name}"):
        client = connect()
        found = client.search_model_versions(f"name = '{name}'")
        aliases = _aliases_by_version(client.get_registered_model(name).aliases)
        rows = []
        for v in found:
            metrics = client.get_run(v.run_id).data.metrics if v.run_id else {}
            rows.append(
                VersionRow(
                    version=str(v.version),
                    aliases=aliases.get(str(v.version), []),
                    registered_at=_when(v.creation_timestamp),
                    run_id=v.run_id or "",
                    metrics={k: metrics[k] for k in COMPARED if k in metrics},
                )
            )
    return sorted(rows, key=lambda row: -int(row.version))


def _aliases_by_version(aliases: Mapping[str, str]) -> dict[str, list[str]]:
    """{alias: version} as the registry gives it -> {version: [aliases]}."""
    found: dict[str, list[str]] = {}
    for alias, version in sorted(aliases.items()):
        found.setdefault(str(version), []).append(alias)
    return found


def _original(tags: Mapping[str, str]) -> dict[str, float]:
    return {
        key.removeprefix(ORIGINAL_TAG): float(value)
        for key, value in tags.items()
        if key.startswith(ORIGINAL_TAG)
    }


def _when(milliseconds: int | None) -> datetime:
    return datetime.fromtimestamp((milliseconds or 0) / 1000, UTC)
