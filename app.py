"""Entry point: page settings, the sign-in gate, and the pages the user's role may open."""

import streamlit as st

from components import auth
from components.navigation import PAGES
from components.services import clinic_or_stop

st.set_page_config(page_title="HIV/AIDS risk · clinic dashboard", page_icon="🩺", layout="wide")

clinic = clinic_or_stop()
user = auth.gate(clinic)

with st.sidebar:
    st.markdown(f"**{user.display_name}**  \n{user.role.value.capitalize()}")
    st.button("Log out", on_click=auth.log_out, args=(clinic,), icon=":material/logout:")

allowed = [
    st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=key)
    for key, spec in PAGES.items()
    if user.role in spec.roles
]
st.navigation(allowed).run()
