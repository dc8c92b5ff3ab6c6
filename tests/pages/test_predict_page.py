"""The prediction page through Streamlit's AppTest: the real app, model and database in-process."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import create_engine, func, select
from streamlit.testing.v1 import AppTest

from clinic import config, db, runtime, sessions, users
from clinic.tables import predictions
from model_store.schema import FIELDS
from tests.support import MEASUREMENTS

APP = Path(__file__).resolve().parents[2] / "app.py"
NAME = "Inés Ordóñez"
NATIONAL_ID = "52.345.678"


def fresh_clinic(tmp_path, monkeypatch) -> runtime.Clinic:
    """The clinic runtime on a new data dir that the app will use too (caches emptied)."""
    monkeypatch.setenv("CLINIC_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    return runtime.start(config.load())


def signed_in_app(tmp_path, monkeypatch, role: str = "clinician") -> AppTest:
    """The app on its own data dir, with a browser session already past both factors."""
    clinic = fresh_clinic(tmp_path, monkeypatch)
    now = datetime.now(UTC)
    with db.writing(clinic.engine) as connection:
        user = users.add(
            connection,
            "test",
            "carla",
            "Carla",
            role,
            "seven blue doors on a wet street",
            temporary=False,
            now=now,
        )
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["auth.token"] = sessions.start(clinic.engine, user.id, True, now)
    clinic.engine.dispose()
    return at.run()


def run_directly(signed_in: AppTest, page: str) -> AppTest:
    """`views/<page>.py` run straight from its URL by the signed-in user of `signed_in`,
    without the navigation (which would not list a page the role may not open)."""
    direct = AppTest.from_file(str(APP.parent / "views" / f"{page}.py"), default_timeout=60)
    direct.session_state["auth.token"] = signed_in.session_state["auth.token"]
    return direct.run()


@pytest.fixture
def app(trained_store, tmp_path, monkeypatch) -> AppTest:
    return signed_in_app(tmp_path, monkeypatch)


def _stored(tmp_path) -> int:
    engine = create_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(predictions)).scalar_one()
    engine.dispose()
    return count


def _fill(at: AppTest, measurements: dict) -> None:
    at.text_input(key="patient_form.full_name").input(NAME)
    at.text_input(key="patient_form.national_id").input(NATIONAL_ID)
    for f in FIELDS:
        key = f"patient_form.{f.code}"
        if f.choices is None:
            at.number_input(key=key).set_value(measurements[f.code])
        elif len(f.choices) == 2:
            at.radio(key=key).set_value(measurements[f.code])
        else:
            at.selectbox(key=key).set_value(measurements[f.code])


def _predict(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Predict").click()
    return at.run()


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
    _fill(app, MEASUREMENTS)
    _predict(app)
    assert not app.exception and not app.error
    expected = champion.predict(MEASUREMENTS)
    metric = app.metric[0]
    assert metric.label == "Predicted risk"
    assert metric.value == f"{expected.probability:.1%}"
    page_text = " ".join(m.value for m in app.markdown)
    assert ("**infected**" if expected.infected else "**not infected**") in page_text
    assert f"version {champion.version}" in " ".join(c.value for c in app.caption)
    assert _stored(tmp_path) == 1
    assert NAME not in page_text and NATIONAL_ID not in page_text
    assert "**Why this score**" in page_text
    why = app.get("plotly_chart")[1].proto.spec
    assert "Follow-up time" in why  # the strongest contributions, in clinical words


def test_out_of_range_value_names_the_field_and_stores_nothing(app: AppTest, tmp_path) -> None:
    _fill(app, {**MEASUREMENTS, "age": 130})
    _predict(app)
    assert len(app.error) == 1
    assert "Age must be between 0–120 years; got 130." in app.error[0].value
    assert "Nothing was stored" in app.error[0].value
    assert "Nothing was stored: 1 field(s) to correct" in app.toast[0].value
    assert not app.metric
    assert _stored(tmp_path) == 0
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
    _fill(app, MEASUREMENTS)
    blocker = sqlite3.connect(tmp_path / "clinic.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the database: writes time out
    try:
        _predict(app)
        assert app.toast[0].value == app.error[0].value
        assert "nothing was stored" in app.error[0].value
        assert not app.metric
        assert app.text_input(key="patient_form.national_id").value == NATIONAL_ID
        assert app.number_input(key="patient_form.cd40").value == MEASUREMENTS["cd40"]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert _stored(tmp_path) == 0
    _predict(app)
    assert not app.error
    assert app.metric[0].value == f"{champion.predict(MEASUREMENTS).probability:.1%}"
    assert _stored(tmp_path) == 1
