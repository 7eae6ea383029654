"""Kỳ báo cáo: the office opens and closes rounds, leaders see who has reported, unit heads submit."""

import datetime as dt

import pandas as pd
import streamlit as st

from tracker import clock, periods
from tracker.cells import csv_bytes
from tracker.db import session_scope
from tracker.models import Role, UnitKind
from tracker.services import rounds as round_service
from tracker.services import settings as settings_service
from tracker.services import units as unit_service
from tracker.services.evidence import Upload
from tracker.limits import max_chars
from tracker.services.rounds import REPORT_STATUS_LABELS
from tracker.text import format_date, format_datetime, parse_id
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.search import address_box
from tracker.ui.text import md
from tracker.ui.writes import attempt

SCOPES = {"Chọn đơn vị": None, "Tất cả Sở Nội vụ": UnitKind.PROVINCIAL,
          "Tất cả đơn vị thuộc Bộ": round_service.MINISTRY_KINDS}
DATE = "DD/MM/YYYY"

actor = require_actor(Role.ADMIN, Role.LEADER, Role.UNIT_HEAD)
today = clock.today()
st.title("Kỳ báo cáo")
if flash := st.session_state.pop("rounds_flash", None):
    st.success(flash)  # written with md() around the names it carries


def write(action, done: str) -> None:
    """Run one service call in its own transaction; show every problem, or rerun with `done`."""
    if not attempt(action)[0]:
        return
    st.session_state["rounds_flash"] = done
    st.rerun()


def closed_meanwhile(shown: set[int]) -> None:
    """A report sent for a round closed since its form was drawn: the service refuses aloud; keep the text."""
    for key in [k for k in st.session_state if k.startswith("rounds_submit_")]:
        rid = key.removeprefix("rounds_submit_")
        if rid.isdigit() and int(rid) not in shown and st.session_state[key] is True:
            summary = st.session_state.get(f"rounds_summary_{rid}", "")
            write(lambda s: round_service.submit_report(s, actor=actor, round_id=int(rid), summary=summary),
                  "Đã nộp báo cáo.")
            if summary:
                st.caption("Nội dung bạn đã nhập (để lưu lại):")
                st.code(summary, language=None, wrap_lines=True)


def search_box() -> str:
    return address_box("Tìm kỳ báo cáo", "rounds_search", placeholder="Tên kỳ, kế hoạch, ghi chú; không cần dấu")


def unit_head_view() -> None:
    words = search_box()
    with session_scope(get_engine()) as session:
        mine = round_service.open_rounds_for_unit(session, unit_id=actor.unit_id, today=today, text=words)
    if not words:
        closed_meanwhile({r.round_id for r in mine})
    if not mine and words:
        st.info(f"Không có kỳ báo cáo đang mở nào khớp “{md(words)}”.")
    elif not mine:
        st.info("Đơn vị chưa có kỳ báo cáo nào đang mở.")
    for r in mine:
        with st.container(border=True):
            st.markdown(f"**{md(r.name)}**  \n"
                        f"Kỳ báo cáo {format_date(r.period_start)} – {format_date(r.period_end)}"
                        f" · hạn nộp **{format_date(r.deadline)}** · {r.status_label}")
            if r.submitted:
                st.caption(f"Đã nộp lần {r.revision} lúc {format_datetime(r.submitted_at)}; "
                           "có thể nộp lại đến khi Văn phòng đóng kỳ.")
            with st.form(f"rounds_submit_form_{r.round_id}"):
                summary = st.text_area("Nội dung báo cáo", value=r.summary or "", height=220,
                                       max_chars=max_chars("round_summary"), key=f"rounds_summary_{r.round_id}")
                upload = st.file_uploader("Tệp báo cáo đã ký (PDF hoặc DOCX, không bắt buộc)", type=["pdf", "docx"],
                                          key=f"rounds_file_{r.round_id}")
                label = "Nộp lại báo cáo" if r.submitted else "Nộp báo cáo"
                if st.form_submit_button(label, type="primary", key=f"rounds_submit_{r.round_id}"):
                    sent = Upload(upload.name, upload.getvalue()) if upload is not None else None
                    write(lambda s, rid=r.round_id: round_service.submit_report(s, actor=actor, round_id=rid,
                                                                                summary=summary, file=sent),
                          f"Đã nộp báo cáo kỳ “{md(r.name)}”.")


