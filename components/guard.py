"""Every page's own first line: who is signed in, and may their role see this page?

Pages call it themselves, besides the navigation: if a screen is ever reached without it (a
script run directly, a future change to the navigation, a page moved back into Streamlit's
special pages/ folder, which Streamlit runs straight from its URL), this check still stops it.
"""

from __future__ import annotations

import streamlit as st

from clinic import access
from clinic.accounts import User
from clinic.i18n import _
from clinic.runtime import Clinic
from components import auth, language
from components.services import clinic_or_stop, configuration


def require(page: str) -> tuple[Clinic, User]:
    """The clinic runtime and the signed-in user allowed on `page`; otherwise stop, showing
    nothing of the page."""
    clinic = clinic_or_stop()
    state = auth.signed_in(clinic)
    if state is None:
        st.warning(_("Please sign in first: [go to the sign-in page](/)."), icon=":material/lock:")
        st.stop()
    language.apply(configuration().language, state.user)
    if not access.may_open(state.user.role, page):
        st.error(_("Your role does not give access to this page."), icon=":material/block:")
        st.stop()
    return clinic, state.user
