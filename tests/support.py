"""Helpers shared by the test suites."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MEASUREMENTS = {
    "time": 500,
    "age": 41,
    "wtkg": 72.5,
    "preanti": 300,
    "cd40": 250,
    "cd420": 210,
    "cd80": 900,
    "cd820": 950,
    "karnof": 90,
    "hemo": 0,
    "drugs": 0,
    "race": 1,
    "gender": 1,
    "symptom": 1,
    "treat": 1,
    "offtrt": 0,
}
"""One valid patient's clinical values, keyed by schema field code: the suites' standard input."""

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip outside CI with a clear reason; in CI a missing dependency is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: these tests must run, not skip)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def files_containing(root: Path, secrets: list[str]) -> dict[str, list[str]]:
    """Every file under `root` whose bytes contain any of `secrets` (UTF-8 or UTF-16)."""
    needles = {
        s: [s.encode("utf-8"), s.encode("utf-16-le"), s.encode("utf-16-be")] for s in secrets
    }
    found: dict[str, list[str]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [s for s, forms in needles.items() if any(f in data for f in forms)]
            if hits:
                found[str(path)] = hits
    return found


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """The URL of a new, empty database on TEST_DATABASE_URL's server, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

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
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
