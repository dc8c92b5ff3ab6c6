"""The audit trail: append-only, chained under a secret key, and anchored outside the database.

Each row's hash is an HMAC-SHA256, under a key kept with the other keys and never in the database,
of its content and the previous row's hash. Someone who can write to the database can still edit,
delete or re-hash rows, but cannot make the result verify: a plain SHA-256 chain could simply be
recomputed after the fact. Deleting the newest rows leaves a shorter chain that is still valid, so
after every commit that added events the newest id and hash are also written, signed, to a file
outside the database (the anchor), which only ever moves forward: a database that ends before the
anchor, or holds another event at the anchor's id, had events removed.

Appends are serialised (SQLite's write lock, PostgreSQL's advisory lock) so the chain never forks.
Details hold record ids and other non-identifying facts only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, text, update

from clinic import db
from clinic.i18n import N_, _
from clinic.tables import audit_events

try:  # one anchor file may be shared by several processes (replicas on one data dir)
    import fcntl
except ImportError:  # pragma: no cover - Windows: the in-process lock is all there is
    fcntl = None  # type: ignore[assignment]

GENESIS = "0" * 64
ANCHOR_FILE = "audit-head.json"
"""The anchor's name in the data dir."""
SYSTEM = "system"
"""The actor of events the application records on its own (the upgrade to the keyed chain)."""
_APPEND_LOCK = 7176
_ANCHOR_MESSAGE = "clinic audit anchor v1"

log = logging.getLogger("clinic.audit")
"""Every new head at INFO (ship it to a SIEM: a second witness, outside this machine); the
upgrade at WARNING; an anchor that stops moving because the database disagrees with it at ERROR."""


MISSING = N_("row {id} is missing")
OUT_OF_CHAIN = N_("does not follow the row before it")
CHANGED = N_("its content was changed after it was written")
RECOMPUTED = N_("the chain was recomputed from this event on by someone without the audit key")
REPLACED = N_(
    "it is not the event the anchor recorded: newer events were deleted and others written "
    "since, or an older copy of the database was restored"
)
DELETED_AT_END = N_(
    "it and every later event up to {last}, which the anchor recorded, were deleted"
)
ANCHOR_MISSING = N_(
    "there is no audit anchor ({path}), so deleted newest events would not show; it is written "
    "at the next recorded event"
)
ANCHOR_INVALID = N_(
    "the audit anchor ({path}) fails its signature check: it was edited, or written under other "
    "keys"
)


