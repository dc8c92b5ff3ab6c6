"""Shared fixtures: `trained_store` trains the real model once per session; `champion` loads it;
`small_model` is a small registered forest for tests where the real one is not the point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import model_store  # noqa: F401 - first: it switches MLflow's telemetry off before mlflow loads

if TYPE_CHECKING:
    from model_store.registry import LoadedModel


@pytest.fixture(scope="session")
def trained_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data dir holding a local MLflow store with `final_model@champion` trained once.

    For the whole session it sets CLINIC_DATA_DIR to that dir and MLFLOW_TRACKING_URI to the
    SQLite store inside it (and clears MLFLOW_REGISTRY_URI and CLINIC_MODEL_URI), so
    `model_store.registry.load()` finds the model with no arguments. Returns the dir. The store
    holds exactly one version ("1", the champion); tests that add versions use their own store.
    """
    from model_store import train

    path = tmp_path_factory.mktemp("clinic-data")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CLINIC_DATA_DIR", str(path))
        env.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{path / 'mlflow.db'}")
        env.delenv("MLFLOW_REGISTRY_URI", raising=False)
        env.delenv("CLINIC_MODEL_URI", raising=False)
        env.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        train.train()
        yield path


@pytest.fixture(scope="session")
def champion(trained_store: Path) -> LoadedModel:
    """`final_model@champion` from `trained_store`, loaded in-process by model_store.registry."""
    from model_store import registry

    return registry.load()


SMALL = {"n_estimators": 10, "max_depth": 4}
SMALLER = {"n_estimators": 5, "max_depth": 2, "max_features": 1}


@pytest.fixture(scope="session")
def two_version_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local MLflow store holding versions 1 (champion) and 2 of small, different forests."""
    from model_store import train

    path = tmp_path_factory.mktemp("two-versions")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CLINIC_DATA_DIR", str(path))
        env.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{path / 'mlflow.db'}")
        env.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        train.train(SMALL)
        train.train(SMALLER)  # worse: registered as version 2, champion stays 1
    return path


@pytest.fixture(scope="session")
def small_model(two_version_store: Path) -> LoadedModel:
    """`two_version_store`'s champion (10 trees, 4 deep), loaded in-process by
    model_store.registry: for use-case tests where a registered model must score and explain, but
    the real forest is not the point. Sets no environment: a test that reads the registry or the
    data dir itself asks for `trained_store`."""
    from model_store import registry

    with pytest.MonkeyPatch.context() as env:
        env.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{two_version_store / 'mlflow.db'}")
        env.delenv("MLFLOW_REGISTRY_URI", raising=False)
        return registry.load("models:/final_model@champion")


@pytest.fixture
def versions(two_version_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own copy of `two_version_store`'s registry (aliases can move freely; the
    artifacts stay shared and read-only). MLFLOW_TRACKING_URI points at it."""
    import shutil

    copy = tmp_path / "registry.db"
    shutil.copy(two_version_store / "mlflow.db", copy)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{copy}")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.delenv("CLINIC_MODEL_URI", raising=False)
    return copy
