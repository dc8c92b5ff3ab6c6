"""Cold start: from `streamlit run app.py` to the sign-in form visible in Chromium. The model is
not on that path (it loads in the background while the user signs in)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.home import use_home
from benchmarks.person import CHROMIUM, CHROMIUM_ARGS
from benchmarks.report import RESULTS, Figure
from benchmarks.rest_server import free_port

HOME = RESULTS.parent / "bench-cold-start"
APP = Path(__file__).resolve().parents[1] / "app.py"
GOAL_MS = 3000.0


def _one_start(browser) -> float:
    """Milliseconds from process start to a visible Username box."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--browser.gatherUsageStats", "false"]
    page = browser.new_page()
    started = time.perf_counter()
    server = subprocess.Popen(
        command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/", timeout=5000)
                break
            except Exception:  # noqa: BLE001 - not listening yet: any connection error, retry
                if time.perf_counter() - started > 60 or server.poll() is not None:
                    raise
                time.sleep(0.05)
        page.locator('input[aria-label="Username"]').wait_for(state="visible", timeout=60_000)
        return (time.perf_counter() - started) * 1000
    finally:
        page.close()
        server.terminate()
        server.wait(timeout=30)


def _one_account() -> None:
    """An account, so that the page timed is the everyday sign-in form, not first-run setup."""
    from datetime import UTC, datetime

    from clinic import accounts, config, db, runtime

    clinic = runtime.start(config.load())
    with db.writing(clinic.engine) as connection:
        if accounts.by_username(connection, "bench.clinician") is None:
            accounts.add(
                connection,
                "bench",
                "bench.clinician",
                "Bench",
                "clinician",
                "timing " + os.urandom(12).hex(),
                temporary=False,
                now=datetime.now(UTC),
            )
    clinic.engine.dispose()


def figures(repeat: int, command: str) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    use_home(HOME)
    _one_account()
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        _one_start(browser)  # first start migrates the database and writes the key file
        for _ in range(repeat):
            times.append(_one_start(browser))
        browser.close()
    times.sort()
    p50 = times[len(times) // 2]
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return [Figure("cold start to the sign-in form (Chromium)", p50, p95, GOAL_MS, command)]
