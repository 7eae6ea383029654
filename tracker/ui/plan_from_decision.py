"""Quản trị danh mục → "Kế hoạch mới từ Quyết định": read the Decision (.docx or pasted text), show what was read
for the office to correct, save the plan only when they confirm. The rules are tracker/decision_text.py's."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from tracker import decision_text
from tracker.limits import max_chars
from tracker.permissions import Actor
from tracker.services import catalog_admin as admin_svc
from tracker.services.plans import MISSING_TEXT_LABEL
from tracker.ui import work_items_view as view
from tracker.ui.text import md

_DRAFT = "plan_from_decision_draft"  # (draft, file name, file bytes) read, waiting for the office's corrections
_READS = "plan_from_decision_reads"
MAX_BYTES = admin_svc.MAX_DECISION_BYTES


def _read(upload, pasted: str) -> None:
    if upload is not None:
        data = upload.getvalue()
        if len(data) > MAX_BYTES:
            st.error("Tệp Quyết định lớn hơn 10 MB.")
            return
        try:
            draft = decision_text.read(data)
        except Exception:  # python-docx raises several kinds on a file that is not Word
            st.error(f"Tệp “{md(upload.name)}” không phải tệp Word (.docx) đọc được. Hãy lưu lại dưới dạng .docx "
                     "hoặc dán nội dung văn bản vào ô bên dưới.")
            return
        st.session_state[_DRAFT] = (draft, upload.name, data)
    elif pasted.strip():
        st.session_state[_DRAFT] = (decision_text.read(text=pasted), None, None)
    else:
        st.warning("Hãy chọn tệp Quyết định hoặc dán nội dung văn bản.")
        return
    st.session_state[_READS] = st.session_state.get(_READS, 0) + 1  # the review form starts from this reading


def draw(actor: Actor) -> None:
    st.caption("Đọc số, ngày, người ban hành, tên kế hoạch và các nhiệm vụ đánh số từ Quyết định. Văn phòng xem "
               "lại, sửa nếu cần rồi mới lưu; nhiệm vụ văn bản không có nội dung được giữ là “chưa có nội dung”, "
               "không tự đặt ra.")
    with st.form(view.fresh_key("plan_from_decision_read")):
        upload = st.file_uploader("Tệp Quyết định (.docx)", type=["docx"], key="plan_from_decision_file")
        pasted = st.text_area("hoặc dán nội dung văn bản", height=140, key="plan_from_decision_text",
                              max_chars=200_000)
        if st.form_submit_button("Đọc văn bản"):
            _read(upload, pasted)
    if _DRAFT not in st.session_state:
        return
    draft, filename, data = st.session_state[_DRAFT]
    n = st.session_state.get(_READS, 0)
    st.subheader("Kết quả đọc: xem lại trước khi lưu", anchor=False)
    for note in draft.notes:
        st.warning(md(note), icon=":material/info:")
    with st.form(view.fresh_key("plan_from_decision_save")):
        c1, c2 = st.columns(2)
        code = c1.text_input("Mã kế hoạch mới", key=f"plan_from_decision_code_{n}", value=draft.decision_no or "",
                             max_chars=max_chars("plan_code"),
                             help="Mặc định là số Quyết định; phải khác mã các kế hoạch đã có.")
        number = c2.text_input("Số Quyết định", key=f"plan_from_decision_number_{n}", value=draft.decision_no or "",
                               max_chars=max_chars("decision_no"))
        title = st.text_input("Tên kế hoạch", key=f"plan_from_decision_title_{n}", value=draft.title or "",
                              max_chars=max_chars("plan_title"))
        c1, c2, c3 = st.columns(3)
        issued = c1.date_input("Ngày ban hành", key=f"plan_from_decision_issued_{n}", value=draft.issued_on,
                               format="DD/MM/YYYY",
                               min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
        year = c2.number_input("Năm của kế hoạch", key=f"plan_from_decision_year_{n}", min_value=2000, max_value=2100, step=1,
                               value=draft.year or (draft.issued_on.year if draft.issued_on else dt.date.today().year))
        issuer = c3.text_input("Người ban hành", key=f"plan_from_decision_issuer_{n}", value=draft.issuer or "",
                               max_chars=max_chars("issuer"))
        table = pd.DataFrame({"Số": [t.number for t in draft.tasks],
                              "Nội dung nhiệm vụ": [t.text or "" for t in draft.tasks],
                              "Thuộc phần": [t.group or "" for t in draft.tasks]})
        edited = st.data_editor(
            table, num_rows="dynamic", hide_index=True, width="stretch", key=f"plan_from_decision_tasks_{n}",
            column_config={
                "Số": st.column_config.NumberColumn(min_value=1, max_value=200, step=1, required=True),
                "Nội dung nhiệm vụ": st.column_config.TextColumn(
                    width="large", max_chars=max_chars("task_text"),
                    help=f"Để trống nếu văn bản không có nội dung: nhiệm vụ được ghi “{MISSING_TEXT_LABEL}”."),
                "Thuộc phần": st.column_config.TextColumn(disabled=True)})
        source = f"Lưu kèm tệp “{md(filename)}”." if filename else "Văn bản dán vào: không có tệp lưu kèm."
        st.caption(source)
        c1, c2 = st.columns(2)
        save = c1.form_submit_button("Lưu kế hoạch", type="primary")
        drop = c2.form_submit_button("Bỏ kết quả đọc")
    if drop:
        st.session_state.pop(_DRAFT, None)
        st.rerun()
    if save:
        tasks = []
        for row in edited.itertuples(index=False):
            if pd.isna(row[0]):
                continue
            n = int(row[0])
            text = str(row[1]).strip() if isinstance(row[1], str) else ""
            label = decision_text.roman(n).lower() if draft.numbering == "roman" else str(n)
            tasks.append(decision_text.DraftTask(number=n, label=label, text=text or None))
        corrected = decision_text.DecisionDraft(
            decision_no=number.strip() or None, issued_on=issued, issuer=issuer.strip() or None, title=title,
            year=int(year), numbering=draft.numbering, tasks=tasks)

        def save_plan(session):
            plan = admin_svc.create_plan_from_decision(session, actor=actor, code=code, draft=corrected,
                                                       source_filename=filename, source=data)
            return plan.code, plan.year, len(plan.tasks), [t.label for t in plan.tasks if t.text_missing]

        def done(result) -> str:
            st.session_state.pop(_DRAFT, None)
            plan_code, plan_year, count, missing = result
            return (f"Đã tạo kế hoạch {plan_code} (năm {plan_year}) với {count} nhiệm vụ"
                    + (f"; chưa có nội dung: {', '.join(f'({m})' for m in missing)}." if missing else "."))

        view.write(save_plan, done)
