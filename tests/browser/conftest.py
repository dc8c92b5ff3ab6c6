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

from tests.support import free_port, unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
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
    """`streamlit run app.py` on a free port, returned once its health check answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
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
            if requests.get(f"{url}/_stcore/health", timeout=1).ok:
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


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    secret: str


@contextmanager
def server_clinic(server: Server) -> Iterator:
    """The clinic layer on the server's own database and key file, as a console command sees
    it, for setting up what a test starts from."""
    from clinic import runtime
    from clinic.config import Config

    config = Config(
        data_dir=server.data_dir,
        database_url=f"sqlite:///{server.data_dir / 'clinic.db'}",
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
    from datetime import UTC, datetime, timedelta

    import pyotp

    from clinic import db, totp, users

    earlier = datetime.now(UTC) - timedelta(minutes=2)
    password = "seven blue doors on a wet street"
    with server_clinic(server) as clinic:
        with db.writing(clinic.engine) as connection:
            user = users.add(
                connection,
                "test",
                username,
                username.capitalize(),
                role,
                password,
                temporary=False,
                now=earlier,
            )
        secret = totp.new_secret()
        code = pyotp.TOTP(secret).at(earlier)
        assert users.confirm_enrolment(clinic.engine, clinic.vault, user, secret, code, earlier)
    return Account(username, password, secret)


def sign_in(page, server: Server, account: Account) -> None:
    """Password, then a current authenticator code, as a person would."""
    import pyotp

    page.goto(server.url)
    ready(page)
    box(page, "Username").fill(account.username)
    box(page, "Password").fill(account.password)
    click(page, "Login")
    box(page, "Authentication code").fill(pyotp.TOTP(account.secret).now())
    click(page, "Verify")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def ready(page) -> None:
    """Wait for the sign-in page to settle: streamlit-authenticator mounts a cookie component
    whose first report reruns the script, and a click made during that rerun can be lost."""
    page.locator('iframe[title*="CookieManager"]').first.wait_for(state="attached")
    page.wait_for_timeout(800)
    idle(page)


def idle(page) -> None:
    """Wait until no script run is in progress (a click during a run can be swallowed)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def click(page, name: str) -> None:
    """Press the button called `name` once the app is idle, as a person would."""
    idle(page)
    page.get_by_role("button", name=name).click()


def box(page, label: str):
    """The text or number input labelled `label` (its help icon shares the label's name)."""
    return page.locator(f'input[aria-label="{label}"]')
