"""What every small plotly chart in the app shares."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from clinic import i18n

CONFIG = {"displayModeBar": False}
"""Plotly's toolbar would cover the titles of small charts."""

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def show(figure: go.Figure, where=st) -> None:
    """Draw `figure` in `where` (a column, say), its numbers marked the reader's way (72,5)."""
    figure.update_layout(separators=i18n.separators())
    where.plotly_chart(figure, config=CONFIG)
