"""Databases for the storage tests: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic.config import Config
from tests.support import throwaway_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind; PostgreSQL gets a throw-away database per test."""
    if request.param == "sqlite":
        (tmp_path / "data").mkdir(exist_ok=True)
        yield f"sqlite:///{tmp_path / 'data' / 'clinic.db'}"
        return
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    """Settings for one test: its own data dir and database, keys generated on first start."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    return Config(
        data_dir=data_dir,
        database_url=database_url,
        model_uri="models:/final_model@champion",
        encryption_keys=None,
        index_key=None,
    )
