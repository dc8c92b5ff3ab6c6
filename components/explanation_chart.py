"""'Why this score': the patient's values that moved the risk most, as a plotly bar."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import streamlit as st

from components import plots
from model_store.explain import Explanation, describe

RAISES, LOWERS = "#c0392b", "#1e8449"


def figure(explanation: Explanation, measurements: Mapping[str, float], n: int = 8) -> go.Figure:
    strongest = explanation.strongest(n)[::-1]  # plotly draws the first bar at the bottom
    return go.Figure(
        go.Bar(
            x=[value * 100 for _, value in strongest],
            y=[describe(code, measurements, value) for code, value in strongest],
            orientation="h",
            marker_color=[RAISES if value > 0 else LOWERS for _, value in strongest],
            hovertemplate="%{y}<br>%{x:+.1f} percentage points<extra></extra>",
        ),
        layout={
            "height": 60 + 34 * len(strongest),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "xaxis": {"title": "percentage points of risk", "zeroline": True},
        },
    )


def show(explanation: Explanation, measurements: Mapping[str, float]) -> None:
    """The chart with one line saying how to read it."""
    st.markdown("**Why this score**")
    st.caption(
        f"Starting from the model's base rate of {explanation.base_rate:.1%}, each of this "
        f"patient's values moved the risk up (red) or down (green); together they make "
        f"{explanation.probability:.1%}. These describe the model, not the disease."
    )
    st.plotly_chart(figure(explanation, measurements), config=plots.CONFIG)
