"""Prediction history: masked lists, patient lookup and timeline; supervisors reveal (audited)
and export (masked, audited)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from clinic import records
from clinic.records import Filters, Order, Purpose
from clinic.risk import RiskBand, class_label
from clinic.users import Role
from components import explanation_chart, history_charts, plots
from components.dates import utc_range
from components.guard import require

PAGE_SIZE = 50


def _any(value: str | None) -> str:
    return "Any" if value is None else value


def _any_record(value: int | None) -> str:
    return "None" if value is None else f"Record {value}"


clinic, user = require("history")
supervisor = user.role is Role.SUPERVISOR
st.title("History")
st.caption(
    "All predictions; names and IDs masked."
    if supervisor
    else "The predictions you made; names and IDs masked."
)

today = datetime.now(UTC).date()
clinicians, versions = records.choices(clinic.engine, user)
dates, banding, classing = st.columns(3)
since, until = utc_range(dates, days=90)
bands = banding.multiselect(
    "Risk band", [b.value for b in RiskBand], format_func=str.capitalize, placeholder="Any"
)
infected = classing.selectbox(
    "Class",
    [None, True, False],
    format_func=lambda v: "Any" if v is None else class_label(v).capitalize(),
)
versioning, choosing, sorting = st.columns(3)
version = versioning.selectbox("Model version", [None, *versions], format_func=_any)
clinician = (
    choosing.selectbox("Clinician", [None, *clinicians], format_func=_any) if supervisor else None
)
order = sorting.selectbox("Sort", list(Order), format_func=lambda o: o.value.capitalize())
lookup = st.text_input(
    "Find a patient by national ID",
    help="Exact match; dots, dashes and spaces are ignored. Opens that patient's timeline.",
    autocomplete="off",
)

patient_id = None
if lookup.strip():
    patient_id = records.find_patient(clinic.engine, clinic.vault, user, lookup)
    if patient_id is None:
        st.info("No patient with that national ID among the records you can see.")
        st.stop()
filters = Filters(
    since=None if patient_id else since,
    until=None if patient_id else until,
    bands=tuple(bands),
    infected=infected,
    clinician=clinician,
    model_version=version,
    patient_id=patient_id,
)

if not patient_id:
    overview = records.summary(clinic.engine, user, filters)
    weekly, banded, by_version = st.columns(3)
    weekly.plotly_chart(history_charts.per_week(overview.per_week), config=plots.CONFIG)
    banded.plotly_chart(history_charts.per_band(overview.per_band), config=plots.CONFIG)
    by_version.plotly_chart(
        history_charts.positive_share(overview.positive_share_by_version),
        config=plots.CONFIG,
    )

number = st.number_input("Page", min_value=1, value=1, step=1)
rows, total = records.page(
    clinic.engine, user, filters, order=order, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
)
table = pd.DataFrame(
    [dataclasses.asdict(r) for r in rows],
    columns=[f.name for f in dataclasses.fields(records.Record)],
)
st.caption(
    f"{total:,} matching predictions · page {number:,} of {max(1, -(-total // PAGE_SIZE)):,}."
)

if patient_id and rows:
    st.plotly_chart(history_charts.timeline(rows), config=plots.CONFIG)

st.dataframe(
    table,
    hide_index=True,
    column_config={
        "id": "Record",
        "created_at": st.column_config.DatetimeColumn("Date (UTC)", format="YYYY-MM-DD HH:mm"),
        "name_masked": "Name",
        "national_id_masked": "National ID",
        "probability": st.column_config.NumberColumn("Risk", format="percent"),
        "infected": st.column_config.CheckboxColumn("Class: infected"),
        "risk_band": "Band",
        "model_version": "Model version",
        "clinician": "Clinician",
    },
)

explained = st.selectbox(
    "Why this score? Pick a record", [None, *(r.id for r in rows)], format_func=_any_record
)
if explained is not None:
    stored = records.explanation(clinic.engine, user, explained)
    if stored is None:
        st.info("No explanation is stored for this record (demo data has none).")
    else:
        explanation_chart.show(*stored)

if not supervisor or not rows:
    st.stop()

st.subheader("Reveal one identity")
st.caption(
    "Shown here once, for the purpose you give; the reveal is written to the audit trail "
    "before the identity is shown."
)
with st.form("reveal", clear_on_submit=True):
    record_id = st.selectbox("Record", [r.id for r in rows])
    purpose = st.selectbox("Purpose", list(Purpose), format_func=lambda p: p.value.capitalize())
    reason = st.text_input("Reason", help="At least 10 characters; no names or IDs.")
    pressed = st.form_submit_button("Reveal identity")
if pressed:
    try:
        identity = records.reveal(
            clinic.engine, clinic.vault, user, record_id, purpose, reason, datetime.now(UTC)
        )
    except ValueError as exc:
        st.error(str(exc))
    else:
        st.warning(
            f"Record {record_id}: **{identity.full_name}**, national ID **{identity.national_id}**",
            icon=":material/visibility:",
        )

st.subheader("Export")
if st.button("Prepare CSV of this filter (masked)"):
    data = records.export_csv(clinic.engine, user, filters, datetime.now(UTC))
    st.download_button(
        "Download CSV",
        data,
        file_name=f"history-{today}.csv",
        mime="text/csv",
        on_click="ignore",
    )
