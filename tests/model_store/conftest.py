"""Fixtures for model_store tests: the shipped data and throw-away MLflow stores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from model_store import dataset


@pytest.fixture(scope="session")
def data() -> pd.DataFrame:
    """The shipped training CSV (sha256-checked)."""
    return dataset.load_data()


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty local MLflow store for one test (the session store stays untouched)."""
    monkeypatch.setenv("CLINIC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.delenv("CLINIC_MODEL_URI", raising=False)
    return tmp_path
