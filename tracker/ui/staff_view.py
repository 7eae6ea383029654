"""An item's people: the head assigns it to the unit's staff; a coordinating unit sends evidence of its part."""

from __future__ import annotations

import streamlit as st

from tracker.db import session_scope
from tracker.limits import max_chars
from tracker.permissions import Actor
from tracker.services import assignments as assignment_service
from tracker.services import contributions as contribution_service
from tracker.services import evidence as evidence_service
from tracker.services import progress as progress_service
from tracker.services.items import ItemDetail
from tracker.ui.engine import get_engine
from tracker.ui.item_view import evidence_uploader
from tracker.ui.writes import attempt


def assignment(actor: Actor, item: ItemDetail) -> None:
    """The lead unit's head (or the office) chooses the item's staff among the unit's active staff."""
    if not item.can_assign:
        return
    with session_scope(get_engine()) as session:
        choices = assignment_service.unit_staff(session, unit_id=item.lead_unit_id)
        current = assignment_service.assigned_staff(session, item_id=item.id)
    by_id = {m.user_id: m for m in choices + current}
    with st.expander("Giao cho chuyên viên", icon=":material/person_add:", expanded=not current):
        if not choices and not current:
            st.caption("Đơn vị chưa có tài khoản Chuyên viên: Văn phòng tạo ở trang “Tài khoản”.")
            return
        with st.form(f"item_assign_form_{item.id}"):
            picked = st.multiselect("Cán bộ phụ trách", list(by_id), default=[m.user_id for m in current],
                                    format_func=lambda i: by_id[i].label, key=f"item_assign_{item.id}",
                                    placeholder="Chọn chuyên viên của đơn vị")
            if not st.form_submit_button("Lưu phân công", type="primary", key=f"item_assign_save_{item.id}"):
                return
        done, _ = attempt(lambda s: assignment_service.assign_staff(s, actor=actor, item_id=item.id,
                                                                    user_ids=picked))
        if done:
            st.session_state["item_flash"] = "Đã lưu phân công; chuyên viên được giao đã nhận thông báo."
            st.rerun()


def contribution_form(actor: Actor, item: ItemDetail) -> None:
    """A coordinating unit's evidence of its part: links, files (the lead's limits) and a note."""
    st.info("Đơn vị bạn phối hợp thực hiện công việc này: gửi minh chứng phần việc của đơn vị dưới đây. "
            "Tiến độ và trạng thái do đơn vị chủ trì cập nhật.")
    files_round = st.session_state.get(f"item_contrib_round_{item.id}", 0)
    with st.form(f"item_contrib_form_{item.id}"):
        note = st.text_area("Ghi chú phần phối hợp", key=f"item_contrib_note_{item.id}_{files_round}",
                            max_chars=max_chars("progress_note"))
        urls = st.text_area("Đường dẫn minh chứng (mỗi dòng một đường dẫn http/https)",
                            key=f"item_contrib_urls_{item.id}_{files_round}", max_chars=max_chars("evidence_urls"))
        uploads = evidence_uploader(f"item_contrib_files_{item.id}_{files_round}")
        if not st.form_submit_button("Gửi minh chứng phối hợp", type="primary", key=f"item_contrib_send_{item.id}"):
            return
    files = [evidence_service.Upload(u.name, u.getvalue()) for u in uploads or []]
    done, _ = attempt(lambda s: contribution_service.add_contribution(
        s, actor=actor, item_id=item.id, note=note, evidence_urls=progress_service.parse_urls(urls), files=files))
    if done:
        st.session_state[f"item_contrib_round_{item.id}"] = files_round + 1  # empty fields for the next one
        st.session_state["item_flash"] = "Đã gửi minh chứng phần phối hợp."
        st.rerun()
