"""Audit trail (supervisors, administrators): who did what, when; and proof nothing was edited."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic import audit, users
from components.dates import utc_range
from components.guard import require

clinic, user = require("audit")
st.title("Audit trail")

people = ["Anyone", *(u.username for u in users.all_users(clinic.engine))]
left, middle, right = st.columns([1, 2, 2])
actor = left.selectbox("User", people)
actions = middle.multiselect("Action", audit.known_actions(clinic.engine), placeholder="Any")
since, until = utc_range(right, days=30)
events = audit.search(
    clinic.engine,
    actor=None if actor == "Anyone" else actor,
    actions=actions,
    since=since,
    until=until,
)
st.caption(f"{len(events)} most recent matching events (at most 500).")
st.dataframe(
    pd.DataFrame(events, columns=["id", "at", "actor", "action", "target", "details"]),
    hide_index=True,
    column_config={"at": st.column_config.DatetimeColumn("At (UTC)", format="YYYY-MM-DD HH:mm:ss")},
)

if st.button("Verify the chain", icon=":material/verified:"):
    checked, broken = audit.verify(clinic.engine)
    if broken:
        st.error(f"The chain is broken at event {broken.id}: {broken.reason}.")
    else:
        st.success(f"All {checked} events verified: nothing was edited or deleted.")
