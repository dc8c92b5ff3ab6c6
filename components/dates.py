"""A date-range picker that returns what queries want: UTC bounds, the end day included."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from streamlit.delta_generator import DeltaGenerator


def utc_range(where: DeltaGenerator, days: int) -> tuple[datetime | None, datetime | None]:
    """(since, until) for the last `days` days by default; until is exclusive (next midnight)."""
    today = datetime.now(UTC).date()
    period = where.date_input("Dates", (today - timedelta(days=days), today), max_value=today)
    start, end = period if isinstance(period, tuple) and len(period) == 2 else (period, period)
    since = datetime.combine(start, time.min, UTC) if start else None
    until = datetime.combine(end, time.min, UTC) + timedelta(days=1) if end else None
    return since, until
