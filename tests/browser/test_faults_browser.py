"""Faults with a real server and browser: killed with SIGKILL in the middle of a burst of
submissions, nothing the clinician was shown is lost and the audit chain still verifies."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from benchmarks.person import box, click, idle
from clinic import audit
from clinic.tables import audit_events, predictions
from tests.browser.conftest import Server, make_account, server_clinic, sign_in, start_server
from tests.browser.test_predict_browser import fill_patient
from tests.clinic.test_predictions import MEASUREMENTS

pytestmark = pytest.mark.browser
SHOWN = re.compile(r"record #(\d+)")


def test_kill_9_mid_burst_loses_no_shown_prediction(page: Page, trained_store, tmp_path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {**os.environ, "CLINIC_DATA_DIR": str(data_dir)}
    process, url = start_server(env, tmp_path / "streamlit.log")
    try:
        server = Server(url, data_dir, tmp_path / "streamlit.log", env)
        sign_in(page, server, make_account(server, "carla", "clinician"))
        fill_patient(page, "Inés Ordóñez Pardo", "10.000.001", MEASUREMENTS)
        shown: list[int] = []
        for i in range(6):
            box(page, "National ID").fill(f"10.000.{i + 1:03d}")
            click(page, "Predict")
            record = page.get_by_text(SHOWN)
            expect(record).to_contain_text(f"#{(shown[-1] + 1) if shown else ''}")
            idle(page)
            shown.append(int(SHOWN.search(record.inner_text())[1]))
        box(page, "National ID").fill("10.000.999")
        page.get_by_role("button", name="Predict").click()
        process.kill()  # SIGKILL: no shutdown, no flush, mid-request
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert shown == list(range(shown[0], shown[0] + 6))
    with server_clinic(server) as clinic:
        with clinic.engine.connect() as connection:
            stored = set(connection.execute(select(predictions.c.id)).scalars())
            audited = set(
                connection.execute(
                    select(audit_events.c.target).where(audit_events.c.action == "prediction")
                ).scalars()
            )
        checked, broken = audit.verify(clinic.engine)
    assert set(shown) <= stored  # every result shown is stored
    assert {str(i) for i in stored} == audited  # and none is stored without its audit event
    assert broken is None and checked > len(shown)