def _apply_preset(presets: dict[str, periods.Period], send_within: int) -> None:
    """A preset chosen: its name, start, cut-off and sending deadline fill the form (still editable)."""
    chosen = presets.get(st.session_state.get("rounds_preset") or "")
    if chosen is not None:
        st.session_state.update(rounds_name=chosen.name, rounds_period_start=chosen.start,
                                rounds_period_end=chosen.end, rounds_deadline=chosen.deadline(send_within))


def open_round_form(units: list[unit_service.UnitInfo]) -> None:
    with session_scope(get_engine()) as session:
        rule = settings_service.reporting(session)
    presets = {f"{p.year}:{p.code}": p for year in (today.year, today.year - 1) for p in rule.presets(year)
               if p.end >= today - dt.timedelta(days=400)}
    for key, value in (("rounds_period_start", dt.date(today.year, 1, 1)), ("rounds_period_end", today),
                       ("rounds_deadline", today + dt.timedelta(days=14))):
        st.session_state.setdefault(key, value)
    with st.expander("Mở kỳ báo cáo mới", icon=":material/add:"):
        st.selectbox("Kỳ chọn sẵn (theo cách tính ở Quản trị danh mục)", [None, *presets], key="rounds_preset",
                     format_func=lambda c: "Tự nhập" if c is None else presets[c].label,
                     on_change=_apply_preset, args=(presets, rule.send_within_days))
        with st.form("rounds_open_form"):
            open_round_fields(units)


def open_round_fields(units: list[unit_service.UnitInfo]) -> None:
    name = st.text_input("Tên kỳ báo cáo", placeholder="Báo cáo 6 tháng 2024", max_chars=max_chars("round_name"),
                         key="rounds_name")
    c1, c2, c3 = st.columns(3)
    start = c1.date_input("Từ ngày", format=DATE, key="rounds_period_start")
    end = c2.date_input("Đến ngày (ngày chốt số liệu)", format=DATE, key="rounds_period_end")
    deadline = c3.date_input("Hạn nộp", format=DATE, key="rounds_deadline")
    scope = st.radio("Đơn vị phải nộp", list(SCOPES), horizontal=True, key="rounds_scope")
    # The units that existed in the period shown (a preset fills it at once; typed dates count after "Mở kỳ"):
    # a round on 2024 may ask a unit merged in 2025. The service checks the period again.
    shown = (st.session_state.get("rounds_period_start"), st.session_state.get("rounds_period_end"))
    names = {u.id: u.name + (f" (đến {format_date(u.valid_to)})" if u.valid_to else "") for u in units
             if None in shown or ((u.valid_from is None or u.valid_from <= shown[1])
                                  and (u.valid_to is None or u.valid_to >= shown[0]))}
    if "rounds_units" in st.session_state:  # the period changed: drop choices that did not exist in it
        st.session_state["rounds_units"] = [i for i in st.session_state["rounds_units"] if i in names]
    chosen = st.multiselect("Chọn đơn vị (khi chọn “Chọn đơn vị”): các đơn vị hoạt động trong kỳ", list(names),
                            format_func=names.get, key="rounds_units")
    note = st.text_area("Ghi chú", key="rounds_note", max_chars=max_chars("round_note"))
    if st.form_submit_button("Mở kỳ báo cáo", type="primary", key="rounds_open"):
        kind = SCOPES[scope]
        write(lambda s: round_service.open_round(
            s, actor=actor, name=name, period_start=start, period_end=end, deadline=deadline,
            unit_ids=None if kind else chosen, unit_kind=kind, note=note),
            f"Đã mở kỳ báo cáo “{md(name.strip())}”.")


def close_controls(info: round_service.RoundInfo, waiting: int) -> None:
    if st.session_state.get("rounds_confirm_close") != info.id:
        if st.button("Đóng kỳ báo cáo", icon=":material/lock:", key="rounds_close"):
            st.session_state["rounds_confirm_close"] = info.id
            st.rerun()
        return
    st.warning(f"Đóng kỳ “{md(info.name)}”? Sau khi đóng, các đơn vị không nộp hoặc nộp lại được nữa; "
               f"{waiting} đơn vị chưa nộp sẽ được ghi nhận “Chưa nộp”.")
    c1, c2 = st.columns(2)
    if c1.button("Xác nhận đóng kỳ", type="primary", key="rounds_close_confirm"):
        st.session_state.pop("rounds_confirm_close", None)
        write(lambda s: round_service.close_round(s, actor=actor, round_id=info.id),
              f"Đã đóng kỳ “{md(info.name)}”.")
    if c2.button("Hủy", key="rounds_close_cancel"):
        st.session_state.pop("rounds_confirm_close", None)
        st.rerun()


