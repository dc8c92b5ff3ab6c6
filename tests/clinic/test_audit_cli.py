"""`python -m clinic audit verify`: exit 0 on an intact, anchored chain; 1 naming what was done."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, delete, text

from clinic import audit, runtime
from clinic.runtime import Clinic
from clinic.tables import audit_events
from tests.clinic.support import EVENTS, N, cli, record_events, rewrite, sha256_digest


@pytest.fixture
def clinic(config) -> Iterator[Clinic]:
    clinic = runtime.start(config)
    record_events(clinic, EVENTS)
    yield clinic
    clinic.engine.dispose()


def _verify(config, monkeypatch, capsys) -> tuple[int, str, str]:
    return cli(config, monkeypatch, capsys, "audit", "verify")


def test_intact_chain_exits_zero(clinic, config, monkeypatch, capsys) -> None:
    assert _verify(config, monkeypatch, capsys) == (0, f"{N} events, chain intact.\n", "")


def test_edited_row_exits_one_and_names_it(clinic, config, monkeypatch, capsys) -> None:
    with clinic.engine.begin() as connection:
        connection.execute(
            audit_events.update().where(audit_events.c.id == 2).values(details={"n": 99})
        )
    code, _, err = _verify(config, monkeypatch, capsys)
    assert code == 1
    assert err == "audit chain broken at row 2: its content was changed after it was written\n"


def test_deleted_newest_rows_exit_one(clinic, config, monkeypatch, capsys) -> None:
    attacker = create_engine(config.database_url)
    with attacker.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id > :n"), {"n": N - 5})
    attacker.dispose()
    code, out, err = _verify(config, monkeypatch, capsys)
    assert (code, out) == (1, "")
    assert err == (
        f"audit chain broken at row {N - 4}: it and every later event up to {N}, which the "
        "anchor recorded, were deleted\n"
    )


def test_recomputed_chain_exits_one(clinic, config, monkeypatch, capsys) -> None:
    attacker = create_engine(config.database_url)
    rewrite(attacker, sha256_digest, lambda rows: [r for r in rows if r["action"] != "reveal"])
    attacker.dispose()
    code, _, err = _verify(config, monkeypatch, capsys)
    assert code == 1 and "broken at row 1: the chain was recomputed" in err


def test_missing_anchor_exits_one(clinic, config, monkeypatch, capsys) -> None:
    (config.data_dir / audit.ANCHOR_FILE).unlink()
    code, _, err = _verify(config, monkeypatch, capsys)
    assert code == 1
    assert err.startswith("audit chain not verified to its end: there is no audit anchor (")
    assert "create one with `python -m clinic audit anchor`" in err
    with clinic.engine.begin() as connection:
        connection.execute(delete(audit_events))
    assert _verify(config, monkeypatch, capsys) == (0, "0 events, chain intact.\n", "")


def test_anchor_anchors_a_checked_trail_once(clinic, config, monkeypatch, capsys) -> None:
    """Deleted newest events, anchor removed, the app records on: verify keeps saying so until
    the operator anchors; `audit anchor` prints the head to compare out of band."""
    attacker = create_engine(config.database_url)
    with attacker.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id > :n"), {"n": N - 2})
    attacker.dispose()
    (config.data_dir / audit.ANCHOR_FILE).unlink()
    record_events(clinic, EVENTS[:1], first=900)
    code, _, err = _verify(config, monkeypatch, capsys)
    assert code == 1 and "there is no audit anchor" in err
    with clinic.engine.connect() as connection:
        head = connection.execute(text("SELECT hash FROM audit_events WHERE id = :n"), {"n": N - 1})
        head_hash = head.scalar_one()
    code, out, err = cli(config, monkeypatch, capsys, "audit", "anchor")
    assert (code, err) == (0, "")
    assert f"anchored at event {N - 1}, hash {head_hash}" in out
    assert "log collector" in out
    assert _verify(config, monkeypatch, capsys) == (0, f"{N} events, chain intact.\n", "")
    code, out, err = cli(config, monkeypatch, capsys, "audit", "anchor")
    assert (code, out) == (1, "")
    assert err.startswith("error: the audit anchor ") and "exists" in err


def test_anchor_refuses_a_broken_chain(clinic, config, monkeypatch, capsys) -> None:
    (config.data_dir / audit.ANCHOR_FILE).unlink()
    attacker = create_engine(config.database_url)
    with attacker.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = 2"))
    attacker.dispose()
    code, out, err = cli(config, monkeypatch, capsys, "audit", "anchor")
    assert (code, out) == (1, "")
    assert err == (
        "error: the audit chain does not verify (row 2: row 2 is missing); nothing was anchored\n"
    )
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()


def test_anchor_on_an_empty_trail_leaves_it_to_the_first_event(config, monkeypatch, capsys) -> None:
    runtime.start(config).engine.dispose()
    code, out, _ = cli(config, monkeypatch, capsys, "audit", "anchor")
    assert (code, out) == (0, "The audit trail is empty: its first event creates the anchor.\n")
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()
