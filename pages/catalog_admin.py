"""Quản trị danh mục: the office fills in task texts, adds, renames, ends and merges units, and opens
a Sở Nội vụ's own plan on the ministry plan's tasks."""

import streamlit as st

from tracker import clock, periods
from tracker.db import session_scope
from tracker.limits import max_chars
from tracker.models import Role, Status, UnitKind
from tracker.workflow import STATUS_LABELS, STATUS_ORDER
from tracker.services import catalog_admin as admin_svc
from tracker.services import settings as settings_service
from tracker.services import units as unit_service
from tracker.text import format_date
from tracker.services.units import KIND_LABELS
from tracker.ui import data, ended_units, plan_from_decision
from tracker.ui import work_items_view as view
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.text import md

DATE = "DD/MM/YYYY"

actor = require_actor(Role.ADMIN)
st.title("Quản trị danh mục")
if flash := st.session_state.pop(view.FLASH, None):
    st.success(md(flash))

plans = data.plans()
# Options are ids throughout: cached records are rebuilt after each write, and a selection must survive that.
by_plan = {p.id: p for p in plans}
with session_scope(get_engine()) as session:
    units = unit_service.list_units(session)
names = {u.id: f"{u.name} ({u.code})" for u in units}
today = clock.today()
active_now = [u.id for u in units if (u.valid_to is None or u.valid_to >= today)]

tab_task, tab_unit, tab_merge, tab_plan, tab_decision, tab_periods, tab_report, tab_board = st.tabs(
    ["Nhiệm vụ trọng tâm", "Đơn vị", "Sáp nhập đơn vị", "Kế hoạch của Sở Nội vụ", "Kế hoạch mới từ Quyết định",
     "Kỳ báo cáo", "Người ký báo cáo", "Bảng Kanban"])
with tab_task:
    plan_id = st.selectbox("Kế hoạch", list(by_plan), format_func=lambda i: f"{by_plan[i].code} · năm {by_plan[i].year}",
                           key="catalog_task_plan")
    tasks = {t.id: t for t in data.tasks(plan_id)} if plan_id else {}
    task_id = st.selectbox("Nhiệm vụ", list(tasks), key="catalog_task",
                           format_func=lambda i: f"({tasks[i].label}) {tasks[i].display_text[:90]}")
    task = tasks.get(task_id)
    if task is not None:
        with st.form(f"catalog_task_form_{task.id}"):
            text = st.text_area("Nội dung nhiệm vụ", value=task.text or "", height=160, key=f"catalog_task_text_{task.id}",
                                max_chars=max_chars("task_text"))
            if st.form_submit_button("Lưu nội dung", type="primary"):
                view.write(lambda s: admin_svc.edit_task_text(s, actor=actor, task_id=task.id, text=text),
                           f"Đã lưu nội dung nhiệm vụ ({task.label}).")

with tab_unit:
    st.subheader("Thêm đơn vị", anchor=False)
    with st.form("catalog_unit_add"):
        c1, c2 = st.columns(2)
        code = c1.text_input("Mã đơn vị (chữ in hoa không dấu)", key="catalog_unit_code")
        name = c2.text_input("Tên đầy đủ", key="catalog_unit_name", max_chars=max_chars("unit_name"))
        short = c1.text_input("Tên viết tắt", key="catalog_unit_short", max_chars=max_chars("unit_short_name"))
        kind = c2.selectbox("Loại", list(UnitKind), format_func=lambda k: KIND_LABELS[k], key="catalog_unit_kind")
        start = c1.date_input("Hoạt động từ ngày", value=None, format=DATE, key="catalog_unit_from")
        if st.form_submit_button("Thêm đơn vị", type="primary"):
            view.write(lambda s: admin_svc.add_unit(s, actor=actor, code=code, name=name, short_name=short or None,
                                                    kind=kind, valid_from=start), f"Đã thêm đơn vị {code}.")
    st.subheader("Đổi tên hoặc kết thúc hoạt động", anchor=False)
    unit_id = st.selectbox("Đơn vị", active_now, format_func=lambda i: names[i], key="catalog_unit_pick")
    if unit_id is not None:
        c1, c2 = st.columns(2)
        with c1.form(f"catalog_unit_rename_{unit_id}"):
            new_name = st.text_input("Tên mới (tên cũ vẫn được nhận khi nhập Excel)", key="catalog_unit_new_name",
                                     max_chars=max_chars("unit_name"))
            if st.form_submit_button("Đổi tên"):
                view.write(lambda s: admin_svc.rename_unit(s, actor=actor, unit_id=unit_id, name=new_name),
                           "Đã đổi tên đơn vị.")
        with c2.form(f"catalog_unit_end_{unit_id}"):
            last = st.date_input("Ngày cuối cùng hoạt động", value=today, format=DATE, key="catalog_unit_last")
            if st.form_submit_button("Kết thúc hoạt động"):
                view.write(lambda s: admin_svc.end_unit(s, actor=actor, unit_id=unit_id, last_day=last),
                           "Đã cập nhật thời gian hoạt động của đơn vị.")

