"""Prediction history: masked lists, patient lookup and timeline; supervisors reveal (audited)
and export (masked, audited)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from clinic import access, disclosure, history, i18n
from clinic.access import Action
from clinic.disclosure import Purpose
from clinic.history import Filters, Order
from clinic.i18n import _, ngettext
from clinic.risk import RiskBand, class_label
from components import dataframe_format, explanation_chart, history_charts, plots
from components.dates import moment_format, utc_range
from components.guard import require
from components.plain import literal

PAGE_SIZE = 50
# Counts successful reveals: the reveal form's widgets are keyed by it, so that a reveal leaves
# an empty form behind while a refused one keeps what was typed. (A comment, not a docstring:
# Streamlit's magic would print a bare string on the page.)
REVEAL_ATTEMPT = "history.reveal_attempt"


def _shown(labels: dict) -> Callable:
    """A widget's format_func from labels made now, in this run's language (AppTest calls
    format_func again outside the run, where the language is not set)."""
    return labels.__getitem__


def _any(values: list[str]) -> Callable:
    return _shown({None: _("Any"), **{v: v for v in values}})


def _any_record(ids: list[int]) -> Callable:
    return _shown({None: _("None"), **{i: _("Record {id}").format(id=i) for i in ids}})


clinic, user = require("history")
sees_all = access.may(user.role, Action.SEE_ALL_HISTORY)
st.title(_("History"))
st.caption(
    _("All predictions; names and IDs masked.")
    if sees_all
    else _("The predictions you made; names and IDs masked.")
)

today = datetime.now(UTC).date()
clinicians, versions = history.choices(clinic.engine, user)
dates, banding, classing = st.columns(3)
since, until = utc_range(dates, days=90)
bands = banding.multiselect(
    _("Risk band"),
    [b.value for b in RiskBand],
    format_func=_shown({b.value: b.label for b in RiskBand}),
    placeholder=_("Any"),
)
infected = classing.selectbox(
    _("Class"),
    [None, True, False],
    format_func=_shown({None: _("Any"), **{v: class_label(v).capitalize() for v in (True, False)}}),
)
versioning, choosing, sorting = st.columns(3)
version = versioning.selectbox(_("Model version"), [None, *versions], format_func=_any(versions))
clinician = (
    choosing.selectbox(_("Clinician"), [None, *clinicians], format_func=_any(clinicians))
    if sees_all
    else None
)
order = sorting.selectbox(_("Sort"), list(Order), format_func=_shown({o: o.label for o in Order}))
lookup = st.text_input(
    _("Find a patient by national ID"),
    help=_("Exact match; dots, dashes and spaces are ignored. Opens that patient's timeline."),
    autocomplete="off",
)

patient_id = None
if lookup.strip():
    patient_id = history.find_patient(clinic.engine, clinic.vault, user, lookup)
    if patient_id is None:
        st.info(_("No patient with that national ID among the records you can see."))
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
    overview = history.summary(clinic.engine, user, filters)
    weekly, banded, by_version = st.columns(3)
    plots.show(history_charts.per_week(overview.per_week), weekly)
    plots.show(history_charts.per_band(overview.per_band), banded)
    plots.show(history_charts.positive_share(overview.positive_share_by_version), by_version)

number = st.number_input(_("Page"), min_value=1, value=1, step=1)
rows, total = history.page(
    clinic.engine, user, filters, order=order, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
)
table = pd.DataFrame(
    [dataclasses.asdict(r) for r in rows],
    columns=[f.name for f in dataclasses.fields(history.Record)],
)
table["risk_band"] = table["risk_band"].map(lambda band: RiskBand(band).word)
st.caption(
    ngettext(
        "{total} matching predictions · page {page} of {pages}.",
        "{total} matching predictions · page {page} of {pages}.",
        total,
    ).format(
        total=i18n.number(total),
        page=i18n.number(number),
        pages=i18n.number(max(1, -(-total // PAGE_SIZE))),
    )
)

if patient_id and rows:
    plots.show(history_charts.timeline(rows))

st.dataframe(
    dataframe_format.localised(table, percents=["probability"]),
    hide_index=True,
    column_config={
        "id": _("Record"),
        "created_at": st.column_config.DatetimeColumn(_("Date (UTC)"), format=moment_format()),
        "name_masked": _("Name"),
        "national_id_masked": _("National ID"),
        "probability": _("Risk"),
        "infected": st.column_config.CheckboxColumn(_("Class: infected")),
        "risk_band": _("Band"),
        "model_version": _("Model version"),
        "clinician": _("Clinician"),
    },
)

explained = st.selectbox(
    _("Why this score? Pick a record"),
    [None, *(r.id for r in rows)],
    format_func=_any_record([r.id for r in rows]),
)
if explained is not None:
    stored = history.explanation(clinic.engine, user, explained)
    if stored is None:
        st.info(_("No explanation is stored for this record (demo data has none)."))
    else:
        explanation_chart.show(*stored)


def _reveal_section() -> None:
    # A supervisor's audited reveal of one listed record's identity.
    st.subheader(_("Reveal one identity"))
    st.caption(
        _(
            "Shown here once, for the purpose you give; the reveal is written to the audit trail "
            "before the identity is shown."
        )
    )
    attempt = st.session_state.setdefault(REVEAL_ATTEMPT, 0)
    with st.form("reveal"):  # not cleared on submit: a refused reason stays, to be corrected
        record_id = st.selectbox(
            _("Record"),
            [r.id for r in rows],
            index=None,
            placeholder=_("Choose a record"),
            key=f"reveal.record.{attempt}",
        )
        purpose = st.selectbox(
            _("Purpose"),
            list(Purpose),
            index=None,
            placeholder=_("Choose a purpose"),
            format_func=_shown({p: p.label for p in Purpose}),
            key=f"reveal.purpose.{attempt}",
        )
        reason = st.text_input(
            _("Reason"),
            help=_("At least {n} characters; no names or IDs.").format(n=disclosure.MIN_REASON),
            key=f"reveal.reason.{attempt}",
        )
        pressed = st.form_submit_button(_("Reveal identity"))
    if pressed and record_id is None:
        st.error(_("Choose the record whose identity you need."))
    elif pressed and purpose is None:
        st.error(_("Choose the purpose of this reveal."))
    elif pressed:
        try:
            revealed = disclosure.reveal(
                clinic.engine, clinic.vault, user, record_id, purpose, reason, datetime.now(UTC)
            )
        except ValueError as exc:
            st.error(literal(exc))
        else:
            st.session_state[REVEAL_ATTEMPT] = attempt + 1  # the next run starts an empty form
            st.warning(
                _("Record {id}: **{name}**, national ID **{national_id}**").format(
                    id=record_id,
                    name=literal(revealed.identity.full_name),
                    national_id=literal(revealed.identity.national_id),
                ),
                icon=":material/visibility:",
            )
            if revealed.name_on_file_differs:
                st.info(
                    _(
                        "This is the name typed with this record. The name on file for this "
                        "national ID (the one typed most recently) is a different one."
                    ),
                    icon=":material/info:",
                )


def _export_section() -> None:
    # The filtered list as a masked CSV; export_csv audits it.
    st.subheader(_("Export"))
    if st.button(_("Prepare CSV of this filter (masked)")):
        data = disclosure.export_csv(clinic.engine, user, filters, datetime.now(UTC))
        st.download_button(
            _("Download CSV"),
            data,
            file_name=f"history-{today}.csv",
            mime="text/csv",
            on_click="ignore",
        )


if access.may(user.role, Action.REVEAL_IDENTITY) and rows:
    _reveal_section()
if access.may(user.role, Action.EXPORT_HISTORY) and rows:
    _export_section()