@dataclass(frozen=True)
class BrokenLink:
    """The first problem found: a row that does not verify, or (id 0) an unusable anchor."""

    id: int
    """The row concerned; 0 when the problem is the anchor, not a row."""
    reason: str
    """In English, for the command line and logs."""
    why: str = field(default="", compare=False, repr=False)
    """The reason's message id (one of the constants above), for `explained`."""
    params: tuple[tuple[str, Any], ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def of(cls, id: int, why: str, **params: Any) -> BrokenLink:
        return cls(id, why.format(id=id, **params), why, tuple(params.items()))

    def explained(self) -> str:
        """The reason in the reader's language."""
        return _(self.why).format(id=self.id, **dict(self.params)) if self.why else self.reason


class AuditKeyMissing(RuntimeError):
    """An audit event was to be written or checked on an engine no audit key was bound to."""


class AnchorInvalid(Exception):
    """The anchor file is not one this key signed."""


@dataclass(frozen=True)
class Head:
    """The newest event of a chain: its id (ids run 1, 2, 3…, so also the number of events)."""

    id: int
    hash: str


def _canonical(row: Mapping[str, Any]) -> str:
    content = {
        "id": row["id"],
        "at": row["at"].isoformat(timespec="microseconds"),
        "actor": row["actor"],
        "action": row["action"],
        "target": row["target"],
        "details": row["details"],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _unkeyed_digest(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash rows had before the chain was keyed: only the upgrade reads it."""
    return hashlib.sha256(f"{prev_hash}|{_canonical(row)}".encode()).hexdigest()


class _Anchor:
    """The signed head in a file: read (cached by the file's identity), advanced only forward."""

    _locks: dict[Path, threading.Lock] = {}

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key
        self._cached: tuple[tuple[int, int, int], Head] | None = None
        self._lock = self._locks.setdefault(path, threading.Lock())

    def _mac(self, head: Head) -> str:
        message = f"{_ANCHOR_MESSAGE}|{head.id}|{head.hash}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def read(self) -> Head | None:
        """The anchored head, None when there is no file; AnchorInvalid when it is not ours."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._cached and self._cached[0] == identity:
            return self._cached[1]
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            head = Head(int(stored["id"]), str(stored["hash"]))
            valid = hmac.compare_digest(str(stored["mac"]), self._mac(head))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AnchorInvalid(str(self.path)) from exc
        if not valid:
            raise AnchorInvalid(str(self.path))
        self._cached = (identity, head)
        return head

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self._lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if fcntl is None:
                yield
                return
            lock = self.path.with_name(self.path.name + ".lock")
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the flock

    def advance(self, head: Head) -> None:
        """Write `head` unless the file already holds it or a later one (heads of one chain only
        grow; a later one written by another thread or replica already covers this one)."""
        with self._exclusive():
            try:
                current = self.read()
            except AnchorInvalid:
                log.error("audit anchor %s fails its signature check; not replaced", self.path)
                return
            if current is not None and current.id >= head.id:
                return
            if current is None:  # later than the first event: what came before is not anchored
                level = logging.WARNING if head.id > 1 else logging.INFO
                log.log(level, "audit anchor %s started at event %d", self.path, head.id)
            mac = self._mac(head)
            body = json.dumps({"id": head.id, "hash": head.hash, "mac": mac}, indent=1)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())  # never a half-written anchor after a power cut
            os.replace(temporary, self.path)
        log.info("audit head id=%d hash=%s mac=%s", head.id, head.hash, mac)


@dataclass
class _Binding:
    """What an engine's audit events are sealed with: the chain key and this data dir's anchor."""

    key: bytes
    anchor: _Anchor
    diverged: bool = False
    """The database was found not to extend the anchor (logged once; the anchor stays put)."""

    def digest(self, prev_hash: str, row: Mapping[str, Any]) -> str:
        message = f"{prev_hash}|{_canonical(row)}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def extends_anchor(self, connection: Connection, last: Head | None) -> bool:
        """Whether the database's chain (newest event `last`) still holds the anchored head.

        When it does not (newest events deleted, rewritten, or an older backup restored), the
        anchor must not move on: the next events would otherwise paper over the gap."""
        try:
            seen = self.anchor.read()
        except AnchorInvalid:
            return self._diverged("the audit anchor %s fails its signature check", self.anchor.path)
        if seen is None:
            return True
        if last is None or last.id < seen.id:
            return self._diverged(
                "the audit trail ends before event %d, which the anchor recorded", seen.id
            )
        stored = last.hash
        if last.id > seen.id:
            stored = connection.execute(
                select(audit_events.c.hash).where(audit_events.c.id == seen.id)
            ).scalar()
        if stored != seen.hash:
            return self._diverged("audit event %d is not the one the anchor recorded", seen.id)
        self.diverged = False
        return True

    def _diverged(self, message: str, *args: Any) -> bool:
        if not self.diverged:
            log.error(
                message + "; the anchor stays as it is: run `python -m clinic audit verify`", *args
            )
        self.diverged = True
        return False


_bindings: weakref.WeakKeyDictionary[Engine, _Binding] = weakref.WeakKeyDictionary()


@dataclass
class _Pending:
    """This transaction's newest event, anchored once the transaction commits."""

    transaction: weakref.ref[object]
    """Weak, so that neither this nor the after-commit callback keeps the connection alive."""
    extends: bool
    head: Head | None = None

    def committed(self, binding: _Binding) -> None:
        if not (self.extends and self.head):
            return
        try:
            binding.anchor.advance(self.head)
        except OSError as exc:  # the events are stored; only the anchor lags (a lower bound)
            log.error("audit anchor %s not written: %s", binding.anchor.path, exc)


_pending: weakref.WeakKeyDictionary[Connection, _Pending] = weakref.WeakKeyDictionary()


def bind(engine: Engine, key: bytes, anchor_path: Path) -> None:
    """Seal this engine's audit events with `key` and anchor them in `anchor_path`.

    Called when the vault opens (clinic.keys), after the keys were checked against the database;
    it also upgrades a trail written before the chain was keyed (see `_upgrade`)."""
    binding = _Binding(key, _Anchor(anchor_path, key))
    _bindings[engine] = binding
    _upgrade(engine, binding)


def _bound(engine: Engine) -> _Binding:
    binding = _bindings.get(engine)
    if binding is None:
        raise AuditKeyMissing(
            "No audit key is bound to this database engine: open it with clinic.runtime.start "
            "(or clinic.keys.open_vault), which binds the key, before recording or checking "
            "events."
        )
    return binding


def _last(connection: Connection) -> Head | None:
    row = connection.execute(
        select(audit_events.c.id, audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1)
    ).first()
    return Head(row.id, row.hash) if row else None


def _lock_appends(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})


def record(
    connection: Connection,
    actor: str,
    action: str,
    target: str | int | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Append one event inside the caller's transaction (so it commits or rolls back with it).

    The connection's engine must have an audit key bound (AuditKeyMissing otherwise: an unkeyed
    row would break the chain for good). In a `db.writing` transaction the anchor follows once
    it commits; elsewhere it lags, which is safe (it is a lower bound)."""
    binding = _bound(connection.engine)
    _lock_appends(connection)
    last = _last(connection)
    transaction = connection.get_transaction()
    pending = _pending.get(connection)
    if pending is None or pending.transaction() is not transaction:
        extends = binding.extends_anchor(connection, last)
        pending = _Pending(weakref.ref(transaction), extends)
        _pending[connection] = pending
        db.after_commit(connection, lambda: pending.committed(binding))
    row = {
        "id": (last.id + 1) if last else 1,
        "at": _utc(at or datetime.now(UTC)),
        "actor": actor,
        "action": action,
        "target": None if target is None else str(target),
        "details": dict(details or {}),
    }
    prev_hash = last.hash if last else GENESIS
    digest = binding.digest(prev_hash, row)
    connection.execute(insert(audit_events), {**row, "prev_hash": prev_hash, "hash": digest})
    pending.head = Head(row["id"], digest)
    return row["id"]


def _utc(at: datetime) -> datetime:
    """The instant as it reads back (UTC): a +05:00 time would otherwise hash differently."""
    return at.astimezone(UTC) if at.tzinfo else at  # a naive one is refused when stored


def _rows(
    engine: Engine | Connection, after: int = 0, batch: int = 5000
) -> Iterator[Mapping[str, Any]]:
    """Every event in id order, read in batches (through one connection when given one)."""
    while True:
        query = (
            select(audit_events).where(audit_events.c.id > after).order_by(audit_events.c.id)
        ).limit(batch)
        if isinstance(engine, Connection):
            chunk = engine.execute(query).mappings().all()
        else:
            with engine.connect() as connection:
                chunk = connection.execute(query).mappings().all()
        if not chunk:
            return
        yield from chunk
        after = chunk[-1]["id"]


def verify(engine: Engine) -> tuple[int, BrokenLink | None]:
    """(events that verify, the first problem or None): walks the whole chain in id order, then
    holds its end against the anchor.

    A row whose HMAC fails is told apart by the row after it: if that one still follows it and
    verifies, only this row's content was changed; if not, the chain was recomputed from here on
    (without the key, which cannot make it verify)."""
    binding = _bound(engine)
    anchor_problem = None
    try:
        anchor = binding.anchor.read()  # before the walk: events added meanwhile are walked too
    except AnchorInvalid:
        anchor, anchor_problem = None, ANCHOR_INVALID
    prev_hash, checked = GENESIS, 0
    suspect: Mapping[str, Any] | None = None
    for row in _rows(engine):
        if suspect is not None:
            follows = row["prev_hash"] == suspect["hash"]
            intact = follows and binding.digest(row["prev_hash"], row) == row["hash"]
            return checked, BrokenLink.of(suspect["id"], CHANGED if intact else RECOMPUTED)
        if row["id"] != checked + 1:
            return checked, BrokenLink.of(checked + 1, MISSING)
        if row["prev_hash"] != prev_hash:
            return checked, BrokenLink.of(row["id"], OUT_OF_CHAIN)
        if binding.digest(prev_hash, row) != row["hash"]:
            suspect = row
            continue
        if anchor is not None and row["id"] == anchor.id and row["hash"] != anchor.hash:
            return checked, BrokenLink.of(row["id"], REPLACED)
        prev_hash, checked = row["hash"], checked + 1
    if suspect is not None:  # the newest row: only the anchor can tell a re-hash from an edit
        anchored = anchor is not None and anchor.id == suspect["id"]
        rehashed = anchored and anchor.hash != suspect["hash"]
        return checked, BrokenLink.of(suspect["id"], RECOMPUTED if rehashed else CHANGED)
    path = str(binding.anchor.path)
    if anchor_problem:
        return checked, BrokenLink.of(0, anchor_problem, path=path)
    if anchor is None:
        return checked, BrokenLink.of(0, ANCHOR_MISSING, path=path) if checked else None
    if anchor.id > checked:
        return checked, BrokenLink.of(checked + 1, DELETED_AT_END, last=anchor.id)
    return checked, None


class _LegacyBroken(Exception):
    """The unkeyed chain does not verify: it is left as it is, for `verify` to report."""


def _upgrade(engine: Engine, binding: _Binding) -> None:
    """Re-seal a trail written before the chain was keyed, once, in one transaction.

    Only when the newest event carries an intact unkeyed hash, no anchor exists here yet (the
    first keyed event writes one, so an unkeyed chain beside an anchor was recomputed by someone
    without the key), no `audit.keyed` event is in the trail, and the whole unkeyed chain
    verifies. It is audited as `audit.keyed`; refused upgrades are logged and left to `verify`."""
    with engine.connect() as connection:
        if not _unkeyed(binding, _newest(connection)):
            return  # empty or keyed (one query, every start); or broken: `verify` says where
    if binding.anchor.path.exists():
        log.error(
            "the audit trail carries unkeyed hashes although anchor %s exists: it was recomputed "
            "without the key; not upgrading it",
            binding.anchor.path,
        )
        return
    try:
        with db.writing(engine) as connection:
            _lock_appends(connection)
            if not _unkeyed(binding, _newest(connection)):
                return  # another process upgraded it meanwhile
            if connection.execute(
                select(audit_events.c.id).where(audit_events.c.action == "audit.keyed").limit(1)
            ).first():
                log.error(
                    "the audit trail was keyed before and carries unkeyed hashes now: it was "
                    "recomputed without the key; not upgrading it"
                )
                return
            resealed = _reseal(connection, binding)
            record(connection, SYSTEM, "audit.keyed", details={"events": resealed})
    except _LegacyBroken as exc:
        log.error("the unkeyed audit chain is broken (%s): not upgrading it", exc)
        return
    log.warning("audit trail upgraded: %d events re-sealed under the audit key", resealed)


def _newest(connection: Connection) -> Mapping[str, Any] | None:
    query = select(audit_events).order_by(audit_events.c.id.desc()).limit(1)
    return connection.execute(query).mappings().first()


def _unkeyed(binding: _Binding, row: Mapping[str, Any] | None) -> bool:
    """Whether `row` carries an intact hash of the old, unkeyed kind (and not a keyed one)."""
    if row is None or binding.digest(row["prev_hash"], row) == row["hash"]:
        return False
    return _unkeyed_digest(row["prev_hash"], row) == row["hash"]


def _reseal(connection: Connection, binding: _Binding) -> int:
    """Verify the unkeyed chain and re-hash every row under the key, in the caller's transaction."""
    old_prev, new_prev, count, batch = GENESIS, GENESIS, 0, []
    statement = (
        update(audit_events)
        .where(audit_events.c.id == bindparam("b_id"))
        .values(prev_hash=bindparam("b_prev"), hash=bindparam("b_hash"))
    )
    for row in _rows(connection):
        if row["id"] != count + 1:
            raise _LegacyBroken(MISSING.format(id=count + 1))
        if row["prev_hash"] != old_prev or _unkeyed_digest(old_prev, row) != row["hash"]:
            raise _LegacyBroken(f"row {row['id']}: {CHANGED}")
        old_prev, count = row["hash"], count + 1
        new_hash = binding.digest(new_prev, row)
        batch.append({"b_id": row["id"], "b_prev": new_prev, "b_hash": new_hash})
        new_prev = new_hash
        if len(batch) >= 5000:
            connection.execute(statement, batch)
            batch = []
    if batch:
        connection.execute(statement, batch)
    return count


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
