"""Chi tiết công việc: one item (?id=N) with its history and what the user may do; else a search."""

import streamlit as st

from tracker import clock
from tracker.db import session_scope
from tracker.errors import TrackerError
from tracker.limits import max_chars
from tracker.services import items as item_service
from tracker.services import progress as progress_service
from tracker.text import format_date, parse_id
from tracker.ui import item_view
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.text import md

actor = require_actor()
today = clock.today()
if flash := st.session_state.pop("item_flash", None):
    st.success(md(flash))

raw_id = st.query_params.get("id", "")
if (item_id := parse_id(raw_id)) is None:
    st.title("Tra cứu công việc")
    text = st.text_input("Tìm theo số hoặc tên công việc", key="item_search", max_chars=max_chars("search"))
    with session_scope(get_engine()) as session:
        rows = item_service.search_items(session, actor=actor, text=text, today=today)
    if not rows:
        st.info("Không có công việc nào phù hợp.")
    for row in rows:
        label = f"#{row.id} · {row.title} — {row.lead_unit} · hạn {format_date(row.due_date)} · {row.status_label}"
        st.page_link("pages/item.py", label=md(label), query_params={"id": str(row.id)})
    st.stop()

# A link to this same page sets ?id= for one run only; writing it back puts it in the address bar,
# so reruns (a submitted form) and shared links keep showing this item.
st.query_params["id"] = str(item_id)
try:
    with session_scope(get_engine()) as session:
        item = item_service.get_item(session, actor=actor, item_id=item_id, today=today)
        entries = progress_service.item_history(session, actor=actor, item_id=item_id)
except TrackerError as exc:
    st.error(md(str(exc)))
    st.page_link("pages/item.py", label="← Tra cứu công việc", query_params={})
    st.stop()

st.title(md(item.title), anchor=False)
st.caption(f"Công việc số {item.id} · phiên bản {item.version}")
item_view.facts(item, today)
item_view.files(actor, item)

tab_report, tab_history, tab_explain = st.tabs(["Báo cáo tiến độ", f"Lịch sử ({len(entries)})", "Giải trình"])
with tab_report:
    item_view.report_tab(actor, item, today)
with tab_history:
    item_view.history(entries)
with tab_explain:
    item_view.explanations(actor, item, today)
