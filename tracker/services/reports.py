"""Exports of the dashboard: an Excel workbook of the current view and the Word report for a period.

Both are written from the dashboard service's own figures (`dashboard.build`), so no number is
typed twice. The Word report follows the shape of the ministry's reports (I. situation;
II. results by priority task, strengths, limitations and causes; III. next period; IV. proposals)
and the layout of Nghị định 30/2020/NĐ-CP: national heading, issuing body, number and date line,
Times New Roman 13–14 pt, A4 margins, a signature block left for the office to complete.
Charts are embedded as images only when kaleido (optional, not in requirements.txt) can drive a
local Chromium; MathJax is turned off so nothing is fetched. Otherwise the report has no images.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, replace

import pandas as pd
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import charts
from tracker.cells import xlsx_row
from tracker.charts import Chart, format_percent
from tracker.models import ExplanationRequest, ExplanationStatus, Form, PriorityTask, Unit, UnitKind
from tracker.permissions import Actor
from tracker.services import dashboard
from tracker.services.dashboard import UNIT_KIND_LABELS, Dashboard, Filters
from tracker.figures import RATES, Standing
from tracker.text import format_date, format_number
from tracker.workflow import STATUS_LABELS, STATUS_ORDER

EXCEL_ITEM_LIMIT = 50_000
REPORT_ITEMS_PER_TASK = 30
REPORT_PROBLEM_LIMIT = 100
FONT = "Times New Roman"
ISSUER = "BỘ NỘI VỤ"
NATIONAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
SECTIONS = [
    "I. TÌNH HÌNH TRIỂN KHAI",
    "II. KẾT QUẢ THỰC HIỆN THEO NHIỆM VỤ TRỌNG TÂM",
    "III. PHƯƠNG HƯỚNG, NHIỆM VỤ KỲ TỚI",
    "IV. ĐỀ XUẤT, KIẾN NGHỊ",
]
PROPOSALS_PLACEHOLDER = "[Văn phòng Bộ bổ sung các đề xuất, kiến nghị.]"
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


def _sheet(wb: Workbook, title: str, frame: pd.DataFrame, columns: list[tuple[str, str]]) -> None:
    """A write-only sheet (fast for tens of thousands of rows): bold header, widths, number formats."""
    ws = wb.create_sheet(title)
    formats = {}
    for idx, (key, _) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = 50 if key in ("title", "text", "unit", "blocked_reason") else 16
        fmt = ("dd/mm/yyyy" if key in ("start_date", "due_date", "completed_on") else
               "#,##0" if key.startswith("budget") else "0.0" if key in RATES else None)
        if fmt:
            formats[idx - 1] = fmt
    ws.freeze_panes = "A2"
    header = []
    for _, label in columns:
        cell = WriteOnlyCell(ws, value=label)
        cell.font, cell.alignment = Font(bold=True), Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    ws.append(header)
    for row in frame[[c for c, _ in columns]].itertuples(index=False):
        values = [_value(v) for v in row]
        for i, fmt in formats.items():
            if values[i] is not None:
                values[i] = WriteOnlyCell(ws, value=values[i])
                values[i].number_format = fmt
        ws.append(xlsx_row(ws, values))


def excel_workbook(session: Session, *, board: Dashboard) -> bytes:
    """The current view as .xlsx: Tổng hợp, Theo nhiệm vụ, Theo đơn vị, Danh sách công việc."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Tổng hợp")
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 16
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


@dataclass(frozen=True)
class Problem:
    """An overdue or blocked item for "Hạn chế và nguyên nhân", with the unit's latest explanation."""

    id: int
    title: str
    unit: str
    due_date: dt.date | None
    days_overdue: int
    blocked_reason: str | None
    explanation: str | None


