"""Which language a script run speaks, and the picker that changes it.

The order: the signed-in user's saved choice, else what this browser picked before signing in,
else the server default `CLINIC_LANGUAGE`. Changing the language only redraws the page:
every widget keeps its key, so what was typed stays.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from clinic import accounts, db, i18n
from clinic.accounts import User
from clinic.i18n import _
from clinic.runtime import Clinic

CHOSEN = "language.chosen"
"""This browser session's language, once picked (or once known from the signed-in user)."""
LOADED_FOR = "language.loaded_for"
"""The user whose saved choice this session has taken over (once, when they are first seen)."""


def apply(default: str, user: User | None = None) -> str:
    """Set this run's language and return it. When a user is first seen in this session their
    saved choice replaces the browser's; from then on the picker decides."""
    if user is not None and st.session_state.get(LOADED_FOR) != user.id:
        st.session_state[LOADED_FOR] = user.id
        if user.language:
            st.session_state[CHOSEN] = user.language
    code = st.session_state.get(CHOSEN) or default
    i18n.use(code)
    return code


def _changed(clinic: Clinic, user: User | None, key: str) -> None:
    """Remember the pick for this browser and, when signed in, for the account (if the
    database is there: the language changes for this session either way)."""
    code = st.session_state[key]
    st.session_state[CHOSEN] = code
    if user is None:
        return
    try:
        accounts.set_language(clinic.engine, user.id, code, datetime.now(UTC))
    except (*db.OUTAGES, db.StorageUnavailable):
        i18n.use(code)
        st.toast(
            _("Language changed for this session; it will be saved when the database is back.")
        )


def picker(clinic: Clinic, user: User | None, key: str = "language.picker") -> None:
    """A select box of the languages, each named in itself (English, Español)."""
    st.session_state[key] = i18n.current()
    st.selectbox(
        _("Language"),
        list(i18n.LANGUAGES),
        format_func=lambda code: i18n.LANGUAGES[code].name,
        key=key,
        on_change=_changed,
        args=(clinic, user, key),
    )
