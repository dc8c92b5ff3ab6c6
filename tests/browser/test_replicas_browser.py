"""Two `streamlit run` replicas sharing one PostgreSQL database and one MLflow store, driven in
Chromium: what happens on one is true on the other."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from benchmarks.person import box, click, ready
from clinic import accounts, audit
from clinic.tables import predictions
from model_store import aliases
from tests.browser.support import (
    Server,
    fill_patient,
    make_account,
    server_clinic,
    sign_in,
    start_server,
)
from tests.support import MEASUREMENTS, throwaway_postgres

pytestmark = pytest.mark.browser


def _new_page(browser: Browser) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(60_000)
    return page


def _caption_version(page: Page, version: str) -> None:
    expect(page.get_by_text(f"Model final_model version {version}")).to_be_visible()


def _wait_for_failures(server: Server, count: int) -> None:
    """Until the server has recorded `count` failed sign-ins (as a person waits for the page)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with server_clinic(server) as clinic:
            failures = [e for e in audit.search(clinic.engine) if e["action"] == "signin.failure"]
        if len(failures) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"the server recorded {len(failures)} failures, not {count}")


def test_two_replicas_share_records_lockouts_sessions_and_promotions(
    browser: Browser, versions, tmp_path
) -> None:
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    with throwaway_postgres() as database_url:
        env = {
            **os.environ,
            "CLINIC_DATA_DIR": str(data_dir),  # one key file for both, as one secret would be
            "DATABASE_URL": database_url,
            "CLINIC_MODEL_REFRESH_SECONDS": "2",
        }
        processes = []
        try:
            replicas = []
            for name in ("a", "b"):
                process, url = start_server(env, tmp_path / f"{name}.log")
                processes.append(process)
                replicas.append(Server(url, data_dir, tmp_path / f"{name}.log", env))
            one, two = replicas
            carla = make_account(one, "carla", "clinician")
            sara = make_account(one, "sara", "supervisor")
            make_account(one, "luis", "clinician")

            # a prediction made on one replica is in the other's history
            on_one = _new_page(browser)
            sign_in(on_one, one, carla)
            fill_patient(on_one, "Inés Ordóñez Pardo", "20.000.001", MEASUREMENTS)
            click(on_one, "Predict")
            _caption_version(on_one, "1")
            on_two = _new_page(browser)
            sign_in(on_two, two, sara)
            on_two.get_by_role("link", name="History").click()
            expect(on_two.get_by_text("1 matching predictions")).to_be_visible()

            # a lockout earned on one holds on the other
            attacker = _new_page(browser)
            attacker.goto(one.url)
            ready(attacker)
            for attempt in range(1, 6):
                ready(attacker)
                box(attacker, "Username").fill("luis")
                box(attacker, "Password").fill(f"not the password {attempt}")
                click(attacker, "Login")
                _wait_for_failures(one, attempt)
            owner = _new_page(browser)
            owner.goto(two.url)
            ready(owner)
            box(owner, "Username").fill("luis")
            box(owner, "Password").fill(carla.password)
            click(owner, "Login")
            expect(owner.get_by_text("incorrect")).to_be_visible()
            expect(owner.get_by_label("Authentication code")).to_have_count(0)

            # a promotion reaches the other replica within its refresh window
            aliases.promote("2")
            on_one.wait_for_timeout(2500)
            box(on_one, "National ID").fill("20.000.002")
            click(on_one, "Predict")
            _caption_version(on_one, "2")

            # an account disabled on the other replica's console is signed out here at once
            with server_clinic(two) as clinic:
                accounts.disable(clinic.engine, "root", "carla", datetime.now(UTC))
            box(on_one, "National ID").fill("20.000.003")
            click(on_one, "Predict")
            expect(on_one.get_by_role("button", name="Login")).to_be_visible()
            with server_clinic(one) as clinic, clinic.engine.connect() as connection:
                stored = connection.execute(select(func.count(predictions.c.id))).scalar_one()
            assert stored == 2  # the third submission, after the disable, stored nothing
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
