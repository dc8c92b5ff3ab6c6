"""`mlflow models serve` takes what a clinician types and agrees with the app's in-process model."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from model_store import registry
from model_store.schema import CODES, FIELDS

STARTUP_TIMEOUT = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _typed(row: pd.Series) -> dict[str, int | float]:
    """A patient as a clinician types it: whole numbers for integer fields, raw units."""
    return {f.code: int(row[f.code]) if f.integer else float(row[f.code]) for f in FIELDS}


def _wait_until_ready(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"mlflow models serve exited early:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/ping", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"mlflow models serve not ready after {STARTUP_TIMEOUT}s:\n{log.read_text()}")


def test_served_model_matches_loaded_model(
    trained_store: Path, data: pd.DataFrame, tmp_path: Path
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        MLFLOW_TRACKING_URI=f"sqlite:///{trained_store / 'mlflow.db'}",
        MLFLOW_ALLOW_PICKLE_DESERIALIZATION="true",
        # mlflow execs `uvicorn` by name, so the venv's bin must be on PATH.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    env.pop("MLFLOW_REGISTRY_URI", None)
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "models",
        "serve",
        "-m",
        "models:/final_model@champion",
        "--env-manager",
        "local",
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
    ]
    log = tmp_path / "serve.log"
    # cwd is outside the project and PYTHONPATH is dropped: the server must import
    # model_store.features from the code logged with the model (code_paths).
    with log.open("w") as out:
        server = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_ready(server, url, log)
        rows = data.sample(25, random_state=0)
        patients = [_typed(row) for _, row in rows.iterrows()]
        response = requests.post(
            f"{url}/invocations", json={"dataframe_records": patients}, timeout=30
        )
        assert response.status_code == 200, response.text
        served = np.asarray(response.json()["predictions"])
        assert served.shape == (25, 2)
        np.testing.assert_allclose(served.sum(axis=1), 1.0, atol=1e-12)

        model = registry.load()
        local = np.array([model.predict(p).probability for p in patients])
        np.testing.assert_allclose(served[:, 1], local, rtol=0, atol=1e-9)
        np.testing.assert_allclose(
            served[:, 1], model.predict_proba(rows[list(CODES)]), rtol=0, atol=1e-9
        )

        bad = requests.post(
            f"{url}/invocations",
            json={"dataframe_records": [{**patients[0], "karnof": 85}]},
            timeout=30,
        )
        assert bad.status_code >= 400
        assert "Karnofsky" in bad.text
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)