with tab_merge:
    ended = ended_units.draw(actor, today, {u.id: u.code for u in units})
    st.subheader("Sáp nhập đơn vị", anchor=False)
    st.caption("Các công việc chưa hoàn thành do đơn vị chủ trì hoặc phối hợp được chuyển sang đơn vị kế thừa; "
               "mỗi lần chuyển được ghi vào lịch sử của công việc.")
    mergeable = active_now + [e.unit_id for e in ended if e.successor_id is None]
    with st.form("catalog_merge"):
        old = st.selectbox("Đơn vị bị sáp nhập", mergeable, index=None, format_func=lambda i: names[i],
                           key="catalog_merge_old", placeholder="Chọn đơn vị")
        new = st.selectbox("Đơn vị kế thừa", [u.id for u in units], index=None, format_func=lambda i: names[i],
                           key="catalog_merge_new", placeholder="Chọn đơn vị")
        day = st.date_input("Sáp nhập từ ngày", value=today, format=DATE, key="catalog_merge_day")
        sure = st.checkbox("Tôi đã kiểm tra: chuyển toàn bộ công việc đang làm sang đơn vị kế thừa",
                           key="catalog_merge_sure")
        if st.form_submit_button("Sáp nhập", type="primary"):
            if not (old and new and sure):
                st.error("Hãy chọn hai đơn vị và đánh dấu xác nhận.")
            else:
                view.write(lambda s: admin_svc.merge_unit(s, actor=actor, unit_id=old, successor_id=new,
                                                          from_day=day),
                           lambda r: f"Đã sáp nhập: chuyển {len(r.moved_items)} công việc chủ trì và "
                                     f"{len(r.coordinator_items)} công việc phối hợp.")

with tab_plan:
    provincial = [u.id for u in units if u.kind == UnitKind.PROVINCIAL.value and u.id in active_now]
    with st.form("catalog_plan"):
        parent_id = st.selectbox("Theo kế hoạch của Bộ", list(by_plan),
                                 format_func=lambda i: f"{by_plan[i].code} · năm {by_plan[i].year}", key="catalog_plan_parent")
        unit = st.selectbox("Sở Nội vụ", provincial, index=None, format_func=lambda i: names[i],
                            key="catalog_plan_unit", placeholder="Chọn Sở Nội vụ")
        code = st.text_input("Mã kế hoạch", key="catalog_plan_code", placeholder="KH-SNV-HN-2024",
                             max_chars=max_chars("plan_code"))
        if st.form_submit_button("Tạo kế hoạch", type="primary"):
            if unit is None:
                st.error("Hãy chọn Sở Nội vụ.")
            else:
                view.write(lambda s: admin_svc.create_provincial_plan(s, actor=actor, parent_plan_id=parent_id,
                                                                      unit_id=unit, code=code),
                           lambda p: f"Đã tạo kế hoạch {p.code}.")

with tab_decision:
    plan_from_decision.draw(actor)

