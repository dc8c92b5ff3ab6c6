"""Accounts, second factor, lockout and sessions on a real database with real bcrypt and TOTP."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from clinic import accounts, audit, db, lockout, mfa, runtime, sessions, setup, signin, totp
from clinic.access import Role
from clinic.passwords import check_password
from clinic.tables import audit_events, recovery_codes
from clinic.tables import users as users_table

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def clinic(config):
    return runtime.start(config)


def _add(clinic, username="ana.gomez", role="clinician", temporary=False) -> accounts.User:
    with db.writing(clinic.engine) as connection:
        return accounts.add(
            connection, "admin", username, "Ana Gómez", role, PASSWORD, temporary=temporary, now=NOW
        )


def _enrol(clinic, user) -> tuple[str, list[str]]:
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(NOW)
    codes = mfa.confirm_enrolment(clinic.engine, clinic.vault, user, secret, code, NOW)
    assert codes is not None
    return secret, codes


def _may_sign_in(clinic, user, at: datetime) -> bool:
    """Would the sign-in form accept the right password now? (Barred accounts are listed with a
    hash no password matches, so that their refusal costs the same as a wrong password.)"""
    entry = signin.login_credentials(clinic.engine, at)["usernames"][user.username]
    return check_password(PASSWORD, entry["password"])


def _actions(clinic) -> list[str]:
    with clinic.engine.connect() as connection:
        return list(
            connection.execute(select(audit_events.c.action).order_by(audit_events.c.id)).scalars()
        )


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc6238_sha1_vectors_pass_through_the_verifier(time: int, expected: str) -> None:
    secret = (
        pyotp.utils.b32encode(b"12345678901234567890")
        if hasattr(pyotp.utils, "b32encode")
        else __import__("base64").b32encode(b"12345678901234567890").decode()
    )
    at = datetime.fromtimestamp(time, tz=UTC)
    assert totp.matching_step(secret, expected, at, digits=8) == time // 30
    assert totp.matching_step(secret, expected, at + timedelta(seconds=30), digits=8) == time // 30
    assert totp.matching_step(secret, expected, at + timedelta(seconds=90), digits=8) is None


def test_password_rules_follow_nist(clinic) -> None:
    refused = accounts.AccountError
    with db.writing(clinic.engine) as connection, pytest.raises(refused, match="12"):
        accounts.add(
            connection, "admin", "bob", "Bob", "clinician", "short", temporary=True, now=NOW
        )
    with (
        db.writing(clinic.engine) as connection,
        pytest.raises(accounts.AccountError, match="common"),
    ):
        accounts.add(
            connection, "admin", "bob", "Bob", "clinician", "qwerty123456", temporary=True, now=NOW
        )
    with (
        db.writing(clinic.engine) as connection,
        pytest.raises(accounts.AccountError, match="user"),
    ):
        accounts.add(
            connection,
            "admin",
            "bobsmith",
            "Bob",
            "clinician",
            "bobsmith-password-2026",
            temporary=True,
            now=NOW,
        )


def test_passwords_are_stored_as_bcrypt_only(clinic) -> None:
    user = _add(clinic)
    with clinic.engine.connect() as connection:
        stored = connection.execute(
            select(users_table.c.password_hash).where(users_table.c.id == user.id)
        ).scalar_one()
    assert stored.startswith("$2b$12$") and PASSWORD not in stored


def test_enrolment_needs_a_valid_code_and_gives_ten_recovery_codes(clinic) -> None:
    user = _add(clinic)
    secret = totp.new_secret()
    assert (
        mfa.confirm_enrolment(clinic.engine, clinic.vault, user, secret, "000000", NOW) is None
        or pyotp.TOTP(secret).at(NOW) == "000000"
    )
    with clinic.engine.connect() as connection:
        assert not accounts.by_id(connection, user.id).enrolled
    secret, codes = _enrol(clinic, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    with clinic.engine.connect() as connection:
        row = connection.execute(select(users_table).where(users_table.c.id == user.id)).one()
    assert secret.encode() not in row.totp_secret_enc
    assert mfa.remaining_recovery_codes(clinic.engine, user.id) == 10


def test_a_code_is_accepted_once(clinic) -> None:
    user = _add(clinic)
    secret, _ = _enrol(clinic, user)
    later = NOW + timedelta(seconds=60)
    code = pyotp.TOTP(secret).at(later)
    assert mfa.verify_second_factor(clinic.engine, clinic.vault, user, code, later)
    assert not mfa.verify_second_factor(clinic.engine, clinic.vault, user, code, later)
    assert not mfa.verify_second_factor(clinic.engine, clinic.vault, user, "123", later)


def test_the_enrolment_code_cannot_be_replayed_at_sign_in(clinic) -> None:
    user = _add(clinic)
    secret, _ = _enrol(clinic, user)
    code = pyotp.TOTP(secret).at(NOW)
    assert not mfa.verify_second_factor(clinic.engine, clinic.vault, user, code, NOW)


def test_one_step_of_drift_is_tolerated_two_are_not(clinic) -> None:
    user = _add(clinic)
    secret, _ = _enrol(clinic, user)
    at = NOW + timedelta(minutes=5)
    previous = pyotp.TOTP(secret).at(at - timedelta(seconds=30))
    assert mfa.verify_second_factor(clinic.engine, clinic.vault, user, previous, at)
    two_back = pyotp.TOTP(secret).at(at + timedelta(minutes=5) - timedelta(seconds=60))
    assert not mfa.verify_second_factor(
        clinic.engine, clinic.vault, user, two_back, at + timedelta(minutes=5)
    )


def test_a_recovery_code_works_once(clinic) -> None:
    user = _add(clinic)
    _, codes = _enrol(clinic, user)
    assert mfa.verify_second_factor(clinic.engine, clinic.vault, user, codes[3].lower(), NOW)
    assert not mfa.verify_second_factor(clinic.engine, clinic.vault, user, codes[3], NOW)
    assert mfa.remaining_recovery_codes(clinic.engine, user.id) == 9
    with clinic.engine.connect() as connection:
        stored = connection.execute(select(recovery_codes.c.code_hash)).scalars().all()
    assert codes[0] not in " ".join(stored)
    assert hashlib.sha256(f"{user.id}:{codes[0].replace('-', '')}".encode()).hexdigest() in stored


def test_five_failures_lock_for_fifteen_minutes_and_admin_unlocks(clinic) -> None:
    user = _add(clinic)
    for _ in range(4):
        assert not lockout.record_failure(clinic.engine, user, "password", NOW)
        assert _may_sign_in(clinic, user, NOW)
    assert lockout.record_failure(clinic.engine, user, "code", NOW)
    assert not _may_sign_in(clinic, user, NOW)
    barred = signin.login_credentials(clinic.engine, NOW)["usernames"][user.username]["password"]
    assert barred.startswith("$2b$12$")  # refused after the same bcrypt work as a wrong password
    later = NOW + timedelta(minutes=14)
    assert not _may_sign_in(clinic, user, later)
    assert _may_sign_in(clinic, user, NOW + timedelta(minutes=15, seconds=1))
    accounts.unlock(clinic.engine, "admin", user.username, later)
    assert _may_sign_in(clinic, user, later)
    assert _actions(clinic).count("signin.failure") == 5
    assert "lockout" in _actions(clinic) and "user.unlock" in _actions(clinic)


def test_lockout_survives_a_restart(clinic, config) -> None:
    user = _add(clinic)
    for _ in range(5):
        lockout.record_failure(clinic.engine, user, "password", NOW)
    clinic.engine.dispose()
    again = runtime.start(config)
    entry = signin.login_credentials(again.engine, NOW)["usernames"][user.username]
    assert not check_password(PASSWORD, entry["password"])


def test_sessions_expire_when_idle_and_end_on_logout(clinic) -> None:
    user = _add(clinic)
    limits = sessions.Limits(idle=timedelta(minutes=15), absolute=timedelta(hours=12))
    token = sessions.start(clinic.engine, user.id, True, NOW)
    assert sessions.resume(
        clinic.engine, token, NOW + timedelta(minutes=10), limits
    ) == sessions.Session(user.id, True)
    assert sessions.resume(clinic.engine, token, NOW + timedelta(minutes=24), limits) is not None
    assert sessions.resume(clinic.engine, token, NOW + timedelta(minutes=40), limits) is None
    assert sessions.resume(clinic.engine, token, NOW + timedelta(minutes=41), limits) is None
    other = sessions.start(clinic.engine, user.id, True, NOW)
    sessions.end(clinic.engine, other, "logout", NOW)
    assert sessions.resume(clinic.engine, other, NOW, limits) is None
    assert sessions.resume(clinic.engine, "forged-token", NOW, limits) is None


def test_absolute_limit_ends_even_an_active_session(clinic) -> None:
    user = _add(clinic)
    limits = sessions.Limits(idle=timedelta(minutes=15), absolute=timedelta(hours=1))
    token = sessions.start(clinic.engine, user.id, True, NOW)
    moment = NOW
    for _ in range(4):
        moment += timedelta(minutes=14)
        assert sessions.resume(clinic.engine, token, moment, limits) is not None
    assert sessions.resume(clinic.engine, token, moment + timedelta(minutes=14), limits) is None


def test_password_change_and_mfa_reset_end_other_sessions(clinic) -> None:
    user = _add(clinic)
    limits = sessions.Limits()
    mine = sessions.start(clinic.engine, user.id, True, NOW)
    elsewhere = sessions.start(clinic.engine, user.id, True, NOW)
    signin.change_password(clinic.engine, user, PASSWORD, "a much better passphrase 77", NOW, mine)
    assert sessions.resume(clinic.engine, mine, NOW, limits) is not None
    assert sessions.resume(clinic.engine, elsewhere, NOW, limits) is None
    _enrol(clinic, user)
    accounts.reset_mfa(clinic.engine, "admin", user.username, NOW)
    assert sessions.resume(clinic.engine, mine, NOW, limits) is None
    with clinic.engine.connect() as connection:
        assert not accounts.by_id(connection, user.id).enrolled
    assert mfa.remaining_recovery_codes(clinic.engine, user.id) == 0


def test_setup_code_creates_the_first_admin_once(clinic) -> None:
    code = setup.issue_code(clinic.engine, NOW)
    assert code
    with pytest.raises(accounts.AccountError, match="not valid"):
        setup.create_first_admin(clinic.engine, "WRONG-CODE", "root", "Root", PASSWORD, NOW)
    admin = setup.create_first_admin(
        clinic.engine, code.lower(), "Admin", "Ada Admin", PASSWORD, NOW
    )
    assert admin.role is Role.ADMIN and admin.username == "admin"
    with pytest.raises(accounts.AccountError, match="already done"):
        setup.create_first_admin(clinic.engine, code, "second", "Second", PASSWORD, NOW)
    assert setup.issue_code(clinic.engine, NOW) is None


def test_every_account_change_is_in_the_audit_chain(clinic) -> None:
    user = _add(clinic)
    accounts.set_role(clinic.engine, "admin", user.username, "supervisor", NOW)
    accounts.disable(clinic.engine, "admin", user.username, NOW)
    assert not _may_sign_in(clinic, user, NOW)
    assert _actions(clinic) == ["user.add", "user.role", "user.disable"]
    assert audit.verify(clinic.engine) == (3, None)


def test_the_lockout_holds_at_the_code_step_of_every_session(clinic) -> None:
    """Four browsers pass the password step; five wrong codes in the first lock the account,
    and the others' right code is refused: the five attempts are the account's, not a
    session's."""
    user = _add(clinic)
    secret, _ = _enrol(clinic, user)
    limits = sessions.Limits()
    at = NOW + timedelta(minutes=2)
    browsers = [sessions.start(clinic.engine, user.id, False, at) for _ in range(4)]
    for _ in range(5):
        assert (
            not mfa.verify_second_factor(
                clinic.engine, clinic.vault, user, "000000", at, token=browsers[0]
            )
            or pyotp.TOTP(secret).at(at) == "000000"
        )
    with clinic.engine.connect() as connection:
        assert accounts.by_id(connection, user.id).locked(at)
    right = pyotp.TOTP(secret).at(at)
    for token in browsers[1:]:
        assert not mfa.verify_second_factor(
            clinic.engine, clinic.vault, user, right, at, token=token
        )
        assert sessions.resume(clinic.engine, token, at, limits) is None
    assert _actions(clinic).count("lockout") == 1
    assert _actions(clinic).count("signin.success") == 0
    after = at + timedelta(minutes=16)
    fresh = sessions.start(clinic.engine, user.id, False, after)
    assert mfa.verify_second_factor(
        clinic.engine, clinic.vault, user, pyotp.TOTP(secret).at(after), after, token=fresh
    )
    assert sessions.resume(clinic.engine, fresh, after, limits) == sessions.Session(user.id, True)


