"""The audit trail: append-only and hash-chained, so an edited or deleted row is detectable.

Each row's hash covers its own content and the previous row's hash. Appends are serialised
(SQLite's write lock, PostgreSQL's advisory lock) so the chain never forks. Details hold record
ids and other non-identifying facts only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from clinic.i18n import N_, _
from clinic.tables import audit_events

GENESIS = "0" * 64
_APPEND_LOCK = 7176


MISSING = N_("row {id} is missing")
OUT_OF_CHAIN = N_("does not follow the row before it")
CHANGED = N_("its content was changed after it was written")


@dataclass(frozen=True)
class BrokenLink:
    """The first row whose stored hash does not match its content or its predecessor."""

    id: int
    reason: str
    """In English, for the command line and logs."""
    why: str = field(default="", compare=False, repr=False)
    """The reason's message id (one of the constants above), for `explained`."""

    @classmethod
    def of(cls, id: int, why: str) -> BrokenLink:
        return cls(id, why.format(id=id), why)

    def explained(self) -> str:
        """The reason in the reader's language."""
        return _(self.why).format(id=self.id) if self.why else self.reason


def _digest(prev_hash: str, row: Mapping[str, Any]) -> str:
    content = {
        "id": row["id"],
        "at": row["at"].isoformat(timespec="microseconds"),
        "actor": row["actor"],
        "action": row["action"],
        "target": row["target"],
        "details": row["details"],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def record(
    connection: Connection,
    actor: str,
    action: str,
    target: str | int | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Append one event inside the caller's transaction (so it commits or rolls back with it)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    last = connection.execute(
        select(audit_events.c.id, audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)
    ).first()
    row = {
        "id": (last.id + 1) if last else 1,
        "at": at or datetime.now(UTC),
        "actor": actor,
        "action": action,
        "target": None if target is None else str(target),
        "details": dict(details or {}),
    }
    prev_hash = last.hash if last else GENESIS
    connection.execute(
        insert(audit_events), {**row, "prev_hash": prev_hash, "hash": _digest(prev_hash, row)}
    )
    return row["id"]


def _rows(engine: Engine, batch: int = 5000) -> Iterator[Mapping[str, Any]]:
    after = 0
    while True:
        with engine.connect() as connection:
            chunk = (
                connection.execute(
                    select(audit_events)
                    .where(audit_events.c.id > after)
                    .order_by(audit_events.c.id)
                    .limit(batch)
                )
                .mappings()
                .all()
            )
        if not chunk:
            return
        yield from chunk
        after = chunk[-1]["id"]


def verify(engine: Engine) -> tuple[int, BrokenLink | None]:
    """(rows checked, the first broken link or None): walks the whole chain in id order."""
    prev_hash, expected_id, checked = GENESIS, 1, 0
    for row in _rows(engine):
        if row["id"] != expected_id:
            return checked, BrokenLink.of(expected_id, MISSING)
        if row["prev_hash"] != prev_hash:
            return checked, BrokenLink.of(row["id"], OUT_OF_CHAIN)
        if _digest(prev_hash, row) != row["hash"]:
            return checked, BrokenLink.of(row["id"], CHANGED)
        prev_hash, expected_id, checked = row["hash"], expected_id + 1, checked + 1
    return checked, None


def search(
    engine: Engine,
    actor: str | None = None,
    actions: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 500,
) -> list[Mapping[str, Any]]:
    """The newest events matching the filters (all optional), newest first."""
    query = (
        select(
            audit_events.c.id,
            audit_events.c.at,
            audit_events.c.actor,
            audit_events.c.action,
            audit_events.c.target,
            audit_events.c.details,
        )
        .order_by(audit_events.c.id.desc())
        .limit(limit)
    )
    if actor:
        query = query.where(audit_events.c.actor == actor)
    if actions:
        query = query.where(audit_events.c.action.in_(actions))
    if since:
        query = query.where(audit_events.c.at >= since)
    if until:
        query = query.where(audit_events.c.at < until)
    with engine.connect() as connection:
        return connection.execute(query).mappings().all()


def known_actions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(audit_events.c.action).distinct().order_by(audit_events.c.action)
            ).scalars()
        )
