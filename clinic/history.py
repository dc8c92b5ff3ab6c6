"""The prediction history: what a viewer may list (masked), find and summarise.

Clinicians see only the predictions they made; supervisors see all; administrators none. Lists
carry the masked forms written at prediction time, so nothing is decrypted to show a page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    Select,
    Table,
    and_,
    cast,
    func,
    literal,
    select,
    true,
)

from clinic import patients
from clinic.access import AccessDenied, Action, may
from clinic.accounts import User
from clinic.i18n import N_, _
from clinic.identity import normalise_national_id
from clinic.tables import patient_names, prediction_counts, predictions
from clinic.tables import patients as patients_table
from model_store.explanation import Explanation


def sentence(text: str) -> str:
    """`text` with its first letter in capitals, as a list shows it."""
    return text[:1].upper() + text[1:]


class Order(StrEnum):
    """How the list is sorted; each has an index so that the first page is cheap."""

    NEWEST = "newest first"
    OLDEST = "oldest first"
    RISK = "highest risk first"

    @property
    def label(self) -> str:
        """The order in the reader's language, as a list shows it ('Newest first')."""
        return sentence(_(_ORDER_NAMES[self]))


_ORDER_NAMES = {
    Order.NEWEST: N_("newest first"),
    Order.OLDEST: N_("oldest first"),
    Order.RISK: N_("highest risk first"),
}

_ORDER_BY = {
    Order.NEWEST: (predictions.c.created_at.desc(), predictions.c.id.desc()),
    Order.OLDEST: (predictions.c.created_at.asc(), predictions.c.id.asc()),
    Order.RISK: (predictions.c.probability.desc(), predictions.c.id.desc()),
}


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    bands: Sequence[str] = ()
    infected: bool | None = None
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


def _scope(viewer: User, created_by: ColumnElement[str]) -> ColumnElement[bool]:
    if may(viewer.role, Action.SEE_ALL_HISTORY):
        return true()
    if may(viewer.role, Action.SEE_HISTORY):
        return created_by == viewer.username
    raise AccessDenied("Administrators do not see patient records.")


def _conditions(viewer: User, filters: Filters, table: Table) -> list[ColumnElement[bool]]:
    """What `predictions` and `prediction_counts` filter alike (they share these columns)."""
    columns = table.c
    conditions = [_scope(viewer, columns.created_by)]
    if filters.bands:
        conditions.append(columns.risk_band.in_(list(filters.bands)))
    if filters.infected is not None:
        conditions.append(columns.infected == filters.infected)
    if filters.clinician:
        conditions.append(columns.created_by == filters.clinician)
    if filters.model_version:
        conditions.append(columns.model_version == filters.model_version)
    return conditions


def _where(viewer: User, filters: Filters) -> ColumnElement[bool]:
    conditions = _conditions(viewer, filters, predictions)
    if filters.since:
        conditions.append(predictions.c.created_at >= filters.since)
    if filters.until:
        conditions.append(predictions.c.created_at < filters.until)
    if filters.patient_id:
        conditions.append(predictions.c.patient_id == filters.patient_id)
    return and_(*conditions)


def _by_day(filters: Filters) -> bool:
    """Whether the daily tallies answer exactly: no patient, bounds on UTC midnights."""
    bounds = [b.astimezone(UTC) for b in (filters.since, filters.until) if b is not None]
    return filters.patient_id is None and all(b.time() == time.min for b in bounds)


@dataclass(frozen=True)
class _Counted:
    """Where counts come from: the daily tallies when they are exact, else the rows."""

    table: Table
    where: ColumnElement[bool]
    weight: ColumnElement[int]
    """How many predictions a row stands for: 1 for a prediction, `n` for a tally."""
    day: ColumnElement

    def total(self) -> ColumnElement[int]:
        """How many predictions the (grouped) rows stand for."""
        return func.coalesce(func.sum(self.weight), 0)


def _counted(viewer: User, filters: Filters, dialect: str) -> _Counted:
    if not _by_day(filters):
        day = (
            cast(func.timezone("UTC", predictions.c.created_at), Date)
            if dialect == "postgresql"
            else func.date(predictions.c.created_at)
        )
        return _Counted(predictions, _where(viewer, filters), literal(1), day)
    tallies = prediction_counts
    conditions = _conditions(viewer, filters, tallies)
    if filters.since:
        conditions.append(tallies.c.day >= filters.since.astimezone(UTC).date())
    if filters.until:
        conditions.append(tallies.c.day < filters.until.astimezone(UTC).date())
    return _Counted(tallies, and_(*conditions), tallies.c.n, tallies.c.day)


