"""The Alembic migrations build exactly the schema `clinic.tables` describes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, select

from clinic import db, patients
from clinic.identity import Identity
from clinic.tables import metadata, predictions
from clinic.tables import patients as patients_table
from clinic.vault import Vault, generate_keyring

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


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


def test_records_stored_before_name_versions_keep_their_names(database_url) -> None:
    """0008 adds name versions: a record stored before it reads the name on its patient row."""
    vault = Vault(generate_keyring())
    engine = db.make_engine(database_url)
    try:
        db.migrate(engine, "0007")
        with engine.begin() as connection:
            connection.execute(
                insert(patients_table),
                patients.patient_row(vault, Identity("Ana Pérez", "123456"), "p-1", NOW),
            )
            connection.execute(
                insert(predictions),
                {
                    "patient_id": "p-1",
                    "created_at": NOW,
                    "created_by": "ana",
                    "model_name": "final_model",
                    "model_version": "1",
                    "threshold": 0.6,
                    "probability": 0.2,
                    "infected": False,
                    "risk_band": "low",
                    "measurements": {},
                },
            )
        db.migrate(engine)
        with engine.connect() as connection:
            assert connection.execute(select(predictions.c.name_id)).scalar_one() is None
            assert patients.names(connection, vault, "p-1") == {None: "Ana Pérez"}
            assert patients.decrypt_identity(connection, vault, "p-1").full_name == "Ana Pérez"
    finally:
        engine.dispose()
