"""The one way a prediction is stored, whatever its source (the form, a batch file, demo data):
score -> explain -> file the patient (encrypted) -> store -> daily tallies -> audit, one
transaction per chunk of rows, so that a failure stores nothing of its chunk; then the
challenger, if one is set, scores the stored records in the background (clinic.shadow).

Input is validated before it gets here (clinic.validation), where each source reports problems
its own way. What differs by source is an `Intake`: how its patients are filed, its own columns
and how each transaction is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum, auto

from sqlalchemy import Connection, Engine, func, insert, select

from clinic import audit, counts, db, patients, shadow
from clinic.identity import Identity
from clinic.patients import Filed
from clinic.risk import RiskBand, risk_band
from clinic.tables import patient_names, predictions
from clinic.tables import patients as patients_table
from clinic.vault import Vault
from model_store.explanation import Explanation
from model_store.ports import Model, Scored

Filing = Callable[[Connection, range, datetime], list[Filed]]
"""Files the patients of the rows at these positions, in the caller's transaction."""


class Insert(Enum):
    """How a transaction's rows go into `predictions`, by what the source needs back."""

    EACH = auto()
    """Every row, each record read back from the rows in hand with its new id (the form)."""
    UNSEEN = auto()
    """Only rows whose fingerprint (`batch_key`) is not stored yet; every row's record, new or
    from the same uploader's earlier upload, read back from the database (a batch file)."""
    BULK = auto()
    """Every row in one plain executemany, nothing read back (RETURNING halves the speed on
    PostgreSQL), so nothing for a challenger to score: for demo data, which needs the count."""


@dataclass(frozen=True)
class Stored:
    """One row's prediction as stored: by this call (`new`), or before, for a batch row
    uploaded again (then as stored then, without its explanation)."""

    id: int
    new: bool
    patient_id: str
    created_at: datetime
    name_masked: str
    national_id_masked: str
    probability: float
    infected: bool
    risk_band: RiskBand
    model_version: str
    explanation: Explanation | None


@dataclass(frozen=True)
class Intake:
    """Where predictions come from, and what that changes on the way in."""

    source: str
    """`predictions.source`: form, batch or demo."""
    file: Filing
    action: str
    """The audit event of each transaction."""
    audited: Callable[[range, Sequence[Stored]], tuple[str | int | None, dict]]
    """A transaction's audit target and details, from its rows' positions and records (the
    model version is added to the details)."""
    chunk: int
    """Rows per transaction."""
    insert: Insert
    columns: Callable[[int], dict] = lambda position: {}
    """The source's own columns for the row at a position (they win over the usual ones)."""
    explained: bool = True
    """False for demo data: its rows are stored without an explanation."""
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """When each transaction happens (demo data: the plan's fixed "now")."""


def filed_as_typed(vault: Vault, identities: Sequence[Identity], actor: str) -> Filing:
    """Filing for identities a clinician typed: each patient found by national ID or added,
    a name not typed before added as a version (patients.upsert_many)."""

    def file(connection: Connection, positions: range, now: datetime) -> list[Filed]:
        typed = [identities[i] for i in positions]
        return patients.upsert_many(connection, vault, typed, now, actor=actor)

    return file


