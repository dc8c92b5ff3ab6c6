"""A clinician scores a list of patients in a real browser and gets it back prioritised and
masked, on screen and as a download."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from benchmarks.person import click, idle
from clinic import batch, demo
from clinic.tables import predictions
from tests.browser.support import make_account, server_clinic, sign_in

pytestmark = pytest.mark.browser


def test_a_list_is_scored_prioritised_and_masked(page: Page, server, tmp_path) -> None:
    upload = tmp_path / "clinic-list.csv"
    upload.write_bytes(demo.patients_csv(120, seed=11))
    people = list(csv.DictReader(io.StringIO(upload.read_text())))
    secrets = {p["full_name"] for p in people} | {p["national_id"] for p in people}

    sign_in(page, server, make_account(server, "ana", "clinician"))
    page.get_by_role("link", name="Score a list").click()
    page.locator("input[type=file]").set_input_files(upload)
    expect(page.get_by_text("All 120 lines can be scored.")).to_be_visible()
    click(page, "Score and store 120 patients")
    expect(page.get_by_text("Stored 120 predictions.")).to_be_visible(timeout=60_000)
    idle(page)
    expect(page.locator("[data-testid=stDataFrame] canvas").first).to_be_visible()
    page.wait_for_timeout(500)  # the grid paints its canvas after it appears
    page.screenshot(path="build/screenshots/batch-result.png", full_page=True)
    text = page.content() + page.locator("body").inner_text()
    assert [s for s in secrets if s in text] == []

    with page.expect_download() as download:
        page.get_by_role("button", name="Download this list (masked CSV)").click()
    listing = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert len(listing) == 120
    risks = [float(row["Risk"]) for row in listing]
    assert risks == sorted(risks, reverse=True)
    assert [s for s in secrets if s in download.value.path().read_text()] == []
    assert all(row["National ID"].startswith("••••") for row in listing)
    with server_clinic(server) as clinic, clinic.engine.connect() as connection:
        stored = connection.execute(
            select(func.count()).where(predictions.c.source == batch.SOURCE)
        ).scalar_one()
    assert stored == 120
