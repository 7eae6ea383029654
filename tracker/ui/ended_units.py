"""Quản trị danh mục → Sáp nhập đơn vị, first block: units whose end date has passed and still hold work or
accounts, on one screen; the office sends the work to the catalog's successor and moves the accounts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from tracker.db import session_scope
from tracker.permissions import Actor
from tracker.services import catalog_admin as admin_svc
from tracker.services import users as user_service
from tracker.text import format_date
from tracker.ui import work_items_view as view
from tracker.ui.engine import get_engine
from tracker.ui.text import md

_SURE = "catalog_ended_sure"


def draw(actor: Actor, today: dt.date, codes: dict[int, str]) -> list[admin_svc.EndedUnit]:
    """The block; returns the ended units listed (the merge form below offers those without a successor)."""
    with session_scope(get_engine()) as session:
        ended = admin_svc.ended_units(session, today=today)
    if not ended:
        st.success("Không có đơn vị đã kết thúc hoạt động nào còn công việc hay tài khoản đang dùng.")
        return []
    st.subheader("Đơn vị đã kết thúc hoạt động, còn việc hoặc tài khoản", anchor=False)
    st.dataframe(pd.DataFrame([{
        "Đơn vị": e.name, "Kết thúc": format_date(e.ended_on),
        "Đơn vị kế thừa": e.successor_name or "— chưa có: chọn ở mục Sáp nhập bên dưới",
        "Việc chủ trì đang mở": e.open_items, "Việc phối hợp đang mở": e.coordinated_items,
        "Yêu cầu giải trình mở": e.open_requests, "Tài khoản": ", ".join(n for _, n, _ in e.accounts) or "—",
    } for e in ended]), hide_index=True, width="stretch", key="catalog_ended_table")
    movable = [e for e in ended if e.successor_id and (e.open_items or e.coordinated_items or e.open_requests)]
    if movable:
        total = sum(e.open_items + e.coordinated_items for e in movable)
        if st.session_state.get(_SURE):
            st.warning(f"Chuyển {total} công việc đang mở của {len(movable)} đơn vị sang đơn vị kế thừa, tính từ ngày "
                       "sau ngày kết thúc của từng đơn vị? Mỗi công việc ghi lại lần chuyển trong lịch sử.")
            c1, c2 = st.columns(2)
            if c1.button("Chuyển", type="primary", key="catalog_ended_go"):
                st.session_state.pop(_SURE, None)
                view.write(lambda s: admin_svc.follow_successors(s, actor=actor, today=today),
                           lambda r: "Đã chuyển sang đơn vị kế thừa: " + "; ".join(
                               f"{x.unit} → {x.successor} ({len(x.moved_items)} chủ trì, "
                               f"{len(x.coordinator_items)} phối hợp)" for x in r) + ".")
            if c2.button("Hủy", key="catalog_ended_cancel"):
                st.session_state.pop(_SURE, None)
                st.rerun()
        elif st.button(f"Chuyển công việc sang đơn vị kế thừa ({total} việc)", key="catalog_ended_follow",
                       icon=":material/move_down:"):
            st.session_state[_SURE] = True
            st.rerun()
    for e in ended:
        if not (e.accounts and e.successor_id):
            continue
        for user_id, username, role in e.accounts:
            if st.button(f"Chuyển tài khoản {md(username)} sang {md(e.successor_name)}",
                         key=f"catalog_ended_account_{user_id}", icon=":material/person_pin:"):
                view.write(lambda s, u=user_id, r=role, c=codes[e.successor_id]: user_service.change_role(
                    s, actor=actor, user_id=u, role=r, unit_code=c),
                    f"Đã chuyển tài khoản {username} sang {e.successor_name}; phiên đăng nhập cũ của tài khoản "
                    "đã kết thúc.")
    return ended