def store(
    engine: Engine,
    model: Model,
    measurements: Sequence[Mapping[str, float | int]],
    intake: Intake,
    *,
    actor: str,
    challenger: Model | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> list[Stored]:
    """Score and store each row (validated measurements); returns each row's record in order
    (none for Insert.BULK). `progress(done, total)` after each transaction. Raises
    db.StorageUnavailable when the database cannot take a chunk (chunks already stored stay).
    A `challenger` of another version scores the new records afterwards, in the background."""
    if not measurements:
        return []
    scores = model.predict_many(measurements)
    explanations = model.explain_many(measurements) if intake.explained else None
    shadowing = challenger is not None and challenger.version != model.version
    stored: list[Stored] = []
    seen: set[int] = set()  # records read back so far (Insert.UNSEEN): a repeated line is new once
    for start in range(0, len(measurements), intake.chunk):
        positions = range(start, min(start + intake.chunk, len(measurements)))
        now = intake.clock()
        with db.writing(engine) as connection:
            filed = intake.file(connection, positions, now)
            explained = [None if explanations is None else explanations[i] for i in positions]
            rows = []
            for i, patient, explanation in zip(positions, filed, explained, strict=True):
                row = _prediction_row(model, scores[i], patient, measurements[i], now, actor)
                if explanation is not None:
                    row["explanation"] = explanation.to_json()
                rows.append(row | {"source": intake.source} | intake.columns(i))
            if intake.insert is Insert.EACH:
                done = _insert_each(connection, rows, filed, explained)
            elif intake.insert is Insert.UNSEEN:
                done = _insert_unseen(connection, rows, explained, actor, seen)
                rows = [row for row, s in zip(rows, done, strict=True) if s.new]
            else:
                connection.execute(insert(predictions), rows)
                done = []
            counts.add(connection, rows)  # those stored just now
            target, details = intake.audited(positions, done)
            audit.record(
                connection,
                actor,
                intake.action,
                target=target,
                details={**details, "model_version": model.version},
                at=now,
            )
        stored += done
        if shadowing and done:
            fresh = {s.id: measurements[i] for i, s in zip(positions, done, strict=True) if s.new}
            if fresh:
                shadow.submit(engine, challenger, fresh)
        progress(positions.stop, len(measurements))
    return stored


def _prediction_row(
    model: Model,
    scored: Scored,
    patient: Filed,
    measurements: Mapping[str, float | int],
    now: datetime,
    actor: str,
) -> dict:
    """A `predictions` row: whose, when, by whom, which model version and what it said."""
    return {
        "patient_id": patient.patient_id,
        "name_id": patient.name_id,
        "created_at": now,
        "created_by": actor,
        "model_name": model.name,
        "model_version": model.version,
        "threshold": model.threshold,
        "probability": scored.probability,
        "infected": scored.infected,
        "risk_band": risk_band(scored.probability, model.threshold).value,
        "measurements": measurements,
    }


def _insert_each(
    connection: Connection,
    rows: list[dict],
    filed: list[Filed],
    explanations: list[Explanation | None],
) -> list[Stored]:
    """Insert every row; what was stored, from the rows and the masks filed with them."""
    statement = insert(predictions).returning(predictions.c.id, sort_by_parameter_order=True)
    # One row (the form) as a plain INSERT ... RETURNING: the many-row form costs a millisecond.
    ids = connection.execute(statement, rows[0] if len(rows) == 1 else rows).scalars()
    return [
        Stored(
            id=record_id,
            new=True,
            patient_id=row["patient_id"],
            created_at=row["created_at"],
            name_masked=patient.name_masked,
            national_id_masked=patient.national_id_masked,
            probability=row["probability"],
            infected=row["infected"],
            risk_band=RiskBand(row["risk_band"]),
            model_version=row["model_version"],
            explanation=explanation,
        )
        for record_id, row, patient, explanation in zip(ids, rows, filed, explanations, strict=True)
    ]


def _insert_unseen(
    connection: Connection,
    rows: list[dict],
    explanations: list[Explanation | None],
    uploader: str,
    seen: set[int],
) -> list[Stored]:
    """Insert the rows not stored before (by fingerprint), and read every row's stored record
    back: new, or from the same uploader's earlier upload, with the name typed with that
    record. Another uploader's record is never matched (they may not see it). A record in
    `seen` (an earlier line of this upload, in this chunk or before) is not new again, so it is
    counted, audited and shadow-scored once."""
    connection.execute(
        db.insert_or_merge(connection, predictions).on_conflict_do_nothing(
            index_elements=["batch_key"]
        ),
        rows,  # no RETURNING: executemany stays a prepared statement (fast on PostgreSQL)
    )
    found = {
        r.batch_key: r
        for r in connection.execute(
            select(
                predictions.c.batch_key,
                predictions.c.batch_id,
                predictions.c.id,
                predictions.c.patient_id,
                predictions.c.created_at,
                predictions.c.probability,
                predictions.c.infected,
                predictions.c.risk_band,
                predictions.c.model_version,
                func.coalesce(patient_names.c.name_masked, patients_table.c.name_masked).label(
                    "name_masked"
                ),
                patients_table.c.national_id_masked,
            )
            .join(patients_table, patients_table.c.id == predictions.c.patient_id)
            .outerjoin(patient_names, patient_names.c.id == predictions.c.name_id)
            .where(
                predictions.c.batch_key.in_({row["batch_key"] for row in rows}),
                predictions.c.created_by == uploader,  # the uploader's own only
            )
        )
    }
    stored = []
    for row, explanation in zip(rows, explanations, strict=True):
        record = found[row["batch_key"]]
        # New: stored by this upload, and not already returned for an earlier line of it.
        new = record.batch_id == row["batch_id"] and record.id not in seen
        seen.add(record.id)
        stored.append(
            Stored(
                id=record.id,
                new=new,
                patient_id=record.patient_id,
                created_at=record.created_at,
                name_masked=record.name_masked,
                national_id_masked=record.national_id_masked,
                probability=record.probability,
                infected=record.infected,
                risk_band=RiskBand(record.risk_band),
                model_version=record.model_version,
                explanation=explanation if new else None,
            )
        )
    return stored
