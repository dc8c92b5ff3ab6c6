"""What `streamlit run server.py` serves: the dashboard (app.py) behind the HTTP pieces a page
script cannot provide: security headers on every answer, Streamlit's metrics hidden, and the
HttpOnly session cookie set by the server (components/http.py)."""

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import Route

from components.http import HANDOFF_PATH, SecurityHeaders, handoff

app = st.App(
    "app.py",
    routes=[Route(HANDOFF_PATH, handoff, methods=["POST"])],
    middleware=[Middleware(SecurityHeaders)],
)
