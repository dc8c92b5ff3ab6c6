"""The keyed, anchored audit trail: a clean chain verifies; every attack issue 14 lists, done as
someone with a connection to the database would do it, is named for what it is."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, select, text, update

from clinic import audit, db, runtime
from clinic.runtime import Clinic
from clinic.tables import audit_events
from tests.clinic.support import EVENTS, N, record_events, rewrite, sha256_digest


@pytest.fixture
def clinic(config) -> Iterator[Clinic]:
    clinic = runtime.start(config)
    record_events(clinic, EVENTS)
    yield clinic
    clinic.engine.dispose()


@pytest.fixture
def attacker(clinic: Clinic) -> Iterator[Engine]:
    """The attacker's own connection to the database: no key, no access to the data dir."""
    engine = create_engine(clinic.engine.url)
    yield engine
    engine.dispose()


def _hmac_digest(key: bytes) -> Callable[[str, Mapping[str, Any]], str]:
    """The new algorithm under a key the attacker made up."""

    def digest(prev_hash: str, row: Mapping[str, Any]) -> str:
        message = f"{prev_hash}|{audit._canonical(row)}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    return digest


def _anchor(clinic: Clinic) -> dict[str, Any]:
    return json.loads((clinic.config.data_dir / audit.ANCHOR_FILE).read_text())


def _hash_of(clinic: Clinic, id: int) -> str:
    with clinic.engine.connect() as connection:
        return connection.execute(
            select(audit_events.c.hash).where(audit_events.c.id == id)
        ).scalar_one()


def _newest(clinic: Clinic) -> Mapping[str, Any]:
    with clinic.engine.connect() as connection:
        query = select(audit_events).order_by(audit_events.c.id.desc()).limit(1)
        return connection.execute(query).mappings().one()


def test_a_fresh_install_anchors_itself_at_its_first_event(config) -> None:
    clinic = runtime.start(config)
    path = config.data_dir / audit.ANCHOR_FILE
    assert not path.exists() and audit.verify(clinic.engine) == (0, None)
    record_events(clinic, EVENTS[:1])
    assert _anchor(clinic) == {**_anchor(clinic), "id": 1, "hash": _hash_of(clinic, 1)}
    assert audit.verify(clinic.engine) == (1, None)
    clinic.engine.dispose()


def test_deleting_the_newest_events_and_the_anchor_is_not_re_anchored(
    clinic, attacker, config, caplog
) -> None:
    """Issue 14, second review: delete the newest events, remove the anchor, and let the app
    restart and record an event. The anchor used to start again at the new head, and verify said
    intact; now the trail stays unanchored until an operator runs `audit anchor`."""
    with attacker.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id > :n"), {"n": N - 3})
    (config.data_dir / audit.ANCHOR_FILE).unlink()
    clinic.engine.dispose()
    restarted = runtime.start(config)
    with caplog.at_level(logging.WARNING, logger="clinic.audit"):
        record_events(restarted, EVENTS[:2], first=800)
    assert caplog.text.count("audit event recorded without an anchor") == 1
    assert "python -m clinic audit anchor" in caplog.text
    assert not (config.data_dir / audit.ANCHOR_FILE).exists()
    checked, broken = audit.verify(restarted.engine)
    assert (checked, broken.id, broken.why) == (N - 1, 0, audit.ANCHOR_MISSING)
    head = audit.anchor(restarted.engine, "console")
    assert head == audit.Head(N - 1, _hash_of(restarted, N - 1))
    anchored = _newest(restarted)
    assert (anchored["id"], anchored["actor"], anchored["action"], anchored["details"]) == (
        N,
        "console",
        "audit.anchored",
        {"id": N - 1},
    )
    assert _anchor(restarted)["id"] == N  # moved on to the audit.anchored event
    assert audit.verify(restarted.engine) == (N, None)
    restarted.engine.dispose()


def test_anchor_refuses_a_chain_that_does_not_verify(clinic, attacker, config) -> None:
    path = config.data_dir / audit.ANCHOR_FILE
    with pytest.raises(audit.Refused, match="exists"):
        audit.anchor(clinic.engine, "console")
    path.unlink()
    with attacker.begin() as connection:
        connection.execute(
            update(audit_events).where(audit_events.c.id == 3).values(actor="someone.else")
        )
    with pytest.raises(audit.Refused, match="row 3: its content was changed"):
        audit.anchor(clinic.engine, "console")
    assert not path.exists()
    assert audit.verify(clinic.engine)[1] == audit.BrokenLink.of(3, audit.CHANGED)


def test_clean_chain_verifies_and_is_anchored(clinic) -> None:
    assert audit.verify(clinic.engine) == (N, None)
    anchor = clinic.config.data_dir / audit.ANCHOR_FILE
    assert anchor.stat().st_mode & 0o777 == 0o600
    with clinic.engine.connect() as connection:
        newest = connection.execute(select(audit_events.c.hash).where(audit_events.c.id == N))
        assert _anchor(clinic)["id"] == N and _anchor(clinic)["hash"] == newest.scalar()