_COLUMNS = (
    predictions.c.id,
    predictions.c.created_at,
    func.coalesce(patient_names.c.name_masked, patients_table.c.name_masked).label("name_masked"),
    patients_table.c.national_id_masked,
    predictions.c.probability,
    predictions.c.infected,
    predictions.c.risk_band,
    predictions.c.model_version,
    predictions.c.created_by.label("clinician"),
)


def _listing(
    where: ColumnElement[bool], order: Order, offset: int = 0, limit: int | None = None
) -> Select:
    """The masked rows matching `where`, in `order`, each with the name typed with it. The page
    is chosen on `predictions` alone (its indexes) before joining patients, so a sort or an
    offset never joins rows it drops."""
    chosen = (
        select(predictions.c.id)
        .where(where)
        .order_by(*_ORDER_BY[order])
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    return (
        select(*_COLUMNS)
        .select_from(chosen)
        .join(predictions, predictions.c.id == chosen.c.id)
        .join(patients_table, patients_table.c.id == predictions.c.patient_id)
        .outerjoin(patient_names, patient_names.c.id == predictions.c.name_id)
        .order_by(*_ORDER_BY[order])
    )


def page(
    engine: Engine,
    viewer: User,
    filters: Filters,
    *,
    order: Order = Order.NEWEST,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Record], int]:
    """One page of records and how many match in all."""
    with engine.connect() as connection:
        counted = _counted(viewer, filters, connection.dialect.name)
        total = connection.execute(
            select(counted.total()).select_from(counted.table).where(counted.where)
        ).scalar_one()
        rows = connection.execute(_listing(_where(viewer, filters), order, offset, limit))
        return [Record(**row._mapping) for row in rows], int(total)


def choices(engine: Engine, viewer: User) -> tuple[list[str], list[str]]:
    """The clinicians and model versions in the viewer's records, for the filters' lists."""
    tallies = prediction_counts.c
    with engine.connect() as connection:

        def distinct(column: ColumnElement[str]) -> list[str]:
            query = select(column).where(_scope(viewer, tallies.created_by)).distinct()
            return list(connection.execute(query).scalars())

        clinicians = sorted(distinct(tallies.created_by))
        versions = sorted(distinct(tallies.model_version), key=lambda v: (len(v), v))
    return clinicians, versions


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


def explanation(
    engine: Engine, viewer: User, record_id: int
) -> tuple[Explanation, Mapping[str, float]] | None:
    """A record's stored explanation and the values it explains, if the viewer may see the
    record and it has one (demo records do not)."""
    with engine.connect() as connection:
        row = connection.execute(
            select(predictions.c.explanation, predictions.c.measurements).where(
                predictions.c.id == record_id, _scope(viewer, predictions.c.created_by)
            )
        ).first()
    if row is None or row.explanation is None:
        return None
    return Explanation.from_json(row.explanation), row.measurements


def matching(connection: Connection, viewer: User, filters: Filters) -> list[Record]:
    """Every record matching `filters`, newest first, read on the caller's connection (an export
    reads them in the transaction that audits it)."""
    rows = connection.execute(_listing(_where(viewer, filters), Order.NEWEST))
    return [Record(**row._mapping) for row in rows]


@dataclass(frozen=True)
class Summary:
    """What the charts above the list show, aggregated in SQL (no rows are loaded)."""

    per_week: list[tuple[date, int]]
    per_band: dict[str, int]
    positive_share_by_version: dict[str, float]


def summary(engine: Engine, viewer: User, filters: Filters) -> Summary:
    """One grouped query (per day, band, version, class), folded here into the three charts."""
    with engine.connect() as connection:
        counted = _counted(viewer, filters, connection.dialect.name)
        columns = counted.table.c
        keys = (counted.day, columns.model_version, columns.risk_band, columns.infected)
        rows = connection.execute(
            select(*keys, counted.total()).where(counted.where).group_by(*keys)
        ).all()
    weeks: Counter[date] = Counter()
    bands: Counter[str] = Counter()
    versions: Counter[str] = Counter()
    positives: Counter[str] = Counter()
    for day, version, band, infected, n in rows:
        day = day if isinstance(day, date) else date.fromisoformat(day)
        weeks[day - timedelta(days=day.weekday())] += int(n)
        bands[band] += int(n)
        versions[version] += int(n)
        positives[version] += int(n) if infected else 0
    return Summary(
        per_week=sorted(weeks.items()),
        per_band=dict(bands),
        positive_share_by_version={v: positives[v] / n for v, n in versions.items()},
    )
