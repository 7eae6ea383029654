"""Việc của tôi: overdue work, work due within 7 days, open explanation requests and reporting rounds."""

import pandas as pd
import streamlit as st

from tracker import clock
from tracker.db import session_scope
from tracker.models import Role
from tracker.services import explanations as explanation_service
from tracker.services import items as item_service
from tracker.services import rounds as round_service
from tracker.text import format_date, format_datetime, format_number
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.text import md

actor = require_actor()
today = clock.today()
st.title("Việc của tôi")
st.caption(f"Hôm nay: {format_date(today)}")

with session_scope(get_engine()) as session:
    work = item_service.my_work(session, actor=actor, today=today)
    unit_id = actor.unit_id if actor.role is Role.UNIT_HEAD else None
    requests = explanation_service.list_explanations(session, actor=actor, unit_id=unit_id, only_open=True)
    rounds = round_service.open_rounds_for_unit(session, unit_id=unit_id, today=today) if unit_id else []


def item_table(title: str, listing: item_service.Listing, key: str, empty: str) -> None:
    """A table of items (the first LIST_LIMIT, the full count in the heading); choosing a row opens the item."""
    rows = listing.rows
    st.subheader(f"{title} ({format_number(listing.total)})", anchor=False)
    if not rows:
        st.caption(empty)
        return
    if listing.cut:
        st.caption(f"Hiện {format_number(len(rows))}/{format_number(listing.total)} việc (hạn sớm nhất trước). "
                   "Xem đủ và lọc ở trang “Công việc” hoặc tải Excel ở “Tổng quan”.")
        st.page_link("pages/work_items.py", label="Mở trang Công việc")
    frame = pd.DataFrame([{
        "Số": r.id, "Công việc": r.title, "Nhiệm vụ": f"({r.task_label})", "Đơn vị chủ trì": r.lead_unit,
        "Hạn": format_date(r.due_date), "Quá hạn (ngày)": str(r.days_overdue) if r.days_overdue else "",
        "Trạng thái": r.status_label, "Đánh giá": r.standing_label, "Tiến độ": r.progress,
        "Vướng mắc": "Có" if r.blocked else "",
    } for r in rows])
    if not any(r.days_overdue for r in rows):
        frame = frame.drop(columns="Quá hạn (ngày)")  # an empty column would read "None"
    event = st.dataframe(
        frame, key=key, hide_index=True, on_select="rerun", selection_mode="single-row", width="stretch",
        column_config={"Tiến độ": st.column_config.ProgressColumn("Tiến độ", min_value=0, max_value=100,
                                                                  format="%d%%")},
    )
    if event.selection.rows:
        st.switch_page("pages/item.py", query_params={"id": str(rows[event.selection.rows[0]].id)})


cols = st.columns(4)
cols[0].metric("Quá hạn", format_number(work.overdue.total))
cols[1].metric("Đến hạn trong 7 ngày", format_number(work.due_soon.total))
cols[2].metric("Yêu cầu giải trình đang chờ", len(requests))
cols[3].metric("Kỳ báo cáo chưa nộp", sum(1 for r in rounds if not r.submitted))

if requests:
    st.subheader(f"Yêu cầu giải trình đang chờ ({len(requests)})", anchor=False)
    for req in requests:
        with st.container(border=True):
            st.markdown(f"**{md(req.item_title)}** — {md(req.unit_name)}  \n"
                        f"{md(req.requested_by)}, {format_datetime(req.requested_at)}: {md(req.question)}")
            st.page_link("pages/item.py", label="Mở công việc để giải trình", query_params={"id": str(req.work_item_id)})
if rounds:
    st.subheader("Kỳ báo cáo", anchor=False)
    for rnd in rounds:
        state = "Đã nộp" if rnd.submitted else f"Chưa nộp — hạn {format_date(rnd.deadline)}"
        st.markdown(f"- **{md(rnd.name)}**: {state}")
    st.page_link("pages/rounds.py", label="Đến trang Kỳ báo cáo")

if actor.role is Role.STAFF:
    st.caption("Các danh sách dưới đây gồm công việc Trưởng đơn vị giao cho bạn; công việc khác của đơn vị xem "
               "ở “Bảng Kanban” (chỉ xem).")
    item_table("Được giao cho tôi", work.assigned, "my_work_assigned",
               "Chưa có công việc nào được giao cho bạn.")
item_table("Quá hạn", work.overdue, "my_work_overdue", "Không có công việc quá hạn.")
item_table("Đến hạn trong 7 ngày", work.due_soon, "my_work_due_soon", "Không có công việc sắp đến hạn.")
item_table("Đang vướng mắc", work.blocked, "my_work_blocked", "Không có công việc đang vướng mắc.")
if actor.role in (Role.UNIT_HEAD, Role.STAFF):
    item_table("Phối hợp", work.coordinating, "my_work_coordinating",
               "Đơn vị không phối hợp công việc nào đang thực hiện.")
if actor.role is Role.ADMIN:
    item_table("Chờ xác nhận", work.awaiting_confirmation, "my_work_awaiting", "Không có công việc chờ xác nhận.")
