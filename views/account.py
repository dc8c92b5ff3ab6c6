"""My account: language, password, recovery codes."""

from __future__ import annotations

import streamlit as st

from clinic import i18n, mfa
from clinic.i18n import _
from components import auth, language
from components.guard import require
from components.plain import literal

clinic, user = require("account")
st.title(_("My account"))
st.write(
    _("Signed in as **{username}** ({role}).").format(
        username=literal(user.username), role=user.role.label
    )
)

st.subheader(_("Language"))
language.picker(clinic, user, key="language.account")
st.caption(
    _(
        "Saved for your account: every device you sign in from uses it. Until you choose, the "
        "server's default ({default}) is used."
    ).format(default=i18n.LANGUAGES[clinic.config.language].name)
)

st.subheader(_("Password"))
state = auth.current(clinic)
if auth.password_change_form(clinic, state, "account_password"):
    st.success(_("Password changed. Your other sessions were signed out."))

st.subheader(_("Recovery codes"))
left = mfa.remaining_recovery_codes(clinic.engine, user.id)
st.write(
    i18n.ngettext(
        "You have **{count}** unused recovery code.",
        "You have **{count}** unused recovery codes.",
        left,
    ).format(count=i18n.number(left))
)
auth.new_recovery_codes_form(clinic, user)
