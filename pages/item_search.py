"""Tra cứu công việc: find an item by number or words of its title; each result opens its page."""

import streamlit as st

from tracker import clock
from tracker.db import session_scope
from tracker.services import items as item_service
from tracker.text import format_date
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.search import address_box
from tracker.ui.text import md

actor = require_actor()
st.title("Tra cứu công việc")
# A link (or the sidebar's box) brings its words in ?q=; a new link replaces what the box held.
text = address_box("Tìm theo số hoặc tên công việc", "item_search")
with session_scope(get_engine()) as session:
    rows = item_service.search_items(session, actor=actor, text=text, today=clock.today())
if not rows:
    st.info("Không có công việc nào phù hợp.")
for row in rows:
    label = f"#{row.id} · {row.title} — {row.lead_unit} · hạn {format_date(row.due_date)} · {row.status_label}"
    st.page_link("pages/item.py", label=md(label), query_params={"id": str(row.id)})
