"""What the page tests share: the app on its own data dir, a signed-in session, the form."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import streamlit as st
from sqlalchemy import create_engine, func, select
from streamlit.testing.v1 import AppTest

from clinic import accounts, config, db, runtime, sessions
from clinic.tables import predictions
from model_store.schema import FIELDS

APP = Path(__file__).resolve().parents[2] / "app.py"
NAME = "Inés Ordóñez"
NATIONAL_ID = "52.345.678"


def fresh_clinic(tmp_path, monkeypatch) -> runtime.Clinic:
    """The clinic runtime on a new data dir that the app will use too (caches emptied)."""
    monkeypatch.setenv("CLINIC_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()
    st.cache_data.clear()
    return runtime.start(config.load())


def signed_in_app(
    tmp_path, monkeypatch, role: str = "clinician", *, username: str = "carla", name: str = "Carla"
) -> AppTest:
    """The app on its own data dir, with a browser session of a new account (`username`,
    display `name`) already past both factors."""
    clinic = fresh_clinic(tmp_path, monkeypatch)
    now = datetime.now(UTC)
    with db.writing(clinic.engine) as connection:
        user = accounts.add(
            connection,
            "test",
            username,
            name,
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


def stored_predictions(data_dir: Path) -> int:
    """How many predictions the app's SQLite database under `data_dir` holds."""
    engine = create_engine(f"sqlite:///{data_dir / 'clinic.db'}")
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(predictions)).scalar_one()
    engine.dispose()
    return count


def fill_form(at: AppTest, measurements: dict) -> None:
    """NAME, NATIONAL_ID and `measurements` typed into the prediction form."""
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


def press_predict(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Predict").click()
    return at.run()
