"""A date-range picker that returns what queries want: UTC bounds, the end day included; and
the moment.js patterns tables show dates with, in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from streamlit.delta_generator import DeltaGenerator

from clinic import i18n
from clinic.i18n import _

_PICKER_FORMATS = {"en": "YYYY/MM/DD", "es": "DD/MM/YYYY"}
"""st.date_input's own patterns (it knows only a few); English keeps Streamlit's default."""


def utc_range(where: DeltaGenerator, days: int) -> tuple[datetime | None, datetime | None]:
    """(since, until) for the last `days` days by default; until is exclusive (next midnight)."""
    today = datetime.now(UTC).date()
    period = where.date_input(
        _("Dates"),
        (today - timedelta(days=days), today),
        max_value=today,
        format=_PICKER_FORMATS.get(i18n.current(), _PICKER_FORMATS[i18n.DEFAULT]),
    )
    start, end = period if isinstance(period, tuple) and len(period) == 2 else (period, period)
    since = datetime.combine(start, time.min, UTC) if start else None
    until = datetime.combine(end, time.min, UTC) + timedelta(days=1) if end else None
    return since, until


def moment_format(seconds: bool = False) -> str:
    """The reader's date and time pattern for st.column_config.DatetimeColumn (moment.js):
    'YYYY-MM-DD HH:mm' in English, 'DD/MM/YYYY HH:mm' in Spanish; `seconds` adds ':ss'."""
    pattern = i18n.LANGUAGES[i18n.current()].datetime  # CLDR: yyyy-MM-dd HH:mm
    pattern = pattern.replace("yyyy", "YYYY").replace("dd", "DD")
    return pattern + (":ss" if seconds else "")
