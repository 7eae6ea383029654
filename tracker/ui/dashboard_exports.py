"""Download buttons of the Tổng quan page: the Excel workbook of the view and the Word report for its period.

The files are made only when a button is clicked (deferred data), then cached like the figures: keyed by the
plan's and the catalog's version as the page drew them (dashboard_data.version).
"""

from __future__ import annotations

import datetime as dt
import re

import streamlit as st

from tracker.config import database_url
from tracker.db import session_scope
from tracker.permissions import Actor
from tracker.services import dashboard as dashboard_service
from tracker.services import reports as report_service
from tracker.services.dashboard import Dashboard, Filters
from tracker.text import fold
from tracker.ui.dashboard_data import DASHBOARD_TTL, MAX_ENTRIES, Version, version
from tracker.ui.engine import engine_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@st.cache_data(ttl=DASHBOARD_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _files(url: str, filters: Filters, today: dt.date, kind: str, data_version: Version, _actor: Actor) -> bytes:
    with session_scope(engine_for(url)) as session:
        if kind == "xlsx":
            board = dashboard_service.build(session, actor=_actor, filters=filters, today=today, include_flow=False)
            return report_service.excel_workbook(session, board=board)
        report, start = report_service.report_filters(filters, today)
        board = dashboard_service.build(session, actor=_actor, filters=report, today=today, include_flow=False,
                                        period_start=start)
        label = report_service.period_label(start, board.cutoff)
        return report_service.word_report(session, board=board, period_label=label)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def buttons(actor: Actor, board: Dashboard, today: dt.date) -> None:
    url = database_url(st.secrets)
    f = board.filters
    report, start = report_service.report_filters(f, today)
    period = report_service.period_label(start, report.as_of)
    st.markdown(f"Báo cáo Word kỳ **{period}**: mọi số liệu tính đến hết ngày cuối kỳ, trên toàn bộ công việc "
                "của kế hoạch (chọn kỳ bằng ô *Từ ngày*, *Đến ngày* ở trên); số liệu Excel đúng như đang hiển thị. "
                "Báo cáo Word trình bày theo Nghị định 30/2020/NĐ-CP, kèm biểu đồ và các phụ lục; người ký, "
                "nơi nhận đặt tại Quản trị danh mục › Người ký báo cáo.")
    name = f"{_slug(board.plan_code)}-{today.isoformat()}"
    v = version(url, (f.plan_id,))
    c = st.columns(2)
    c[0].download_button("Tải số liệu Excel", data=lambda: _files(url, f, today, "xlsx", v, actor),
                         file_name=f"so-lieu-{name}.xlsx", mime=XLSX, key="dashboard_download_xlsx",
                         on_click="ignore", icon=":material/table_view:")
    c[1].download_button("Tải báo cáo Word", data=lambda: _files(url, f, today, "docx", v, actor),
                         file_name=f"bao-cao-{name}.docx", mime=DOCX, key="dashboard_download_docx",
                         on_click="ignore", icon=":material/description:")
