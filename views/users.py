"""Users (administrators): create accounts, unlock, reset the second factor, change roles."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from clinic import accounts, db, keys
from clinic.access import Role
from clinic.accounts import AccountError
from clinic.i18n import N_, _
from components.guard import require
from components.plain import literal

FLASH = "users.done"  # the last change's message: (English text, its values), shown translated


def role_name(role: Role) -> str:
    """`role` in a sentence or the table: clinician, supervisor, admin (translated)."""
    return role.label.lower()


def done(message: str, **values: str | Role) -> None:
    """Rerun so the table reflects the change; `message` (marked with N_) stays until the next
    change, shown in the reader's language then. Usernames are shown as typed, never as
    markdown (`www.x.org` would otherwise become a link)."""
    st.session_state[FLASH] = (message, values)
    st.rerun()


clinic, admin = require("users")
st.title(_("Users"))
if flash := st.session_state.get(FLASH):
    message, values = flash
    st.success(
        _(message).format(
            **{k: role_name(v) if isinstance(v, Role) else literal(v) for k, v in values.items()}
        )
    )

if clinic.key_notice:  # the only notice: the keys were generated in the key file
    st.info(_(keys.NEW_KEYS).format(path=clinic.config.key_file), icon=":material/key:")
now = datetime.now(UTC)
role_labels = {r: r.label for r in Role}  # translated now, in this run (format_func may run later)

everyone = accounts.all_users(clinic.engine)
st.dataframe(
    pd.DataFrame(
        [
            {
                _("username"): u.username,
                _("name"): u.display_name,
                _("role"): role_name(u.role),
                _("two-step set up"): u.enrolled,
                _("locked"): u.locked(now),
                _("disabled"): u.disabled,
                _("must change password"): u.must_change_password,
            }
            for u in everyone
        ]
    ),
    hide_index=True,
)

st.subheader(_("Add a user"))
with st.form("add_user", clear_on_submit=True):
    left, right = st.columns(2)
    username = left.text_input(_("Username"), help=_("Lowercase letters, digits, dots, dashes."))
    name = right.text_input(_("Name"))
    role = left.selectbox(_("Role"), list(Role), format_func=role_labels.get)
    password = right.text_input(
        _("Temporary password"),
        type="password",
        help=_("Give it to the person in a safe way; they must change it when they first sign in."),
    )
    add = st.form_submit_button(_("Add user"), type="primary")
if add:
    try:
        with db.writing(clinic.engine) as connection:
            added = accounts.add(
                connection, admin.username, username, name, role, password, temporary=True, now=now
            )
    except AccountError as exc:
        st.error(literal(exc))  # it may quote the username typed
    else:
        done(
            N_("User {user} added. They set up two-step verification at first sign-in."),
            user=added.username,
        )

st.subheader(_("Manage a user"))
others = [u.username for u in everyone if u.username != admin.username]
if not others:
    st.caption(_("No other users yet."))
    st.stop()
target = st.selectbox(_("User"), others)
actions = st.columns(5)
try:
    if actions[0].button(_("Unlock")):
        accounts.unlock(clinic.engine, admin.username, target, now)
        done(N_("{user} unlocked."), user=target)
    if actions[1].button(_("Reset two-step"), help=_("They enrol an authenticator app again.")):
        accounts.reset_mfa(clinic.engine, admin.username, target, now)
        done(N_("{user} will set up two-step verification at next sign-in."), user=target)
    if actions[2].button(_("Disable")):
        accounts.disable(clinic.engine, admin.username, target, now)
        done(N_("{user} disabled and signed out."), user=target)
    if actions[3].button(_("Enable")):
        accounts.enable(clinic.engine, admin.username, target, now)
        done(N_("{user} enabled."), user=target)
    with actions[4].popover(_("Change role")):
        new_role = st.selectbox(_("New role"), list(Role), format_func=role_labels.get)
        if st.button(_("Apply role")):
            accounts.set_role(clinic.engine, admin.username, target, new_role, now)
            done(N_("{user} is now {role}."), user=target, role=new_role)
    with st.expander(_("Set a temporary password")):
        temporary = st.text_input(_("Temporary password for the user"), type="password")
        if st.button(_("Set temporary password")):
            accounts.reset_password(clinic.engine, admin.username, target, temporary, now)
            done(N_("{user} must change this password at next sign-in."), user=target)
except AccountError as exc:
    st.error(literal(exc))