def test_edited_row_is_named(clinic, attacker) -> None:
    with attacker.begin() as connection:
        connection.execute(
            update(audit_events).where(audit_events.c.id == 3).values(actor="someone.else")
        )
    checked, broken = audit.verify(clinic.engine)
    assert checked == 2
    assert broken == audit.BrokenLink(3, "its content was changed after it was written")


def test_edited_newest_row_is_named(clinic, attacker) -> None:
    with attacker.begin() as connection:
        connection.execute(update(audit_events).where(audit_events.c.id == N).values(target="9"))
    assert audit.verify(clinic.engine)[1] == audit.BrokenLink.of(N, audit.CHANGED)


def test_deleted_row_is_named(clinic, attacker) -> None:
    with attacker.begin() as connection:
        connection.execute(delete(audit_events).where(audit_events.c.id == 2))
    assert audit.verify(clinic.engine)[1] == audit.BrokenLink(2, "row 2 is missing")


def test_a_rehashed_row_is_a_recomputed_chain(clinic, attacker) -> None:
    with attacker.begin() as connection:
        connection.execute(update(audit_events).where(audit_events.c.id == 4).values(hash="f" * 64))
    assert audit.verify(clinic.engine)[1] == audit.BrokenLink.of(4, audit.RECOMPUTED)


@pytest.mark.parametrize("deleted", [1, 5])
def test_deleting_the_newest_rows_is_named(clinic, attacker, deleted) -> None:
    """Issue 14: deleting the last row (or the last 5) used to leave a valid, shorter chain."""
    with attacker.begin() as connection:
        connection.execute(
            text("DELETE FROM audit_events WHERE id > (SELECT max(id) FROM audit_events) - :n"),
            {"n": deleted},
        )
    checked, broken = audit.verify(clinic.engine)
    assert checked == N - deleted
    assert broken == audit.BrokenLink.of(N - deleted + 1, audit.DELETED_AT_END, last=N)
    assert f"up to {N}, which the anchor recorded, were deleted" in broken.reason


def test_the_anchor_stays_behind_when_new_events_follow_a_deletion(clinic, attacker) -> None:
    """New events cannot paper over deleted ones: the anchor stops where the database left it,
    and the event now at its id is not the one it recorded."""
    with attacker.begin() as connection:
        connection.execute(delete(audit_events).where(audit_events.c.id > N - 3))
    record_events(clinic, EVENTS[:2], first=100)
    assert audit.verify(clinic.engine)[1] == audit.BrokenLink.of(N, audit.DELETED_AT_END, last=N)
    record_events(clinic, EVENTS[:3], first=200)
    assert _anchor(clinic)["id"] == N
    checked, broken = audit.verify(clinic.engine)
    assert (checked, broken) == (N - 1, audit.BrokenLink.of(N, audit.REPLACED))
    assert "newer events were deleted" in broken.reason


