"""Memory: the server's resident set with the model loaded, and what each further signed-in
session adds (real Chromium sessions, each on the prediction page)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.cold_start import APP
from benchmarks.home import use_home
from benchmarks.person import CHROMIUM, CHROMIUM_ARGS, enrolled_account, idle, sign_in
from benchmarks.report import RESULTS, Figure
from benchmarks.rest_server import free_port
from clinic import config, runtime
from clinic.accounts import all_users

HOME = RESULTS.parent / "bench-memory"
LOADED_GOAL_MB = 350.0
PER_SESSION_GOAL_MB = 10.0


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _settled_rss(pid: int) -> float:
    time.sleep(2)
    return rss_mb(pid)


def figures(sessions: int, command: str) -> list[Figure]:
    from playwright.sync_api import expect, sync_playwright

    use_home(HOME)
    clinic = runtime.start(config.load())
    taken = {u.username for u in all_users(clinic.engine)}
    stamp = int(time.time())
    accounts = [
        enrolled_account(clinic, f"mem{stamp}x{i}", "clinician")
        for i in range(sessions + 1)
        if f"mem{stamp}x{i}" not in taken
    ]
    clinic.engine.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true"]
        + ["--server.port", str(port), "--server.address", "127.0.0.1"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            _wait_listening(url)
            first = browser.new_context().new_page()
            sign_in(first, url, accounts[0])
            expect(first.get_by_role("heading", name="New prediction")).to_be_visible()
            idle(first)  # the prediction page has loaded the champion
            loaded = _settled_rss(server.pid)
            for account in accounts[1:]:
                page = browser.new_context().new_page()
                sign_in(page, url, account)
                idle(page)
            more = _settled_rss(server.pid)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    per_session = (more - loaded) / sessions
    return [
        Figure(
            "server RSS, one session, model loaded",
            loaded,
            loaded,
            LOADED_GOAL_MB,
            command,
            unit="MB",
        ),
        Figure(
            f"RSS added per further signed-in session (of {sessions})",
            per_session,
            per_session,
            PER_SESSION_GOAL_MB,
            command,
            unit="MB",
        ),
    ]


def _wait_listening(url: str) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/_stcore/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("streamlit did not start")
