"""A supervisor's walk through the history in a real browser: no identifier on the page until a
reveal with a reason, and that reveal is then in the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from benchmarks.person import box, click, idle
from clinic import audit, demo, patients
from clinic.predictions import predict_and_store
from clinic.tables import patients as patients_table
from tests.browser.support import make_account, server_clinic, sign_in
from tests.support import MEASUREMENTS

pytestmark = pytest.mark.browser

NAME = "Begoña Quintero Ibáñez"
NATIONAL_ID = "1.023.456.789"


def _visible_text(page: Page) -> str:
    return page.content() + page.locator("body").inner_text()


def test_supervisor_looks_up_reveals_with_a_reason_and_finds_it_audited(
    page: Page, server, champion
) -> None:
    account = make_account(server, "sara", "supervisor")
    with server_clinic(server) as clinic:
        plan = demo.Plan(n=600, clinicians=["ana", "bruno"], now=datetime.now(UTC), days=60)
        demo.generate(clinic.engine, clinic.vault, champion, plan, actor="test")
        predict_and_store(
            clinic.engine,
            clinic.vault,
            champion,
            actor="ana",
            full_name=NAME,
            national_id=NATIONAL_ID,
            measurements=MEASUREMENTS,
        )
        with clinic.engine.connect() as connection:
            identities = [
                patients.decrypt_identity(connection, clinic.vault, patient_id)
                for patient_id in connection.execute(select(patients_table.c.id)).scalars()
            ]
    secrets = {i.full_name for i in identities} | {i.national_id for i in identities}
    secrets |= {i.national_id_normalised for i in identities}

    sign_in(page, server, account)
    page.get_by_role("link", name="History").click()
    expect(page.get_by_text("601 matching predictions")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(3)
    page.screenshot(path="build/screenshots/history-supervisor.png", full_page=True)
    text = _visible_text(page)
    assert [s for s in secrets if s in text] == []

    box(page, "Find a patient by national ID").fill("1023456789")  # punctuated differently
    box(page, "Find a patient by national ID").press("Enter")
    expect(page.get_by_text("1 matching predictions")).to_be_visible()
    expect(page.get_by_text("predicted risk over time")).to_be_visible()
    assert NAME not in _visible_text(page).replace(f'value="{NATIONAL_ID}"', "")

    for label, choice in (("Record", "601"), ("Purpose", "Treatment")):  # nothing pre-chosen
        chooser = page.get_by_role("combobox", name=label, exact=True)
        chooser.click()
        chooser.press("ArrowDown")
        page.get_by_role("option", name=choice, exact=True).click()
    box(page, "Reason").fill("Arrange a follow-up CD4 count")
    click(page, "Reveal identity")
    revealed = page.get_by_text(f"{NAME}, national ID {NATIONAL_ID}")
    expect(revealed).to_be_visible()
    page.screenshot(path="build/screenshots/history-reveal.png", full_page=True)
    assert "Begoña" not in page.url

    with server_clinic(server) as clinic:
        reveals = [e for e in audit.search(clinic.engine) if e["action"] == "reveal"]
    assert len(reveals) == 1
    assert reveals[0]["actor"] == "sara"
    assert reveals[0]["details"] == {
        "purpose": "treatment",
        "reason": "Arrange a follow-up CD4 count",
    }

    page.get_by_role("link", name="Audit").click()
    idle(page)
    page.get_by_test_id("stMultiSelect").filter(has_text="Action").click()
    page.get_by_role("option", name="reveal").click()
    expect(page.get_by_text("1 most recent matching events")).to_be_visible()
    assert NAME not in _visible_text(page)
