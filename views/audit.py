"""Audit trail (supervisors, administrators): who did what, when; and proof nothing was edited."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import accounts, audit, i18n
from clinic.i18n import _, ngettext
from components.dates import moment_format, utc_range
from components.guard import require

clinic, user = require("audit")
st.title(_("Audit trail"))

ANYONE = None
people = [ANYONE, *(u.username for u in accounts.all_users(clinic.engine))]
left, middle, right = st.columns([1, 2, 2])
# labels made now, in this run's language (AppTest calls format_func again outside the run)
shown = {ANYONE: _("Anyone"), **{name: name for name in people if name is not ANYONE}}
actor = left.selectbox(_("User"), people, format_func=shown.__getitem__)
actions = middle.multiselect(_("Action"), audit.known_actions(clinic.engine), placeholder=_("Any"))
since, until = utc_range(right, days=30)
events = audit.search(
    clinic.engine,
    actor=actor,
    actions=actions,
    since=since,
    until=until,
)
st.caption(
    ngettext(
        "{n} most recent matching events (at most {limit}).",
        "{n} most recent matching events (at most {limit}).",
        len(events),
    ).format(n=i18n.number(len(events)), limit=i18n.number(500))
)
headers = {
    "actor": _("actor"),
    "action": _("action"),
    "target": _("target"),
    "details": _("details"),
}
st.dataframe(
    pd.DataFrame(events, columns=["id", "at", "actor", "action", "target", "details"]).rename(
        columns=headers
    ),
    hide_index=True,
    column_config={
        "at": st.column_config.DatetimeColumn(_("At (UTC)"), format=moment_format(seconds=True)),
    },
)

if st.button(_("Verify the chain"), icon=":material/verified:"):
    checked, broken = audit.verify(clinic.engine)
    if broken and broken.id:
        st.error(
            _("The chain is broken at event {id}: {reason}.").format(
                id=broken.id, reason=broken.explained()
            )
        )
    elif broken:
        st.error(
            _("The chain could not be verified to its end: {reason}.").format(
                reason=broken.explained()
            )
        )
    else:
        st.success(
            ngettext(
                "All {n} events verified: nothing was edited or deleted.",
                "All {n} events verified: nothing was edited or deleted.",
                checked,
            ).format(n=checked)
        )
