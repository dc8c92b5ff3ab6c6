"""A benchmark's own data dir: its database, keys and MLflow store with a trained champion."""

from __future__ import annotations

import os
from pathlib import Path

from model_store.registry import LoadedModel


def use_home(home: Path, database_url: str | None = None) -> LoadedModel:
    """Point this process's settings at `home` (training the champion there the first time)
    and return the champion, loaded."""
    home.mkdir(parents=True, exist_ok=True)
    os.environ["CLINIC_DATA_DIR"] = str(home)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{home / 'mlflow.db'}"
    for name in ("MLFLOW_REGISTRY_URI", "CLINIC_MODEL_URI", "CLINIC_ENCRYPTION_KEYS"):
        os.environ.pop(name, None)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{home / 'clinic.db'}"
    from model_store import registry, settings, train

    try:
        return registry.load()
    except registry.ModelUnavailable:
        print(f"Training the champion in {home} (once)…", flush=True)
        train.train()
        settings.make_private(home)  # as `python -m model_store train` leaves it
        return registry.load()
