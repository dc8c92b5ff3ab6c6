"""A clinician's first prediction in a real browser, and what it leaves on disk."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from benchmarks.person import click
from tests.browser.support import fill_patient, make_account, sign_in
from tests.support import MEASUREMENTS, files_containing

pytestmark = pytest.mark.browser

NAME = "Ñusta Huamán Quispe"
NATIONAL_ID = "1.098.765.432"


def test_clinician_predicts_and_no_identifier_reaches_disk(page: Page, server, champion) -> None:
    sign_in(page, server, make_account(server, "carla", "clinician"))
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()
    fill_patient(page, NAME, NATIONAL_ID, MEASUREMENTS)
    click(page, "Predict")

    expected = champion.predict(MEASUREMENTS)
    result = page.get_by_test_id("stMetricValue")
    expect(result).to_have_text(f"{expected.probability:.1%}")
    expect(page.get_by_text("supports clinical judgement")).to_be_visible()
    expect(page.get_by_text(f"version {champion.version}")).to_be_visible()
    expect(page.get_by_text("••••5432")).to_be_visible()
    expect(page.get_by_text("Why this score")).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(2)  # the gauge and the explanation
    expect(page.get_by_text("Follow-up time").last).to_be_visible()
    page.screenshot(path="build/screenshots/prediction-result.png", full_page=True)

    html = page.content()
    assert "Huamán" not in html.split("<input")[0]  # only the form's own inputs hold it
    leaks = files_containing(server.data_dir, [NAME, NATIONAL_ID, "1098765432", "Huamán"])
    assert leaks == {}
    assert files_containing(server.log.parent, [NAME, "1098765432"]) == {}


def test_every_role_reads_the_model_card(page: Page, server, champion) -> None:
    sign_in(page, server, make_account(server, "carla", "clinician"))
    page.get_by_role("link", name="Model card").click()
    expect(page.get_by_text("not a diagnosis")).to_be_visible()
    expect(page.get_by_text(f"version {champion.version}", exact=False).first).to_be_visible()
    expect(page.locator(".js-plotly-plot")).to_have_count(5)
    page.screenshot(path="build/screenshots/model-card.png", full_page=True)
