"""Entry point: page settings, then either the sign-in steps or the pages the user's role may
open. The navigation is always built, so the pages/ folder is never listed to a stranger."""

import streamlit as st

from components import auth
from components.navigation import PAGES
from components.services import clinic_or_stop, wait_for_model_code, warm_up_model

st.set_page_config(page_title="HIV/AIDS risk · clinic dashboard", page_icon="🩺", layout="wide")

clinic = clinic_or_stop()
state = auth.signed_in(clinic)

if state is None:
    sign_in = st.Page(lambda: auth.sign_in_page(clinic), title="Sign in", url_path="sign-in")
    st.navigation([sign_in], position="hidden").run()
    warm_up_model()
else:
    user = state.user
    if state.degraded:
        st.warning(
            "The database is unavailable: keep working on the form, but nothing can be stored "
            "until it is back.",
            icon=":material/database_off:",
        )
    else:
        auth.remember_browser(clinic)
    with st.sidebar:
        st.markdown(f"**{user.display_name}**  \n{user.role.value.capitalize()}")
        st.button("Log out", on_click=auth.log_out, args=(clinic,), icon=":material/logout:")
    allowed = [
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=key)
        for key, spec in PAGES.items()
        if user.role in spec.roles
    ]
    wait_for_model_code()
    st.navigation(allowed).run()
