"""Kế hoạch: each plan with its priority tasks (number, text, missing-text marker)."""

import streamlit as st

from tracker.db import session_scope
from tracker.errors import NotFound
from tracker.services.catalog_admin import decision_file
from tracker.services.plans import MISSING_TEXT_LABEL
from tracker.text import format_date
from tracker.ui import data
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.text import md

actor = require_actor()
st.title("Kế hoạch")

plans = data.plans()
if not plans:
    st.info("Chưa có kế hoạch nào. Quản trị hệ thống hãy chạy `python -m tracker init` để nạp danh mục.")
    st.stop()

tabs = st.tabs([f"{p.code} · năm {p.year}" for p in plans])
for tab, plan in zip(tabs, plans):
    with tab:
        st.subheader(md(plan.title), anchor=False)
        facts = []
        if plan.decision_no:
            facts.append(f"Quyết định số {md(plan.decision_no)}")
        if plan.issued_on:
            facts.append(f"ngày {format_date(plan.issued_on)}")
        if plan.issuer:
            facts.append(md(plan.issuer))
        st.markdown(", ".join(facts) or "—")
        if not plan.verified:
            st.warning(f"Thông tin văn bản chưa được kiểm chứng. {md(plan.note)}", icon=":material/warning:")
        if plan.message:
            st.markdown(f"**Thông điệp:** *{md(plan.message)}*")

        cols = st.columns(3)
        cols[0].metric(plan.task_label, plan.task_count)
        cols[1].metric("Chưa có nội dung", plan.missing_count)
        cols[2].metric("Công việc", f"{plan.item_count:,}".replace(",", "."))

        st.markdown(f"#### {md(plan.task_label)} ({plan.task_count})")
        for task in data.tasks(plan.id):
            with st.container(border=True):
                if task.text_missing:
                    st.markdown(f"**({md(task.label)})** :orange-badge[:material/warning: {MISSING_TEXT_LABEL}]")
                    if task.note:
                        st.caption(md(task.note))
                else:
                    st.markdown(f"**({task.label})** {md(task.text)}")
        if plan.source:
            st.caption(f"Nguồn: {md(plan.source)}")
        if plan.source_filename:
            with session_scope(get_engine()) as session:
                try:
                    name, content = decision_file(session, actor=actor, plan_id=plan.id)
                except NotFound as exc:
                    st.warning(md(str(exc)))
                else:
                    st.download_button(f"Tải tệp Quyết định ({md(name)})", content, file_name=name,
                                       key=f"plan_decision_file_{plan.id}", icon=":material/download:")
