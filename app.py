"""Entry point: page config, login gate, navigation by role. Run with `make run` (or streamlit run app.py)."""

import streamlit as st

from tracker.ui import cookie
from tracker.ui.auth import current_actor, login_form, user_box
from tracker.ui.engine import require_ready_database
from tracker.ui.nav import pages_for, signed_out_pages

st.set_page_config(
    page_title="Theo dõi kế hoạch truyền thông – Bộ Nội vụ",
    page_icon="📋",
    layout="wide",
    initial_sidebar_state="expanded",
)

with st.sidebar:
    st.markdown("**Bộ Nội vụ**  \nTheo dõi kế hoạch truyền thông")

require_ready_database()
actor = current_actor()
cookie.flush()
if actor is None:
    st.navigation(signed_out_pages(login_form)).run()
    st.stop()

user_box(actor)
st.navigation(pages_for(actor)).run()
