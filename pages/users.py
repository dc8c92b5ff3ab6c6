"""Users (administrators): create accounts, unlock, reset the second factor, change roles."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from clinic import db, users
from clinic.users import AccountError, Role
from components.guard import require

FLASH = "users.done"

clinic, admin = require("users")
st.title("Users")
if message := st.session_state.get(FLASH):
    st.success(message)


def done(message: str) -> None:
    """Rerun so the table reflects the change; `message` stays until the next change."""
    st.session_state[FLASH] = message
    st.rerun()


if clinic.key_notice:
    st.info(clinic.key_notice, icon=":material/key:")
now = datetime.now(UTC)

accounts = users.all_users(clinic.engine)
st.dataframe(
    pd.DataFrame(
        [
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role.value,
                "two-step set up": u.enrolled,
                "locked": u.locked(now),
                "disabled": u.disabled,
                "must change password": u.must_change_password,
            }
            for u in accounts
        ]
    ),
    hide_index=True,
)

st.subheader("Add a user")
with st.form("add_user", clear_on_submit=True):
    left, right = st.columns(2)
    username = left.text_input("Username", help="Lowercase letters, digits, dots, dashes.")
    name = right.text_input("Name")
    role = left.selectbox("Role", list(Role), format_func=lambda r: r.value.capitalize())
    password = right.text_input(
        "Temporary password",
        type="password",
        help="Give it to the person in a safe way; they must change it when they first sign in.",
    )
    add = st.form_submit_button("Add user", type="primary")
if add:
    try:
        with db.writing(clinic.engine) as connection:
            added = users.add(
                connection, admin.username, username, name, role, password, temporary=True, now=now
            )
    except AccountError as exc:
        st.error(str(exc))
    else:
        done(f"User {added.username} added. They set up two-step verification at first sign-in.")

st.subheader("Manage a user")
others = [u.username for u in accounts if u.username != admin.username]
if not others:
    st.caption("No other users yet.")
    st.stop()
target = st.selectbox("User", others)
actions = st.columns(5)
try:
    if actions[0].button("Unlock"):
        users.unlock(clinic.engine, admin.username, target, now)
        done(f"{target} unlocked.")
    if actions[1].button("Reset two-step", help="They enrol an authenticator app again."):
        users.reset_mfa(clinic.engine, admin.username, target, now)
        done(f"{target} will set up two-step verification at next sign-in.")
    if actions[2].button("Disable"):
        users.disable(clinic.engine, admin.username, target, now)
        done(f"{target} disabled and signed out.")
    if actions[3].button("Enable"):
        users.enable(clinic.engine, admin.username, target, now)
        done(f"{target} enabled.")
    with actions[4].popover("Change role"):
        new_role = st.selectbox("New role", list(Role), format_func=lambda r: r.value.capitalize())
        if st.button("Apply role"):
            users.set_role(clinic.engine, admin.username, target, new_role, now)
            done(f"{target} is now {new_role.value}.")
    with st.expander("Set a temporary password"):
        temporary = st.text_input("Temporary password for the user", type="password")
        if st.button("Set temporary password"):
            users.reset_password(clinic.engine, admin.username, target, temporary, now)
            done(f"{target} must change this password at next sign-in.")
except AccountError as exc:
    st.error(str(exc))
