"""The original project's deployment, for comparison: `mlflow models serve` of the champion on a
loopback port, started and stopped around a block."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from model_store import TELEMETRY_OFF

STARTUP_TIMEOUT = 120


class ServerFailed(RuntimeError):
    """`mlflow models serve` exited or did not answer /ping in time (its log is attached)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def mlflow_serve(tracking_uri: str, workdir: Path, model_uri: str) -> Iterator[str]:
    """The base URL of a running `mlflow models serve -m model_uri`. It runs outside the project
    (cwd `workdir`, no PYTHONPATH): it imports model_store from the code logged with the model."""
    port = free_port()
    env = serve_environment(tracking_uri)
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri]
    command += ["--env-manager", "local", "-p", str(port), "-h", "127.0.0.1"]
    log = workdir / "mlflow-serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(server, url, log)
        yield url
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except ProcessLookupError:
            pass


def serve_environment(tracking_uri: str) -> dict[str, str]:
    """The environment `mlflow models serve` runs in. MLflow imports itself before the model's
    code (model_store) can switch its telemetry off, so the variables are set here, as the
    README's command sets them: the server must not phone home."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLFLOW_REGISTRY_URI")}
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        MLFLOW_ALLOW_PICKLE_DESERIALIZATION="true",
        # mlflow execs `uvicorn` by name, so the venv's bin must be on PATH.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        **TELEMETRY_OFF,
    )
    return env


def _wait_until_ready(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerFailed(f"mlflow models serve exited early:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/ping", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise ServerFailed(
        f"mlflow models serve not ready after {STARTUP_TIMEOUT}s:\n{log.read_text()}"
    )
