"""The lockout rule: `LOCK_AFTER_FAILURES` failures in a row (password, code, enrolment or the
password asked again) lock an account for `LOCK_DURATION`. Counted in the database under the
account's row lock, so attempts from many browsers and replicas share the same count."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, Row, select, update

from clinic import audit, db, sessions
from clinic.accounts import AccountError, User, locked
from clinic.i18n import N_, _
from clinic.passwords import check_password
from clinic.tables import users

LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)


def barred(locked_until: datetime | None, disabled_at: datetime | None, now: datetime) -> bool:
    """The one lockout rule, read from the database at every factor: locked or disabled
    accounts get no password, enrolment or code check, whichever session asks."""
    return disabled_at is not None or locked(locked_until, now)


def record_failure(engine: Engine, user: User, stage: str, now: datetime) -> bool:
    """Count a failed password or code; the fifth in a row locks the account. True if locked."""
    with db.writing(engine) as connection:
        return count_failure(connection, user, stage, now)


def count_failure(connection: Connection, user: User, stage: str, now: datetime) -> bool:
    """Inside the caller's transaction, with the account's row locked: audit the failure and,
    unless already locked, count it; the fifth locks and ends the account's half-signed-in
    sessions, so a code step opened in another browser beforehand cannot go on guessing."""
    row = connection.execute(
        select(users.c.locked_until).where(users.c.id == user.id).with_for_update()
    ).one()
    audit.record(
        connection,
        user.username,
        "signin.failure",
        target=user.id,
        details={"stage": stage},
        at=now,
    )
    if locked(row.locked_until, now):
        return True
    failures = connection.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(failed_attempts=users.c.failed_attempts + 1)
        .returning(users.c.failed_attempts)
    ).scalar_one()
    if failures < LOCK_AFTER_FAILURES:
        return False
    connection.execute(
        update(users)
        .where(users.c.id == user.id)
        .values(failed_attempts=0, locked_until=now + LOCK_DURATION)
    )
    sessions.end_all(connection, user.id, "lockout", now, unverified_only=True)
    audit.record(
        connection,
        user.username,
        "lockout",
        target=user.id,
        details={"minutes": LOCK_DURATION.total_seconds() // 60},
        at=now,
    )
    return True


def _may_try(connection: Connection, user: User, now: datetime) -> Row:
    """The account's second-factor columns, its row locked for this transaction; raises
    `_Barred` when the lockout rule says no."""
    row = connection.execute(
        select(users.c.totp_secret_enc, users.c.locked_until, users.c.disabled_at)
        .where(users.c.id == user.id)
        .with_for_update()
    ).one()
    if barred(row.locked_until, row.disabled_at, now):
        raise _Barred
    return row


def admitted(connection: Connection, user: User, stage: str, now: datetime) -> Row | None:
    """The account's second-factor columns, its row locked for this transaction, if the rule
    lets it try; None for a barred account, whose attempt then counts as a failure."""
    try:
        return _may_try(connection, user, now)
    except _Barred:
        count_failure(connection, user, stage, now)
        return None


class _Barred(Exception):
    """The account is locked or disabled: no factor is checked."""


WRONG_PASSWORD = N_("The current password is not correct.")


def reauthenticate(engine: Engine, user: User, password: str, now: datetime) -> None:
    """Ask a signed-in user for their password again before a change that would let a stolen
    session keep the account. Settled like a sign-in (`signin.password_accepted`): under the
    row lock, refused while locked, each wrong answer counted; the lock then ends every session
    of the account, this one included."""
    with engine.connect() as connection:
        hashed = connection.execute(
            select(users.c.password_hash).where(users.c.id == user.id)
        ).scalar_one()
    right = check_password(password, hashed)
    with db.writing(engine) as connection:
        try:
            _may_try(connection, user, now)
        except _Barred:
            right = False
        if right:
            return
        if count_failure(connection, user, "reauthentication", now):
            sessions.end_all(connection, user.id, "lockout", now)
    raise AccountError(_(WRONG_PASSWORD))