def status_view(info: round_service.RoundInfo) -> None:
    with session_scope(get_engine()) as session:
        rows = round_service.round_status(session, actor=actor, round_id=info.id, today=today)
    state = f"đã đóng lúc {format_datetime(info.closed_at)}" if info.closed else "đang mở"
    st.markdown(f"**{md(info.name)}** · kỳ {format_date(info.period_start)} – {format_date(info.period_end)}"
                f" · hạn nộp **{format_date(info.deadline)}** · {state}")
    if info.note:
        st.caption(md(info.note))
    counts = round_service.count_statuses(rows)
    for col, (status, n) in zip(st.columns(len(counts)), counts.items()):
        col.metric(REPORT_STATUS_LABELS[status], n)
    shown = st.pills("Lọc theo trạng thái", list(REPORT_STATUS_LABELS), format_func=REPORT_STATUS_LABELS.get,
                     selection_mode="multi", key="rounds_status_filter") or list(REPORT_STATUS_LABELS)
    frame = pd.DataFrame([{
        "Mã": r.unit_code, "Đơn vị": r.unit_name, "Trạng thái": r.status_label,
        "Nộp lúc": format_datetime(r.submitted_at), "Người nộp": r.submitted_by or "",
        "Lần nộp": str(r.revision) if r.revision else "", "Nội dung": r.summary or "", "Tệp đã ký": r.file_name or "",
    } for r in rows if r.status in shown], columns=["Mã", "Đơn vị", "Trạng thái", "Nộp lúc", "Người nộp",
                                                     "Lần nộp", "Nội dung", "Tệp đã ký"])
    st.dataframe(frame, hide_index=True, width="stretch", key="rounds_status_table")
    c1, c2 = st.columns(2)
    c1.download_button("Tải danh sách (CSV)", csv_bytes(list(frame.columns), frame.itertuples(index=False)),
                       file_name=f"ky-bao-cao-{info.id}.csv", mime="text/csv", key="rounds_status_csv")
    files = sum(1 for r in rows if r.file_name)
    if files:
        def zip_bytes() -> bytes:
            with session_scope(get_engine()) as session:
                return round_service.round_files_zip(session, actor=actor, round_id=info.id)[1]

        c2.download_button(f"Tải {files} tệp báo cáo đã ký (ZIP)", zip_bytes, file_name=f"bao-cao-ky-{info.id}.zip",
                           mime="application/zip", key="rounds_files_zip", icon=":material/folder_zip:")
    if actor.role is Role.ADMIN and not info.closed:
        waiting = counts[round_service.ReportStatus.MISSING] + counts[round_service.ReportStatus.PENDING]
        close_controls(info, waiting)


def office_view() -> None:
    if actor.role is Role.ADMIN:
        with session_scope(get_engine()) as session:
            units = unit_service.list_units(session)
        open_round_form(units)
    words = search_box()
    with session_scope(get_engine()) as session:
        listed = round_service.list_rounds(session, actor=actor, today=today, text=words)
    if not listed:
        st.info(f"Không có kỳ báo cáo nào khớp “{md(words)}”." if words else "Chưa có kỳ báo cáo nào.")
        return
    st.subheader("Các kỳ báo cáo", anchor=False)
    st.dataframe(pd.DataFrame([{
        "Kỳ báo cáo": r.name, "Từ ngày": format_date(r.period_start), "Đến ngày": format_date(r.period_end),
        "Hạn nộp": format_date(r.deadline), "Đã nộp": f"{r.reported_count}/{r.unit_count}",
        "Tình trạng": "Đã đóng" if r.closed else ("Quá hạn nộp" if r.deadline_passed else "Đang mở"),
    } for r in listed]), hide_index=True, width="stretch", key="rounds_list")
    by_id = {r.id: r for r in listed}
    wanted = st.query_params.get("ky", "")
    ids = list(by_id)
    index = ids.index(parse_id(wanted)) if parse_id(wanted) in by_id else 0
    chosen = st.selectbox("Xem tình hình nộp báo cáo của kỳ", ids, index=index,
                          format_func=lambda i: f"{by_id[i].name} (hạn {format_date(by_id[i].deadline)})",
                          key="rounds_selected")
    st.query_params["ky"] = str(chosen)
    status_view(by_id[chosen])


if actor.role is Role.UNIT_HEAD:
    unit_head_view()
else:
    office_view()
