"""The clinic's domain: configuration, storage, encryption and the prediction use case.

Nothing here imports Streamlit; pages and components call into it.
"""
