"""Audit trail (supervisors, administrators): who did what, when; and proof nothing was edited."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from clinic import audit, users
from components.guard import require

clinic, user = require("audit")
st.title("Audit trail")

people = ["Anyone", *(u.username for u in users.all_users(clinic.engine))]
left, middle, right = st.columns([1, 2, 2])
actor = left.selectbox("User", people)
actions = middle.multiselect("Action", audit.known_actions(clinic.engine), placeholder="Any")
today = datetime.now(UTC).date()
period = right.date_input("Dates", (today - timedelta(days=30), today), max_value=today)

start, end = period if isinstance(period, tuple) and len(period) == 2 else (period, period)
since = datetime.combine(start, time.min, UTC) if start else None
until = datetime.combine(end, time.min, UTC) + timedelta(days=1) if end else None
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
