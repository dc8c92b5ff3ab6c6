"""How a stored prediction is shown: probability, class, band, gauge, caveats."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from clinic import i18n
from clinic.i18n import N_, _
from clinic.predictions import StoredPrediction
from clinic.risk import RiskBand, band_ranges, class_label
from components import explanation_chart, plots
from components.plain import literal

BAND_COLOURS = {RiskBand.LOW: "green", RiskBand.MODERATE: "orange", RiskBand.HIGH: "red"}
BAND_FILL = {RiskBand.LOW: "#d8f0dc", RiskBand.MODERATE: "#fde8c8", RiskBand.HIGH: "#f9d0cc"}

DISCLAIMER = N_(
    "This estimate supports clinical judgement; it does not replace it. The model was built to "
    "help prioritise follow-up tests, not to diagnose. It predicts the ACTG 175 trial outcome "
    "(an AIDS-defining event or death during follow-up) for people already living with HIV-1."
)


def _gauge(result: StoredPrediction) -> go.Figure:
    threshold = result.threshold * 100
    steps = [
        {"range": [low * 100, high * 100], "color": BAND_FILL[band]}
        for band, (low, high) in band_ranges(result.threshold).items()
    ]
    title = _("Threshold {threshold}").format(threshold=i18n.percent(result.threshold, 0))
    figure = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=result.probability * 100,
            number={"suffix": "%", "valueformat": ".1f"},
            gauge={
                "axis": {"range": [0, 100], "ticksuffix": "%"},
                "bar": {"color": "#1b2631", "thickness": 0.3},
                "steps": steps,
                "threshold": {"line": {"color": "#b03a2e", "width": 3}, "value": threshold},
            },
            title={"text": title, "font": {"size": 14}},
        )
    )
    figure.update_layout(height=230, margin={"l": 45, "r": 45, "t": 50, "b": 10})
    return figure


def risk_card(result: StoredPrediction) -> None:
    """The result of one prediction, with the masked identity it was stored under."""
    with st.container(border=True):
        st.subheader(_("Result"))
        st.caption(
            _("{name} · ID {national_id} · record #{record}").format(
                name=literal(result.name_masked),
                national_id=literal(result.national_id_masked),
                record=result.id,
            )
        )
        band = result.risk_band
        st.metric(_("Predicted risk"), i18n.percent(result.probability, 1))
        verdict = _("Class: **{label}** (threshold {threshold})").format(
            label=class_label(result.infected), threshold=i18n.percent(result.threshold, 0)
        )
        st.markdown(f"{verdict}  \n:{BAND_COLOURS[band]}-badge[{band.phrase}]")
        plots.show(_gauge(result))
        explanation_chart.show(result.explanation, result.measurements)
        for note in result.extrapolations.values():
            st.warning(note, icon=":material/warning:")
        st.caption(
            _("Model {name} version {version} · {moment} UTC").format(
                name=result.model_name,
                version=result.model_version,
                moment=i18n.moment(result.created_at),
            )
        )
        st.info(_(DISCLAIMER), icon=":material/info:")
