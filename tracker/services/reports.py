"""Exports of the dashboard: an Excel workbook of the current view and the official Word report for a period.

Both are written from the dashboard service's own figures (`dashboard.build`), so no number is typed twice.
The Word report's content is tracker/services/word_report.py, its layout (Nghị định 30/2020, Phụ lục I)
tracker/docx_layout.py, its charts tracker/chart_images.py (matplotlib, no browser). The workbook prints as
a clerk needs: A4 landscape, one page wide, header row repeated, wrapped text, filters, frozen panes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import replace

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from tracker import chart_images
from tracker.cells import xlsx_row
from tracker.charts import Chart
from tracker.models import Form, PriorityTask, Unit, UnitKind
from tracker.permissions import Actor
from tracker.services import dashboard
from tracker.services import settings as settings_service
from tracker.services import word_report as word_report_service
from tracker.services.dashboard import UNIT_KIND_LABELS, Dashboard, Filters
from tracker.services.settings import Office
from tracker.figures import RATES
from tracker.text import format_date, format_number
from tracker.workflow import STATUS_LABELS, STATUS_ORDER

EXCEL_ITEM_LIMIT = 50_000
SECTIONS = word_report_service.SECTIONS
RATE_COLUMNS = [("completion_rate", "Tỷ lệ hoàn thành (%)"), ("average_progress", "Tiến độ bình quân (%)"),
                ("overdue_rate", "Tỷ lệ quá hạn (%)")]
TASK_COLUMNS = [("task", "Nhiệm vụ"), ("text", "Nội dung"), ("items", "Tổng số việc"),
                *[(s.value, STATUS_LABELS[s]) for s in STATUS_ORDER],
                ("done_on_time", "Hoàn thành đúng hạn"), ("done_late", "Hoàn thành quá hạn"),
                ("in_progress_on_time", "Đang thực hiện trong hạn"), ("overdue", "Quá hạn"), ("blocked", "Vướng mắc"),
                *RATE_COLUMNS]
UNIT_COLUMNS = [("unit", "Đơn vị"), ("kind_label", "Loại đơn vị"), ("items", "Tổng số việc"), ("done", "Hoàn thành"),
                ("done_on_time", "Hoàn thành đúng hạn"), ("done_late", "Hoàn thành quá hạn"),
                ("in_progress_on_time", "Đang thực hiện trong hạn"), ("overdue", "Quá hạn"), ("blocked", "Vướng mắc"),
                *RATE_COLUMNS]
ITEM_COLUMNS = [("id", "Số"), ("title", "Công việc"), ("task", "Nhiệm vụ"), ("unit", "Đơn vị chủ trì"),
                ("form", "Hình thức"), ("start_date", "Bắt đầu"), ("due_date", "Hạn"), ("status_label", "Trạng thái"),
                ("progress", "Tiến độ (%)"), ("completed_on", "Ngày hoàn thành"), ("confirmed_on", "Ngày xác nhận"),
                ("standing_label", "Đánh giá"), ("rag_label", "Mức độ"),
                ("target_qty", "Chỉ tiêu"), ("achieved_qty", "Đã đạt"), ("budget_planned", "Kinh phí kế hoạch (đồng)"),
                ("budget_spent", "Kinh phí đã chi (đồng)"), ("blocked_reason", "Vướng mắc")]


def headline_rows(board: Dashboard) -> list[tuple[str, object]]:
    """The headline figures as (label, value): the summary sheet and the report's section I use these."""
    h = board.headline
    rows: list[tuple[str, object]] = [
        ("Tổng số công việc", h.items), ("Hoàn thành", h.done), ("Hoàn thành đúng hạn", h.done_on_time),
        ("Hoàn thành quá hạn", h.done_late), ("Đang thực hiện trong hạn", h.in_progress), ("Quá hạn", h.overdue),
        ("Số việc đã đến hạn", h.due_passed), ("Đang vướng mắc", h.blocked),
        ("Tỷ lệ hoàn thành (%)", h.completion_rate), ("Tiến độ bình quân (%)", h.average_progress),
        ("Tỷ lệ quá hạn (%)", h.overdue_rate),
    ]
    if h.done_in_period is not None:
        rows.append((f"Hoàn thành trong kỳ (từ {format_date(h.period_start)})", h.done_in_period))
    if h.round_name:
        rows += [(f"Đơn vị đã báo cáo ({h.round_name})", h.units_reported), ("Đơn vị phải báo cáo", h.units_expected)]
    return rows


