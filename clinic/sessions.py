"""Server-side sessions: what keeps a user signed in across a page refresh, and can be revoked.

The browser holds a random token in a cookie; the database holds only its SHA-256, the user, and
whether the second factor was passed. Idle and absolute limits end a session; so do logout and
any password, role or second-factor reset.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, update

from clinic import db
from clinic.tables import sessions

TOUCH_EVERY = timedelta(seconds=30)
"""last_seen_at is written at most this often (or a tenth of the idle limit, if shorter), to
keep reruns from being writes."""


@dataclass(frozen=True)
class Limits:
    idle: timedelta = timedelta(minutes=15)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    user_id: int
    mfa_verified: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(engine: Engine, user_id: int, mfa_verified: bool, now: datetime) -> str:
    """A new session; the returned token goes to the browser and nowhere else."""
    with db.writing(engine) as connection:
        return open_in(connection, user_id, mfa_verified, now)


def open_in(connection: Connection, user_id: int, mfa_verified: bool, now: datetime) -> str:
    """`start`, inside the caller's transaction (the one that checked the account may)."""
    token = secrets.token_urlsafe(32)
    connection.execute(
        insert(sessions),
        {
            "token_hash": _hash(token),
            "user_id": user_id,
            "mfa_verified": mfa_verified,
            "created_at": now,
            "last_seen_at": now,
        },
    )
    return token


def mark_verified(connection: Connection, token: str, now: datetime) -> None:
    """Inside the transaction that accepted the second factor; a session ended meanwhile (a
    lockout, a reset) stays ended."""
    connection.execute(
        update(sessions)
        .where(sessions.c.token_hash == _hash(token))
        .where(sessions.c.ended_at.is_(None))
        .values(mfa_verified=True, last_seen_at=now)
    )


def time_left(engine: Engine, token: str, now: datetime, limits: Limits) -> timedelta | None:
    """How long the session has before its idle or absolute limit, without counting this
    question as activity (the page's expiry watch asks it every few seconds); None when it
    has ended or expired already."""
    with engine.connect() as connection:
        row = connection.execute(
            select(sessions.c.created_at, sessions.c.last_seen_at, sessions.c.ended_at).where(
                sessions.c.token_hash == _hash(token)
            )
        ).first()
    if row is None or row.ended_at is not None:
        return None
    left = min(row.last_seen_at + limits.idle, row.created_at + limits.absolute) - now
    return left if left > timedelta(0) else None


def resume(
    engine: Engine, token: str, now: datetime, limits: Limits, touch: bool = True
) -> Session | None:
    """The live session for `token`, or None (unknown, ended, idle too long or too old).
    Counts as activity unless `touch` is False (a run the page asked for by itself)."""
    token_hash = _hash(token)
    with engine.connect() as connection:
        row = connection.execute(
            select(sessions).where(sessions.c.token_hash == token_hash)
        ).first()
    if row is None or row.ended_at is not None:
        return None
    expired = (
        "idle"
        if now - row.last_seen_at > limits.idle
        else "absolute"
        if now - row.created_at > limits.absolute
        else None
    )
    if expired or (touch and now - row.last_seen_at > min(TOUCH_EVERY, limits.idle / 10)):
        with db.writing(engine) as connection:
            values = {"ended_at": now, "end_reason": expired} if expired else {"last_seen_at": now}
            connection.execute(
                update(sessions).where(sessions.c.token_hash == token_hash).values(**values)
            )
    return None if expired else Session(row.user_id, row.mfa_verified)


def end(engine: Engine, token: str, reason: str, now: datetime) -> None:
    with db.writing(engine) as connection:
        connection.execute(
            update(sessions)
            .where(sessions.c.token_hash == _hash(token))
            .where(sessions.c.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason)
        )


def end_all(
    connection: Connection,
    user_id: int,
    reason: str,
    now: datetime,
    keep_token: str | None = None,
    unverified_only: bool = False,
) -> None:
    """End every live session of a user (inside the caller's transaction), except `keep_token`;
    with `unverified_only`, just those still waiting for their second factor."""
    statement = (
        update(sessions).where(sessions.c.user_id == user_id).where(sessions.c.ended_at.is_(None))
    )
    if unverified_only:
        statement = statement.where(sessions.c.mfa_verified.is_(False))
    if keep_token:
        statement = statement.where(sessions.c.token_hash != _hash(keep_token))
    connection.execute(statement.values(ended_at=now, end_reason=reason))
