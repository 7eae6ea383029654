"""Chi tiết công việc → "Các bước": the item's checklist; ticked and edited by who may report its progress, the
"progress follows the steps" switch for the office (tracker/services/checklists.py decides)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from tracker.db import session_scope
from tracker.permissions import Action, Actor, can
from tracker.services import checklists
from tracker.services.items import ItemDetail
from tracker.text import format_datetime
from tracker.ui.engine import get_engine
from tracker.ui.text import md
from tracker.ui.writes import attempt

FLASH = "item_flash"


def _write(action, done: str) -> None:
    ok, _ = attempt(action)
    if ok:
        st.session_state[FLASH] = done
        st.rerun()


def draw(actor: Actor, item: ItemDetail, today: dt.date) -> None:
    with session_scope(get_engine()) as session:
        checklist = checklists.read(session, actor=actor, item_id=item.id)
    editable = item.can_update
    if checklist.steps:
        st.caption(f"Đã xong {checklist.done_count}/{len(checklist.steps)} bước ({checklist.percent}%)."
                   + (" Tiến độ của công việc theo các bước." if checklist.progress_follows else ""))
    else:
        st.caption("Chưa có bước nào. Chia công việc thành các bước (ví dụ họp báo: gửi giấy mời, thông cáo báo chí, "
                   "bố trí hội trường, đăng tải kết quả) để theo dõi từng phần.")
    if can(actor, Action.MANAGE_ITEMS):
        follows = st.toggle("Tiến độ theo các bước (số bước đã xong ÷ tổng số bước)", value=checklist.progress_follows,
                            key=f"checklist_follows_{item.id}")
        if follows != checklist.progress_follows:
            _write(lambda s: checklists.set_progress_follows(s, actor=actor, item_id=item.id, follows=follows,
                                                             today=today),
                   "Đã đổi cách tính tiến độ của công việc.")
    for step in checklist.steps:
        c1, c2 = st.columns([12, 1])
        done = c1.checkbox(md(step.text), value=step.done, key=f"checklist_step_{step.id}", disabled=not editable)
        if step.done and step.done_by:
            c1.caption(f"Xong: {md(step.done_by)}, {format_datetime(step.done_at)}")
        if done != step.done:
            _write(lambda s, i=step.id, d=done: checklists.tick(s, actor=actor, step_id=i, done=d, today=today),
                   f"Đã ghi bước “{step.text}”: {'đã xong' if done else 'chưa xong'}.")
        if editable and c2.button("", key=f"checklist_remove_{step.id}", icon=":material/delete:",
                                  help="Bỏ bước này"):
            _write(lambda s, i=step.id: checklists.remove_step(s, actor=actor, step_id=i, today=today),
                   f"Đã bỏ bước “{step.text}”.")
    if editable:
        with st.form(f"checklist_add_{item.id}", clear_on_submit=True):
            text = st.text_input("Bước mới", max_chars=checklists.MAX_TEXT, key=f"checklist_new_{item.id}")
            if st.form_submit_button("Thêm bước", icon=":material/add:"):
                _write(lambda s: checklists.add_step(s, actor=actor, item_id=item.id, text=text, today=today),
                       f"Đã thêm bước “{text.strip()}”.")
