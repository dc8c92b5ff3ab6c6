"""Changing which model version serves, as an administrator's audited decision.

The registry call runs inside the audit event's transaction: if MLflow refuses, nothing is
recorded; if the database cannot take the event, the write lock is taken first so that this is
known before the registry is touched (only a failed commit after the change could leave it
unrecorded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from clinic import access, audit, db
from clinic.access import Action
from clinic.accounts import User
from clinic.i18n import _


@dataclass(frozen=True)
class Change:
    alias: str
    before: str | None
    after: str | None


def promote(engine: Engine, actor: User, version: str, reason: str, now: datetime) -> Change:
    """Make `version` champion (the app serves it within the refresh window)."""
    from model_store import aliases

    def move() -> tuple[str | None, str | None]:
        moved = aliases.promote(version)
        return moved.previous, moved.current

    return _audited(engine, actor, "model.promote", "champion", reason, now, move)


def rollback(engine: Engine, actor: User, reason: str, now: datetime) -> Change:
    """Make the previous champion champion again."""
    from model_store import aliases

    def move() -> tuple[str | None, str | None]:
        moved = aliases.rollback()
        return moved.previous, moved.current

    return _audited(engine, actor, "model.rollback", "champion", reason, now, move)


def set_challenger(
    engine: Engine, actor: User, version: str | None, reason: str, now: datetime
) -> Change:
    """Shadow-score every prediction with `version` too (None stops it)."""
    from model_store import aliases

    def move() -> tuple[str | None, str | None]:
        return aliases.set_challenger(version), version

    return _audited(engine, actor, "model.challenger", "challenger", reason, now, move)


def _audited(
    engine: Engine,
    actor: User,
    action: str,
    alias: str,
    reason: str,
    now: datetime,
    move: Callable[[], tuple[str | None, str | None]],
) -> Change:
    if not access.may(actor.role, Action.MANAGE_MODELS):
        raise access.AccessDenied(_("Only administrators change which model version serves."))
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError(_("Give a reason: it goes into the audit trail."))
    with db.writing(engine) as connection:
        before, after = move()
        audit.record(
            connection,
            actor.username,
            action,
            target=after,
            details={"alias": alias, "from": before, "to": after, "reason": reason},
            at=now,
        )
    return Change(alias, before, after)
