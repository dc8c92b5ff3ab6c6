"""Batch scoring: upload a CSV of patients, see every bad row, score and store the good ones,
get a prioritised list with identifiers masked."""

from __future__ import annotations

import streamlit as st

from clinic import batch, batch_file, i18n
from clinic.db import StorageUnavailable
from clinic.i18n import _, ngettext
from components import batch_view
from components.guard import require
from components.services import current_challenger, current_model

OUTCOME_KEY = "batch.outcome"

clinic, user = require("batch")
st.title(_("Score a list of patients"))
st.caption(
    _(
        "One patient per line. Every line is checked first; only correct lines are scored and "
        "stored, and a file scored before stores nothing twice."
    )
)
batch_view.template_help()

uploaded = st.file_uploader(_("CSV file"), type=["csv", "txt"], key="batch.file")
if uploaded is None:
    st.session_state.pop(OUTCOME_KEY, None)
    st.stop()
try:
    checked = batch_file.read(uploaded.getvalue())
except batch_file.MalformedFile as exc:
    st.error(_("Nothing was stored: {reason}").format(reason=exc), icon=":material/error:")
    st.stop()

batch_view.check_report(checked)
model = current_model(clinic.config.model_uri)
outcome = st.session_state.get(OUTCOME_KEY)
if outcome is not None and outcome[0] != uploaded.file_id:
    outcome = None  # a result belongs to the file that produced it
action = st.empty()  # the button goes once the list is stored
if outcome is None and action.button(
    ngettext(
        "Score and store {n} patients", "Score and store {n} patients", len(checked.good)
    ).format(n=i18n.number(len(checked.good))),
    type="primary",
    disabled=model is None or not checked.good,
    icon=":material/play_arrow:",
):
    bar = st.progress(0.0, text=_("Scoring…"))
    try:
        result = batch.score_and_store(
            clinic.engine,
            clinic.vault,
            model,
            checked,
            actor=user.username,
            challenger=current_challenger(clinic.config.model_uri),
            progress=lambda done, total: bar.progress(
                done / total,
                text=_("Stored {done} of {total}").format(
                    done=i18n.number(done), total=i18n.number(total)
                ),
            ),
        )
    except StorageUnavailable as exc:
        bar.empty()
        st.error(
            _(
                "{error} Lines stored before the failure are kept; press the button again to "
                "store the rest."
            ).format(error=exc),
            icon=":material/database_off:",
        )
        st.stop()
    bar.empty()
    action.empty()
    outcome = (uploaded.file_id, result)
    st.session_state[OUTCOME_KEY] = outcome
if outcome is not None:
    batch_view.prioritised(outcome[1])
