"""Is the model still looking at the kind of patients it learned from?

For each input, recent predictions' distribution against the training data's (the population
stability index, flagged above 0.2) and the share outside the training range; the
predicted-positive rate week by week; and champion/challenger agreement. Everything reads the
daily tallies (clinic.counts), so a report costs the same at a million predictions as at ten.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, func, select

from clinic import shadow
from clinic.tables import input_counts, prediction_counts
from model_store.reference import ABOVE, BELOW, PSI_FLAG, bins, psi


@dataclass(frozen=True)
class FieldDrift:
    """One input over the window, beside the training data, bin by bin."""

    code: str
    label: str
    n: int
    psi: float
    outside: float
    """Share of the window's values outside the training range (0 for coded fields)."""
    bins: tuple[str, ...]
    training: tuple[float, ...]
    recent: tuple[float, ...]

    @property
    def flagged(self) -> bool:
        return self.psi > PSI_FLAG


@dataclass(frozen=True)
class Week:
    start: date
    predictions: int
    positives: int

    @property
    def positive_rate(self) -> float:
        return self.positives / self.predictions


@dataclass(frozen=True)
class Report:
    since: date
    until: date
    predictions: int
    fields: tuple[FieldDrift, ...]
    """Most shifted first."""
    weeks: tuple[Week, ...]
    agreement: tuple[shadow.Agreement, ...]

    @property
    def flagged(self) -> tuple[FieldDrift, ...]:
        return tuple(f for f in self.fields if f.flagged)


def report(engine: Engine, since: date, until: date) -> Report:
    """Drift, positive rate and agreement for predictions made from `since` to `until`
    (UTC days, both included)."""
    with engine.connect() as connection:
        binned = connection.execute(
            select(input_counts.c.field, input_counts.c.bin, func.sum(input_counts.c.n))
            .where(input_counts.c.day.between(since, until))
            .group_by(input_counts.c.field, input_counts.c.bin)
        ).all()
        tallies = prediction_counts.c
        daily = connection.execute(
            select(tallies.day, tallies.infected, func.sum(tallies.n))
            .where(tallies.day.between(since, until))
            .group_by(tallies.day, tallies.infected)
        ).all()
    by_field: dict[str, dict[int, int]] = defaultdict(dict)
    for code, bin_number, n in binned:
        by_field[code][int(bin_number)] = int(n)
    fields = [_drift(code, by_field.get(code, {})) for code in bins()]
    fields.sort(key=lambda f: -f.psi)
    return Report(
        since=since,
        until=until,
        predictions=max((f.n for f in fields), default=0),
        fields=tuple(fields),
        weeks=_weeks(daily),
        agreement=tuple(shadow.agreement(engine)),
    )


def _drift(code: str, counts: dict[int, int]) -> FieldDrift:
    reference = bins()[code]
    n = sum(counts.values())
    recent = reference.in_range_shares(counts)
    return FieldDrift(
        code=code,
        label=reference.field.label,
        n=n,
        psi=psi(reference.training_shares, recent) if n else 0.0,
        outside=(counts.get(BELOW, 0) + counts.get(ABOVE, 0)) / n if n else 0.0,
        bins=tuple(reference.labels()),
        training=reference.training_shares,
        recent=tuple(recent),
    )


def _weeks(daily: list) -> tuple[Week, ...]:
    """Daily counts folded into weeks starting on Monday."""
    totals: Counter[date] = Counter()
    positives: Counter[date] = Counter()
    for day, infected, n in daily:
        monday = day - timedelta(days=day.weekday())
        totals[monday] += int(n)
        positives[monday] += int(n) if infected else 0
    return tuple(Week(monday, totals[monday], positives[monday]) for monday in sorted(totals))
