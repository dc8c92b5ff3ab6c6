"""Alembic environment: runs on the connection the app hands over, or on DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from clinic import config as clinic_config
from clinic.db import make_engine
from clinic.tables import metadata


def _run(connection) -> None:
    if connection.dialect.name == "postgresql":
        # Replicas starting together must not migrate at the same time.
        connection.execute(text("SELECT pg_advisory_xact_lock(7175)"))
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with make_engine(clinic_config.load().database_url).begin() as own:
        _run(own)
