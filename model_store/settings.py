"""Where settings come from: the environment first, then `.streamlit/secrets.toml`, then defaults.

It lives in the lowest layer so that `python -m model_store`, `python -m clinic` and the app read
the same values the same way.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

DEFAULT_MODEL_URI = "models:/final_model@champion"
SECRETS_FILE = Path(".streamlit") / "secrets.toml"


@lru_cache(maxsize=1)
def _secrets() -> dict:
    path = Path(os.environ.get("CLINIC_SECRETS_FILE", SECRETS_FILE))
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def setting(name: str, default: str | None = None) -> str | None:
    """The value of `name` from the environment, else from secrets.toml, else `default`."""
    value = os.environ.get(name)
    if value:
        return value
    value = _secrets().get(name)
    return str(value) if value not in (None, "") else default


def data_dir() -> Path:
    """`CLINIC_DATA_DIR` (default `./.data`), created with owner-only permissions."""
    path = Path(setting("CLINIC_DATA_DIR", ".data")).resolve()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def tracking_uri() -> str:
    """MLflow's tracking URI; by default a SQLite store inside the data dir."""
    return setting("MLFLOW_TRACKING_URI") or f"sqlite:///{data_dir() / 'mlflow.db'}"


def registry_uri() -> str:
    return setting("MLFLOW_REGISTRY_URI") or tracking_uri()


def artifact_location() -> str:
    """Where a new experiment keeps its artifacts when the tracking store is local."""
    return (data_dir() / "mlartifacts").as_uri()


def model_uri() -> str:
    return setting("CLINIC_MODEL_URI", DEFAULT_MODEL_URI)
