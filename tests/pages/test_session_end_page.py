"""A session that ends under a filled form: the screen is cleared, the sign-in page says why,
and the clinical values (never the identity) come back after signing in again."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine
from streamlit.testing.v1 import AppTest

from clinic import accounts, config, db, runtime, sessions
from clinic.tables import users
from tests.pages.support import fill_form, press_predict, signed_in_app, stored_predictions
from tests.support import MEASUREMENTS


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
    fill_form(at, MEASUREMENTS)
    _end_the_session(tmp_path, at)
    return press_predict(at)


def test_predict_after_the_session_ended_keeps_the_values_not_the_identity(
    trained_store, tmp_path, monkeypatch
) -> None:
    at = _predict_after_the_end(tmp_path, monkeypatch)
    assert "Your session has ended" in at.info[0].value
    assert not at.metric
    assert [b.label for b in at.button if b.label == "Predict"] == []
    assert "Username" in [t.label for t in at.text_input]
    assert stored_predictions(tmp_path) == 0

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
    _add_dario()
    _sign_in_again(tmp_path, at, "dario")
    at.run()
    assert not [i for i in at.info if "clinical values you typed" in i.value]
    assert at.number_input(key="patient_form.cd40").value is None


def _add_dario() -> int:
    engine = runtime.start(config.load()).engine
    with db.writing(engine) as connection:
        dario = accounts.add(
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
    return dario.id


def test_after_a_log_out_the_next_user_in_the_tab_sees_nothing_of_the_last(
    trained_store, tmp_path, monkeypatch
) -> None:
    at = signed_in_app(tmp_path, monkeypatch)
    fill_form(at, MEASUREMENTS)
    press_predict(at)
    assert at.metric  # Carla's result, with her patient's masked identity
    next(b for b in at.sidebar.button if b.label == "Log out").click()
    at.run()
    assert "You are signed out." in at.info[0].value
    _add_dario()
    _sign_in_again(tmp_path, at, "dario")
    at.run()
    assert at.title[0].value == "New prediction"
    assert not at.metric
    assert at.number_input(key="patient_form.cd40").value is None


def test_recovery_codes_left_in_a_tab_are_never_shown_to_another_user(
    trained_store, tmp_path, monkeypatch
) -> None:
    at = signed_in_app(tmp_path, monkeypatch)
    at.session_state["auth.recovery_codes"] = (-1, ["ALBA1-CODES", "ALBA2-CODES"])
    at.run()
    shown = " ".join(c.value for c in at.code)
    assert "ALBA1-CODES" not in shown
    assert at.title[0].value == "New prediction"
