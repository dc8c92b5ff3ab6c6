"""'Why this score': the patient's values that moved the risk most, as a plotly bar."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import streamlit as st

from components import plots
from model_store.explain import Explanation, describe

RAISES, LOWERS = "#c0392b", "#1e8449"


def figure(explanation: Explanation, measurements: Mapping[str, float], n: int = 8) -> go.Figure:
    """One thin bar per value, its sentence written above it (a result column is too narrow
    for tick labels this long)."""
    strongest = explanation.strongest(n)[::-1]  # plotly draws the first bar at the bottom
    sentences = [describe(code, measurements, value) for code, value in strongest]
    return go.Figure(
        go.Bar(
            x=[value * 100 for _, value in strongest],
            y=list(range(len(strongest))),
            width=0.35,
            orientation="h",
            marker_color=[RAISES if value > 0 else LOWERS for _, value in strongest],
            hovertext=sentences,
            hovertemplate="%{hovertext}<br>%{x:+.1f} points<extra></extra>",
        ),
        layout={
            "height": 50 + 46 * len(strongest),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "xaxis": {"title": "points of risk (percentage points)", "zeroline": True},
            "yaxis": {"visible": False, "range": [-0.5, len(strongest) - 0.1]},
            "annotations": [
                {
                    "text": sentence,
                    "x": 0,
                    "xref": "paper",
                    "xanchor": "left",
                    "y": i + 0.42,
                    "showarrow": False,
                    "font": {"size": 12},
                }
                for i, sentence in enumerate(sentences)
            ],
        },
    )


def show(explanation: Explanation, measurements: Mapping[str, float]) -> None:
    """The chart with one line saying how to read it."""
    st.markdown("**Why this score**")
    st.caption(
        f"Starting from the model's base rate of {explanation.base_rate:.1%} (its average "
        f"before seeing any value; training weighted both outcomes equally), each of this "
        f"patient's values moved the risk up (red) or down (green), to "
        f"{explanation.probability:.1%}. They describe the model, not the disease."
    )
    st.plotly_chart(figure(explanation, measurements), config=plots.CONFIG)
