"""The sidebar's "Bộ lọc đã lưu" under a page: open a saved view, save the current filters, rename or delete
one's own (a deletion asks first).

A page calls `box("board")` once its filters are in the address. A saved view is the page's address with
its query parameters: opening one drops the page's filter widgets' state, so they start from the address.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from tracker.db import session_scope
from tracker.models import Role, ViewVisibility
from tracker.services import saved_views as svc
from tracker.ui.auth import current_actor
from tracker.ui.engine import get_engine
from tracker.ui.text import md
from tracker.ui.writes import attempt

# The session-state keys (or their beginnings) of each page's filters: forgotten when a view opens.
FILTER_STATE = {
    "board": ("board_filter_", "board_last_params", "board_paging"),
    "work_items": ("work_items_plan", "work_items_task_", "work_items_unit", "work_items_form",
                   "work_items_status", "work_items_due", "work_items_deleted"),
    "dashboard": ("dashboard_filter_", "dashboard_last_filters"),
    "calendar": ("calendar_filter_",),
}


def _open(page: str, params: dict[str, str]) -> None:
    for key in [k for k in st.session_state if str(k).startswith(FILTER_STATE[page])]:
        del st.session_state[key]
    st.query_params.from_dict(params)


def link(page: str, params: dict[str, str]) -> str:
    """The view's address, relative to the app (what to send to a colleague)."""
    query = urlencode(params)
    return f"{svc.PAGES[page]}?{query}" if query else svc.PAGES[page]


def box(page: str) -> None:
    """Saved views of `page` in the sidebar, and a form to save the address's filters under a name."""
    actor = current_actor()
    if actor is None:
        return
    with session_scope(get_engine()) as session:
        views = svc.list_views(session, actor=actor, page=page)
    with st.sidebar:
        st.caption("Bộ lọc đã lưu")
        for view in views:
            # A name and an owner are people's text: escaped, never markdown (a label and a tooltip render it).
            st.button(md(view.name), key=f"saved_view_{view.id}", icon=":material/bookmark:", width="stretch",
                      on_click=_open, args=(page, view.params),
                      help=md(("Của bạn" if view.mine else f"Do {view.owner_name} chia sẻ") + " · "
                              + svc.VISIBILITY_LABELS[view.visibility] + " · " + link(page, view.params)))
        with st.popover("Lưu bộ lọc hiện tại", icon=":material/bookmark_add:", width="stretch"):
            _save_form(actor, page, views)


def _save_form(actor, page: str, views: list[svc.View]) -> None:
    choices = [ViewVisibility.PRIVATE]
    if actor.unit_id is not None:
        choices.append(ViewVisibility.UNIT)
    if actor.role is Role.ADMIN:
        choices.append(ViewVisibility.EVERYONE)
    with st.form(f"saved_view_form_{page}", clear_on_submit=True, border=False):
        name = st.text_input("Tên bộ lọc", key=f"saved_view_name_{page}", max_chars=svc.NAME_MAX)
        visibility = st.radio("Ai được xem", choices, key=f"saved_view_visibility_{page}",
                              format_func=svc.VISIBILITY_LABELS.get)
        submitted = st.form_submit_button("Lưu", type="primary")
    params = svc.clean_params(st.query_params.to_dict())
    if submitted:
        ok, _ = attempt(lambda s: svc.save_view(s, actor=actor, page=page, name=name, params=params,
                                                    visibility=visibility))
        if ok:
            st.rerun()
    own = {v.id: v.name for v in views if v.mine}
    if own:
        st.divider()
        _manage_own(actor, page, own)


def _manage_own(actor, page: str, own: dict[int, str]) -> None:
    """Rename one of the person's views, or delete it after a confirmation."""
    picked = st.selectbox("Bộ lọc của tôi", list(own), key=f"saved_view_pick_{page}", format_func=own.get)
    new_name = st.text_input("Tên mới", key=f"saved_view_new_name_{page}", max_chars=svc.NAME_MAX)
    rename, delete = st.columns(2)
    if rename.button("Đổi tên", key=f"saved_view_rename_{page}", icon=":material/edit:"):
        ok, view = attempt(lambda s: svc.rename_view(s, actor=actor, view_id=picked, name=new_name))
        if ok:
            st.toast(f"Đã đổi tên bộ lọc “{md(own[picked])}” thành “{md(view.name)}”.")
            st.rerun()
    confirming = f"saved_view_confirm_delete_{page}"
    if delete.button("Xóa", key=f"saved_view_delete_{page}", icon=":material/delete:"):
        st.session_state[confirming] = picked
    if st.session_state.get(confirming) != picked:
        return
    st.warning(f"Xóa bộ lọc “{md(own[picked])}”? Những người được chia sẻ cũng sẽ không thấy bộ lọc này nữa.")
    yes, no = st.columns(2)
    if yes.button("Xác nhận xóa", key=f"saved_view_delete_confirm_{page}", type="primary"):
        st.session_state.pop(confirming, None)
        ok, _ = attempt(lambda s: svc.delete_view(s, actor=actor, view_id=picked))
        if ok:
            st.toast(f"Đã xóa bộ lọc “{md(own[picked])}”.")
            st.rerun()
    if no.button("Hủy", key=f"saved_view_delete_cancel_{page}"):
        st.session_state.pop(confirming, None)
        st.rerun()
