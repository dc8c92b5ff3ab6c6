"""The monitoring page's plotly figures (graph_objects, as in the history: fast to build)."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from clinic import i18n
from clinic.i18n import _
from clinic.monitoring import FieldDrift, Week
from components.plots import MARGIN

_HEIGHT = 300
TRAINING_COLOUR = "#9aa5b1"
RECENT_COLOUR = "#0f6e8c"
"""The theme's primary colour (.streamlit/config.toml): today's patients stand out."""


def overlay(drift: FieldDrift) -> go.Figure:
    """Training and recent shares bin by bin, one over the other. A coded input's bins are its
    choices' names (the schema's words, translated); numeric ranges stay as they are."""
    bins = [_(b) if b else b for b in drift.bins]
    figure = go.Figure(
        [
            go.Bar(
                x=bins,
                y=list(drift.training),
                name=_("Training data (ACTG 175)"),
                marker_color=TRAINING_COLOUR,
            ),
            go.Bar(
                x=bins,
                y=list(drift.recent),
                name=_("Recent predictions"),
                marker_color=RECENT_COLOUR,
            ),
        ],
        layout={
            "title": f"{_(drift.label)}: PSI {i18n.number(drift.psi, 2)}",
            "barmode": "overlay",
            "height": _HEIGHT,
            "margin": MARGIN,
            "yaxis": {"title": _("share of patients"), "tickformat": ".0%"},
            "legend": {"orientation": "h", "y": -0.25},
        },
    )
    figure.update_traces(opacity=0.6)
    return figure


def positive_rate(weeks: Sequence[Week]) -> go.Figure:
    """Share predicted infected, week by week, with each week's count on hover."""
    return go.Figure(
        go.Scatter(
            x=[w.start for w in weeks],
            y=[w.positive_rate for w in weeks],
            customdata=[w.predictions for w in weeks],
            # plotly's own placeholders (%{x}): translated, never passed through .format
            hovertemplate=_("week of %{x}: %{y:.1%} of %{customdata} predictions<extra></extra>"),
            mode="lines+markers",
        ),
        layout={
            "title": _("Predicted infected, per week"),
            "height": _HEIGHT,
            "margin": MARGIN,
            "xaxis": {"tickformat": i18n.chart_week()},
            "yaxis": {"title": _("share"), "tickformat": ".0%", "rangemode": "tozero"},
        },
    )
