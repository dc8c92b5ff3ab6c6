"""The audit trail: append-only, chained under a secret key, and anchored outside the database.

Each row's hash is an HMAC-SHA256, under a key kept with the other keys and never in the database,
of its content and the previous row's hash. Someone who can write to the database can still edit,
delete or re-hash rows, but cannot make the result verify: a plain SHA-256 chain could simply be
recomputed after the fact. Deleting the newest rows leaves a shorter chain that is still valid, so
after every commit that added events the newest id and hash are also written, signed, to a file
outside the database (the anchor), which only ever moves forward: a database that ends before the
anchor, or holds another event at the anchor's id, had events removed.

The anchor is created by itself only at a trail's first event (a fresh install). A trail that
already has events and no anchor (the file removed, a restore, a data dir that was not kept) keeps
recording, unanchored, until an operator has checked it and runs `python -m clinic audit anchor`:
an anchor written by itself at that point would vouch for whatever the database holds, newest
events deleted included. Likewise a trail written before the chain was keyed (plain SHA-256,
which anyone can recompute) is re-sealed under the key only by `python -m clinic audit upgrade`,
never at start.

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
_APPEND_LOCK = 7176
_ANCHOR_MESSAGE = "clinic audit anchor v1"

log = logging.getLogger("clinic.audit")
"""Every new head at INFO (ship it to a SIEM: a second witness, outside this machine); events
recorded without an anchor and an unkeyed trail at WARNING; an anchor that stops moving because
the database disagrees with it, and a chain recomputed without the key, at ERROR."""


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
    "there is no audit anchor ({path}), so deleted newest events would not show; once you have "
    "checked the trail, create one with `python -m clinic audit anchor`"
)
UNKEYED = N_(
    "events 1 to {last} were written before the chain was keyed (plain SHA-256, which anyone "
    "can recompute); once you have checked them, re-seal the trail with `python -m clinic audit "
    "upgrade`"
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


class Refused(Exception):
    """`anchor` or `upgrade` would vouch for a trail it cannot vouch for; nothing was changed.
    The message (English) says why, for the command line."""


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
    """The hash rows had before the chain was keyed (plain SHA-256, no key)."""
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

    def advance(self, head: Head, create: bool = False) -> bool:
        """Write `head` unless the file already holds it or a later one (heads of one chain only
        grow; a later one written by another thread or replica already covers this one).

        A missing file is created only when `create` says so (a trail's first event, or the
        operator's `audit anchor` / `audit upgrade`); whether the file now covers `head`."""
        with self._exclusive():
            try:
                current = self.read()
            except AnchorInvalid:
                log.error("audit anchor %s fails its signature check; not replaced", self.path)
                return False
            if current is not None and current.id >= head.id:
                return True
            if current is None:
                if not create:  # removed while this transaction ran: never recreated silently
                    return False
                log.info("audit anchor %s created at event %d", self.path, head.id)
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
        return True


@dataclass
class _Binding:
    """What an engine's audit events are sealed with: the chain key and this data dir's anchor."""

    key: bytes
    anchor: _Anchor
    diverged: bool = False
    """The database was found not to extend the anchor (logged once; the anchor stays put)."""
    unanchored: bool = False
    """Events were recorded while there was no anchor (logged once per process)."""

    def digest(self, prev_hash: str, row: Mapping[str, Any]) -> str:
        message = f"{prev_hash}|{_canonical(row)}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def extends_anchor(self, connection: Connection, last: Head | None) -> bool:
        """Whether the database's chain (newest event `last`) still holds the anchored head.

        When it does not (newest events deleted, rewritten, or an older backup restored), the
        anchor must not move on: the next events would otherwise paper over the gap. Without an
        anchor, only an empty trail may start one: its first event is the install's first."""
        try:
            seen = self.anchor.read()
        except AnchorInvalid:
            return self._diverged("the audit anchor %s fails its signature check", self.anchor.path)
        if seen is None:
            if last is None:
                return True
            if not self.unanchored:
                log.warning(
                    "audit event recorded without an anchor: %s is missing and the trail already "
                    "had %d events, so deleted newest events would not show; check the trail, "
                    "then run `python -m clinic audit anchor`",
                    self.anchor.path,
                    last.id,
                )
            self.unanchored = True
            return False
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
    starts: bool = False
    """The trail was empty before this transaction (a fresh install): it may create the anchor."""
    head: Head | None = None

    def committed(self, binding: _Binding) -> None:
        if not self.head:
            return
        if not self.extends:  # still a witness when shipped off the machine
            log.info("audit head id=%d hash=%s (not anchored)", self.head.id, self.head.hash)
            return
        try:
            binding.anchor.advance(self.head, create=self.starts)
        except OSError as exc:  # the events are stored; only the anchor lags (a lower bound)
            log.error("audit anchor %s not written: %s", binding.anchor.path, exc)


_pending: weakref.WeakKeyDictionary[Connection, _Pending] = weakref.WeakKeyDictionary()


def bind(engine: Engine, key: bytes, anchor_path: Path) -> None:
    """Seal this engine's audit events with `key` and anchor them in `anchor_path`.

    Called when the vault opens (clinic.keys), after the keys were checked against the database;
    it warns about a trail written before the chain was keyed (see `_warn_if_unkeyed`), and never
    changes it: `upgrade` is the operator's step."""
    binding = _Binding(key, _Anchor(anchor_path, key))
    _bindings[engine] = binding
    _warn_if_unkeyed(engine, binding)


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
    it commits; elsewhere it lags, which is safe (it is a lower bound). Without an anchor the
    event is still recorded (clinical work never waits on the audit file), and the anchor is
    created only when the trail was empty before: otherwise it waits for `anchor`."""
    binding = _bound(connection.engine)
    _lock_appends(connection)
    last = _last(connection)
    transaction = connection.get_transaction()
    pending = _pending.get(connection)
    if pending is None or pending.transaction() is not transaction:
        extends = binding.extends_anchor(connection, last)
        pending = _Pending(weakref.ref(transaction), extends, starts=last is None)
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


@dataclass
class _Walk:
    """What walking the chain in id order found."""

    checked: int = 0
    """Events whose link holds (each follows the one before, its hash right)."""
    head: Head | None = None
    """The last of them."""
    unkeyed: int = 0
    """The last event of a prefix hashed the old way (plain SHA-256), when one was allowed."""
    keyed_event: int = 0
    """The first `audit.keyed` event: the trail was re-sealed under the key once already."""
    broken: BrokenLink | None = None


def _walk(
    binding: _Binding,
    rows: Iterator[Mapping[str, Any]],
    anchor: Head | None = None,
    unkeyed_prefix: bool = False,
    start: Head | None = None,
) -> _Walk:
    """Walk `rows` (in id order, from `start`'s successor or the first) until the first problem.

    With `unkeyed_prefix`, rows may carry the old unkeyed hashes up to the first keyed one (a
    trail written before the chain was keyed, and what the app appended since, chained to it);
    after a keyed row an unkeyed one is a recomputation. A row whose hash fails is told apart by
    the row after it: if that one still follows it and verifies, only this row's content was
    changed; if not, the chain was recomputed from here on (without the key, which cannot make it
    verify)."""
    walk = _Walk(checked=start.id if start else 0, head=start)
    prev_hash = start.hash if start else GENESIS
    in_prefix = unkeyed_prefix and start is None

    def kind(row: Mapping[str, Any], prev: str) -> str | None:
        if binding.digest(prev, row) == row["hash"]:
            return "keyed"
        if in_prefix and _unkeyed_digest(prev, row) == row["hash"]:
            return "unkeyed"
        return None

    suspect: Mapping[str, Any] | None = None
    for row in rows:
        if suspect is not None:
            intact = row["prev_hash"] == suspect["hash"] and kind(row, row["prev_hash"])
            walk.broken = BrokenLink.of(suspect["id"], CHANGED if intact else RECOMPUTED)
            return walk
        if row["id"] != walk.checked + 1:
            walk.broken = BrokenLink.of(walk.checked + 1, MISSING)
            return walk
        if row["prev_hash"] != prev_hash:
            walk.broken = BrokenLink.of(row["id"], OUT_OF_CHAIN)
            return walk
        found = kind(row, prev_hash)
        if found is None:
            suspect = row
            continue
        if found == "keyed":
            in_prefix = False
        else:
            walk.unkeyed = row["id"]
        if row["action"] == "audit.keyed" and not walk.keyed_event:
            walk.keyed_event = row["id"]
        if anchor is not None and row["id"] == anchor.id and row["hash"] != anchor.hash:
            walk.broken = BrokenLink.of(row["id"], REPLACED)
            return walk
        prev_hash, walk.checked, walk.head = (
            row["hash"],
            walk.checked + 1,
            Head(row["id"], row["hash"]),
        )
    if suspect is not None:  # the newest row: only the anchor can tell a re-hash from an edit
        anchored = anchor is not None and anchor.id == suspect["id"]
        rehashed = anchored and anchor.hash != suspect["hash"]
        walk.broken = BrokenLink.of(suspect["id"], RECOMPUTED if rehashed else CHANGED)
    return walk


def verify(engine: Engine) -> tuple[int, BrokenLink | None]:
    """(events that verify, the first problem or None): walks the whole chain in id order, then
    holds its end against the anchor.

    A trail that begins with unkeyed hashes is reported as written before the chain was keyed
    (for `upgrade`) only while nothing says it was keyed already: beside an anchor, or holding an
    `audit.keyed` event, such hashes were recomputed by someone without the key."""
    binding = _bound(engine)
    anchor_problem = None
    try:
        anchor = binding.anchor.read()  # before the walk: events added meanwhile are walked too
    except AnchorInvalid:
        anchor, anchor_problem = None, ANCHOR_INVALID
    no_anchor = anchor is None and anchor_problem is None
    walk = _walk(binding, _rows(engine), anchor, unkeyed_prefix=no_anchor)
    if walk.broken:
        return walk.checked, walk.broken
    if walk.unkeyed:
        if walk.keyed_event:
            return 0, BrokenLink.of(1, RECOMPUTED)
        return walk.checked, BrokenLink.of(0, UNKEYED, last=walk.unkeyed)
    checked = walk.checked
    path = str(binding.anchor.path)
    if anchor_problem:
        return checked, BrokenLink.of(0, anchor_problem, path=path)
    if anchor is None:
        return checked, BrokenLink.of(0, ANCHOR_MISSING, path=path) if checked else None
    if anchor.id > checked:
        return checked, BrokenLink.of(checked + 1, DELETED_AT_END, last=anchor.id)
    return checked, None


def _warn_if_unkeyed(engine: Engine, binding: _Binding) -> None:
    """At start (one query): a trail whose first event carries an unkeyed hash is logged, and left
    as it is. Beside an anchor it was recomputed without the key (ERROR); otherwise it is a trail
    from before the chain was keyed, waiting for the operator's `audit upgrade` (WARNING)."""
    with engine.connect() as connection:
        first = (
            connection.execute(select(audit_events).where(audit_events.c.id == 1))
            .mappings()
            .first()
        )
    if first is None or first["prev_hash"] != GENESIS:
        return
    if binding.digest(GENESIS, first) == first["hash"]:
        return
    if _unkeyed_digest(GENESIS, first) != first["hash"]:
        return  # broken: `verify` says where
    if binding.anchor.path.exists():
        log.error(
            "the audit trail carries unkeyed hashes although anchor %s exists: it was recomputed "
            "without the key; run `python -m clinic audit verify`",
            binding.anchor.path,
        )
        return
    log.warning(
        "the audit trail begins with events hashed before the chain was keyed (plain SHA-256, "
        "which anyone can recompute); they are not re-sealed automatically: check them, then run "
        "`python -m clinic audit upgrade`"
    )


def _explicit(connection: Connection, extends: bool) -> _Pending:
    """This transaction's events are anchored by the command itself, not by `record`'s rules."""
    pending = _Pending(weakref.ref(connection.get_transaction()), extends)
    _pending[connection] = pending
    if extends:
        binding = _bound(connection.engine)
        db.after_commit(connection, lambda: pending.committed(binding))
    return pending


def _refuse_problem(walk: _Walk, what: str) -> None:
    if walk.broken:
        where = f"row {walk.broken.id}: " if walk.broken.id else ""
        raise Refused(f"the audit chain does not verify ({where}{walk.broken.reason}); {what}")


def anchor(engine: Engine, actor: str) -> Head | None:
    """Anchor a trail that has events but no anchor, at its current head, once the whole chain
    verifies under the key; audited as `audit.anchored` (the id anchored). Returns the head that
    was checked and anchored (None for an empty trail: its first event creates the anchor).

    The operator's step after checking: the anchor is never re-created by itself for a trail
    that already has events. Refused (Refused) when an anchor exists, the chain does not verify
    or it still has to be upgraded."""
    binding = _bound(engine)
    path = binding.anchor.path
    if path.exists():
        raise Refused(
            f"the audit anchor {path} exists: `python -m clinic audit verify` checks the trail "
            "against it. To start a new one (after restoring a backup, once checked), move it "
            "aside first"
        )
    walk = _walk(binding, _rows(engine), unkeyed_prefix=True)  # unlocked: the trail may be long
    _refuse_problem(walk, "nothing was anchored")
    if walk.unkeyed:
        raise Refused(
            f"events 1 to {walk.unkeyed} were written before the chain was keyed: re-seal the "
            "trail with `python -m clinic audit upgrade`, which also anchors it"
        )
    if walk.head is None:
        return None
    with db.writing(engine) as connection:
        _lock_appends(connection)  # what was appended meanwhile, then nothing until the commit
        still = connection.execute(
            select(audit_events.c.hash).where(audit_events.c.id == walk.head.id)
        ).scalar()
        if still != walk.head.hash:
            raise Refused(
                f"event {walk.head.id} changed while it was checked; nothing was anchored"
            )
        more = _walk(binding, _rows(connection, after=walk.head.id), start=walk.head)
        _refuse_problem(more, "nothing was anchored")
        head = more.head
        assert head is not None
        if not binding.anchor.advance(head, create=True):
            raise Refused(f"the audit anchor {path} appeared meanwhile; nothing was anchored")
        _explicit(connection, extends=True)  # the event below moves it on after the commit
        record(connection, actor, "audit.anchored", details={"id": head.id})
    log.warning("audit anchor %s created by the operator at event %d", path, head.id)
    return head


def upgrade(engine: Engine, actor: str) -> tuple[int, Head]:
    """Re-seal a trail written before the chain was keyed under the key, in one transaction,
    anchor it and record `audit.keyed`: (events re-sealed, the unkeyed trail's head before).

    The operator's once-only step: every row must verify, the unkeyed prefix with plain SHA-256
    and the keyed rows the app appended after it chained to it. Refused when the trail is
    already keyed, does not verify, already holds an `audit.keyed` event, or an anchor exists
    (an anchor is only ever written for a keyed trail: unkeyed hashes beside it were recomputed
    without the key)."""
    binding = _bound(engine)
    path = binding.anchor.path
    with db.writing(engine) as connection:
        _lock_appends(connection)
        walk = _walk(binding, _rows(connection), unkeyed_prefix=True)
        _refuse_problem(walk, "nothing was re-sealed")
        if not walk.unkeyed:
            raise Refused("the audit trail is already keyed (or empty): nothing to upgrade")
        if path.exists():
            raise Refused(
                f"the audit anchor {path} exists, which only a keyed trail has: its unkeyed "
                "hashes were recomputed by someone without the key; nothing was re-sealed"
            )
        if walk.keyed_event:
            raise Refused(
                f"event {walk.keyed_event} (audit.keyed) says this trail was re-sealed under the "
                "key before: its unkeyed hashes were recomputed since by someone without the key; "
                "nothing was re-sealed"
            )
        old = walk.head
        assert old is not None
        resealed = _reseal(connection, binding)
        pending = _explicit(connection, extends=False)  # anchored below, once committed
        record(
            connection, actor, "audit.keyed", details={"events": resealed, "unkeyed": walk.unkeyed}
        )
        head = pending.head
    assert head is not None
    binding.anchor.advance(head, create=True)
    log.warning(
        "audit trail upgraded: %d events re-sealed under the audit key (unkeyed head was event "
        "%d, hash %s); anchored at event %d",
        resealed,
        old.id,
        old.hash,
        head.id,
    )
    return resealed, old


def _reseal(connection: Connection, binding: _Binding) -> int:
    """Re-hash every row under the key, from the first, in the caller's transaction (the caller
    verified the chain in the same transaction)."""
    prev, count, batch = GENESIS, 0, []
    statement = (
        update(audit_events)
        .where(audit_events.c.id == bindparam("b_id"))
        .values(prev_hash=bindparam("b_prev"), hash=bindparam("b_hash"))
    )
    for row in _rows(connection):
        new_hash = binding.digest(prev, row)
        batch.append({"b_id": row["id"], "b_prev": prev, "b_hash": new_hash})
        prev, count = new_hash, count + 1
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
