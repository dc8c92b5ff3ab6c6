"""Model versions (administrators): every registered version's metrics side by side; promote,
roll back, or set a challenger for shadow scoring. Each change is audited with its reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from clinic import model_admin
from components import services
from components.guard import require
from model_store import card
from model_store.registry import ModelUnavailable
from model_store.train import UnknownVersion

CHANGES = {
    "promote": "Make this version champion",
    "challenger": "Shadow-score with this version (challenger)",
    "stop": "Stop shadow scoring",
    "rollback": "Roll back to the previous champion",
}

NOTICE = "models.notice"

clinic, user = require("models")
st.title("Model versions")
if notice := st.session_state.pop(NOTICE, None):
    st.success(notice, icon=":material/check_circle:")
try:
    versions = card.versions()
except ModelUnavailable as exc:
    st.error(str(exc), icon=":material/cloud_off:")
    st.stop()
if not versions:
    st.info("No version is registered yet: run `python -m model_store train`.")
    st.stop()

st.dataframe(
    pd.DataFrame(
        [
            {
                "version": v.version,
                "aliases": ", ".join(v.aliases),
                "registered": v.registered_at,
                **v.metrics,
            }
            for v in versions
        ]
    ),
    hide_index=True,
    column_config={
        "registered": st.column_config.DatetimeColumn(
            "registered (UTC)", format="YYYY-MM-DD HH:mm"
        ),
        **{m: st.column_config.NumberColumn(m, format="%.3f") for m in card.COMPARED},
    },
)
st.caption(
    "cv_* are cross-validated on the training split, test_* on the untouched hold-out. A new "
    f"champion is served within {services.MODEL_REFRESH_SECONDS:g} seconds by every server, "
    "without a restart; each stored prediction keeps the version that made it. A challenger "
    "scores every new prediction in the background, never shown as the answer; compare the "
    "two on the model card."
)

with st.form("model_change"):
    change = st.radio("Change", list(CHANGES), format_func=CHANGES.get)
    version = st.selectbox("Version", [v.version for v in versions])
    reason = st.text_input("Reason", help="Recorded in the audit trail with the change.")
    pressed = st.form_submit_button("Apply")
if pressed:
    now = datetime.now(UTC)
    try:
        if change == "promote":
            done = model_admin.promote(clinic.engine, user, version, reason, now)
        elif change == "rollback":
            done = model_admin.rollback(clinic.engine, user, reason, now)
        else:
            chosen = version if change == "challenger" else None
            done = model_admin.set_challenger(clinic.engine, user, chosen, reason, now)
    except (ValueError, UnknownVersion, ModelUnavailable) as exc:
        st.error(str(exc))
    else:
        services.model_changed()
        st.session_state[NOTICE] = (
            f"@{done.alias}: {done.before or 'none'} → {done.after or 'none'}. Recorded in the "
            "audit trail."
        )
        st.rerun()
