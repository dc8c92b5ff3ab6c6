"""Databases for the storage tests: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clinic.config import Config
from tests.support import unavailable


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind; PostgreSQL gets a throw-away database per test."""
    if request.param == "sqlite":
        (tmp_path / "data").mkdir(exist_ok=True)
        yield f"sqlite:///{tmp_path / 'data' / 'clinic.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        unavailable("TEST_DATABASE_URL is not set: PostgreSQL storage tests not run")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"clinic_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure here means "no PostgreSQL to test on"
        admin.dispose()
        unavailable(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc.__class__.__name__}")
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
