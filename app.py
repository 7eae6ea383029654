"""Entry point: page config and navigation. Run with `make run` (or streamlit run app.py)."""

import streamlit as st

st.set_page_config(
    page_title="Theo dõi kế hoạch truyền thông – Bộ Nội vụ",
    page_icon="📋",
    layout="wide",
    initial_sidebar_state="expanded",
)

pages = [
    st.Page("pages/plans.py", title="Kế hoạch", icon="📑", url_path="ke-hoach", default=True),
]

with st.sidebar:
    st.markdown("**Bộ Nội vụ**  \nTheo dõi kế hoạch truyền thông")

st.navigation(pages).run()
