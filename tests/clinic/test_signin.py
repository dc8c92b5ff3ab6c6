"""The sign-in flow without Streamlit: which step a browser is at, and where each answer leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from clinic import accounts, db, mfa, runtime, sessions, setup, signin, totp
from clinic.access import Role
from clinic.accounts import User
from clinic.signin import Step
from clinic.tables import audit_events
from clinic.tables import users as users_table

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a much better passphrase 77"
LIMITS = sessions.Limits()


@pytest.fixture
def clinic(config):
    return runtime.start(config)


def _someone(*, enrolled: bool, must_change: bool) -> User:
    return User(
        id=1,
        username="ana",
        display_name="Ana",
        role=Role.CLINICIAN,
        must_change_password=must_change,
        enrolled=enrolled,
        locked_until=None,
        disabled=False,
    )


@pytest.mark.parametrize(
    ("enrolled", "must_change", "verified", "codes_pending", "expected"),
    [
        (False, False, False, False, Step.ENROL),
        (False, True, False, False, Step.ENROL),
        (True, False, False, False, Step.CODE),
        (True, True, False, False, Step.CODE),
        (True, False, True, True, Step.RECOVERY_CODES),
        (True, True, True, True, Step.RECOVERY_CODES),
        (True, True, True, False, Step.NEW_PASSWORD),
        (True, False, True, False, Step.DONE),
    ],
)
def test_the_step_of_a_browser_with_a_session(
    clinic, enrolled: bool, must_change: bool, verified: bool, codes_pending: bool, expected: Step
) -> None:
    user = _someone(enrolled=enrolled, must_change=must_change)
    assert signin.step(clinic.engine, user, verified, codes_pending) is expected


def test_without_a_session_the_first_run_until_an_account_exists(clinic) -> None:
    assert signin.step(clinic.engine, None, False, False) is Step.FIRST_RUN
    code = setup.issue_code(clinic.engine, NOW)
    setup.create_first_admin(clinic.engine, code, "admin", "Ada Admin", PASSWORD, NOW)
    assert signin.step(clinic.engine, None, False, False) is Step.PASSWORD


def _add(clinic, username: str = "carla", temporary: bool = False) -> User:
    with db.writing(clinic.engine) as connection:
        return accounts.add(
            connection,
            "admin",
            username,
            "Carla",
            "clinician",
            PASSWORD,
            temporary=temporary,
            now=NOW,
        )


def _where(clinic, token: str | None, at: datetime = NOW, codes_pending: bool = False) -> Step:
    resumed = None if token is None else signin.resume(clinic.engine, token, at, LIMITS)
    if resumed is None:
        return signin.step(clinic.engine, None, False, codes_pending)
    return signin.step(clinic.engine, resumed.user, resumed.verified, codes_pending)


def test_a_new_account_goes_through_every_step(clinic) -> None:
    user = _add(clinic, temporary=True)
    token = signin.password_accepted(clinic.engine, user.username, NOW)
    assert token is not None and _where(clinic, token) is Step.ENROL

    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(NOW)
    codes = mfa.confirm_enrolment(clinic.engine, clinic.vault, user, secret, code, NOW, token)
    assert codes
    assert _where(clinic, token, codes_pending=True) is Step.RECOVERY_CODES
    assert _where(clinic, token) is Step.NEW_PASSWORD

    with clinic.engine.connect() as connection:
        user = accounts.by_id(connection, user.id)
    signin.change_password(clinic.engine, user, PASSWORD, NEW_PASSWORD, NOW, keep_token=token)
    assert _where(clinic, token) is Step.DONE


def test_an_enrolled_account_is_asked_for_its_code(clinic) -> None:
    user = _add(clinic)
    secret = totp.new_secret()
    mfa.confirm_enrolment(
        clinic.engine, clinic.vault, user, secret, pyotp.TOTP(secret).at(NOW), NOW
    )
    with clinic.engine.connect() as connection:
        user = accounts.by_id(connection, user.id)
    later = NOW + timedelta(minutes=1)
    token = signin.password_accepted(clinic.engine, user.username, later)
    assert _where(clinic, token, later) is Step.CODE
    code = pyotp.TOTP(secret).at(later)
    assert mfa.verify_second_factor(clinic.engine, clinic.vault, user, code, later, token)
    assert _where(clinic, token, later) is Step.DONE


def test_refused_codes_lock_and_send_the_browser_back_to_the_password(clinic) -> None:
    user = _add(clinic)
    token = signin.password_accepted(clinic.engine, user.username, NOW)
    secret = totp.new_secret()
    wrong = "000000" if pyotp.TOTP(secret).at(NOW) != "000000" else "111111"
    for _ in range(4):
        assert (
            mfa.confirm_enrolment(clinic.engine, clinic.vault, user, secret, wrong, NOW, token)
            is None
        )
        assert not signin.locked_out(clinic.engine, user, NOW)
        assert _where(clinic, token) is Step.ENROL
    assert (
        mfa.confirm_enrolment(clinic.engine, clinic.vault, user, secret, wrong, NOW, token) is None
    )
    assert signin.locked_out(clinic.engine, user, NOW)
    assert _where(clinic, token) is Step.PASSWORD
    assert signin.password_accepted(clinic.engine, user.username, NOW) is None


def _failures(clinic) -> list[str]:
    with clinic.engine.connect() as connection:
        return list(
            connection.execute(
                select(audit_events.c.actor).where(audit_events.c.action == "signin.failure")
            ).scalars()
        )


def test_a_wrong_password_counts_for_the_account_typed_or_as_unknown(clinic) -> None:
    user = _add(clinic)
    signin.password_refused(clinic.engine, [user.username], NOW)
    signin.password_refused(clinic.engine, [], NOW)
    assert _failures(clinic) == [user.username, signin.UNKNOWN_ACTOR]


def test_a_disabled_account_has_no_session_to_resume(clinic) -> None:
    """Even a session that nothing ended (disabling ends them all; this checks the account)."""
    user = _add(clinic)
    token = signin.password_accepted(clinic.engine, user.username, NOW)
    assert signin.resume(clinic.engine, token, NOW, LIMITS) == signin.Resumed(user, False)
    with db.writing(clinic.engine) as connection:
        connection.execute(
            update(users_table).where(users_table.c.id == user.id).values(disabled_at=NOW)
        )
    assert signin.resume(clinic.engine, token, NOW, LIMITS) is None
    assert _where(clinic, token) is Step.PASSWORD
