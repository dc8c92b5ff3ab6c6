"""Entry point: page settings and the navigation offered to the user."""

import streamlit as st

st.set_page_config(page_title="HIV/AIDS risk · clinic dashboard", page_icon="🩺", layout="wide")

navigation = st.navigation(
    [st.Page("pages/predict.py", title="New prediction", icon=":material/monitor_heart:")]
)
navigation.run()
