"""What every small plotly chart in the app shares."""

CONFIG = {"displayModeBar": False}
"""Plotly's toolbar would cover the titles of small charts."""

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
