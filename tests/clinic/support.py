"""What the clinic tests share: a CSV list of patients, an audit trail to attack, the CLI."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from clinic import audit, batch_file, db
from clinic.__main__ import main as clinic_cli
from clinic.runtime import Clinic
from clinic.tables import audit_events
from tests.support import MEASUREMENTS

PEOPLE = [
    ("María José Ñúñez", "1.234.567-8"),
    ("Ana Lucía Gómez", "52 345 678"),
    ("Pedro Pérez", "80123456"),
    ("Íñigo Ortiz Peña", "1020304050"),
]
"""The patients of `batch_row`, as (full name, national ID)."""


def batch_csv(rows: list[dict], delimiter: str = ",", columns=batch_file.COLUMNS) -> bytes:
    """`rows` as the bytes of an uploaded CSV list."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), delimiter=delimiter, extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def batch_row(i: int, **changes) -> dict:
    """A valid CSV row for PEOPLE[i] (measurements differing per person), with `changes`."""
    name, national_id = PEOPLE[i]
    measurements = dict(MEASUREMENTS, time=MEASUREMENTS["time"] + 97 * i, cd40=150 + 60 * i)
    return {"full_name": name, "national_id": national_id, **measurements, **changes}


START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EVENTS = [  # (actor, action, target): one transaction each, as the app writes them
    ("dr.house", "signin.success", None),
    ("dr.house", "prediction", 1),
    ("dr.cuddy", "signin.success", None),
    ("dr.cuddy", "reveal", 1),  # id 4: the row the attacker wants gone
    ("dr.house", "prediction", 2),
    ("dr.cuddy", "export", None),  # id 6: the row the attacker wants to pin on someone else
    ("dr.wilson", "signin.success", None),
    ("dr.wilson", "prediction", 3),
]
N = len(EVENTS)


def record_events(clinic: Clinic, events: list[tuple[str, str, Any]], first: int = 0) -> None:
    for n, (actor, action, target) in enumerate(events, start=first):
        with db.writing(clinic.engine) as connection:
            audit.record(
                connection, actor, action, target=target, details={"n": n}, at=START + timedelta(n)
            )


def sha256_digest(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The chain's old algorithm (plain SHA-256), as the code computed it before issue 14."""
    return hashlib.sha256(f"{prev_hash}|{audit._canonical(row)}".encode()).hexdigest()


def rewrite(
    engine: Engine,
    digest: Callable[[str, Mapping[str, Any]], str],
    edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = lambda rows: rows,
    since: int = 1,
) -> None:
    """Edit the rows, number them 1, 2, 3… again and recompute every hash from `since` on."""
    with engine.begin() as connection:
        rows = [dict(r) for r in connection.execute(select(audit_events).order_by("id")).mappings()]
        rows = edit(rows)
        prev = "0" * 64
        for n, row in enumerate(rows, start=1):
            row["id"] = n
            if n >= since:
                row["prev_hash"], row["hash"] = prev, digest(prev, row)
            prev = row["hash"]
        connection.execute(delete(audit_events))
        connection.execute(insert(audit_events), rows)


def cli(config, monkeypatch, capsys, *words: str) -> tuple[int, str, str]:
    """`python -m clinic WORDS…` on this test's database and data dir: (exit code, out, err)."""
    monkeypatch.setenv("CLINIC_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("DATABASE_URL", config.database_url)
    code = clinic_cli(list(words))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
