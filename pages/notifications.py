"""Thông báo: what happened that concerns me, newest first; each opens its item or round and is marked read."""

import streamlit as st

from tracker.db import session_scope
from tracker.services import notifications as svc
from tracker.text import format_datetime, format_number
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.search import address_box
from tracker.ui.text import md
from tracker.ui.writes import attempt

actor = require_actor()
st.title("Thông báo", anchor=False)

words = address_box("Tìm trong thông báo", "notifications_search", placeholder="Từ khóa, không cần dấu")
only_unread = st.toggle("Chỉ hiện thông báo chưa đọc", key="notifications_unread_only")
with session_scope(get_engine()) as session:
    listed = svc.list_notifications(session, actor=actor, only_unread=only_unread, text=words)
    choice, address = svc.email_choice(session, actor=actor)

with st.expander("Nhận thông báo qua thư điện tử"):
    st.caption(f"Địa chỉ thư: {md(address)}" if address else
               "Tài khoản chưa có địa chỉ thư điện tử: đề nghị quản trị viên bổ sung để nhận thư.")
    options = list(svc.EMAIL_CHOICE_LABELS)
    picked = st.radio("Cách nhận thư", options, index=options.index(choice), key="notifications_email_choice",
                      format_func=svc.EMAIL_CHOICE_LABELS.get)
    if picked != choice and attempt(lambda s: svc.set_email_choice(s, actor=actor, choice=picked))[0]:
        st.toast("Đã lưu cách nhận thư.")
        st.rerun()


def _open(row: svc.NotificationRow) -> None:
    """Mark the notification read, then go to what it is about."""
    ok, _ = attempt(lambda s: svc.mark_read(s, actor=actor, notification_id=row.id))
    if not ok:
        return
    if row.work_item_id is not None:
        st.switch_page("pages/item.py", query_params={"id": str(row.work_item_id)})
    if row.round_id is not None:
        st.switch_page("pages/rounds.py", query_params={"ky": str(row.round_id)})
    st.rerun()


left, right = st.columns([3, 1], vertical_alignment="center")
left.caption(f"{format_number(listed.unread)} chưa đọc · {format_number(listed.total)} thông báo"
             + (f" khớp “{md(words)}”" if words else "")
             + (f" (hiện {format_number(len(listed.rows))} mới nhất)" if len(listed.rows) < listed.total else ""))
if right.button("Đánh dấu tất cả đã đọc", key="notifications_read_all", disabled=listed.unread == 0,
                icon=":material/done_all:"):
    ok, count = attempt(lambda s: svc.mark_all_read(s, actor=actor))
    if ok:
        st.rerun()

if not listed.rows and words:
    st.info(f"Không có thông báo nào khớp “{md(words)}”.")
elif not listed.rows:
    st.info("Chưa có thông báo chưa đọc." if only_unread else "Chưa có thông báo nào.")
for row in listed.rows:
    with st.container(border=True, key=f"notifications_row_{row.id}"):
        head, actions = st.columns([4, 1], vertical_alignment="top")
        new = "" if row.read else " · :red[**Mới**]"
        head.markdown(f"**{md(row.kind_label)}**{new} · {md(row.actor or 'Hệ thống')} · "
                      f"{format_datetime(row.created_at)}")
        head.text(row.text)
        if row.work_item_id is not None or row.round_id is not None:
            label = "Mở công việc" if row.work_item_id is not None else "Mở kỳ báo cáo"
            if actions.button(label, key=f"notifications_open_{row.id}", icon=":material/open_in_new:"):
                _open(row)
        if not row.read and actions.button("Đã đọc", key=f"notifications_read_{row.id}", icon=":material/done:"):
            if attempt(lambda s, i=row.id: svc.mark_read(s, actor=actor, notification_id=i))[0]:
                st.rerun()
