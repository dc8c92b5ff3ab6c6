"""New prediction: a clinician enters a patient and gets the champion model's risk estimate."""

from __future__ import annotations

import streamlit as st

from clinic import i18n
from clinic.db import StorageUnavailable
from clinic.i18n import _, ngettext
from clinic.predictions import predict_and_store
from clinic.validation import InvalidInput
from components import patient_form as form
from components.guard import require
from components.risk_card import risk_card
from components.services import current_challenger, current_model

RESULT_KEY = "predict.last_result"

clinic, user = require("predict")
st.title(_("New prediction"))

model = current_model(clinic.config.model_uri)


def _new_patient() -> None:
    form.clear()
    st.session_state.pop(RESULT_KEY, None)


form_column, result_column = st.columns([3, 2], gap="large")
alert = form_column.container()
if form.restore_draft(user.id):
    alert.info(
        _(
            "The clinical values you typed before your session ended are back in the form. Type "
            "the patient's name and national ID again, then press **Predict**."
        ),
        icon=":material/restore:",
    )
with form_column:
    submission = form.patient_form(disabled=model is None)
    st.button(_("New patient"), on_click=_new_patient, help=_("Clear the form and the result."))

if submission is not None and model is not None:
    try:
        st.session_state[RESULT_KEY] = predict_and_store(
            clinic.engine,
            clinic.vault,
            model,
            actor=user.username,
            full_name=submission.full_name,
            national_id=submission.national_id,
            measurements=submission.measurements,
            challenger=current_challenger(clinic.config.model_uri),
        )
    except InvalidInput as exc:
        st.session_state.pop(RESULT_KEY, None)
        alert.error(
            _("Nothing was stored. Please correct:")
            + "\n"
            + "\n".join(f"- {message}" for message in exc.problems.values()),
            icon=":material/error:",
        )
        # The alert sits above the form, out of sight of the Predict button on a long form.
        st.toast(
            ngettext(
                "Nothing was stored: {n} field(s) to correct, listed above the form.",
                "Nothing was stored: {n} field(s) to correct, listed above the form.",
                len(exc.problems),
            ).format(n=i18n.number(len(exc.problems))),
            icon=":material/error:",
            duration="long",
        )
    except StorageUnavailable as exc:
        st.session_state.pop(RESULT_KEY, None)
        alert.error(str(exc), icon=":material/database_off:")
        st.toast(str(exc), icon=":material/database_off:", duration="long")

with result_column:
    if result := st.session_state.get(RESULT_KEY):
        risk_card(result)
    else:
        st.caption(_("Fill in every field and press **Predict**. The result appears here."))
