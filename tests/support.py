"""Helpers shared by the test suites."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

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
