"""'Why this score': the patient's values that moved the risk most, as a plotly bar."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import streamlit as st

from clinic import i18n
from clinic.i18n import _
from clinic.validation import choice, label, unit
from components import plots
from model_store.explanation import Explanation
from model_store.features import DIFFERENCES
from model_store.schema import BY_CODE

RAISES, LOWERS = "#c0392b", "#1e8449"


def sentence(code: str, measurements: Mapping[str, float], contribution: float) -> str:
    """One line in clinical words, in the reader's language: 'CD4 count at baseline 120
    cells/mm³: raises risk' (in English exactly `model_store.explain.describe`)."""
    f = BY_CODE[code]
    value = measurements[code]
    direction = _("raises risk") if contribution > 0 else _("lowers risk")
    if f.choices is not None:
        shown = choice(f, int(value)) if int(value) in f.choices else str(value)
        return f"{label(f)} ({shown.split(' – ')[0]}): {direction}"
    shown = i18n.decimal_mark(f"{value:g}") if not f.integer else f"{int(value)}"
    shown += f" {unit(f)}"
    if code in DIFFERENCES:  # the model saw the change from baseline: say so
        change = value - measurements[DIFFERENCES[code][1]]
        shown += " " + _("(change {change})").format(change=i18n.decimal_mark(f"{change:+g}"))
    return f"{label(f)} {shown.strip()}: {direction}"


def figure(explanation: Explanation, measurements: Mapping[str, float], n: int = 8) -> go.Figure:
    """One thin bar per value, its sentence written above it (a result column is too narrow
    for tick labels this long)."""
    strongest = explanation.strongest(n)[::-1]  # plotly draws the first bar at the bottom
    sentences = [sentence(code, measurements, value) for code, value in strongest]
    return go.Figure(
        go.Bar(
            x=[value * 100 for _code, value in strongest],
            y=list(range(len(strongest))),
            width=0.35,
            orientation="h",
            marker_color=[RAISES if value > 0 else LOWERS for _code, value in strongest],
            hovertext=sentences,
            # plotly's own %{…} placeholders: the word is put in, never passed through format
            hovertemplate="%{hovertext}<br>%{x:+.1f} " + _("points") + "<extra></extra>",
        ),
        layout={
            "height": 50 + 46 * len(strongest),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "xaxis": {"title": _("points of risk (percentage points)"), "zeroline": True},
            "yaxis": {"visible": False, "range": [-0.5, len(strongest) - 0.1]},
            "annotations": [
                {
                    "text": text,
                    "x": 0,
                    "xref": "paper",
                    "xanchor": "left",
                    "y": i + 0.42,
                    "showarrow": False,
                    "font": {"size": 12},
                }
                for i, text in enumerate(sentences)
            ],
        },
    )


def show(explanation: Explanation, measurements: Mapping[str, float]) -> None:
    """The chart with one line saying how to read it."""
    st.markdown("**" + _("Why this score") + "**")
    st.caption(
        _(
            "Starting from the model's base rate of {base_rate} (its average before seeing any "
            "value; training weighted both outcomes equally), each of this patient's values "
            "moved the risk up (red) or down (green), to {probability}. They describe the "
            "model, not the disease."
        ).format(
            base_rate=i18n.percent(explanation.base_rate, 1),
            probability=i18n.percent(explanation.probability, 1),
        )
    )
    plots.show(figure(explanation, measurements))