def describe_filters(session: Session, board: Dashboard) -> str:
    """The view in words: plan, period, and the unit kind, unit, task and form chosen."""
    f = board.filters
    parts = [f"Kế hoạch {board.plan_code}"]
    if f.date_from or f.date_to:
        parts.append(f"từ {format_date(f.date_from) or '…'} đến {format_date(f.date_to) or '…'}")
    if f.unit_kind:
        parts.append(UNIT_KIND_LABELS[f.unit_kind])
    if f.unit_id and (unit := session.get(Unit, f.unit_id)):
        parts.append(f"đơn vị chủ trì: {unit.name}")
    if f.task_id and (task := session.get(PriorityTask, f.task_id)):
        parts.append(f"nhiệm vụ ({task.label})")
    if f.form_id and (form := session.get(Form, f.form_id)):
        parts.append(f"hình thức: {form.name}")
    return "; ".join(parts)


# ---------------------------------------------------------------- Excel


def _value(v):
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


WIDE = ("title", "text", "unit", "blocked_reason", "kind_label", "form")
MAX_WIDTH = 50


def _printable(ws, *, last_column: int, rows: int | None = None, header_row: int = 1) -> None:
    """A4 landscape, one page wide, the header row repeated on every page, frozen under it, filtered."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.freeze_panes = f"A{header_row + 1}"
    if rows is not None:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(last_column)}{header_row + max(rows, 1)}"


def _widths(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> list[float]:
    """Column widths (characters) by content: the longest of the header's words and the first 500 values."""
    out = []
    for key, label in columns:
        longest = max((len(w) for w in label.split()), default=8)
        values = frame[key].head(500) if key in frame else []
        longest = max([longest, *(len(format_number(v) if isinstance(v, int) else str(v)) for v in values
                                  if v is not None and not (isinstance(v, float) and pd.isna(v)))])
        out.append(min(MAX_WIDTH if key in WIDE else 24, longest + 2))
    return out


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame, columns: list[tuple[str, str]]) -> None:
    """A write-only sheet (fast for tens of thousands of rows): bold wrapped header, widths by content, number
    formats, long text wrapped, printable on A4 landscape one page wide."""
    ws = wb.create_sheet(title)
    formats = {}
    widths = _widths(frame, columns)
    # Write-only rows get no automatic height: the header is as tall as its most wrapped label.
    ws.row_dimensions[1].height = 15 * max(math.ceil(len(label) / max(w - 1, 1)) for (_, label), w in zip(columns, widths))
    for idx, ((key, _), width) in enumerate(zip(columns, widths), start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
        fmt = ("dd/mm/yyyy" if key in ("start_date", "due_date", "completed_on") else
               "#,##0" if key.startswith("budget") else "0.0" if key in RATES else None)
        if fmt:
            formats[idx - 1] = fmt
    wrapped = {i for i, (key, _) in enumerate(columns) if key in WIDE}
    _printable(ws, last_column=len(columns), rows=len(frame))
    header = []
    for _, label in columns:
        cell = WriteOnlyCell(ws, value=label)
        cell.font, cell.alignment = Font(bold=True), Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    ws.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    chars = {i: max(widths[i] - 1, 1) for i in wrapped}
    for number, row in enumerate(frame[[c for c, _ in columns]].itertuples(index=False), start=2):
        values = xlsx_row(ws, [_value(v) for v in row])
        # LibreOffice does not re-measure row heights when it opens a workbook: say how tall wrapped rows are.
        lines = max((math.ceil(len(str(row[i])) / c) for i, c in chars.items() if row[i] is not None), default=1)
        if lines > 1:
            ws.row_dimensions[number].height = 15 * min(lines, 10)
        for i in set(formats) | wrapped:
            if values[i] is not None:
                cell = values[i] if isinstance(values[i], Cell) else WriteOnlyCell(ws, value=values[i])
                if i in formats:
                    cell.number_format = formats[i]
                else:
                    cell.alignment = wrap
                values[i] = cell
        ws.append(values)


def excel_workbook(session: Session, *, board: Dashboard) -> bytes:
    """The current view as .xlsx: Tổng hợp, Theo nhiệm vụ, Theo đơn vị, Danh sách công việc."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Tổng hợp")
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 16
    _printable(ws, last_column=2, header_row=5)
    title = WriteOnlyCell(ws, value=f"Tổng hợp tình hình thực hiện {board.plan_title}")
    title.font = Font(bold=True, size=13)
    ws.append([title])
    ws.append(xlsx_row(ws, [describe_filters(session, board)]))
    ws.append([f"Số liệu tính đến hết ngày {format_date(board.cutoff)}"])
    ws.append([])
    bold = []
    for text in ("Chỉ tiêu", "Giá trị"):
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        bold.append(cell)
    ws.append(bold)
    for label, value in headline_rows(board):
        ws.append(xlsx_row(ws, [label, value]))
    _sheet(wb, "Theo nhiệm vụ", board.by_task, TASK_COLUMNS)
    units = board.by_unit.assign(kind_label=[UNIT_KIND_LABELS.get(UnitKind(k), k) for k in board.by_unit["kind"]])
    _sheet(wb, "Theo đơn vị", units, UNIT_COLUMNS)
    items = dashboard.items(session, filters=board.filters, today=board.today, limit=EXCEL_ITEM_LIMIT)
    items = items.assign(blocked_reason=[r if b else None for r, b in zip(items["blocked_reason"], items["blocked"])])
    _sheet(wb, "Danh sách công việc", items, ITEM_COLUMNS)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- Word


def render_png(chart: Chart) -> bytes | None:
    """The chart as a print-resolution PNG (matplotlib, no browser; tracker/chart_images.py)."""
    return chart_images.png(chart)


def word_report(session: Session, *, board: Dashboard, period_label: str, office: Office | None = None) -> bytes:
    """The official report for the dashboard's period as .docx bytes (tracker/services/word_report.py)."""
    return word_report_service.build(session, board=board, period_label=period_label,
                                     office=office or settings_service.office(session),
                                     render=lambda chart: render_png(chart))


def period_label(date_from: dt.date | None, date_to: dt.date | None) -> str:
    """'từ ngày 01/01/2024 đến ngày 30/06/2024' (or the open end left out)."""
    parts = []
    if date_from:
        parts.append(f"từ ngày {format_date(date_from)}")
    if date_to:
        parts.append(f"đến ngày {format_date(date_to)}")
    return " ".join(parts)


def report_filters(filters: Filters, today: dt.date) -> tuple[Filters, dt.date | None]:
    """A period report's view of the same filters: every item of the plan at the period's end (the cut-off,
    no later than today), the start only telling what was done in the period. Returns (filters, start)."""
    end = min(filters.date_to or filters.cutoff(today), filters.cutoff(today))
    return replace(filters, date_from=None, date_to=None, as_of=end), filters.date_from


def build_report(session: Session, *, actor: Actor, plan_id: int, date_from: dt.date | None, date_to: dt.date | None,
                 today: dt.date, office: Office | None = None) -> tuple[Dashboard, bytes, bytes]:
    """(figures, .docx, .xlsx) for a plan and period at its cut-off: what the CLI and the download buttons write."""
    filters, start = report_filters(Filters(plan_id=plan_id, date_from=date_from, date_to=date_to), today)
    board = dashboard.build(session, actor=actor, filters=filters, today=today, include_flow=False, period_start=start)
    return (board, word_report(session, board=board, period_label=period_label(date_from, board.cutoff), office=office),
            excel_workbook(session, board=board))
