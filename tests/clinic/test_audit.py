"""The hash-chained audit trail: a clean chain verifies; any edit or deletion is named."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from clinic import audit, db, runtime
from clinic.__main__ import main as clinic_cli
from clinic.tables import audit_events


@pytest.fixture
def engine(config):
    clinic = runtime.start(config)
    with db.writing(clinic.engine) as connection:
        for n in range(1, 6):
            audit.record(connection, "dr.house", "prediction", target=n, details={"n": n})
    return clinic.engine


def test_clean_chain_verifies(engine) -> None:
    assert audit.verify(engine) == (5, None)


def test_edited_row_is_named(engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(audit_events).where(audit_events.c.id == 3).values(actor="someone.else")
        )
    checked, broken = audit.verify(engine)
    assert checked == 2
    assert broken == audit.BrokenLink(3, "its content was changed after it was written")


def test_deleted_row_is_named(engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(audit_events).where(audit_events.c.id == 2))
    assert audit.verify(engine)[1] == audit.BrokenLink(2, "row 2 is missing")


def test_rehashed_row_breaks_the_next_link(engine) -> None:
    """Recomputing a tampered row's own hash is not enough: its successor no longer follows."""
    with engine.begin() as connection:
        connection.execute(update(audit_events).where(audit_events.c.id == 4).values(hash="f" * 64))
    assert audit.verify(engine)[1] in {
        audit.BrokenLink(4, "its content was changed after it was written"),
        audit.BrokenLink(5, "does not follow the row before it"),
    }


def test_cli_exits_non_zero_and_names_the_row(engine, config, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CLINIC_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("DATABASE_URL", config.database_url)
    assert clinic_cli(["audit", "verify"]) == 0
    assert "5 events, chain intact" in capsys.readouterr().out
    with engine.begin() as connection:
        connection.execute(
            update(audit_events).where(audit_events.c.id == 2).values(details={"n": 99})
        )
    assert clinic_cli(["audit", "verify"]) == 1
    assert "row 2" in capsys.readouterr().err
