"""My account: change password, renew recovery codes."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from clinic import users
from components import auth
from components.guard import require

clinic, user = require("account")
st.title("My account")
st.write(f"Signed in as **{user.username}** ({user.role.value}).")

st.subheader("Password")
state = auth.current(clinic)
if auth.password_change_form(clinic, state, "account_password"):
    st.success("Password changed. Your other sessions were signed out.")

st.subheader("Recovery codes")
left = users.remaining_recovery_codes(clinic.engine, user.id)
st.write(f"You have **{left}** unused recovery codes.")
if st.button("Make new recovery codes", help="The old ones stop working."):
    codes = users.regenerate_recovery_codes(clinic.engine, user, datetime.now(UTC))
    st.warning("Shown only now: save them away from this device. The old codes no longer work.")
    st.code("\n".join(codes), language=None)
