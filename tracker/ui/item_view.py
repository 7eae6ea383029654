"""Drawing a work item: its facts, its history, the progress form and the explanation forms."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from tracker.db import session_scope
from tracker.errors import TrackerError, ValidationFailed
from tracker.limits import max_chars
from tracker.models import Role, Status
from tracker.permissions import Actor
from tracker.services import evidence as evidence_service
from tracker.services import explanations as explanation_service
from tracker.services import progress as progress_service
from tracker.services.items import ItemDetail
from tracker.text import format_date, format_datetime, format_money
from tracker.ui.data import clear_after_write
from tracker.ui.engine import get_engine
from tracker.ui.text import md
from tracker.workflow import STATUS_LABELS, STATUS_ORDER, confirmed_lock, transition_problem


def facts(item: ItemDetail, today: dt.date) -> None:
    st.markdown(f"**{md(item.plan_code)}** · Nhiệm vụ ({md(item.task_label)}): {md(item.task_text or '')}")
    if item.status is not Status.DONE and item.due_date and item.due_date < today:
        st.error(f"Quá hạn {(today - item.due_date).days} ngày (hạn {format_date(item.due_date)}).",
                 icon=":material/schedule:")
    cols = st.columns([1.5, 1, 1.2, 1.2])
    cols[0].metric("Trạng thái", item.status_label)
    cols[1].metric("Tiến độ", f"{item.progress}%")
    target = f"{item.achieved_qty or 0}/{item.target_qty} {item.target_unit or ''}" if item.target_qty else "—"
    cols[2].metric("Kết quả / chỉ tiêu", target)
    cols[3].metric("Hạn hoàn thành", format_date(item.due_date) or "—")
    st.progress(item.progress / 100)
    rows = [
        ("Đơn vị chủ trì", item.lead_unit),
        ("Đơn vị phối hợp", "; ".join(item.coordinating_units) or "—"),
        ("Cán bộ phụ trách", ", ".join(item.staff) or "—"),
        ("Hình thức", item.form),
        ("Kênh/Sản phẩm", item.channel or "—"),
        ("Thời gian", f"{format_date(item.start_date) or '…'} – {format_date(item.due_date) or '…'}"),
        ("Kinh phí", f"{format_money(item.budget_spent) or '0 đ'} / {format_money(item.budget_planned) or '—'}"),
    ]
    if item.submitted_on and not item.completed_on:
        rows.append(("Gửi xác nhận", format_date(item.submitted_on)))
    if item.completed_on:
        confirmed = (f"; Văn phòng xác nhận ngày {format_date(item.confirmed_on)}"
                     if item.confirmed_on and item.confirmed_on != item.completed_on else "")
        rows.append(("Hoàn thành", f"{format_date(item.completed_on)}{confirmed}"))
    rows.append(("Đánh giá", item.standing_label))
    st.markdown("\n".join(f"- **{k}:** {md(v)}" for k, v in rows))
    if item.blocked:
        st.warning(f"Vướng mắc: {md(item.blocked_reason)}", icon=":material/block:")
    if item.description:
        st.markdown(md(item.description))


def files(actor: Actor, item: ItemDetail) -> None:
    if not item.files:
        return
    st.markdown("**Tệp minh chứng**")
    engine = get_engine()
    with session_scope(engine) as session:
        for file_id, name, size, owner in item.files:
            try:
                record = evidence_service.check_file(session, actor=actor, file_id=file_id)
            except TrackerError as exc:
                st.error(md(str(exc)))
                continue
            sent_by = f" — {owner} (phối hợp)" if owner else ""
            st.download_button(f"{record.filename} ({size / 1024:.0f} KB){sent_by}", data=_reader(engine, actor, file_id),
                               file_name=record.filename, mime=record.content_type, key=f"item_file_{file_id}",
                               icon=":material/download:")


def _reader(engine, actor: Actor, file_id: int):
    """The file's bytes, read (and permission checked again) only when the button is clicked."""
    def read() -> bytes:
        with session_scope(engine) as session:
            return evidence_service.load_file(session, actor=actor, file_id=file_id)[2]

    return read


