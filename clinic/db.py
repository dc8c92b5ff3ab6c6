"""Database engines and schema migrations: SQLite on a laptop, PostgreSQL by URL, same code."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Table, create_engine, event, inspect
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from clinic.i18n import _
from model_store import settings

MIGRATIONS = Path(__file__).with_name("migrations")


class StorageUnavailable(Exception):
    """The database could not be reached or refused the write; nothing was stored."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or _(
                "The database is unavailable, so nothing was stored. "
                "Your entries are kept: try again in a moment."
            )
        )


OUTAGES = (OperationalError, InterfaceError, PoolTimeout)
"""Driver failures that mean "the database is not there now", as opposed to a bug in our SQL."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" listener below says BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a shown prediction survives a power cut
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A write transaction takes the write lock up front: a deferred one that read first could
    # fail with "database is locked" when another writer committed in between.
    writing = connection.get_execution_options().get("writing", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine with the per-backend settings this app relies on."""
    if url.startswith("sqlite"):
        settings.private_sqlite(url)  # 0600 before SQLite creates it (0644 by the umask)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
    )


_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


def _script_heads() -> frozenset[str]:
    """The newest revision(s) of migrations/versions, read from each script's `revision` and
    `down_revision` lines without importing Alembic (a test checks the two agree)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).update(_QUOTED.findall(value))
    return frozenset(revisions - parents)


def _at_head(connection: Connection) -> bool:
    """True when the database already records exactly the scripts' newest revision(s)."""
    if not inspect(connection).has_table("alembic_version"):
        return False
    current = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars()
    return frozenset(current) == _script_heads()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`, the newest by default (a no-op when already there).

    Alembic is imported only when there is something to upgrade: at head, as on every start
    but the first, this is one query, and the sign-in page does not wait ~0.15 s for Alembic.
    """
    with engine.begin() as connection:
        if revision == "head" and _at_head(connection):
            return
        from alembic import command
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def connect(url: str) -> Engine:
    """An engine whose schema is up to date: what the app and the CLI start with."""
    engine = make_engine(url)
    try:
        migrate(engine)
    except OUTAGES as exc:
        engine.dispose()
        raise StorageUnavailable(
            _(
                "The database could not be reached ({error}). Check DATABASE_URL "
                "and that the database server is running."
            ).format(error=exc.__class__.__name__)
        ) from exc
    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed whole or not at all; outages become StorageUnavailable.

    SQLite has one writer at a time. Within a process, writers queue on a lock, first come
    first served, instead of polling SQLite's lock: under load its busy handler's back-off let
    some of 20 clinicians' writes wait past the timeout while others went through."""
    queue = _SQLITE_WRITERS[engine.url] if engine.dialect.name == "sqlite" else nullcontext()
    committed: list[Callable[[], None]] = []
    try:
        with queue, engine.connect() as connection:
            connection.execution_options(writing=True)
            try:
                with connection.begin():
                    yield connection
            finally:
                committed = _AFTER_COMMIT.pop(connection, [])
    except OUTAGES as exc:
        raise StorageUnavailable() from exc
    for callback in committed:  # only reached once the commit succeeded
        callback()


_AFTER_COMMIT: WeakKeyDictionary[Connection, list[Callable[[], None]]] = WeakKeyDictionary()


def after_commit(connection: Connection, callback: Callable[[], None]) -> None:
    """Call `callback` once the `writing` transaction of `connection` has committed, after the
    connection is released (never after a rollback). It must not raise: the data is stored.

    The audit anchor uses it: written before the commit, it could name an event that was then
    rolled back. On a connection not opened by `writing` the callback never runs."""
    _AFTER_COMMIT.setdefault(connection, []).append(callback)


_SQLITE_WRITERS: defaultdict[object, threading.RLock] = defaultdict(threading.RLock)
"""One write queue per SQLite database in this process (other processes: busy_timeout)."""


def insert_or_merge(connection: Connection, table: Table) -> PostgresqlInsert | SqliteInsert:
    """An INSERT that can say ON CONFLICT, in the connection's dialect (both spell it alike)."""
    if connection.dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)
