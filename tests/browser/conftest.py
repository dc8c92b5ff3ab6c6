"""A real Streamlit server on a free loopback port and a real headless Chromium driving it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from benchmarks.person import CHROMIUM, CHROMIUM_ARGS, Account, enrolled_account
from benchmarks.person import sign_in as person_sign_in
from tests.support import free_port, unavailable

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT / "build" / "screenshots"


expect.set_options(timeout=30_000)  # a cold server imports MLflow and loads the model


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    log: Path
    env: dict[str, str]
    cwd: Path = PROJECT


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        unavailable("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request, serve):
    """A fresh browser context per test; a screenshot is kept under build/screenshots."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    context.close()


def start_server(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """`streamlit run server.py` on a free port (as `make run`), returned once its health check
    answers."""
    port = free_port()
    scheme = "https" if env.get("STREAMLIT_SERVER_SSL_CERT_FILE") else "http"
    url = f"{scheme}://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "server.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=PROJECT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/_stcore/health", timeout=1, verify=False).ok:  # noqa: S501
                return process, url
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"streamlit did not become healthy:\n{log.read_text()}")


@pytest.fixture
def serve(trained_store, tmp_path) -> Iterator:
    """A factory: the app served like `make run` does, on a fresh data dir and the session's
    model, with extra settings; every server is stopped after the test."""
    processes = []

    def start(**settings: str) -> Server:
        data_dir = tmp_path / f"data{len(processes)}"
        data_dir.mkdir()
        log = tmp_path / f"streamlit{len(processes)}.log"
        env = {**os.environ, **settings, "CLINIC_DATA_DIR": str(data_dir)}
        process, url = start_server(env, log)
        processes.append(process)
        return Server(url, data_dir, log, env)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def server(serve) -> Server:
    return serve()


@contextmanager
def server_clinic(server: Server) -> Iterator:
    """The clinic layer on the server's own database and key file, as a console command sees
    it, for setting up what a test starts from."""
    from clinic import runtime
    from clinic.config import Config

    config = Config(
        data_dir=server.data_dir,
        database_url=server.env.get("DATABASE_URL") or f"sqlite:///{server.data_dir / 'clinic.db'}",
        model_uri="models:/final_model@champion",
        encryption_keys=None,
        index_key=None,
    )
    clinic = runtime.start(config)
    try:
        yield clinic
    finally:
        clinic.engine.dispose()


def make_account(server: Server, username: str, role: str) -> Account:
    """An enrolled account with a chosen password, written straight into the server's database
    (same file, same key file) so a test can start at the sign-in form."""
    with server_clinic(server) as clinic:
        return enrolled_account(clinic, username, role)


def sign_in(page, server: Server, account: Account) -> None:
    """Password, then a current authenticator code, as a person would."""
    person_sign_in(page, server.url, account)
