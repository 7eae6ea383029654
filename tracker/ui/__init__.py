"""The only streamlit code inside tracker/: cached engine and queries, guards, components."""
