"""The Alembic migrations build exactly the schema `clinic.tables` describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clinic import db
from clinic.tables import metadata


def test_migrated_database_matches_the_table_definitions(database_url) -> None:
    engine = db.connect(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert differences == []
