"""What the browser tests share: a served app, accounts in its database, a person's steps."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from playwright.sync_api import Page

from benchmarks.person import Account, box, click, enrolled_account, ready
from benchmarks.person import sign_in as person_sign_in
from model_store.schema import FIELDS
from tests.support import free_port

PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT / "build" / "screenshots"


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    log: Path
    env: dict[str, str]
    cwd: Path = PROJECT


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


def sign_in(page: Page, server: Server, account: Account) -> None:
    """Password, then a current authenticator code, as a person would."""
    person_sign_in(page, server.url, account)


def password_step(page: Page, username: str, password: str) -> None:
    ready(page)
    box(page, "Username").fill(username)
    box(page, "Password").fill(password)
    click(page, "Login")


def fill_patient(page: Page, name: str, national_id: str, measurements: dict) -> None:
    box(page, "Full name").fill(name)
    box(page, "National ID").fill(national_id)
    for f in FIELDS:
        value = measurements[f.code]
        if f.choices is None:
            box(page, f.label).fill(str(value))
        elif len(f.choices) == 2:
            group = page.get_by_role("radiogroup", name=f.label)
            group.get_by_text(f.choices[value], exact=True).click()
        else:
            page.get_by_test_id("stSelectbox").filter(has_text=f.label).click()
            page.get_by_role("option", name=f.choices[value]).click()


def cli(server: Server, *args: str, stdin: str = "") -> str:
    """`python -m clinic ARGS…` as the operator runs it beside `server`: its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "clinic", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=server.env,
        check=True,
        cwd=server.cwd,
    )
    return result.stdout
