"""A session that ends under a filled form: the screen is cleared, the sign-in page says why,
and the clinical values (never the identity) come back after signing in again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine
from streamlit.testing.v1 import AppTest

from clinic import config, db, runtime, sessions
from clinic import users as clinic_users
from clinic.tables import users
from tests.clinic.test_predictions import MEASUREMENTS
from tests.pages.test_predict_page import _fill, _predict, _stored, signed_in_app


def _end_the_session(tmp_path, at: AppTest) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    sessions.end(engine, at.session_state["auth.token"], "idle", datetime.now(UTC))
    engine.dispose()


def _sign_in_again(tmp_path, at: AppTest, username: str = "carla") -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    with engine.connect() as connection:
        user_id = connection.execute(
            users.select().with_only_columns(users.c.id).where(users.c.username == username)
        ).scalar_one()
    at.session_state["auth.token"] = sessions.start(engine, user_id, True, datetime.now(UTC))
    engine.dispose()


def _predict_after_the_end(tmp_path, monkeypatch) -> AppTest:
    """Carla fills the form, her session ends (idle), then she presses Predict."""
    at = signed_in_app(tmp_path, monkeypatch)
    _fill(at, MEASUREMENTS)
    _end_the_session(tmp_path, at)
    return _predict(at)


def test_predict_after_the_session_ended_keeps_the_values_not_the_identity(
    trained_store, tmp_path, monkeypatch
) -> None:
    at = _predict_after_the_end(tmp_path, monkeypatch)
    assert "Your session has ended" in at.info[0].value
    assert not at.metric
    assert [b.label for b in at.button if b.label == "Predict"] == []
    assert "Username" in [t.label for t in at.text_input]
    assert _stored(tmp_path) == 0

    _sign_in_again(tmp_path, at)
    at.run()
    assert "clinical values you typed" in at.info[0].value
    assert at.text_input(key="patient_form.full_name").value == ""
    assert at.text_input(key="patient_form.national_id").value == ""
    assert at.number_input(key="patient_form.cd40").value == MEASUREMENTS["cd40"]
    assert at.radio(key="patient_form.gender").value == MEASUREMENTS["gender"]


def test_a_draft_is_not_shown_to_someone_else_in_the_same_tab(
    trained_store, tmp_path, monkeypatch
) -> None:
    at = _predict_after_the_end(tmp_path, monkeypatch)
    engine = runtime.start(config.load()).engine  # binds the audit key users.add records with
    with db.writing(engine) as connection:
        clinic_users.add(
            connection,
            "test",
            "dario",
            "Darío",
            "clinician",
            "eight green doors on a dry road",
            temporary=False,
            now=datetime.now(UTC),
        )
    engine.dispose()
    _sign_in_again(tmp_path, at, "dario")
    at.run()
    assert not [i for i in at.info if "clinical values you typed" in i.value]
    assert at.number_input(key="patient_form.cd40").value is None
