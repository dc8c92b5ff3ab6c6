"""The prediction page through Streamlit's AppTest: the real app, model and database in-process."""

from __future__ import annotations

import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from model_store.schema import FIELDS
from tests.pages.support import (
    NAME,
    NATIONAL_ID,
    fill_form,
    press_predict,
    signed_in_app,
    stored_predictions,
)
from tests.support import MEASUREMENTS


@pytest.fixture
def app(trained_store, tmp_path, monkeypatch) -> AppTest:
    return signed_in_app(tmp_path, monkeypatch)


def test_form_offers_every_schema_field_empty(app: AppTest) -> None:
    widgets = [
        w
        for w in [*app.number_input, *app.radio, *app.selectbox]
        if w.key.startswith("patient_form.")
    ]
    assert sorted(w.label for w in widgets) == sorted(f.label for f in FIELDS)
    assert {w.value for w in widgets} == {None}
    assert [t.label for t in app.text_input] == ["Full name", "National ID"]


def test_a_valid_submission_shows_the_stored_result(app: AppTest, champion, tmp_path) -> None:
    fill_form(app, MEASUREMENTS)
    press_predict(app)
    assert not app.exception and not app.error
    expected = champion.predict(MEASUREMENTS)
    metric = app.metric[0]
    assert metric.label == "Predicted risk"
    assert metric.value == f"{expected.probability:.1%}"
    page_text = " ".join(m.value for m in app.markdown)
    assert ("**infected**" if expected.infected else "**not infected**") in page_text
    assert f"version {champion.version}" in " ".join(c.value for c in app.caption)
    assert stored_predictions(tmp_path) == 1
    assert NAME not in page_text and NATIONAL_ID not in page_text
    assert "**Why this score**" in page_text
    why = app.get("plotly_chart")[1].proto.spec
    assert "Follow-up time" in why  # the strongest contributions, in clinical words


def test_out_of_range_value_names_the_field_and_stores_nothing(app: AppTest, tmp_path) -> None:
    fill_form(app, {**MEASUREMENTS, "age": 130})
    press_predict(app)
    assert len(app.error) == 1
    assert "Age must be between 0–120 years; got 130." in app.error[0].value
    assert "Nothing was stored" in app.error[0].value
    assert "Nothing was stored: 1 field(s) to correct" in app.toast[0].value
    assert not app.metric
    assert stored_predictions(tmp_path) == 0
    assert app.number_input(key="patient_form.age").value == 130
    assert app.text_input(key="patient_form.full_name").value == NAME


def test_without_a_champion_the_page_says_what_to_run(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty-mlflow.db'}")
    at = signed_in_app(tmp_path, monkeypatch)
    assert "python -m model_store train" in at.warning[0].value
    predict = next(b for b in at.button if b.label == "Predict")
    assert predict.disabled


def test_unreachable_registry_at_start_is_a_clear_message_not_a_crash(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a directory")
    unreachable = tmp_path / "a-file" / "mlflow.db"  # a store that cannot be opened
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{unreachable}")
    at = signed_in_app(tmp_path, monkeypatch)
    assert not at.exception
    assert "unreachable" in at.warning[0].value and "MLFLOW_TRACKING_URI" in at.warning[0].value
    assert next(b for b in at.button if b.label == "Predict").disabled
    at.switch_page("views/account.py").run()  # the rest of the app works on
    assert not at.exception and at.title[0].value == "My account"


def test_database_outage_keeps_the_form_and_the_retry_goes_through(
    app: AppTest, champion, tmp_path
) -> None:
    fill_form(app, MEASUREMENTS)
    blocker = sqlite3.connect(tmp_path / "clinic.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the database: writes time out
    try:
        press_predict(app)
        assert app.toast[0].value == app.error[0].value
        assert "nothing was stored" in app.error[0].value
        assert not app.metric
        assert app.text_input(key="patient_form.national_id").value == NATIONAL_ID
        assert app.number_input(key="patient_form.cd40").value == MEASUREMENTS["cd40"]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert stored_predictions(tmp_path) == 0
    press_predict(app)
    assert not app.error
    assert app.metric[0].value == f"{champion.predict(MEASUREMENTS).probability:.1%}"
    assert stored_predictions(tmp_path) == 1
