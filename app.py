"""The script every browser session runs: page settings, then either the sign-in steps or the
pages the user's role may open. The screens live in views/, not Streamlit's special pages/
folder, so Streamlit never lists them, or runs one from its URL, before this navigation is
built: a stranger's first request after a restart sees the sign-in page and nothing else."""

import streamlit as st

from clinic import access
from clinic.i18n import _
from components import auth, language, patient_form
from components.navigation import PAGES
from components.services import clinic_or_stop, configuration, wait_for_model_code, warm_up_model

default_language = configuration().language
language.apply(default_language)
st.set_page_config(page_title=_("HIV/AIDS risk · clinic dashboard"), page_icon="🩺", layout="wide")

clinic = clinic_or_stop()
auth.begin_run()
state = auth.signed_in(clinic)

if state is None:
    if ended := auth.session_ended():
        patient_form.keep_draft(ended.id)
        auth.forget_tab(keep=(patient_form.DRAFT,))
    sign_in = st.Page(lambda: auth.sign_in_page(clinic), title=_("Sign in"), url_path="sign-in")
    st.navigation([sign_in], position="hidden").run()
    warm_up_model()
else:
    user = state.user
    language.apply(default_language, user)
    if state.degraded:
        st.warning(
            _(
                "The database is unavailable: keep working on the form, but nothing can be "
                "stored until it is back."
            ),
            icon=":material/database_off:",
        )
    else:
        auth.remember_browser()
    with st.sidebar:
        st.text(user.display_name)
        st.caption(user.role.label)
        st.button(_("Log out"), on_click=auth.log_out, args=(clinic,), icon=":material/logout:")
        language.picker(clinic, user)
    if not state.degraded:
        auth.expiry_watch(clinic, state)
    allowed = [
        st.Page(spec.path, title=_(spec.title), icon=spec.icon, url_path=key)
        for key, spec in PAGES.items()
        if access.may_open(user.role, key)
    ]
    wait_for_model_code()
    st.navigation(allowed).run()
