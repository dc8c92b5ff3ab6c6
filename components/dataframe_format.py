"""Tables whose numbers read the reader's way (0,894 and 12,3% in Spanish) and still sort as
numbers: a pandas Styler carries the written form, the column keeps the values.

Streamlit's own column formats ("%.3f", "percent") always write a decimal point, so number
columns are formatted here instead; a column_config for them sets labels and help only.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from pandas.io.formats.style import Styler

from clinic import i18n


def localised(
    frame: pd.DataFrame, *, places: Iterable[str] = (), percents: Iterable[str] = ()
) -> Styler:
    """`frame` with `places` columns at 3 decimals and `percents` columns as percentages."""
    formats = {column: _three_places for column in places}
    formats |= {column: i18n.percent for column in percents}
    return frame.style.format({c: f for c, f in formats.items() if c in frame}, na_rep="")


def _three_places(value: float) -> str:
    return i18n.number(value, 3)