def test_enrolment_is_refused_while_locked(clinic) -> None:
    user = _add(clinic)
    for _ in range(5):
        lockout.record_failure(clinic.engine, user, "password", NOW)
    secret = totp.new_secret()
    token = sessions.start(clinic.engine, user.id, False, NOW)
    assert (
        mfa.confirm_enrolment(
            clinic.engine, clinic.vault, user, secret, pyotp.TOTP(secret).at(NOW), NOW, token
        )
        is None
    )
    with clinic.engine.connect() as connection:
        assert not accounts.by_id(connection, user.id).enrolled


def test_a_disabled_account_gets_no_code_check(clinic) -> None:
    user = _add(clinic)
    secret, _ = _enrol(clinic, user)
    accounts.disable(clinic.engine, "admin", user.username, NOW)
    at = NOW + timedelta(minutes=1)
    assert not mfa.verify_second_factor(
        clinic.engine, clinic.vault, user, pyotp.TOTP(secret).at(at), at
    )


def test_an_unknown_username_is_audited_without_what_was_typed(clinic) -> None:
    signin.unknown_sign_in(clinic.engine, NOW)
    with clinic.engine.connect() as connection:
        row = connection.execute(select(audit_events)).one()
    assert (row.actor, row.action, row.details) == (
        signin.UNKNOWN_ACTOR,
        "signin.failure",
        {"stage": "password"},
    )


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("ñ" * 37, "at most 72 bytes"),
        ("correct horse battery staple " * 3, "at most 72 bytes"),
        ("correct horse battery staple ", "begin or end with a space"),
        (" correct horse battery staple", "begin or end with a space"),
    ],
)
def test_passwords_bcrypt_cannot_take_are_refused_with_a_reason(
    clinic, password: str, problem: str
) -> None:
    user = _add(clinic)
    with pytest.raises(accounts.AccountError, match=problem):
        signin.change_password(clinic.engine, user, PASSWORD, password, NOW, None)
    assert _may_sign_in(clinic, user, NOW)