with tab_periods:
    with session_scope(get_engine()) as session:
        current = settings_service.reporting(session)
    st.caption("Áp dụng cho mọi kỳ chọn sẵn (tháng, quý, 6 tháng, 9 tháng, năm) ở Tổng quan, báo cáo và kỳ báo cáo.")
    with st.form("catalog_periods"):
        rule = st.radio("Thời gian chốt số liệu", list(periods.Rule), index=list(periods.Rule).index(current.rule),
                        format_func=periods.RULE_LABELS.get, key="catalog_periods_rule")
        days = st.number_input("Đơn vị gửi báo cáo trong (ngày) sau ngày chốt số liệu", min_value=0, max_value=60,
                               value=current.send_within_days, step=1, key="catalog_periods_days")
        example = periods.period(periods.Kind.HALF_YEAR, today.year, rule=rule)
        st.caption(f"Ví dụ: {example.label}, hạn gửi {format_date(example.deadline(int(days)))}.")
        if st.form_submit_button("Lưu cách tính kỳ", type="primary"):
            view.write(lambda s: settings_service.set_reporting(s, actor=actor, rule=rule, send_within_days=int(days)),
                       lambda r: "Đã lưu cách tính kỳ báo cáo.")

with tab_board:
    with session_scope(get_engine()) as session:
        wip = settings_service.board_wip(session)
    st.caption("Giới hạn số công việc đang làm (WIP) của mỗi cột. Khi vượt, số đếm ở đầu cột chuyển màu đỏ; vẫn "
               "chuyển thẻ được. Nhập 0 để không giới hạn.")
    with st.form("catalog_board_wip"):
        columns, lanes = {}, {}
        for status in STATUS_ORDER:
            if status is Status.DONE:
                continue
            c1, c2 = st.columns(2)
            columns[status] = c1.number_input(f"Cột “{STATUS_LABELS[status]}”: cả bảng", min_value=0,
                                              max_value=settings_service.MAX_WIP, step=1,
                                              value=wip.columns.get(status, 0), key=f"catalog_wip_{status.value}")
            lanes[status] = c2.number_input(f"Cột “{STATUS_LABELS[status]}”: mỗi làn (khi xem theo làn)", min_value=0,
                                            max_value=settings_service.MAX_WIP, step=1,
                                            value=wip.lanes.get(status, 0), key=f"catalog_wip_lane_{status.value}")
        if st.form_submit_button("Lưu giới hạn WIP", type="primary"):
            view.write(lambda s: settings_service.set_board_wip(
                s, actor=actor, columns={k: int(v) for k, v in columns.items()},
                lanes={k: int(v) for k, v in lanes.items()}), "Đã lưu giới hạn WIP của Bảng Kanban.")
with tab_report:
    with session_scope(get_engine()) as session:
        office = settings_service.office(session)
    st.caption("Dùng cho phần đầu, phần ký và nơi nhận của báo cáo Word (Nghị định 30/2020/NĐ-CP).")
    with st.form("catalog_report"):
        c1, c2 = st.columns(2)
        issuer = c1.text_input("Tên cơ quan ban hành", value=office.issuer, key="catalog_report_issuer")
        symbol = c2.text_input("Ký hiệu báo cáo", value=office.symbol, key="catalog_report_symbol")
        place = c1.text_input("Địa danh", value=office.place, key="catalog_report_place")
        authority = c2.selectbox("Quyền hạn ký", list(settings_service.AUTHORITIES),
                                 index=list(settings_service.AUTHORITIES).index(office.authority),
                                 format_func=lambda a: a or "(ký trực tiếp)", key="catalog_report_authority")
        authority_of = c1.text_input("Chức vụ người đứng đầu (sau KT./TL./TUQ.)", value=office.authority_of,
                                     key="catalog_report_authority_of")
        title = c2.text_input("Chức vụ người ký", value=office.signer_title, key="catalog_report_title")
        name = c1.text_input("Họ tên người ký", value=office.signer_name, key="catalog_report_name")
        archive = c2.text_input("Lưu", value=office.archive, key="catalog_report_archive")
        recipients = st.text_area("Nơi nhận (mỗi dòng một nơi)", value="\n".join(office.recipients),
                                  key="catalog_report_recipients")
        if st.form_submit_button("Lưu thông tin báo cáo", type="primary"):
            chosen = settings_service.Office(
                issuer=issuer, symbol=symbol, place=place, authority=authority, authority_of=authority_of,
                signer_title=title, signer_name=name, archive=archive, superior=office.superior,
                recipients=tuple(recipients.splitlines()))
            view.write(lambda s: settings_service.set_office(s, actor=actor, office_settings=chosen),
                       lambda o: "Đã lưu thông tin báo cáo.")
