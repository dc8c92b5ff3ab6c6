"""The prediction history: what a viewer may list (masked), find, reveal (audited) and export.

Clinicians see only the predictions they made; supervisors see all; administrators none. Lists
carry the masked forms written at prediction time, so nothing is decrypted to show a page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Engine, Select, and_, case, func, select, true

from clinic import audit, db, patients
from clinic.identity import Identity, normalise_national_id
from clinic.tables import patients as patients_table
from clinic.tables import predictions
from clinic.users import Role, User

MIN_REASON = 10


class AccessDenied(PermissionError):
    """The viewer's role does not allow this."""


class Purpose(StrEnum):
    """Why an identity is revealed (HIPAA-style purposes of use)."""

    TREATMENT = "treatment"
    EMERGENCY = "emergency treatment"
    OPERATIONS = "healthcare operations"
    PATIENT_REQUEST = "patient request"
    OTHER = "other"


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    bands: Sequence[str] = ()
    clinician: str | None = None
    model_version: str | None = None
    patient_id: str | None = None


@dataclass(frozen=True)
class Record:
    id: int
    created_at: datetime
    name_masked: str
    national_id_masked: str
    probability: float
    infected: bool
    risk_band: str
    model_version: str
    clinician: str


def _scope(viewer: User) -> ColumnElement[bool]:
    if viewer.role is Role.SUPERVISOR:
        return true()
    if viewer.role is Role.CLINICIAN:
        return predictions.c.created_by == viewer.username
    raise AccessDenied("Administrators do not see patient records.")


def _where(viewer: User, filters: Filters) -> ColumnElement[bool]:
    conditions = [_scope(viewer)]
    if filters.since:
        conditions.append(predictions.c.created_at >= filters.since)
    if filters.until:
        conditions.append(predictions.c.created_at < filters.until)
    if filters.bands:
        conditions.append(predictions.c.risk_band.in_(list(filters.bands)))
    if filters.clinician:
        conditions.append(predictions.c.created_by == filters.clinician)
    if filters.model_version:
        conditions.append(predictions.c.model_version == filters.model_version)
    if filters.patient_id:
        conditions.append(predictions.c.patient_id == filters.patient_id)
    return and_(*conditions)


_COLUMNS = (
    predictions.c.id,
    predictions.c.created_at,
    patients_table.c.name_masked,
    patients_table.c.national_id_masked,
    predictions.c.probability,
    predictions.c.infected,
    predictions.c.risk_band,
    predictions.c.model_version,
    predictions.c.created_by.label("clinician"),
)


def _listing(where: ColumnElement[bool]) -> Select:
    """The masked rows matching `where`, newest first."""
    return (
        select(*_COLUMNS)
        .join(patients_table, patients_table.c.id == predictions.c.patient_id)
        .where(where)
        .order_by(predictions.c.created_at.desc(), predictions.c.id.desc())
    )


def page(
    engine: Engine, viewer: User, filters: Filters, *, offset: int = 0, limit: int = 50
) -> tuple[list[Record], int]:
    """One page of records, newest first, and how many match in all."""
    where = _where(viewer, filters)
    with engine.connect() as connection:
        total = connection.execute(
            select(func.count()).select_from(predictions).where(where)
        ).scalar_one()
        rows = connection.execute(_listing(where).offset(offset).limit(limit))
        return [Record(**row._mapping) for row in rows], total


def find_patient(engine: Engine, vault, viewer: User, national_id: str) -> str | None:
    """The patient with this national ID (however punctuated), if the viewer may see them.

    A clinician only finds patients they have a prediction for: whether someone is in an HIV
    clinic's records at all is itself sensitive."""
    with engine.connect() as connection:
        patient_id = patients.find(connection, vault, normalise_national_id(national_id))
        if patient_id is None:
            return None
        visible = connection.execute(
            select(predictions.c.id).where(_where(viewer, Filters(patient_id=patient_id))).limit(1)
        ).first()
    return patient_id if visible else None


def reveal(
    engine: Engine, vault, viewer: User, record_id: int, purpose: str, reason: str, now: datetime
) -> Identity:
    """A supervisor's audited look at one record's identity; the event commits before return."""
    if viewer.role is not Role.SUPERVISOR:
        raise AccessDenied("Only supervisors may reveal an identity.")
    try:
        purpose = Purpose(purpose)
    except ValueError as exc:
        raise ValueError(f"Purpose must be one of: {', '.join(Purpose)}.") from exc
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise ValueError(f"Reason must be at least {MIN_REASON} characters.")
    with db.writing(engine) as connection:
        patient_id = connection.execute(
            select(predictions.c.patient_id).where(predictions.c.id == record_id)
        ).scalar_one_or_none()
        if patient_id is None:
            raise LookupError(f"No record {record_id}.")
        identity = patients.decrypt_identity(connection, vault, patient_id)
        if _mentions(reason, identity):
            raise ValueError("Do not write the patient's name or ID in the reason.")
        audit.record(
            connection,
            viewer.username,
            "reveal",
            target=record_id,
            details={"purpose": purpose.value, "reason": reason},
            at=now,
        )
    return identity


def _mentions(reason: str, identity: Identity) -> bool:
    text = reason.casefold()
    digits = normalise_national_id(reason)
    words = [w for w in identity.full_name.casefold().split() if len(w) > 2]
    return identity.national_id_normalised in digits or any(w in text for w in words)


def export_csv(engine: Engine, viewer: User, filters: Filters, now: datetime) -> str:
    """The filtered history as CSV, masked identifiers only; the export is audited."""
    if viewer.role is not Role.SUPERVISOR:
        raise AccessDenied("Only supervisors may export the history.")
    with db.writing(engine) as connection:
        rows = connection.execute(_listing(_where(viewer, filters))).all()
        audit.record(connection, viewer.username, "export", details={"rows": len(rows)}, at=now)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[c.name for c in _COLUMNS])
    writer.writeheader()
    for row in rows:
        record = asdict(Record(**row._mapping))
        record["created_at"] = record["created_at"].isoformat(timespec="seconds")
        writer.writerow(record)
    return out.getvalue()


@dataclass(frozen=True)
class Summary:
    """What the charts above the list show, aggregated in SQL (no rows are loaded)."""

    per_week: list[tuple[date, int]]
    per_band: dict[str, int]
    positive_share_by_version: dict[str, float]


def _week(connection_dialect: str):
    """The Monday of each prediction's week, as each backend spells it."""
    if connection_dialect == "postgresql":
        return func.date(func.date_trunc("week", predictions.c.created_at))
    return func.date(predictions.c.created_at, "weekday 0", "-6 days")


def summary(engine: Engine, viewer: User, filters: Filters) -> Summary:
    where = _where(viewer, filters)
    with engine.connect() as connection:
        week = _week(connection.dialect.name).label("week")
        weeks = connection.execute(
            select(week, func.count()).where(where).group_by(week).order_by(week)
        ).all()
        bands = connection.execute(
            select(predictions.c.risk_band, func.count())
            .where(where)
            .group_by(predictions.c.risk_band)
        ).all()
        positive = func.sum(case((predictions.c.infected, 1), else_=0))
        versions = connection.execute(
            select(predictions.c.model_version, positive, func.count())
            .where(where)
            .group_by(predictions.c.model_version)
        ).all()
    return Summary(
        per_week=[(w if isinstance(w, date) else date.fromisoformat(w), n) for w, n in weeks],
        per_band={band: n for band, n in bands},
        positive_share_by_version={v: p / n for v, p, n in versions},
    )
