"""A Spanish-speaking clinic in Chromium: the server speaks Spanish by default, a clinician signs
in, types a patient (cédula with dots), switches to English and back without losing a value,
and gets the prediction written the Colombian way."""

from __future__ import annotations

from functools import partial

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from benchmarks.person import box, click, idle, in_language
from benchmarks.person import sign_in as person_sign_in
from clinic import i18n
from clinic.tables import predictions
from model_store.schema import FIELDS
from tests.browser.support import make_account, server_clinic
from tests.support import MEASUREMENTS

pytestmark = pytest.mark.browser

NAME = "Ñusta Huamán Quispe"
CEDULA = "1.023.456.789"


def _fill_in(page: Page, language: str) -> None:
    say = partial(in_language, language)
    box(page, say("Full name")).fill(NAME)
    box(page, say("National ID")).fill(CEDULA)
    for f in FIELDS:
        value = MEASUREMENTS[f.code]
        label = say(f.label)
        if f.choices is None:
            box(page, label).fill(str(value))
        elif len(f.choices) == 2:
            group = page.get_by_role("radiogroup", name=label)
            group.get_by_text(say(f.choices[value]), exact=True).click()
        else:
            page.get_by_test_id("stSelectbox").filter(has_text=label).click()
            page.get_by_role("option", name=say(f.choices[value])).click()


def _choose_language(page: Page, name: str) -> None:
    idle(page)
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name=name).click()
    idle(page)


def test_a_clinician_signs_in_and_predicts_in_spanish(page: Page, serve, champion) -> None:
    server = serve(CLINIC_LANGUAGE="es")
    say = partial(in_language, "es")
    person_sign_in(page, server.url, make_account(server, "camila", "clinician"), "es")
    expect(page.get_by_role("heading", name="Nueva predicción")).to_be_visible()
    _fill_in(page, "es")

    _choose_language(page, "English")
    expect(page.get_by_role("heading", name="New prediction")).to_be_visible()
    expect(box(page, "Full name")).to_have_value(NAME)
    expect(box(page, "National ID")).to_have_value(CEDULA)
    expect(box(page, FIELDS[0].label)).to_have_value(str(MEASUREMENTS[FIELDS[0].code]))
    _choose_language(page, "Español")
    expect(box(page, say("Full name"))).to_have_value(NAME)

    click(page, say("Predict"))
    expected = champion.predict(MEASUREMENTS)
    i18n.use("es")
    try:
        shown = i18n.percent(expected.probability)
    finally:
        i18n.use(i18n.DEFAULT)
    assert "," in shown  # 12,3%: the Colombian decimal comma
    expect(page.get_by_test_id("stMetricValue")).to_have_text(shown)
    expect(page.get_by_text("••••6789")).to_be_visible()
    page.screenshot(path="build/screenshots/prediction-es.png", full_page=True)
    with server_clinic(server) as clinic, clinic.engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(predictions)).scalar_one()
    assert stored == 1
