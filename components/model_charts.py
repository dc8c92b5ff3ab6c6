"""The model card's plotly figures: confusion matrices, ROC and calibration curves, importances."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from clinic import i18n
from clinic.i18n import N_, _
from components.plots import MARGIN
from model_store.evaluation import roc_figure

_PREDICTED = [N_("predicted not infected"), N_("predicted infected")]
_TRULY = [N_("truly not infected"), N_("truly infected")]
_PARTS = {"cv": N_("cross-validated"), "test": N_("hold-out")}


def confusion(matrix: Sequence[Sequence[int]], title: str) -> go.Figure:
    """Rows the truth, columns the prediction; each cell shows its count. `title` is shown as
    given (translated by the caller)."""
    return go.Figure(
        go.Heatmap(
            z=matrix,
            x=[_(c) for c in _PREDICTED],
            y=[_(c) for c in _TRULY],
            text=matrix,
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
        ),
        layout={
            "title": title,
            "height": 300,
            "margin": MARGIN,
            "yaxis": {"autorange": "reversed"},
        },
    )


def roc(curves: Mapping[str, Mapping]) -> go.Figure:
    """The run's ROC curves, drawn as training logged them (evaluation.roc_figure), with the
    words in the reader's language."""
    named = {_(_PARTS[k]) if k in _PARTS else k: v for k, v in curves.items()}
    figure = roc_figure(named, text=_, number=lambda auc: i18n.number(auc, 3))
    figure.update_layout(height=340, margin=MARGIN, xaxis_range=[0, 1], yaxis_range=[0, 1])
    return figure


def calibration(predicted: Sequence[float], observed: Sequence[float]) -> go.Figure:
    return go.Figure(
        [
            go.Scatter(
                x=predicted, y=observed, mode="lines+markers", name=_("model (cross-validated)")
            ),
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                name=_("perfect calibration"),
                line={"dash": "dash", "color": "grey"},
            ),
        ],
        layout={
            "title": _("Calibration: predicted risk vs observed event share (deciles)"),
            "height": 340,
            "margin": MARGIN,
            "xaxis": {"title": _("mean predicted risk"), "range": [0, 1], "tickformat": ".0%"},
            "yaxis": {
                "title": _("observed share with an event"),
                "range": [0, 1],
                "tickformat": ".0%",
            },
        },
    )


def importances(ranked: Sequence[tuple[str, float]]) -> go.Figure:
    """(field label, importance) pairs; the labels are the schema's English ones, shown
    translated."""
    ranked = list(ranked)[::-1]
    return go.Figure(
        go.Bar(x=[v for _l, v in ranked], y=[_(label) for label, _v in ranked], orientation="h"),
        layout={
            "title": _("Feature importance (mean decrease in impurity)"),
            "height": 80 + 26 * len(ranked),
            "margin": MARGIN,
            "xaxis": {"tickformat": ".0%"},
        },
    )
