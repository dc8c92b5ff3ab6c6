"""The one place that points MLflow at the configured stores, shared by training and the app."""

from __future__ import annotations

import logging
import os
import warnings
from urllib.parse import urlsplit, urlunsplit

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from model_store import settings

MODEL_NAME = "final_model"
CHAMPION = "champion"
CHALLENGER = "challenger"
"""Shadow-scored beside the champion on live traffic, never shown as the answer."""
PREVIOUS = "previous"
"""The champion before the last promotion: what `rollback` goes back to."""
EXPERIMENT = "final_model"
LOCAL_SCHEMES = frozenset({"", "file", "sqlite"})


_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def connect() -> MlflowClient:
    """Set MLflow's tracking and registry URIs from settings; call before touching MLflow.

    MLflow also writes both URIs into os.environ; that is undone, or the next call would read
    MLflow's copy back as if a user had set it (e.g. a stale registry after the tracking URI
    changes), and the environment would stop being the settings' first source.
    """
    before = {name: os.environ.get(name) for name in _URI_VARIABLES}
    tracking, registry = settings.tracking_uri(), settings.registry_uri()
    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(registry)
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return MlflowClient(tracking_uri=tracking, registry_uri=registry)


def alias_version(alias: str, client: MlflowClient | None = None) -> str | None:
    """The version `final_model@alias` points at, or None when the alias is not set."""
    client = client or connect()
    try:
        return str(client.get_model_version_by_alias(MODEL_NAME, alias).version)
    except MlflowException:
        return None


def champion_version(client: MlflowClient | None = None) -> str | None:
    """The version `final_model@champion` points at, or None when there is none."""
    return alias_version(CHAMPION, client)


def is_local_store(uri: str) -> bool:
    """True for a file or SQLite store, where the app must choose where artifacts go."""
    return urlsplit(uri).scheme.split("+")[0] in LOCAL_SCHEMES


def redact(uri: str) -> str:
    """The URI without its password, for messages shown to users."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def quiet() -> None:
    """Silence MLflow's progress bars, INFO chatter and migration logs for a readable CLI."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in ("mlflow", "alembic", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="mlflow")
