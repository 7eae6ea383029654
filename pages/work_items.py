"""Công việc: a plan's work items, filtered (filters in the URL); the office creates, edits, deletes,
fans out, imports from and exports to Excel; unit heads see their own unit's items."""

import streamlit as st

from tracker.db import session_scope
from tracker.models import Role
from tracker.permissions import Action, can
from tracker.services import excel_template
from tracker.services import imports as import_service
from tracker.services import work_item_lists as lists
from tracker.services import work_items as svc
from tracker.text import format_number
from tracker.ui import bulk_view, data, saved_views
from tracker.ui import work_items_view as view
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.text import md

actor = require_actor()
manage = can(actor, Action.MANAGE_ITEMS)
st.title("Công việc")
if flash := st.session_state.pop(view.FLASH, None):
    st.success(md(flash))

plans = data.plans()
if not plans:
    st.info("Chưa có kế hoạch nào. Quản trị hệ thống hãy chạy: python -m tracker init")
    st.stop()
by_code = {p.code: p for p in plans}
st.session_state.setdefault("work_items_plan", st.query_params.get("ke_hoach") if st.query_params.get("ke_hoach")
                            in by_code else plans[0].code)
plan_code = st.selectbox("Kế hoạch", list(by_code), key="work_items_plan",
                         format_func=lambda c: f"{c} · năm {by_code[c].year} · {by_code[c].title}")
st.query_params["ke_hoach"] = plan_code
plan = by_code[plan_code]
choices = view.choices(plan.id)
if actor.role is Role.UNIT_HEAD:
    st.caption("Bạn xem các công việc do đơn vị mình chủ trì.")

engine = get_engine()


def export_bytes(filters: lists.ItemFilter) -> bytes:
    with session_scope(engine) as session:
        return import_service.export_items(session, actor=actor, filters=filters)


def template_bytes() -> bytes:
    with session_scope(engine) as session:
        return import_service.template(session, plan_id=plan.id)


tab_names = ["Danh sách"] + (["Thêm công việc", "Giao đồng loạt", "Sửa đồng loạt", "Nhập từ Excel",
                               "Chuyển sang năm sau"] if manage else [])
# Keyed: a save or a refusal (a rerun) keeps the person on the tab they were working in.
tabs = st.tabs(tab_names, key="work_items_tabs", on_change="rerun")
with tabs[0]:
    filters = view.filters(actor, choices, plan.id)
    saved_views.box("work_items")
    with session_scope(engine) as session:
        rows = lists.list_items(session, actor=actor, filters=filters, limit=view.LIST_LIMIT + 1)
        total = lists.count_items(session, actor=actor, filters=filters) if len(rows) > view.LIST_LIMIT else len(rows)
    if len(rows) > view.LIST_LIMIT:
        rows = rows[:view.LIST_LIMIT]
        st.warning(f"Hiện {format_number(len(rows))}/{format_number(total)} công việc: hãy lọc thêm, hoặc xuất ra "
                   "Excel để xem đủ.")
    selected = view.table(rows)
    if actor.role is Role.UNIT_HEAD:
        bulk_view.unit_head(actor, filters)
    st.download_button("Xuất danh sách ra Excel", data=lambda: export_bytes(filters), mime=excel_template.XLSX_MIME,
                       file_name=excel_template.file_name_for(plan.code, "danh-sach"), key="work_items_export",
                       icon=":material/download:")
    if selected is not None and selected.deleted:
        view.deleted_section(actor, selected)
    elif selected is not None:
        st.subheader(f"Công việc số {selected.id}: {md(selected.title)}", anchor=False)
        st.page_link("pages/item.py", label="Mở trang chi tiết và lịch sử", query_params={"id": str(selected.id)})
        if manage:
            if st.button("Xóa công việc này", key="work_items_delete", icon=":material/delete:"):
                st.session_state["work_items_deleting"] = selected.id
            # Kept in session state: the dialog stays open across the reruns its own widgets cause.
            if st.session_state.get("work_items_deleting") == selected.id:
                view.confirm_delete(actor, selected)
            view.edit_section(actor, selected.id, choices)

if manage:
    with tabs[1]:
        submitted = view.item_form(view.fresh_key("work_items_new"), choices)
        if submitted:
            new, _ = submitted
            view.write(lambda s: svc.create_item(s, actor=actor, plan_id=plan.id, data=new),
                       lambda item: f"Đã thêm công việc số {item.id}.")
    with tabs[2]:
        st.caption("Một mẫu công việc, mỗi đơn vị một công việc; nếu một đơn vị không hợp lệ thì không tạo công việc nào.")
        submitted = view.item_form(view.fresh_key("work_items_fan"), choices, fan_out=True)
        if submitted:
            template, extra = submitted
            scope = extra["scope"] if extra["scope"] != "units" else None
            view.write(lambda s: svc.fan_out(s, actor=actor, plan_id=plan.id, template=template,
                                             unit_ids=extra["unit_ids"], scope=scope),
                       lambda result: f"Đã giao {len(result.item_ids)} công việc cho {len(result.unit_names)} đơn vị.")
    if tabs[3].open:  # it reads every filtered item's version: built only when its tab is shown
        with tabs[3]:
            bulk_view.office(actor, filters, choices)
    with tabs[4]:
        st.markdown("Tải tệp mẫu, điền mỗi công việc một dòng rồi tải lên. Toàn bộ tệp được kiểm tra trước: "
                    "nếu có dòng sai thì không nhập dòng nào và mọi lỗi được liệt kê.")
        st.download_button("Tải tệp mẫu", data=template_bytes, mime=excel_template.XLSX_MIME,
                           file_name=excel_template.file_name_for(plan.code, "mau"), key="work_items_template",
                           icon=":material/download:")
        view.import_section(actor, plan.id, plan.code)
    if tabs[5].open:  # the preview checks every item of the plan: built only when its tab is shown
        with tabs[5]:
            st.caption("Tạo kế hoạch năm sau: chép các nhiệm vụ trọng tâm và các công việc được chọn (lùi hạn một "
                       "năm); đơn vị đã sáp nhập được thay bằng đơn vị kế thừa. Chưa ghi gì cho đến khi bấm nút tạo.")
            view.rollover_section(actor, plan.id, plan.year)
