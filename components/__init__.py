"""Reusable Streamlit pieces; the only layer (with views/ and app.py) that imports streamlit."""
