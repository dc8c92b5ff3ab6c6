"""Batch scoring: the good rows of a checked file (clinic.batch_file) scored and stored,
highest risk first.

Rows are stored (clinic.scoring) in transactions of `CHUNK`, each audited with the upload. Every
row carries a keyed fingerprint of its uploader, patient and measurements, unique in the
database, so uploading the same file again (or a corrected copy, or after an interruption)
stores only what that person has not stored yet, and never shows them another's records.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from clinic import scoring
from clinic.batch_file import Checked, GoodRow
from clinic.vault import Vault
from model_store.ports import Model
from model_store.schema import CODES

SOURCE = "batch"
CHUNK = 2_500
"""Predictions per transaction: big enough to be fast, small enough to show progress."""


@dataclass(frozen=True)
class Result(scoring.Stored):
    """One scored row: its line in the file and its record, as stored now or, when the same
    uploader had stored this exact row before (`new` False: an earlier upload, or an earlier line
    of this one), as stored then. Without its explanation: the record holds it."""

    line: int


@dataclass(frozen=True)
class Outcome:
    batch_id: str
    results: Sequence[Result]
    """Highest risk first."""

    @property
    def stored(self) -> int:
        return len({r.id for r in self.results if r.new})

    @property
    def already_stored(self) -> int:
        """Records stored before this upload (not those an earlier line of it stored)."""
        return len(
            {r.id for r in self.results if not r.new} - {r.id for r in self.results if r.new}
        )


def score_and_store(
    engine: Engine,
    vault: Vault,
    model: Model,
    checked: Checked,
    *,
    actor: str,
    challenger: Model | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Outcome:
    """Score every good row and store those not stored before; raises db.StorageUnavailable if
    the database cannot take a chunk (chunks already stored stay: uploading again resumes). A
    `challenger` (another version) scores the stored records afterwards in the background."""
    batch_id = str(uuid.uuid4())
    good = list(checked.good)

    def columns(position: int) -> dict:
        return {"batch_id": batch_id, "batch_key": _fingerprint(vault, actor, good[position])}

    def audited(rows: range, stored: Sequence[scoring.Stored]) -> tuple[str, dict]:
        return batch_id, {"rows": len(rows), "stored": len({s.id for s in stored if s.new})}

    stored = scoring.store(
        engine,
        model,
        [row.measurements for row in good],
        scoring.Intake(
            source=SOURCE,
            file=scoring.filed_as_typed(vault, [row.identity for row in good], actor),
            action="batch",
            audited=audited,
            chunk=CHUNK,
            insert=scoring.Insert.UNSEEN,
            columns=columns,
        ),
        actor=actor,
        challenger=challenger,
        progress=progress,
    )
    results = [  # without explanations: a list of 50,000 would hold ~50 MB per browser session
        Result(**(vars(s) | {"explanation": None}), line=row.line)
        for row, s in zip(good, stored, strict=True)
    ]
    results.sort(key=lambda r: (-r.probability, r.line))
    return Outcome(batch_id, results)


def _fingerprint(vault: Vault, uploader: str, row: GoodRow) -> str:
    """Keyed digest of who uploaded, for whom and what was measured: the same row uploaded twice
    by the same person matches, never another uploader's (whose records they may not see), and
    without the index key nobody can test a guess of an ID against it."""
    canonical = json.dumps(
        [uploader, row.identity.national_id_normalised, [row.measurements[c] for c in CODES]],
        separators=(",", ":"),
    )
    return vault.fingerprint("batch-row", canonical)
