"""Signing in, as plain steps: password (checked by streamlit-authenticator against
`login_credentials`), then the second factor (enrolment the first time), then the recovery codes
made at enrolment, then a temporary password replaced; or, while no account exists, the first
administrator. `step` says where a browser is; the functions below move it on.
components/auth.py only draws each step."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import cache

from sqlalchemy import Engine, select, update

from clinic import accounts, audit, db, lockout, sessions
from clinic.accounts import AccountError, User
from clinic.i18n import _
from clinic.passwords import check_password, hash_password, password_problem
from clinic.tables import users

UNKNOWN_ACTOR = "(unknown)"
"""The audit actor of a sign-in attempt for a username no account has."""


class Step(Enum):
    FIRST_RUN = "first run"
    """No account exists yet: create the administrator with the console's setup code."""
    PASSWORD = "password"  # noqa: S105 - a step's name, not a secret
    ENROL = "enrol"
    """The password checked out for an account without an authenticator app: set one up."""
    CODE = "code"
    """The password checked out: the authenticator's code, or a recovery code."""
    RECOVERY_CODES = "recovery codes"
    """Both factors passed at enrolment: show the new recovery codes, once."""
    NEW_PASSWORD = "new password"  # noqa: S105 - a step's name
    """Both factors passed with a temporary password: choose one's own."""
    DONE = "done"


def step(engine: Engine, user: User | None, verified: bool, codes_pending: bool) -> Step:
    """Where a browser is: `user` is whose session it holds (None: no live session),
    `verified` whether that session passed the second factor, `codes_pending` whether recovery
    codes made at this user's enrolment wait to be acknowledged."""
    if user is None:
        return Step.FIRST_RUN if accounts.count(engine) == 0 else Step.PASSWORD
    if not verified:
        return Step.CODE if user.enrolled else Step.ENROL
    if codes_pending:
        return Step.RECOVERY_CODES
    if user.must_change_password:
        return Step.NEW_PASSWORD
    return Step.DONE


@dataclass(frozen=True)
class Resumed:
    user: User
    verified: bool
    """The session passed the second factor."""


def resume(
    engine: Engine, token: str, now: datetime, limits: sessions.Limits, touch: bool = True
) -> Resumed | None:
    """The live session a browser's token names and its user; None when the session ended or
    the account was disabled. Counts as activity unless `touch` is False."""
    session = sessions.resume(engine, token, now, limits, touch=touch)
    if session is None:
        return None
    with engine.connect() as connection:
        user = accounts.by_id(connection, session.user_id)
    if user is None or user.disabled:
        return None
    return Resumed(user, session.mfa_verified)


@cache
def _unmatchable_hash() -> str:
    """A bcrypt hash of a random secret, made once per process: what a barred account's
    password is checked against, and what an unknown username costs, so that every refusal
    takes one bcrypt check and nothing in its timing tells which usernames exist."""
    return hash_password(secrets.token_urlsafe(32))


def login_credentials(engine: Engine, now: datetime) -> dict:
    """streamlit-authenticator's credentials: every account, those that may not sign in now
    (locked, disabled) with a hash no password matches.

    They fail with the same message, after the same bcrypt work, as a wrong password; an
    unknown username costs the same through `unknown_sign_in`.
    """
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                users.c.username,
                users.c.display_name,
                users.c.password_hash,
                users.c.role,
                users.c.locked_until,
                users.c.disabled_at,
            )
        )
        return {
            "usernames": {
                r.username: {
                    "name": r.display_name,
                    "password": (
                        _unmatchable_hash()
                        if lockout.barred(r.locked_until, r.disabled_at, now)
                        else r.password_hash
                    ),
                    "roles": [r.role],
                    "email": "",
                    "failed_login_attempts": 0,
                    "logged_in": False,
                }
                for r in rows
            }
        }


def unknown_sign_in(engine: Engine, now: datetime) -> None:
    """A sign-in with a username no account has: the bcrypt check and the audited write that
    a known account's failure costs (bcrypt's time does not depend on the password; the
    username typed is not kept: it may be anything, a patient's name included)."""
    check_password(secrets.token_urlsafe(16), _unmatchable_hash())
    with db.writing(engine) as connection:
        audit.record(
            connection, UNKNOWN_ACTOR, "signin.failure", details={"stage": "password"}, at=now
        )


def password_accepted(engine: Engine, username: str, now: datetime) -> str | None:
    """After the password checked out: a new half-signed-in session's token, or None if the
    account became locked or disabled meanwhile (then it counts as one more failure).

    Decided under the account's row lock, after the bcrypt check: attempts checked in parallel
    from many browsers settle one by one, and once the fifth failure has locked the account a
    right password settles as a refusal, so parallel guesses buy no more than five."""
    with engine.connect() as connection:
        user = accounts.by_username(connection, username)
    with db.writing(engine) as connection:
        if lockout.admitted(connection, user, "password", now) is None:
            return None
        return sessions.open_in(connection, user.id, False, now)


def password_refused(engine: Engine, tried: list[str], now: datetime) -> None:
    """After a wrong password: a failure counted for each account `tried` (the username typed,
    if an account has it); with none, the cost of an unknown username (`unknown_sign_in`)."""
    for username in tried:
        with engine.connect() as connection:
            user = accounts.by_username(connection, username)
        lockout.record_failure(engine, user, "password", now)
    if not tried:
        unknown_sign_in(engine, now)


def locked_out(engine: Engine, user: User, now: datetime) -> bool:
    """After a refused code: is the account locked now? Then the browser goes back to the
    password step (its session was ended by the lock)."""
    with engine.connect() as connection:
        return accounts.by_id(connection, user.id).locked(now)


def change_password(
    engine: Engine, user: User, current: str, new: str, now: datetime, keep_token: str | None
) -> None:
    """Change one's own password (the sign-in's forced step, or the account page); every other
    session of the account ends."""
    if new == current:
        raise AccountError(_("The new password must differ from the current one."))
    if problem := password_problem(new, user.username, user.display_name):
        raise AccountError(problem)
    lockout.reauthenticate(engine, user, current, now)
    with db.writing(engine) as connection:
        connection.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(password_hash=hash_password(new), must_change_password=False, updated_at=now)
        )
        sessions.end_all(connection, user.id, "password_change", now, keep_token=keep_token)
        audit.record(connection, user.username, "password.change", target=user.id, at=now)
