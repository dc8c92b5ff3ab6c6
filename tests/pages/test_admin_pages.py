"""Users, audit and account pages through AppTest, each checking the role itself."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from clinic import config, runtime
from clinic.tables import users as users_table
from components.plain import unescape
from tests.pages.support import APP, run_directly, signed_in_app


def _add_user(at: AppTest, username: str, password: str) -> AppTest:
    inputs = {t.label: t for t in at.text_input}
    inputs["Username"].input(username)
    inputs["Name"].input("Dora Doc")
    inputs["Temporary password"].input(password)
    next(b for b in at.button if b.label == "Add user").click()
    return at.run()


def test_admin_adds_a_user_and_the_table_shows_it(tmp_path, monkeypatch) -> None:
    at = signed_in_app(tmp_path, monkeypatch, role="admin")
    assert at.title[0].value == "Users"
    _add_user(at, "Dora.Doc", "harbour lights at dusk 9")
    assert unescape(at.success[0].value).startswith("User dora.doc added")  # shown as typed
    assert "dora.doc" in at.dataframe[0].value["username"].tolist()
    with runtime.start(config.load()).engine.connect() as connection:
        row = connection.execute(
            select(users_table).where(users_table.c.username == "dora.doc")
        ).one()
    assert row.must_change_password and row.role == "clinician"


def test_admin_sees_a_weak_password_refused_with_the_reason(tmp_path, monkeypatch) -> None:
    at = signed_in_app(tmp_path, monkeypatch, role="admin")
    _add_user(at, "dora", "password1234")
    assert "common passwords" in at.error[0].value
    assert at.dataframe[0].value["username"].tolist() == ["carla"]


def test_supervisor_filters_the_audit_trail(tmp_path, monkeypatch) -> None:
    at = signed_in_app(tmp_path, monkeypatch, role="supervisor")
    at.switch_page("views/audit.py").run()
    assert at.title[0].value == "Audit trail"
    assert at.dataframe[0].value["action"].tolist() == ["user.add"]
    at.multiselect[0].select("user.add").run()
    assert len(at.dataframe[0].value) == 1
    next(b for b in at.button if b.label == "Verify the chain").click()
    at.run()
    assert "All 1 events verified" in at.success[0].value


def test_a_clinician_running_an_admin_page_sees_only_a_refusal(tmp_path, monkeypatch) -> None:
    """Not in the clinician's menu, and refused by the page itself when run directly."""
    at = signed_in_app(tmp_path, monkeypatch, role="clinician")
    for page in ["users", "audit"]:
        direct = run_directly(at, page)
        assert "does not give access" in direct.error[0].value
        assert not direct.dataframe and not direct.text_input and not direct.title


def test_a_page_run_without_a_session_shows_nothing(tmp_path, monkeypatch, trained_store) -> None:
    monkeypatch.setenv("CLINIC_DATA_DIR", str(tmp_path))
    for page in ["users", "audit", "account", "predict", "history", "model_card"]:
        at = AppTest.from_file(str(APP.parent / "views" / f"{page}.py"), default_timeout=60).run()
        assert "Please sign in" in at.warning[0].value
        assert not at.dataframe and not at.text_input and not at.number_input and not at.title
