"""The history's plotly figures, built with graph_objects: plotly.express takes ~25 ms a figure
to build its templates and subplots, a tenth of the page's budget; these take ~2 ms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import plotly.graph_objects as go

from clinic import i18n
from clinic.history import Record
from clinic.i18n import _
from clinic.risk import RiskBand
from components.plots import MARGIN

_HEIGHT = 260


def _bars(x: Sequence, y: Sequence, title: str, y_title: str) -> go.Figure:
    return go.Figure(
        go.Bar(x=list(x), y=list(y)),
        layout={
            "title": title,
            "height": _HEIGHT,
            "margin": MARGIN,
            "yaxis": {"title": y_title},
        },
    )


def per_week(weeks: Sequence[tuple[date, int]]) -> go.Figure:
    days, counts = [week for week, count in weeks], [count for week, count in weeks]
    figure = _bars(days, counts, _("Predictions per week"), _("predictions"))
    figure.update_xaxes(tickformat=i18n.chart_week())
    return figure


def per_band(bands: Mapping[str, int]) -> go.Figure:
    return _bars(
        [b.label for b in RiskBand],
        [bands.get(b.value, 0) for b in RiskBand],
        _("Risk bands"),
        _("predictions"),
    )


def positive_share(by_version: Mapping[str, float]) -> go.Figure:
    versions = sorted(by_version, key=lambda v: (len(v), v))
    figure = _bars(
        [f"v{v}" for v in versions],
        [by_version[v] for v in versions],
        _('Predicted "infected", by model version'),
        _("share"),
    )
    figure.update_yaxes(range=[0, 1], tickformat=".0%")
    return figure


def timeline(rows: Sequence[Record]) -> go.Figure:
    """One patient's predicted risk over time, one line and colour per model version."""
    figure = go.Figure(
        layout={
            "title": _("This patient's predicted risk over time (colour: model version)"),
            "height": 320,
            "margin": MARGIN,
            "xaxis": {"title": _("Date"), "tickformat": i18n.chart_day()},
            "yaxis": {"title": _("Predicted risk"), "range": [0, 1], "tickformat": ".0%"},
        }
    )
    for version in sorted({r.model_version for r in rows}, key=lambda v: (len(v), v)):
        points = sorted((r.created_at, r.probability) for r in rows if r.model_version == version)
        figure.add_trace(
            go.Scatter(
                x=[at for at, risk in points],
                y=[risk for at, risk in points],
                mode="lines+markers",
                name=_("model v{version}").format(version=version),
            )
        )
    return figure
