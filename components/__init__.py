"""Reusable Streamlit pieces; the only layer (with pages/ and app.py) that imports streamlit."""
