"""The model card's plotly figures: confusion matrices, ROC and calibration curves, importances."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from components.plots import MARGIN
from model_store.evaluation import roc_figure

_CLASSES = ["not infected", "infected"]


def confusion(matrix: Sequence[Sequence[int]], title: str) -> go.Figure:
    """Rows the truth, columns the prediction; each cell shows its count."""
    return go.Figure(
        go.Heatmap(
            z=matrix,
            x=[f"predicted {c}" for c in _CLASSES],
            y=[f"truly {c}" for c in _CLASSES],
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
    """The run's ROC curves, drawn as training logged them (evaluation.roc_figure)."""
    named = {{"cv": "cross-validated", "test": "hold-out"}.get(k, k): v for k, v in curves.items()}
    figure = roc_figure(named)
    figure.update_layout(height=340, margin=MARGIN, xaxis_range=[0, 1], yaxis_range=[0, 1])
    return figure


def calibration(predicted: Sequence[float], observed: Sequence[float]) -> go.Figure:
    return go.Figure(
        [
            go.Scatter(
                x=predicted, y=observed, mode="lines+markers", name="model (cross-validated)"
            ),
            go.Scatter(
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                name="perfect calibration",
                line={"dash": "dash", "color": "grey"},
            ),
        ],
        layout={
            "title": "Calibration: predicted risk vs observed event share (deciles)",
            "height": 340,
            "margin": MARGIN,
            "xaxis": {"title": "mean predicted risk", "range": [0, 1], "tickformat": ".0%"},
            "yaxis": {
                "title": "observed share with an event",
                "range": [0, 1],
                "tickformat": ".0%",
            },
        },
    )


def importances(ranked: Sequence[tuple[str, float]]) -> go.Figure:
    ranked = list(ranked)[::-1]
    return go.Figure(
        go.Bar(x=[v for _, v in ranked], y=[label for label, _ in ranked], orientation="h"),
        layout={
            "title": "Feature importance (mean decrease in impurity)",
            "height": 80 + 26 * len(ranked),
            "margin": MARGIN,
            "xaxis": {"tickformat": ".0%"},
        },
    )