def test_new_recovery_codes_need_the_password_again(clinic) -> None:
    user = _add(clinic)
    _, old = _enrol(clinic, user)
    with pytest.raises(accounts.AccountError, match="current password is not correct"):
        mfa.regenerate_recovery_codes(clinic.engine, user, "not my password at all", NOW)
    assert mfa.verify_second_factor(clinic.engine, clinic.vault, user, old[0], NOW)
    new = mfa.regenerate_recovery_codes(clinic.engine, user, PASSWORD, NOW)
    assert not mfa.verify_second_factor(clinic.engine, clinic.vault, user, old[1], NOW)
    assert mfa.verify_second_factor(clinic.engine, clinic.vault, user, new[0], NOW)


def test_guessing_the_password_in_a_signed_in_session_locks_and_ends_it(clinic) -> None:
    user = _add(clinic)
    _enrol(clinic, user)
    token = sessions.start(clinic.engine, user.id, True, NOW)
    for _ in range(5):
        with pytest.raises(accounts.AccountError):
            mfa.regenerate_recovery_codes(clinic.engine, user, "a wrong guess here", NOW)
    assert sessions.resume(clinic.engine, token, NOW, sessions.Limits()) is None
    assert not _may_sign_in(clinic, user, NOW)


def test_time_left_is_read_without_counting_as_activity(clinic) -> None:
    user = _add(clinic)
    limits = sessions.Limits(idle=timedelta(minutes=15), absolute=timedelta(hours=12))
    token = sessions.start(clinic.engine, user.id, True, NOW)
    for minutes in (5, 10, 14):
        assert sessions.time_left(
            clinic.engine, token, NOW + timedelta(minutes=minutes), limits
        ) == timedelta(minutes=15 - minutes)
    assert sessions.time_left(clinic.engine, token, NOW + timedelta(minutes=16), limits) is None
    assert sessions.resume(clinic.engine, token, NOW + timedelta(minutes=16), limits) is None


