"""Monitoring: are today's patients still like the trial the model learned from?"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from clinic import monitoring
from components import monitoring_charts, plots
from components.agreement_view import agreement_table
from components.dates import utc_range
from components.guard import require
from model_store.reference import PSI_FLAG

clinic, user = require("monitoring")
st.title("Monitoring")
st.caption(
    "Each input of the predictions in the period against the training data (ACTG 175, "
    f"1989–1991), by the population stability index: above {PSI_FLAG} the patients differ "
    "enough for the model's figures not to be taken for granted."
)
since, until = utc_range(st.columns(3)[0], days=30)
if since is None or until is None:
    st.info("Pick the first and the last day.")
    st.stop()
report = monitoring.report(clinic.engine, since.date(), (until - timedelta(days=1)).date())
if not report.predictions:
    st.info("No predictions in this period.")
    st.stop()

counted, shifted, outside = st.columns(3)
counted.metric("Predictions", f"{report.predictions:,}")
shifted.metric("Inputs shifted (PSI > 0.2)", f"{len(report.flagged)} of {len(report.fields)}")
most_outside = max(report.fields, key=lambda f: f.outside)
outside.metric(
    "Most outside the training range",
    f"{most_outside.outside:.1%}",
    help=f"{most_outside.label}: share of values the model never saw in training.",
)
if report.flagged:
    st.warning(
        "Shifted: "
        + ", ".join(f"**{f.label}** (PSI {f.psi:.2f})" for f in report.flagged)
        + ". Check the model card's limits before relying on its figures for these patients; "
        "retraining on recent data may be due.",
        icon=":material/warning:",
    )
else:
    st.success("No input has shifted beyond 0.2.", icon=":material/check_circle:")

table, chart = st.columns([1, 1], gap="large")
table.dataframe(
    pd.DataFrame(
        {
            "Input": [f.label for f in report.fields],
            "PSI": [round(f.psi, 3) for f in report.fields],
            "Shifted": ["yes" if f.flagged else "" for f in report.fields],
            "Outside range": [f.outside for f in report.fields],
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "Outside range": st.column_config.NumberColumn(
            format="percent", help="Share of values outside everything seen in training"
        ),
    },
)
chosen = chart.selectbox(
    "Input", report.fields, format_func=lambda f: f"{f.label} (PSI {f.psi:.2f})"
)
chart.plotly_chart(monitoring_charts.overlay(chosen), config=plots.CONFIG)

st.plotly_chart(monitoring_charts.positive_rate(report.weeks), config=plots.CONFIG)
agreement_table(report.agreement)
