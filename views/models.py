"""Model versions (administrators): every registered version's metrics side by side; promote,
roll back, or set a challenger for shadow scoring. Each change is audited with its reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from clinic import i18n, model_admin
from clinic.i18n import N_, _
from components import dataframe_format, dates, services
from components.guard import require
from model_store import card
from model_store.aliases import UnknownVersion
from model_store.registry import ModelUnavailable

CHANGES = {
    "promote": N_("Make this version champion"),
    "challenger": N_("Shadow-score with this version (challenger)"),
    "stop": N_("Stop shadow scoring"),
    "rollback": N_("Roll back to the previous champion"),
}

# card.COMPARED's names that are words rather than codes (cv_f1, test_roc_auc stay as named).
METRIC_NAMES = {"threshold": N_("threshold")}

NOTICE = "models.notice"  # the last change (a model_admin.Change), shown once after the rerun


clinic, user = require("models")
st.title(_("Model versions"))
if (done := st.session_state.pop(NOTICE, None)) is not None:
    st.success(
        _("@{alias}: {before} → {after}. Recorded in the audit trail.").format(
            alias=done.alias, before=done.before or _("none"), after=done.after or _("none")
        ),
        icon=":material/check_circle:",
    )
try:
    versions = card.versions()
except ModelUnavailable as exc:
    st.error(str(exc), icon=":material/cloud_off:")
    st.stop()
if not versions:
    st.info(_("No version is registered yet: run `python -m model_store train`."))
    st.stop()

registered = _("registered")
st.dataframe(
    dataframe_format.localised(
        pd.DataFrame(
            [
                {
                    _("version"): v.version,
                    _("aliases"): ", ".join(_(card.ALIASES.get(a, a)) for a in v.aliases),
                    registered: v.registered_at,
                    **{_(METRIC_NAMES.get(m, m)): value for m, value in v.metrics.items()},
                }
                for v in versions
            ]
        ),
        places=[_(METRIC_NAMES.get(m, m)) for m in card.COMPARED],
    ),
    hide_index=True,
    column_config={
        registered: st.column_config.DatetimeColumn(
            _("registered (UTC)"), format=dates.moment_format()
        ),
    },
)
st.caption(
    _(
        "cv_* are cross-validated on the training split, test_* on the untouched hold-out. A new "
        "champion is served within {seconds} seconds by every server, without a restart; each "
        "stored prediction keeps the version that made it. A challenger scores every new "
        "prediction in the background, never shown as the answer; compare the two on the model "
        "card."
    ).format(seconds=i18n.number(services.MODEL_REFRESH_SECONDS))
)

changes = {key: _(text) for key, text in CHANGES.items()}  # now, in this run's language
with st.form("model_change"):
    change = st.radio(_("Change"), list(changes), format_func=changes.get)
    version = st.selectbox(_("Version"), [v.version for v in versions])
    reason = st.text_input(_("Reason"), help=_("Recorded in the audit trail with the change."))
    pressed = st.form_submit_button(_("Apply"))
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
        st.session_state[NOTICE] = done
        st.rerun()
