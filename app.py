"""Entry point: page config, login gate, navigation by role. Run with `make run` (or streamlit run app.py)."""

import streamlit as st

from tracker import clock
from tracker.text import format_date
from tracker.ui import browser, data
from tracker.ui import cookie, first_run, search
from tracker.ui.auth import current_actor, login_form, user_box
from tracker.ui.engine import require_ready_database
from tracker.ui.nav import pages_for, signed_out_pages

st.set_page_config(
    page_title="Theo dõi kế hoạch truyền thông – Bộ Nội vụ",
    page_icon="📋",
    layout="wide",
    initial_sidebar_state="auto",  # open on a computer, closed on a phone (it would cover the page)
)
browser.install()  # Streamlit's own texts in Vietnamese; Back goes to the previous page

with st.sidebar:
    st.markdown("**Bộ Nội vụ**  \nTheo dõi kế hoạch truyền thông")

require_ready_database()
clock.use_database_today(demo_day := data.demo_today())  # demo data: its last day is today
if demo_day:
    st.sidebar.caption(f"Dữ liệu mẫu: hôm nay được tính là ngày {format_date(clock.today())}.")
actor = current_actor()
cookie.flush()
if actor is None:
    first_run.run(signed_out_pages(login_form))
    st.stop()


def sidebar() -> None:
    search.sidebar_box()  # from any page: an item by number or words, in "Tra cứu công việc"
    user_box(actor)


first_run.run(pages_for(actor), before=sidebar)