def problems(session: Session, *, board: Dashboard, limit: int = REPORT_PROBLEM_LIMIT) -> tuple[list[Problem], int]:
    """Overdue items, then blocked ones (at most `limit`), with the answered explanations; and the total count."""
    total = dashboard.count_items(session, filters=board.filters, today=board.today, problems_only=True)
    cutoff = board.cutoff
    rows = dashboard.items(session, filters=board.filters, today=board.today, problems_only=True, limit=limit)
    answers: dict[int, str] = {}
    if not rows.empty:
        for item_id, answer in session.execute(
            select(ExplanationRequest.work_item_id, ExplanationRequest.answer)
            .where(ExplanationRequest.work_item_id.in_([int(i) for i in rows["id"]]),
                   ExplanationRequest.status == ExplanationStatus.ANSWERED)
            .order_by(ExplanationRequest.answered_at, ExplanationRequest.id)
        ):
            answers[item_id] = answer  # the latest answer wins
    found = []
    for r in rows.itertuples():
        late = (cutoff - r.due_date).days if r.standing == Standing.OVERDUE.value else 0
        found.append(Problem(id=int(r.id), title=r.title, unit=r.unit, due_date=r.due_date, days_overdue=late,
                             blocked_reason=r.blocked_reason if r.blocked else None, explanation=answers.get(int(r.id))))
    return found, total


