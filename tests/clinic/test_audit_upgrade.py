"""A trail hashed with plain SHA-256 (before the chain was keyed) is never re-sealed at start:
`python -m clinic audit upgrade` does it once, as the operator's step, and refuses to launder a
chain recomputed without the key."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, insert, select

from clinic import audit, runtime
from clinic.tables import audit_events
from tests.clinic.support import EVENTS, cli, record_events, rewrite, sha256_digest

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
N = len(EVENTS)


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


CONTENT = ["id", "at", "actor", "action", "target", "details"]


def _content(rows: list[dict]) -> list[dict]:
    return [{k: r[k] for k in CONTENT} for r in rows]


@pytest.fixture
def unkeyed(config) -> Iterator[tuple[Engine, list[dict]]]:
    """A database whose trail was written by the previous version, and no anchor yet."""
    runtime.start(config).engine.dispose()  # creates the schema and the keys; no events
    engine = create_engine(config.database_url)
    rows = _write_unkeyed(engine)
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()
    yield engine, rows
    engine.dispose()


def _upgrade(config, monkeypatch, capsys) -> tuple[int, str, str]:
    return cli(config, monkeypatch, capsys, "audit", "upgrade")


def test_an_unkeyed_trail_is_not_upgraded_at_start(config, unkeyed, caplog) -> None:
    engine, before = unkeyed
    with caplog.at_level(logging.WARNING, logger="clinic.audit"):
        clinic = runtime.start(config)
    assert "hashed before the chain was keyed" in caplog.text
    assert "python -m clinic audit upgrade" in caplog.text
    assert _rows(engine) == before
    checked, broken = audit.verify(clinic.engine)
    assert (checked, broken) == (N, audit.BrokenLink.of(0, audit.UNKEYED, last=N))
    assert "`python -m clinic audit upgrade`" in broken.reason
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()
    clinic.engine.dispose()


def test_upgrade_reseals_once_anchors_and_is_audited(config, unkeyed, monkeypatch, capsys) -> None:
    engine, before = unkeyed
    code, out, err = _upgrade(config, monkeypatch, capsys)
    assert (code, err) == (0, "")
    assert f"{N} events re-sealed" in out
    assert f"ended at event {N}, hash {before[-1]['hash']}" in out
    after = _rows(engine)
    assert _content(after[:-1]) == _content(before)
    assert all(a["hash"] != b["hash"] for a, b in zip(after, before, strict=False))
    keyed = after[-1]
    assert (keyed["actor"], keyed["action"], keyed["details"]) == (
        "console",
        "audit.keyed",
        {"events": N, "unkeyed": N},
    )
    assert (config.data_dir / audit.ANCHOR_FILE).exists()
    clinic = runtime.start(config)
    assert audit.verify(clinic.engine) == (N + 1, None)
    code, out, err = _upgrade(config, monkeypatch, capsys)
    assert (code, out) == (1, "")
    assert err == "error: the audit trail is already keyed (or empty): nothing to upgrade\n"
    assert _rows(engine) == after
    clinic.engine.dispose()


def test_events_the_app_recorded_before_the_upgrade_are_resealed_too(
    config, unkeyed, monkeypatch, capsys
) -> None:
    """The app keeps recording, keyed and chained to the unkeyed head, unanchored."""
    engine, before = unkeyed
    clinic = runtime.start(config)
    record_events(clinic, EVENTS[:2], first=50)
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()
    assert audit.verify(clinic.engine) == (N + 2, audit.BrokenLink.of(0, audit.UNKEYED, last=N))
    appended = _rows(engine)[N:]
    code, out, _ = _upgrade(config, monkeypatch, capsys)
    assert code == 0 and f"{N + 2} events re-sealed" in out
    after = _rows(engine)
    assert _content(after[: N + 2]) == _content(before + appended)
    assert after[-1]["details"] == {"events": N + 2, "unkeyed": N}
    assert audit.verify(clinic.engine) == (N + 3, None)
    clinic.engine.dispose()


def test_a_chain_recomputed_with_sha256_after_the_upgrade_stays_refused(
    config, unkeyed, monkeypatch, capsys
) -> None:
    """The downgrade attack: delete a reveal, recompute with the old algorithm and hope it gets
    re-sealed. The anchor exists since the upgrade, so verify says recomputed and the upgrade
    refuses."""
    engine, _ = unkeyed
    assert _upgrade(config, monkeypatch, capsys)[0] == 0
    rewrite(engine, sha256_digest, lambda rows: [r for r in rows if r["action"] != "reveal"])
    recomputed = _rows(engine)
    clinic = runtime.start(config)
    assert audit.verify(clinic.engine) == (0, audit.BrokenLink.of(1, audit.RECOMPUTED))
    code, out, err = _upgrade(config, monkeypatch, capsys)
    assert (code, out) == (1, "")
    assert "exists, which only a keyed trail has" in err and "nothing was re-sealed" in err
    assert _rows(engine) == recomputed
    clinic.engine.dispose()


def test_without_the_anchor_the_audit_keyed_event_still_refuses(
    config, unkeyed, monkeypatch, capsys
) -> None:
    """Someone who also removed the anchor file still finds the trail says it was keyed."""
    engine, _ = unkeyed
    assert _upgrade(config, monkeypatch, capsys)[0] == 0
    (config.data_dir / audit.ANCHOR_FILE).unlink()
    rewrite(engine, sha256_digest, lambda rows: [r for r in rows if r["action"] != "reveal"])
    recomputed = _rows(engine)
    clinic = runtime.start(config)
    assert audit.verify(clinic.engine)[1] == audit.BrokenLink.of(1, audit.RECOMPUTED)
    code, _, err = _upgrade(config, monkeypatch, capsys)
    assert code == 1 and f"event {N} (audit.keyed)" in err
    assert _rows(engine) == recomputed
    clinic.engine.dispose()


def test_a_keyed_install_recomputed_with_sha256_is_not_laundered_at_start(
    config, monkeypatch, capsys, caplog
) -> None:
    """The reviewer's scenario: an install created on the keyed version (no audit.keyed event);
    an insider drops a reveal, recomputes the whole chain with plain SHA-256, removes the anchor
    and waits for a restart. Nothing is re-sealed and verify never says intact again."""
    clinic = runtime.start(config)
    record_events(clinic, EVENTS)
    clinic.engine.dispose()
    attacker = create_engine(config.database_url)
    rewrite(attacker, sha256_digest, lambda rows: [r for r in rows if r["action"] != "reveal"])
    recomputed = _rows(attacker)
    restarted = runtime.start(config)
    assert audit.verify(restarted.engine) == (0, audit.BrokenLink.of(1, audit.RECOMPUTED))
    restarted.engine.dispose()
    (config.data_dir / audit.ANCHOR_FILE).unlink()
    with caplog.at_level(logging.WARNING, logger="clinic.audit"):
        restarted = runtime.start(config)
    assert "not re-sealed automatically" in caplog.text
    assert _rows(attacker) == recomputed
    assert audit.verify(restarted.engine)[1] == audit.BrokenLink.of(0, audit.UNKEYED, last=N - 1)
    record_events(restarted, EVENTS[:1], first=70)
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()
    assert audit.verify(restarted.engine)[1] == audit.BrokenLink.of(0, audit.UNKEYED, last=N - 1)
    code, _, err = cli(config, monkeypatch, capsys, "audit", "anchor")
    assert code == 1 and "`python -m clinic audit upgrade`" in err
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()
    restarted.engine.dispose()
    attacker.dispose()


def test_a_broken_unkeyed_chain_is_refused(config, unkeyed, monkeypatch, capsys) -> None:
    engine, rows = unkeyed
    with engine.begin() as connection:
        connection.execute(
            audit_events.update().where(audit_events.c.id == 3).values(actor="someone.else")
        )
    edited = _rows(engine)
    clinic = runtime.start(config)
    assert audit.verify(clinic.engine) == (2, audit.BrokenLink.of(3, audit.CHANGED))
    code, out, err = _upgrade(config, monkeypatch, capsys)
    assert (code, out) == (1, "")
    assert err == (
        "error: the audit chain does not verify (row 3: its content was changed after it was "
        "written); nothing was re-sealed\n"
    )
    assert _rows(engine) == edited and len(edited) == len(rows)
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()
    clinic.engine.dispose()
