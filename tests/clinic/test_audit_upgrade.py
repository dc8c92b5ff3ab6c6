"""The once-only upgrade of a trail hashed with plain SHA-256 to the keyed chain, and why it
cannot be used to launder a recomputed chain."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, insert, select

from clinic import audit, runtime
from clinic.tables import audit_events
from tests.clinic.test_audit import EVENTS, rewrite, sha256_digest

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


def _write_unkeyed(engine: Engine, events=EVENTS) -> list[dict]:
    """Rows as the code before issue 14 wrote them: each hashed with plain SHA-256."""
    rows, prev = [], audit.GENESIS
    for n, (actor, action, target) in enumerate(events, start=1):
        row = {
            "id": n,
            "at": START + timedelta(hours=n),
            "actor": actor,
            "action": action,
            "target": None if target is None else str(target),
            "details": {"n": n},
        }
        digest = sha256_digest(prev, row)
        rows.append({**row, "prev_hash": prev, "hash": digest})
        prev = digest
    with engine.begin() as connection:
        connection.execute(insert(audit_events), rows)
    return rows


def _rows(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        query = select(audit_events).order_by(audit_events.c.id)
        return [dict(r) for r in connection.execute(query).mappings()]


@pytest.fixture
def unkeyed(config) -> Iterator[tuple[Engine, list[dict]]]:
    """A database whose trail was written by the previous version, and no anchor yet."""
    runtime.start(config).engine.dispose()  # creates the schema and the keys; no events
    engine = create_engine(config.database_url)
    rows = _write_unkeyed(engine)
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()
    yield engine, rows
    engine.dispose()


def test_an_unkeyed_trail_is_resealed_once_and_audited(config, unkeyed, caplog) -> None:
    engine, before = unkeyed
    with caplog.at_level(logging.WARNING, logger="clinic.audit"):
        clinic = runtime.start(config)
    assert f"audit trail upgraded: {len(before)} events re-sealed" in caplog.text
    assert audit.verify(clinic.engine) == (len(before) + 1, None)
    after = _rows(engine)
    content = ["id", "at", "actor", "action", "target", "details"]
    assert [{k: r[k] for k in content} for r in after[:-1]] == [
        {k: r[k] for k in content} for r in before
    ]
    assert all(a["hash"] != b["hash"] for a, b in zip(after, before, strict=False))
    keyed = after[-1]
    assert (keyed["actor"], keyed["action"], keyed["details"]) == (
        audit.SYSTEM,
        "audit.keyed",
        {"events": len(before)},
    )
    assert (config.data_dir / audit.ANCHOR_FILE).exists()
    again = runtime.start(config)
    assert _rows(engine) == after  # nothing to upgrade the second time
    assert audit.verify(again.engine) == (len(before) + 1, None)
    clinic.engine.dispose()
    again.engine.dispose()


def test_a_chain_recomputed_with_sha256_after_the_upgrade_stays_refused(config, unkeyed) -> None:
    """The downgrade attack: delete a reveal, recompute with the old algorithm and hope the
    next start re-seals it. The anchor exists since the upgrade, so it does not."""
    engine, _ = unkeyed
    runtime.start(config).engine.dispose()
    rewrite(engine, sha256_digest, lambda rows: [r for r in rows if r["action"] != "reveal"])
    recomputed = _rows(engine)
    clinic = runtime.start(config)
    assert _rows(engine) == recomputed
    assert audit.verify(clinic.engine) == (0, audit.BrokenLink.of(1, audit.RECOMPUTED))
    clinic.engine.dispose()


def test_without_the_anchor_the_audit_keyed_event_still_refuses(config, unkeyed) -> None:
    """Someone who also removed the anchor file still finds the trail says it was keyed."""
    engine, _ = unkeyed
    runtime.start(config).engine.dispose()
    (config.data_dir / audit.ANCHOR_FILE).unlink()
    rewrite(engine, sha256_digest, lambda rows: [r for r in rows if r["action"] != "reveal"])
    recomputed = _rows(engine)
    clinic = runtime.start(config)
    assert _rows(engine) == recomputed
    assert audit.verify(clinic.engine)[1] == audit.BrokenLink.of(1, audit.RECOMPUTED)
    clinic.engine.dispose()


def test_a_broken_unkeyed_chain_is_left_as_it_is(config, caplog) -> None:
    runtime.start(config).engine.dispose()
    engine = create_engine(config.database_url)
    rows = _write_unkeyed(engine)
    with engine.begin() as connection:
        connection.execute(
            audit_events.update().where(audit_events.c.id == 3).values(actor="someone.else")
        )
    edited = _rows(engine)
    with caplog.at_level(logging.ERROR, logger="clinic.audit"):
        clinic = runtime.start(config)
    assert "the unkeyed audit chain is broken (row 3" in caplog.text
    assert _rows(engine) == edited and len(edited) == len(rows)
    assert audit.verify(clinic.engine)[1] is not None
    clinic.engine.dispose()
    engine.dispose()
