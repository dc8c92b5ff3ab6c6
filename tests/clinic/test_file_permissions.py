"""The data dir is its owner's alone: the directory 0700, every file in it 0600 (database, its
WAL and shared-memory files, MLflow's store and model files, keys), whatever the umask made of
them, on a fresh install and on one made before this was so."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from clinic import config, runtime
from clinic.predictions import predict_and_store
from model_store import registry, settings
from model_store.__main__ import main as model_store_cli
from tests.support import MEASUREMENTS


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _modes(root: Path) -> dict[str, str]:
    """Every path under `root` (itself included) with its mode, e.g. {'clinic.db': '0o600'}."""
    found = {".": oct(_mode(root))}
    for parent, directories, files in os.walk(root):
        for name in directories + files:
            path = Path(parent) / name
            found[str(path.relative_to(root))] = oct(_mode(path))
    return found


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir as a laptop install gets it: every setting defaulted, so the database, the
    MLflow store and the keys all live inside. It exists already, 0755, as the issue saw it."""
    path = tmp_path / "data"
    path.mkdir()
    path.chmod(0o755)
    monkeypatch.setenv("CLINIC_DATA_DIR", str(path))
    monkeypatch.setenv("CLINIC_SECRETS_FILE", str(tmp_path / "no-secrets.toml"))
    for name in (
        "DATABASE_URL",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_REGISTRY_URI",
        "CLINIC_MODEL_URI",
        "CLINIC_ENCRYPTION_KEYS",
        "CLINIC_INDEX_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.umask(old := os.umask(0o022))  # the usual umask, whatever the caller's
    yield path
    os.umask(old)


@pytest.mark.slow
def test_training_then_a_prediction_leave_only_owner_only_files(data_dir: Path) -> None:
    assert model_store_cli(["train"]) == 0
    clinic = runtime.start(config.load())
    try:
        stored = predict_and_store(
            clinic.engine,
            clinic.vault,
            registry.load(),
            actor="carla",
            full_name="Inés Ordóñez",
            national_id="52.345.678",
            measurements=MEASUREMENTS,
        )
        assert stored.id
        wal = data_dir / "clinic.db-wal"  # SQLite made them, from the database file's mode
        assert wal.exists() and _mode(wal) == 0o600
        assert _mode(data_dir / "clinic.db-shm") == 0o600
        modes = _modes(data_dir)
    finally:
        clinic.engine.dispose()
    assert {"clinic.db", "mlflow.db", "keys.json"} <= modes.keys()
    assert any(name.endswith("model.skops") for name in modes)  # the model files too
    loose = {
        name: mode
        for name, mode in modes.items()
        if mode != oct(0o700 if (data_dir / name).is_dir() else 0o600)
    }
    assert loose == {}


def test_an_older_installs_loose_files_are_tightened_at_start(data_dir: Path) -> None:
    """Made by SQLite under the umask (0644), left with a WAL file: owner-only after a start."""
    with sqlite3.connect(data_dir / "clinic.db") as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    (data_dir / "clinic.db-wal").touch()
    for path in (data_dir / "clinic.db", data_dir / "clinic.db-wal"):
        path.chmod(0o644)
    (data_dir / "mlflow.db").touch(mode=0o644)

    clinic = runtime.start(config.load())
    try:
        settings.tracking_uri()  # what connecting to MLflow asks first
        assert _mode(data_dir) == 0o700
        for name in ("clinic.db", "clinic.db-wal", "clinic.db-shm", "mlflow.db", "keys.json"):
            assert _mode(data_dir / name) == 0o600, name
    finally:
        clinic.engine.dispose()  # SQLite removes the WAL file as the last connection closes
