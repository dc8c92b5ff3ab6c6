"""The Alembic migrations build exactly the schema `clinic.tables` describes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

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


def test_the_quick_head_check_reads_the_scripts_as_alembic_does() -> None:
    assert db._script_heads() == frozenset(ScriptDirectory(str(db.MIGRATIONS)).get_heads())


def test_a_database_at_head_is_opened_without_importing_alembic(database_url) -> None:
    db.connect(database_url).dispose()  # migrates the fresh database
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from clinic import db; "
            f"db.connect({database_url!r}).dispose(); print('alembic' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert opened.stdout.strip() == "False"