def test_deleting_a_reveal_and_recomputing_with_sha256_is_named(clinic, attacker) -> None:
    """Issue 14: delete a reveal, pin an export on another user, renumber and recompute the
    chain with plain SHA-256, as the old code computed it."""

    def hide(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            if row["action"] == "export":
                row["actor"] = "dr.wilson"
        return [row for row in rows if row["action"] != "reveal"]

    rewrite(attacker, sha256_digest, hide)
    checked, broken = audit.verify(clinic.engine)
    assert (checked, broken) == (0, audit.BrokenLink.of(1, audit.RECOMPUTED))
    assert "recomputed" in broken.reason


def test_recomputing_from_the_deleted_row_on_is_named_there(clinic, attacker) -> None:
    def hide(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row for row in rows if row["action"] != "reveal"]

    rewrite(attacker, sha256_digest, hide, since=4)
    assert audit.verify(clinic.engine) == (3, audit.BrokenLink.of(4, audit.RECOMPUTED))


def test_recomputing_with_a_wrong_key_is_named(clinic, attacker) -> None:
    def hide(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [row for row in rows if row["action"] != "reveal"]

    rewrite(attacker, _hmac_digest(secrets.token_bytes(32)), hide)
    assert audit.verify(clinic.engine) == (0, audit.BrokenLink.of(1, audit.RECOMPUTED))


def test_rehashing_the_newest_row_is_told_from_an_edit_by_the_anchor(clinic, attacker) -> None:
    with attacker.begin() as connection:
        newest = (
            connection.execute(select(audit_events).where(audit_events.c.id == N)).mappings().one()
        )
        forged = {**newest, "actor": "dr.cuddy"}
        connection.execute(
            update(audit_events)
            .where(audit_events.c.id == N)
            .values(actor="dr.cuddy", hash=sha256_digest(newest["prev_hash"], forged))
        )
    assert audit.verify(clinic.engine)[1] == audit.BrokenLink.of(N, audit.RECOMPUTED)


def test_a_missing_or_forged_anchor_is_named(clinic) -> None:
    path = clinic.config.data_dir / audit.ANCHOR_FILE
    stored = json.loads(path.read_text())
    path.write_text(json.dumps({**stored, "id": N - 2}))
    checked, broken = audit.verify(clinic.engine)
    assert (checked, broken.id) == (N, 0) and broken.why == audit.ANCHOR_INVALID
    assert str(path) in broken.reason and "signature" in broken.reason
    path.unlink()
    checked, broken = audit.verify(clinic.engine)
    assert (checked, broken.id, broken.why) == (N, 0, audit.ANCHOR_MISSING)
    record_events(clinic, EVENTS[:1], first=300)  # recorded, but no anchor starts by itself
    assert not path.exists()
    checked, broken = audit.verify(clinic.engine)
    assert (checked, broken.why) == (N + 1, audit.ANCHOR_MISSING)
    assert "`python -m clinic audit anchor`" in broken.reason
    assert audit.anchor(clinic.engine, "console") == audit.Head(N + 1, _hash_of(clinic, N + 1))
    assert audit.verify(clinic.engine) == (N + 2, None)


def test_a_forged_anchor_is_never_replaced(clinic) -> None:
    """An anchor that fails its check stays as evidence; new events do not overwrite it."""
    path = clinic.config.data_dir / audit.ANCHOR_FILE
    forged = {"id": 2, "hash": "0" * 64, "mac": "0" * 64}
    path.write_text(json.dumps(forged))
    record_events(clinic, EVENTS[:1], first=400)
    assert json.loads(path.read_text()) == forged
    assert audit.verify(clinic.engine)[1].why == audit.ANCHOR_INVALID


def test_a_rolled_back_event_does_not_move_the_anchor(clinic) -> None:
    with pytest.raises(RuntimeError), db.writing(clinic.engine) as connection:
        audit.record(connection, "dr.house", "prediction", target=9)
        raise RuntimeError("the prediction failed after its event was written")
    assert _anchor(clinic)["id"] == N
    assert audit.verify(clinic.engine) == (N, None)


def test_an_engine_without_the_key_refuses_to_record(clinic) -> None:
    unbound = db.make_engine(clinic.engine.url.render_as_string(hide_password=False))
    with pytest.raises(audit.AuditKeyMissing), db.writing(unbound) as connection:
        audit.record(connection, "dr.house", "prediction", target=9)
    with pytest.raises(audit.AuditKeyMissing):
        audit.verify(unbound)
    unbound.dispose()
    assert audit.verify(clinic.engine) == (N, None)


def test_two_processes_on_one_database_and_one_data_dir(clinic, config) -> None:
    """Replicas sharing a data dir share the anchor; it only moves forward."""
    other = runtime.start(config)
    for n in range(6):
        record_events(clinic if n % 2 else other, EVENTS[n : n + 1], first=500 + n)
    assert _anchor(clinic)["id"] == N + 6
    assert audit.verify(clinic.engine) == (N + 6, None)
    assert audit.verify(other.engine) == (N + 6, None)
    other.engine.dispose()


def test_a_replica_with_its_own_data_dir_keeps_its_own_anchor(clinic, config, tmp_path) -> None:
    """A replica on a new data dir anchors only once an operator has checked the trail there;
    then each replica's anchor witnesses the prefix it saw, and a deletion shows on every one
    whose anchor it reaches."""
    import dataclasses

    keys = json.loads(config.key_file.read_text())
    elsewhere = tmp_path / "replica-b"
    elsewhere.mkdir()
    replica = runtime.start(
        dataclasses.replace(
            config,
            data_dir=elsewhere,
            encryption_keys=keys["CLINIC_ENCRYPTION_KEYS"],
            index_key=keys["CLINIC_INDEX_KEY"],
        )
    )
    assert audit.verify(replica.engine)[1].why == audit.ANCHOR_MISSING
    record_events(replica, EVENTS[:2], first=600)  # a trail with events: no anchor by itself
    assert audit.verify(replica.engine)[1].why == audit.ANCHOR_MISSING
    assert audit.anchor(replica.engine, "console") == audit.Head(N + 2, _hash_of(clinic, N + 2))
    assert audit.verify(replica.engine) == (N + 3, None)  # with its audit.anchored event
    assert audit.verify(clinic.engine) == (N + 3, None)
    with clinic.engine.begin() as connection:
        connection.execute(delete(audit_events).where(audit_events.c.id > N + 2))
    assert audit.verify(replica.engine)[1] == audit.BrokenLink.of(
        N + 3, audit.DELETED_AT_END, last=N + 3
    )
    assert audit.verify(clinic.engine) == (N + 2, None)  # its anchor is older: still a witness
    replica.engine.dispose()


def test_concurrent_writers_keep_one_chain_and_the_newest_anchor(clinic, config) -> None:
    """Sixteen threads over two engines (as two replicas would be) append at once."""
    from concurrent.futures import ThreadPoolExecutor

    other = runtime.start(config)
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda n: record_events(clinic if n % 2 else other, EVENTS[:1], first=700 + n),
                range(48),
            )
        )
    assert audit.verify(clinic.engine) == (N + 48, None)
    assert _anchor(clinic)["id"] == N + 48
    other.engine.dispose()
