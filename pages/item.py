"""Chi tiết công việc: one item (?id=N) with its history and what the user may do; without an id, the search.

Not in the sidebar (the sidebar's link to the page already shown does nothing): "Tra cứu công việc" is,
and every item page links back to it.
"""

import streamlit as st

from tracker import clock
from tracker.db import session_scope
from tracker.errors import TrackerError
from tracker.services import items as item_service
from tracker.services import progress as progress_service
from tracker.text import parse_id
from tracker.ui import checklist_view, comments_view, item_view, staff_view
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.text import md

actor = require_actor()
today = clock.today()
item_id = parse_id(st.query_params.get("id", ""))
if item_id is None:
    st.switch_page("pages/item_search.py")
if flash := st.session_state.pop("item_flash", None):
    st.success(md(flash))

# A link to this same page sets ?id= for one run only; writing it back puts it in the address bar,
# so reruns (a submitted form) and shared links keep showing this item.
st.query_params["id"] = str(item_id)
try:
    with session_scope(get_engine()) as session:
        item = item_service.get_item(session, actor=actor, item_id=item_id, today=today)
        entries = progress_service.item_history(session, actor=actor, item_id=item_id)
except TrackerError as exc:
    st.error(md(str(exc)))
    st.page_link("pages/item_search.py", label="Tra cứu công việc", icon=":material/arrow_back:")
    st.stop()

st.page_link("pages/item_search.py", label="Tra cứu công việc", icon=":material/arrow_back:")
st.title(md(item.title), anchor=False)
st.caption(f"Công việc số {item.id} · phiên bản {item.version}")
item_view.facts(item, today)
item_view.files(actor, item)
staff_view.assignment(actor, item)

# Keyed, with labels that do not change on a save (a count in a label would make new tabs): after a
# save (a rerun) the person stays on the tab where they saved. Every tab is built on every run (none is
# costly), so a click only shows another tab and starts no rerun: text typed straight after it is kept
# (with on_change="rerun" it could be wiped by the rerun the click had started).
tab_report, tab_steps, tab_history, tab_explain, tab_talk = st.tabs(
    ["Báo cáo tiến độ", "Các bước", "Lịch sử", "Giải trình", "Trao đổi"], key="item_tabs")
with tab_report:
    if item.can_contribute:
        staff_view.contribution_form(actor, item)
    else:
        item_view.report_tab(actor, item, today)
with tab_steps:
    checklist_view.draw(actor, item, today)
with tab_history:
    st.caption(f"{len(entries)} lần cập nhật, mới nhất ở trên.")
    item_view.history(entries)
with tab_explain:
    item_view.explanations(actor, item, today)
with tab_talk:
    comments_view.thread(actor, item.id)