def _font(run, size: float = 14, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold, run.italic = bold, italic
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _para(container, text: str = "", *, size: float = 14, bold: bool = False, italic: bool = False,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True):
    p = container.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(6)
    if indent and align == WD_ALIGN_PARAGRAPH.JUSTIFY:
        p.paragraph_format.first_line_indent = Mm(10)
    if text:
        _font(p.add_run(text), size, bold, italic)
    return p


def _cell(cell, lines: list[tuple[str, dict]]) -> None:
    for i, (text, style) in enumerate(lines):
        p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        p.alignment = style.get("align", WD_ALIGN_PARAGRAPH.CENTER)
        _font(p.add_run(text), style.get("size", 13), style.get("bold", False), style.get("italic", False))


def _heading_table(doc, *, number_line: str, date_line: str) -> None:
    """Issuing body and number on the left; national heading, motto and place-date on the right."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Mm(65), Mm(100)
    _cell(left, [(ISSUER, {"bold": True}), ("―――――", {}), (number_line, {})])
    _cell(right, [(NATIONAL, {"bold": True, "size": 12.5}), (MOTTO, {"bold": True, "size": 13.5}), ("―――――――――", {}),
                  (date_line, {"italic": True, "size": 14})])


def _table(doc, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        _cell(cell, [(text, {"bold": True, "size": 12})])
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values)):
            align = WD_ALIGN_PARAGRAPH.LEFT if i in (0, 1) else WD_ALIGN_PARAGRAPH.CENTER
            _cell(cell, [(text, {"size": 12, "align": align})])
    _para(doc, "", indent=False)


def _summary(h: dashboard.Headline) -> str:
    text = (f"tổng số {format_number(h.items)} công việc; đã hoàn thành {format_number(h.done)} việc (đúng hạn "
            f"{format_number(h.done_on_time)}, quá hạn {format_number(h.done_late)}); đang thực hiện trong hạn "
            f"{format_number(h.in_progress)} việc; quá hạn {format_number(h.overdue)} việc; tỷ lệ hoàn thành "
            f"{format_percent(h.completion_rate)} ({format_number(h.done)}/{format_number(h.items)} việc); tiến độ "
            f"bình quân {format_percent(h.average_progress)}; tỷ lệ quá hạn {format_percent(h.overdue_rate)} "
            f"({format_number(h.overdue)}/{format_number(h.due_passed)} việc đã đến hạn)")
    if h.done_in_period is not None:
        text += f"; trong kỳ báo cáo đã hoàn thành {format_number(h.done_in_period)} việc"
    return text


def _task_summary(t) -> str:
    return (f"Tổng số {int(t['items'])} việc; hoàn thành {int(t['done'])} (đúng hạn {int(t['done_on_time'])}, "
            f"quá hạn {int(t['done_late'])}); đang thực hiện trong hạn {int(t['in_progress_on_time'])}; "
            f"quá hạn {int(t['overdue'])}; tỷ lệ hoàn thành {format_percent(t['completion_rate'])} "
            f"({int(t['done'])}/{int(t['items'])} việc); tiến độ bình quân {format_percent(t['average_progress'])}.")


def render_png(chart: Chart, *, width: int = 900) -> bytes | None:
    """The chart as PNG through kaleido and the local Chromium, or None when either is missing."""
    try:
        import kaleido  # optional: not in requirements.txt
    except ImportError:
        return None
    height = int(chart.figure.layout.height or 450)
    try:
        return kaleido.calc_fig_sync(chart.figure.to_dict(), opts={"format": "png", "width": width, "height": height},
                                     kopts={"mathjax": False})
    except Exception:  # no browser, or it failed to start: the report goes out without images
        return None


def _figure(doc, chart: Chart) -> None:
    png = render_png(chart)
    if png is None:
        return
    doc.add_picture(io.BytesIO(png), width=Mm(160))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, f"Biểu đồ: {chart.reading}", italic=True, size=12, align=WD_ALIGN_PARAGRAPH.CENTER)


def word_report(session: Session, *, board: Dashboard, period_label: str) -> bytes:
    """The report for the dashboard's period as .docx bytes (with chart images when kaleido can draw them)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)

    _heading_table(doc, number_line="Số:        /BC-BNV",
                   date_line="Hà Nội, ngày      tháng      năm " + str(board.today.year))
    _para(doc, "", indent=False)
    _para(doc, "BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, f"Kết quả thực hiện {board.plan_title} {period_label}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "―――――", align=WD_ALIGN_PARAGRAPH.CENTER)

    h = board.headline
    _para(doc, SECTIONS[0], bold=True, indent=False)
    _para(doc, f"Thực hiện {board.plan_title}, tính đến hết ngày {format_date(board.cutoff)}, {_summary(h)}.")
    if h.round_name:
        _para(doc, f"Kỳ báo cáo “{h.round_name}”: {h.units_reported}/{h.units_expected} đơn vị đã gửi báo cáo.")

    _para(doc, SECTIONS[1], bold=True, indent=False)
    _para(doc, f"1. Kết quả theo từng {board.task_label.lower()}", bold=True, indent=False)
    _figure(doc, charts.task_status(board.by_task, task_label=board.task_label))
    _figure(doc, charts.unit_ranking(board.by_unit))
    for t in board.by_task[board.by_task["items"] > 0].to_dict("records"):
        _para(doc, f"{board.task_label} {t['task']}: {t['text'] or 'Chưa có nội dung trong văn bản nguồn'}",
              bold=True, italic=True)
        _para(doc, _task_summary(t))
        rows = dashboard.items(session, filters=board.filters, today=board.today, task_id=int(t["task_id"]),
                               limit=REPORT_ITEMS_PER_TASK)
        _table(doc, ["Công việc", "Đơn vị chủ trì", "Hạn", "Trạng thái", "Đánh giá", "Tiến độ"],
               [[r.title, r.unit, format_date(r.due_date), r.status_label, r.standing_label, f"{r.progress}%"]
                for r in rows.itertuples()])
        if t["items"] > len(rows):
            _para(doc, f"(Bảng nêu {len(rows)}/{int(t['items'])} việc cần chú ý nhất; danh sách đầy đủ trong tệp Excel.)",
                  italic=True, size=12)
    _para(doc, "2. Ưu điểm", bold=True, indent=False)
    for line in _strengths(board):
        _para(doc, f"- {line}")
    _para(doc, "3. Hạn chế và nguyên nhân", bold=True, indent=False)
    found, total = problems(session, board=board)
    if not found:
        _para(doc, "- Không có công việc quá hạn hoặc vướng mắc.")
    for p in found:
        state = (f"quá hạn {p.days_overdue} ngày (hạn {format_date(p.due_date)})" if p.days_overdue
                 else f"hạn {format_date(p.due_date)}")
        line = f"- {p.title} ({p.unit}): {state}"
        if p.blocked_reason:
            line += f"; vướng mắc: {p.blocked_reason.strip().rstrip('.')}"
        line += f". Giải trình của đơn vị: {p.explanation}" if p.explanation else ". Đơn vị chưa giải trình."
        _para(doc, line)
    if total > len(found):
        _para(doc, f"(Và {total - len(found)} công việc khác; danh sách đầy đủ trong tệp Excel.)", italic=True, size=12)

    _para(doc, SECTIONS[2], bold=True, indent=False)
    for line in _directions(board):
        _para(doc, f"- {line}")
    _para(doc, SECTIONS[3], bold=True, indent=False)
    _para(doc, PROPOSALS_PLACEHOLDER, italic=True)
    _signature(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _strengths(board: Dashboard) -> list[str]:
    h, tasks = board.headline, board.by_task[board.by_task["items"] > 0]
    lines = [f"Đã hoàn thành {h.done}/{h.items} công việc, trong đó {h.done_on_time} việc đúng hạn."]
    good = tasks[(tasks["overdue"] == 0) & (tasks["completion_rate"] >= h.completion_rate)]
    if not good.empty:
        lines.append("Các nhiệm vụ thực hiện tốt, không có việc quá hạn: " + "; ".join(
            f"nhiệm vụ {t.task} hoàn thành {format_percent(t.completion_rate)} ({t.done}/{t.items} việc)"
            for t in good.itertuples()) + ".")
    clean = board.by_unit[(board.by_unit["overdue"] == 0) & (board.by_unit["done_late"] == 0)]
    if not clean.empty:
        lines.append(f"{len(clean)}/{len(board.by_unit)} đơn vị chủ trì không có việc quá hạn.")
    return lines


def _directions(board: Dashboard) -> list[str]:
    h = board.headline
    lines = []
    if h.overdue:
        lines.append(f"Tập trung hoàn thành {h.overdue} công việc đã quá hạn; đơn vị chủ trì giải trình rõ nguyên nhân "
                     "và cam kết thời hạn hoàn thành.")
    if h.in_progress:
        lines.append(f"Tiếp tục triển khai {h.in_progress} công việc đang trong hạn, bảo đảm đúng tiến độ.")
    if h.blocked:
        lines.append(f"Tháo gỡ vướng mắc của {h.blocked} công việc đang gặp khó khăn.")
    lines.append("Các đơn vị cập nhật tiến độ và minh chứng kết quả thường xuyên trên hệ thống theo dõi.")
    return lines


def _signature(doc) -> None:
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left_style = {"align": WD_ALIGN_PARAGRAPH.LEFT, "size": 11}
    _cell(left, [("Nơi nhận:", {**left_style, "bold": True, "italic": True, "size": 12}),
                 ("- Bộ trưởng (để báo cáo);", left_style), ("- Các Thứ trưởng;", left_style),
                 ("- Các đơn vị thuộc Bộ;", left_style), ("- Lưu: VT, VP.", left_style)])
    _cell(right, [("BỘ TRƯỞNG", {"bold": True, "size": 14}), ("", {}), ("", {}), ("", {}),
                  ("[Ký, ghi rõ họ tên]", {"italic": True, "size": 14})])


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
                 today: dt.date) -> tuple[Dashboard, bytes, bytes]:
    """(figures, .docx, .xlsx) for a plan and period at its cut-off: what the CLI and the download buttons write."""
    filters, start = report_filters(Filters(plan_id=plan_id, date_from=date_from, date_to=date_to), today)
    board = dashboard.build(session, actor=actor, filters=filters, today=today, include_flow=False, period_start=start)
    return (board, word_report(session, board=board, period_label=period_label(date_from, board.cutoff)),
            excel_workbook(session, board=board))