def test_a_right_password_settled_after_the_lock_is_refused(clinic) -> None:
    """Parallel guesses are checked against the hash at once but settle one by one: once the
    fifth failure has locked the account, a right password that settles later is refused."""
    user = _add(clinic)
    assert signin.password_accepted(clinic.engine, user.username, NOW) is not None
    for _ in range(5):
        lockout.record_failure(clinic.engine, user, "password", NOW)
    assert signin.password_accepted(clinic.engine, user.username, NOW) is None
    assert _actions(clinic).count("signin.failure") == 6


def test_the_password_asked_again_is_refused_while_locked(clinic) -> None:
    user = _add(clinic)
    _enrol(clinic, user)
    for _ in range(5):
        lockout.record_failure(clinic.engine, user, "code", NOW)
    with pytest.raises(accounts.AccountError, match="current password is not correct"):
        mfa.regenerate_recovery_codes(clinic.engine, user, PASSWORD, NOW)


def test_a_current_password_too_long_for_bcrypt_is_just_wrong(clinic) -> None:
    user = _add(clinic)
    with pytest.raises(accounts.AccountError, match="current password is not correct"):
        signin.change_password(
            clinic.engine, user, "x" * 100, "a much better passphrase 77", NOW, None
        )


def test_a_stale_enrolment_tab_cannot_replace_the_authenticator(clinic) -> None:
    user = _add(clinic)
    first, _ = _enrol(clinic, user)
    stale = totp.new_secret()
    at = NOW + timedelta(minutes=1)
    assert (
        mfa.confirm_enrolment(
            clinic.engine, clinic.vault, user, stale, pyotp.TOTP(stale).at(at), at
        )
        is None
    )
    later = NOW + timedelta(minutes=3)
    assert mfa.verify_second_factor(
        clinic.engine, clinic.vault, user, pyotp.TOTP(first).at(later), later
    )
