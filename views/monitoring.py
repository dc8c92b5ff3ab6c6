"""Monitoring: are today's patients still like the trial the model learned from?"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from clinic import i18n, monitoring
from clinic.i18n import _
from components import dataframe_format, monitoring_charts, plots
from components.agreement_view import agreement_table
from components.dates import utc_range
from components.guard import require
from model_store.reference import PSI_FLAG

clinic, user = require("monitoring")
st.title(_("Monitoring"))
st.caption(
    _(
        "Each input of the predictions in the period against the training data (ACTG 175, "
        "1989–1991), by the population stability index: above {flag} the patients differ "
        "enough for the model's figures not to be taken for granted."
    ).format(flag=i18n.number(PSI_FLAG))
)
since, until = utc_range(st.columns(3)[0], days=30)
if since is None or until is None:
    st.info(_("Pick the first and the last day."))
    st.stop()
report = monitoring.report(clinic.engine, since.date(), (until - timedelta(days=1)).date())
if not report.predictions:
    st.info(_("No predictions in this period."))
    st.stop()


def _psi(drift: monitoring.FieldDrift) -> str:
    """'Age (PSI 0.31)', the input in the reader's language."""
    return f"{_(drift.label)} (PSI {i18n.number(drift.psi, 2)})"


counted, shifted, outside = st.columns(3)
counted.metric(_("Predictions"), i18n.number(report.predictions))
shifted.metric(
    _("Inputs shifted (PSI > {flag})").format(flag=i18n.number(PSI_FLAG)),
    _("{shifted} of {total}").format(
        shifted=i18n.number(len(report.flagged)), total=i18n.number(len(report.fields))
    ),
)
most_outside = max(report.fields, key=lambda f: f.outside)
outside.metric(
    _("Most outside the training range"),
    i18n.percent(most_outside.outside, 1),
    help=_("{input}: share of values the model never saw in training.").format(
        input=_(most_outside.label)
    ),
)
if report.flagged:
    st.warning(
        _(
            "Shifted: {inputs}. Check the model card's limits before relying on its figures for "
            "these patients; retraining on recent data may be due."
        ).format(
            inputs=", ".join(
                f"**{_(f.label)}** (PSI {i18n.number(f.psi, 2)})" for f in report.flagged
            )
        ),
        icon=":material/warning:",
    )
else:
    st.success(
        _("No input has shifted beyond {flag}.").format(flag=i18n.number(PSI_FLAG)),
        icon=":material/check_circle:",
    )

table, chart = st.columns([1, 1], gap="large")
outside_range = _("Outside range")
table.dataframe(
    dataframe_format.localised(
        pd.DataFrame(
            {
                _("Input"): [_(f.label) for f in report.fields],
                "PSI": [round(f.psi, 3) for f in report.fields],
                _("Shifted"): [_("yes") if f.flagged else "" for f in report.fields],
                outside_range: [f.outside for f in report.fields],
            }
        ),
        places=["PSI"],
        percents=[outside_range],
    ),
    hide_index=True,
    width="stretch",
    column_config={
        outside_range: st.column_config.Column(
            help=_("Share of values outside everything seen in training")
        ),
    },
)
# labels made now, in this run's language (AppTest calls format_func again outside the run)
shown = {f.code: _psi(f) for f in report.fields}
chosen = chart.selectbox(_("Input"), report.fields, format_func=lambda f: shown[f.code])
plots.show(monitoring_charts.overlay(chosen), chart)

plots.show(monitoring_charts.positive_rate(report.weeks))
agreement_table(report.agreement)