def history(entries: list[progress_service.HistoryEntry]) -> None:
    for entry in reversed(entries):
        with st.container(border=True):
            st.markdown(f"**{md(entry.kind_label)}** · {md(entry.actor)} · {format_datetime(entry.at)}")
            if entry.changes:
                st.markdown("\n".join(f"- {md(label)}: {md(old)} → {md(new)}" for label, old, new in entry.changes))
            if entry.note:
                st.markdown(md(entry.note))
            for url in entry.evidence_urls:
                st.markdown(f":material/link: <{url}>")  # URLs are validated http(s) without spaces or angle brackets
            for name in entry.files:
                st.markdown(f":material/attach_file: {md(name)}")


def evidence_uploader(key: str):
    """Evidence files: the types and size the evidence service accepts, said in the label."""
    return st.file_uploader(f"Tệp minh chứng ({evidence_service.ALLOWED_LABEL}; tối đa "
                            f"{evidence_service.MAX_BYTES // 1048576} MB mỗi tệp)",
                            type=[e.lstrip(".") for e in evidence_service.ALLOWED], accept_multiple_files=True,
                            max_upload_size=evidence_service.MAX_BYTES // 1048576, key=key)


def _status_options(actor: Actor, item: ItemDetail) -> list[Status]:
    return [s for s in STATUS_ORDER if s == item.status or transition_problem(
        actor.role, item.status, s, has_evidence=True, reason="x") is None]


def report_tab(actor: Actor, item: ItemDetail, today: dt.date) -> None:
    """The progress form for those who may report on the item, a short explanation for the others."""
    if item.can_update:
        progress_form(actor, item, today)
    elif actor.unit_id is not None and actor.unit_id == item.lead_unit_id and confirmed_lock(actor.role, item.status):
        st.info(confirmed_lock(actor.role, item.status))
    else:
        st.info("Bạn chỉ xem được công việc này; đơn vị chủ trì (trưởng đơn vị hoặc chuyên viên được giao) "
                "hoặc Văn phòng cập nhật tiến độ.")


def progress_form(actor: Actor, item: ItemDetail, today: dt.date) -> None:
    """The report form; on a conflict the input stays and the changes made meanwhile are shown."""
    base_key = f"item_base_version_{item.id}"
    base = st.session_state.setdefault(base_key, item.version)
    conflict = st.session_state.get(f"item_conflict_{item.id}")
    if conflict:
        st.error(md(conflict["message"]))
        for entry in conflict["since"]:
            st.markdown(f"- **{md(entry.kind_label)}** · {md(entry.actor)} · {format_datetime(entry.at)}: "
                        + "; ".join(f"{md(lbl)} {md(o)} → {md(n)}" for lbl, o, n in entry.changes))
        if st.button("Áp dụng lại nội dung của tôi trên bản mới nhất", key=f"item_reapply_{item.id}"):
            st.session_state[base_key] = conflict["version"]
            del st.session_state[f"item_conflict_{item.id}"]
            st.rerun()
    if st.session_state.pop(f"item_{item.id}_sent", False):
        # The browser sends back what was typed: set the texts empty, or the next run shows them again.
        st.session_state[f"item_note_{item.id}"] = st.session_state[f"item_urls_{item.id}"] = ""
    files_round = st.session_state.get(f"item_{item.id}_files_round", 0)  # a new uploader, emptied of the sent files
    options = _status_options(actor, item)
    with st.form(f"item_update_form_{item.id}"):
        status = st.selectbox("Trạng thái", options, index=options.index(item.status),
                              format_func=lambda s: STATUS_LABELS[s], key=f"item_status_{item.id}")
        c1, c2, c3 = st.columns(3)
        pct = c1.number_input("Tiến độ (%)", 0, 100, value=item.progress, step=5, key=f"item_progress_{item.id}")
        achieved = c2.number_input(f"Kết quả đạt được ({item.target_unit or 'sản phẩm'})", 0, value=item.achieved_qty or 0,
                                   key=f"item_achieved_{item.id}")
        spent = c3.number_input("Kinh phí đã chi (đồng)", 0, value=item.budget_spent or 0, step=1_000_000,
                                key=f"item_spent_{item.id}")
        blocked = st.checkbox("Đang vướng mắc", value=item.blocked, key=f"item_blocked_{item.id}")
        reason = st.text_input("Lý do vướng mắc", value=item.blocked_reason or "", key=f"item_blocked_reason_{item.id}",
                               max_chars=max_chars("blocked_reason"))
        note = st.text_area("Ghi chú", key=f"item_note_{item.id}", max_chars=max_chars("progress_note"))
        urls = st.text_area("Đường dẫn minh chứng (mỗi dòng một đường dẫn http/https)", key=f"item_urls_{item.id}",
                            max_chars=max_chars("evidence_urls"))
        uploads = evidence_uploader(f"item_files_{item.id}" + (f"_{files_round}" if files_round else ""))
        if not st.form_submit_button("Gửi báo cáo", type="primary"):
            return
    def changed(value, shown):
        """Send only what the user changed: an untouched 0 is not a report of zero."""
        return int(value) if int(value) != shown else None

    change = progress_service.ProgressInput(
        status=status, progress=changed(pct, item.progress), achieved_qty=changed(achieved, item.achieved_qty or 0),
        budget_spent=changed(spent, item.budget_spent or 0),
        blocked=blocked, blocked_reason=reason, note=note, evidence_urls=progress_service.parse_urls(urls))
    files_in = [evidence_service.Upload(u.name, u.getvalue()) for u in uploads or []]
    try:
        with session_scope(get_engine()) as session:
            progress_service.update_progress(session, actor=actor, item_id=item.id, expected_version=base,
                                             change=change, today=today, files=files_in)
    except progress_service.StaleItem as exc:
        st.session_state[f"item_conflict_{item.id}"] = {"message": str(exc), "since": exc.since,
                                                         "version": exc.current_version}
        st.rerun()
    except ValidationFailed as exc:
        for problem in exc.problems:
            st.error(md(problem))
        return
    except TrackerError as exc:
        st.error(md(str(exc)))
        return
    for key in [k for k in st.session_state if str(k).startswith("item_") and str(k).endswith(f"_{item.id}")]:
        del st.session_state[key]
    st.session_state[f"item_{item.id}_sent"] = True
    st.session_state[f"item_{item.id}_files_round"] = files_round + 1
    clear_after_write()
    st.session_state["item_flash"] = "Đã ghi nhận báo cáo tiến độ."
    st.rerun()


def explanations(actor: Actor, item: ItemDetail, today: dt.date) -> None:
    with session_scope(get_engine()) as session:
        rows = explanation_service.list_explanations(session, actor=actor, item_id=item.id)
    for row in rows:
        with st.container(border=True):
            st.markdown(f"**Yêu cầu giải trình** · {md(row.requested_by)} · {format_datetime(row.requested_at)}")
            st.markdown(md(row.question))
            if row.answer:
                st.markdown(f"**Giải trình** ({format_datetime(row.answered_at)}): {md(row.answer)}")
            elif actor.role is Role.UNIT_HEAD and actor.unit_id == item.lead_unit_id:
                _answer_form(actor, row.id)
            else:
                st.caption("Đang chờ đơn vị giải trình.")
    overdue = item.status is not Status.DONE and item.due_date is not None and item.due_date < today
    if item.can_request_explanation and (overdue or item.blocked) and not any(r.answer is None for r in rows):
        with st.form(f"item_explain_request_{item.id}"):
            question = st.text_area("Nội dung yêu cầu đơn vị giải trình", key=f"item_question_{item.id}",
                                    max_chars=max_chars("question"))
            if st.form_submit_button("Yêu cầu giải trình"):
                _write(lambda s: explanation_service.request_explanation(
                    s, actor=actor, item_id=item.id, question=question, today=today), "Đã gửi yêu cầu giải trình.")


def _answer_form(actor: Actor, request_id: int) -> None:
    with st.form(f"item_answer_{request_id}"):
        answer = st.text_area("Nội dung giải trình", key=f"item_answer_text_{request_id}",
                              max_chars=max_chars("answer"))
        if st.form_submit_button("Gửi giải trình"):
            _write(lambda s: explanation_service.answer_explanation(s, actor=actor, request_id=request_id,
                                                                    answer=answer), "Đã gửi giải trình.")


def _write(action, success: str) -> None:
    try:
        with session_scope(get_engine()) as session:
            action(session)
    except TrackerError as exc:
        st.error(md(str(exc)))
        return
    for key in [k for k in st.session_state if str(k).startswith("item_base_version_")]:
        del st.session_state[key]  # the write made a new version: forms start from it
    clear_after_write()
    st.session_state["item_flash"] = success
    st.rerun()
