"""Database engines and schema migrations: SQLite on a laptop, PostgreSQL by URL, same code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

MIGRATIONS = Path(__file__).with_name("migrations")


class StorageUnavailable(Exception):
    """The database could not be reached or refused the write; nothing was stored."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "The database is unavailable, so nothing was stored. "
            "Your entries are kept: try again in a moment."
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
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
    )


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`, the newest by default (a no-op when already there)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
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
            f"The database could not be reached ({exc.__class__.__name__}). Check DATABASE_URL "
            "and that the database server is running."
        ) from exc
    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed whole or not at all; outages become StorageUnavailable."""
    try:
        with engine.connect() as connection:
            connection.execution_options(writing=True)
            with connection.begin():
                yield connection
    except OUTAGES as exc:
        raise StorageUnavailable() from exc


def insert_or_merge(connection: Connection, table: Table) -> PostgresqlInsert | SqliteInsert:
    """An INSERT that can say ON CONFLICT, in the connection's dialect (both spell it alike)."""
    if connection.dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)
