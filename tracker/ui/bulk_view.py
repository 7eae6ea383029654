"""Công việc → "Sửa đồng loạt" (the office) and the list's "Chuyển đồng loạt" (a unit head, their unit's items):
choose the items (all the list's filters select, or numbers), the change, see the preview of what each item's
history will say, then apply — all or nothing (tracker/services/bulk.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from tracker import clock
from tracker.db import session_scope
from tracker.errors import TrackerError
from tracker.models import Status
from tracker.permissions import Actor
from tracker.services import bulk
from tracker.services import work_item_lists as lists
from tracker.text import format_number, parse_id
from tracker.ui import work_items_view as view
from tracker.ui.engine import get_engine
from tracker.ui.text import md
from tracker.ui.writes import attempt
from tracker.workflow import STATUS_LABELS, STATUS_ORDER

_PREVIEW = "bulk_preview"  # (kind, items with versions, change) the preview was made for, and its result
KEEP = 0  # "Giữ nguyên" in a picker
DATE = "DD/MM/YYYY"


def _numbers(text: str) -> tuple[list[int], list[str]]:
    ids, bad = [], []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if part.strip():
            (ids if (n := parse_id(part.strip().lstrip("#"))) is not None else bad).append(n if n else part)
    return list(dict.fromkeys(ids)), bad


def _targets(actor: Actor, filters: lists.ItemFilter, key: str, unit_id: int | None = None) -> list[tuple[int, int]]:
    """The items chosen: all the list's filters select (and the unit's, for a unit head), or typed numbers."""
    with session_scope(get_engine()) as session:
        matching = lists.item_versions(session, actor=actor, filters=filters, unit_id=unit_id)
    how = st.radio("Áp dụng cho", ["all", "numbers"], horizontal=True, key=f"{key}_scope",
                   format_func={"all": f"Tất cả {format_number(len(matching))} công việc theo bộ lọc ở trên",
                                "numbers": "Các công việc có số"}.get)
    if how == "all":
        return matching
    ids, bad = _numbers(st.text_input("Số công việc, cách nhau bởi dấu phẩy", key=f"{key}_numbers",
                                      placeholder="Ví dụ: 12, 15, 40"))
    if bad:
        st.error(f"Không hiểu các số: {md(', '.join(bad))}.")
    known = dict(matching)
    outside = [i for i in ids if i not in known]
    if outside:
        st.warning("Không thuộc danh sách đang lọc nên không được sửa: " + ", ".join(f"#{i}" for i in outside) + ".")
    return [(i, known[i]) for i in ids if i in known]


def _show(result: bulk.BulkResult) -> None:
    rows = [{"Số": r.item_id, "Công việc": r.title, "Thay đổi": bulk.FIELD_LABELS.get(f, f),
             "Trước": old, "Sau": new} for r in result.changed for f, (old, new) in r.changes.items()]
    unchanged = len([r for r in result.rows if not r.changes and not r.problem])
    st.caption(f"{format_number(len(result.changed))} công việc sẽ thay đổi"
               + (f", {format_number(unchanged)} công việc không có gì thay đổi" if unchanged else "") + ".")
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=min(400, 38 + 35 * len(rows)))
    for problem in result.problems[:50]:
        st.error(md(problem))
    if len(result.problems) > 50:
        st.error(f"… và {format_number(len(result.problems) - 50)} công việc khác không thay đổi được.")


def _preview_and_apply(key: str, items: list[tuple[int, int]], change, preview, apply, done: str) -> None:
    signature = (key, tuple(items), change)
    c1, c2 = st.columns(2)
    if c1.button("Xem trước", key=f"{key}_preview", icon=":material/preview:", disabled=not items):
        with session_scope(get_engine()) as session:
            try:
                st.session_state[_PREVIEW] = (signature, preview(session, items, change))
            except TrackerError as exc:  # a refusal of the whole change (permission, nothing chosen)
                st.session_state.pop(_PREVIEW, None)
                st.error(md(str(exc)))
    shown = st.session_state.get(_PREVIEW)
    if not shown or shown[0] != signature:
        st.caption("Xem trước để thấy từng công việc sẽ thay đổi thế nào; chưa có gì được ghi.")
        return
    result = shown[1]
    _show(result)
    if result.problems or not result.changed:
        return
    if c2.button(f"Áp dụng cho {format_number(len(result.changed))} công việc", type="primary", key=f"{key}_apply"):
        ok, written = attempt(lambda s: apply(s, [(r.item_id, v) for r, (_, v) in zip(result.rows, items)
                                                  if r.changes], change))
        st.session_state.pop(_PREVIEW, None)
        if ok:
            st.session_state[view.FLASH] = done.format(n=format_number(len(written.changed)))
            st.rerun()


def office(actor: Actor, filters: lists.ItemFilter, choices: lists.PlanChoices) -> None:
    st.caption("Sửa nhiều công việc cùng lúc. Mỗi công việc ghi một mục trong lịch sử; nếu một công việc không sửa "
               "được (sai quy tắc, hoặc vừa có người cập nhật) thì không công việc nào bị sửa.")
    items = _targets(actor, filters, "bulk")
    action = st.radio("Thao tác", ["edit", "delete", "restore"], horizontal=True, key="bulk_action",
                      format_func={"edit": "Sửa thông tin", "delete": "Xóa", "restore": "Khôi phục (đã xóa)"}.get)
    if action == "edit":
        c1, c2, c3 = st.columns(3)
        shift = c1.number_input("Dời ngày bắt đầu và hạn (ngày; số âm: sớm hơn)", min_value=-366, max_value=366,
                                step=1, value=0, key="bulk_shift")
        start = c2.date_input("Hoặc đặt ngày bắt đầu", value=None, format=DATE, key="bulk_start")
        due = c3.date_input("Hoặc đặt hạn", value=None, format=DATE, key="bulk_due")
        units = {o.id: o.label for o in choices.units}
        forms = {o.id: o.label for o in choices.forms}
        channels = {o.id: o.label for o in choices.channels}
        c1, c2, c3 = st.columns(3)
        lead = c1.selectbox("Đơn vị chủ trì", [KEEP, *units], key="bulk_lead",
                            format_func=lambda v: "Giữ nguyên" if v == KEEP else units[v])
        form = c2.selectbox("Hình thức", [KEEP, *forms], key="bulk_form",
                            format_func=lambda v: "Giữ nguyên" if v == KEEP else forms[v])
        channel = c3.selectbox("Kênh", [KEEP, *channels], key="bulk_channel",
                               format_func=lambda v: "Giữ nguyên" if v == KEEP else channels[v])
        replace_coordinators = st.checkbox("Thay danh sách đơn vị phối hợp", key="bulk_coord_replace")
        coordinators = st.multiselect("Đơn vị phối hợp mới", list(units), format_func=units.get, key="bulk_coord",
                                      disabled=not replace_coordinators)
        change = bulk.BulkEdit(shift_days=int(shift) if not (start or due) else 0, start_date=start, due_date=due,
                               lead_unit_id=lead or None, form_id=form or None, channel_id=channel or None,
                               coordinating_unit_ids=tuple(coordinators) if replace_coordinators else None)
        _preview_and_apply("bulk_edit", items, change,
                           lambda s, i, c: bulk.preview_edit(s, actor=actor, items=i, edit=c),
                           lambda s, i, c: bulk.apply_edit(s, actor=actor, items=i, edit=c),
                           "Đã sửa {n} công việc.")
    else:
        restore = action == "restore"
        if restore:
            st.caption("Công việc đã xóa chỉ hiện khi bật “Hiện cả công việc đã xóa” ở bộ lọc.")
        reason = None if restore else st.text_input("Lý do xóa", key="bulk_reason")
        _preview_and_apply(f"bulk_{action}", items, (restore, reason),
                           lambda s, i, c: bulk.preview_delete(s, actor=actor, items=i, restore=c[0], reason=c[1]),
                           lambda s, i, c: bulk.apply_delete(s, actor=actor, items=i, restore=c[0], reason=c[1]),
                           "Đã khôi phục {n} công việc." if restore else "Đã xóa {n} công việc.")


def unit_head(actor: Actor, filters: lists.ItemFilter) -> None:
    with st.expander("Chuyển đồng loạt công việc của đơn vị", icon=":material/move_group:"):
        items = _targets(actor, filters, "bulk_move", unit_id=actor.unit_id)
        to = st.selectbox("Chuyển sang cột", [s for s in STATUS_ORDER if s is not Status.DONE], key="bulk_move_to",
                          format_func=STATUS_LABELS.get)
        today: dt.date = clock.today()
        _preview_and_apply("bulk_move", items, to,
                           lambda s, i, c: bulk.preview_move(s, actor=actor, items=i, to_status=c, today=today),
                           lambda s, i, c: bulk.apply_move(s, actor=actor, items=i, to_status=c, today=today),
                           "Đã chuyển {n} công việc.")
