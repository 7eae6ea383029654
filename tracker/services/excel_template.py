"""The Excel layout of a plan's work items: the blank template and exports, one layout for both.

Sheet "Công việc" holds the items under the agreed headers, an export also each item's id and
version (so an import can tell an item changed since the export); a hidden sheet "Danh mục" lists the
plan's tasks, the units of the plan's year and the forms, which the drop-downs point to. An
export writes exactly what the import reads back, so export -> import changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.cells import xlsx_put, xlsx_row
from tracker.models import Form, Plan, PriorityTask
from tracker.services.plans import MISSING_TEXT_LABEL
from tracker.services.work_item_lists import ItemListRow, plan_units
from tracker.text import fold

SHEET = "Công việc"
LISTS_SHEET = "Danh mục"
HEADERS = [
    "STT", "Nhiệm vụ trọng tâm", "Nội dung công việc", "Đơn vị chủ trì", "Đơn vị phối hợp", "Hình thức",
    "Kênh/Sản phẩm", "Ngày bắt đầu", "Hạn hoàn thành", "Chỉ tiêu", "Kinh phí (đồng)", "Ghi chú",
    "Các bước",  # optional: one step per line, "[x] " before a done step (tracker/services/checklists.py)
    # Optional: the lead unit's staff (username or full name; several separated by ";").
    "Cán bộ phụ trách",
    # An export fills these two: the import then refuses to overwrite an item changed since (a conflict).
    "Mã công việc (không sửa)", "Phiên bản (không sửa)",
]
WIDTHS = [6, 40, 50, 32, 40, 32, 28, 14, 14, 14, 16, 30, 40, 28, 14, 14]
STEPS_COLUMN = HEADERS.index("Các bước") + 1
DATE_FORMAT = "DD/MM/YYYY"
MONEY_FORMAT = "#,##0"
TEMPLATE_ROWS = 500
TASK_TEXT_CHARS = 90
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def task_cell(task: PriorityTask) -> str:
    """"(9) Tuyên truyền …": the number first (what the import reads), then the start of the text."""
    text = task.text or f"[{MISSING_TEXT_LABEL}]"
    if len(text) > TASK_TEXT_CHARS:
        text = text[:TASK_TEXT_CHARS].rstrip() + "…"
    return f"({task.label}) {text}"


def target_cell(qty: int | None, unit: str | None) -> int | str | None:
    """12 and "tin bài" -> "12 tin bài"; a bare number stays a number."""
    if qty is None:
        return unit
    return f"{qty} {unit}" if unit else qty


def _lists_sheet(wb: Workbook, session: Session, plan: Plan) -> dict[str, str]:
    """Write the drop-down lists; return the range formula of each list."""
    ws = wb.create_sheet(LISTS_SHEET)
    ws.sheet_state = "hidden"
    columns = {
        "task": [task_cell(t) for t in plan.tasks],
        "unit": [u.name for u in plan_units(session, plan)],
        "form": [f.name for f in session.scalars(select(Form).where(Form.active.is_(True))
                                                 .order_by(Form.sort_order, Form.id))],
    }
    titles = {"task": "Nhiệm vụ trọng tâm", "unit": "Đơn vị", "form": "Hình thức"}
    ranges = {}
    for col, (key, values) in enumerate(columns.items(), start=1):
        ws.cell(row=1, column=col, value=titles[key]).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            xlsx_put(ws.cell(row=row, column=col), value)
        letter = get_column_letter(col)
        ranges[key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${max(len(values), 1) + 1}"
    return ranges


def _validations(ws, ranges: dict[str, str], last_row: int) -> None:
    """Drop-downs that warn rather than refuse: people also type numbers, codes and short names."""
    specs = [
        ("B", "task", "warning", "Chọn nhiệm vụ trọng tâm trong danh sách (hoặc ghi số thứ tự nhiệm vụ)."),
        ("D", "unit", "warning", "Đơn vị chưa có trong danh sách: hãy kiểm tra tên, mã hoặc tên viết tắt."),
        ("E", "unit", "information", "Có thể ghi nhiều đơn vị, cách nhau bằng dấu ; hoặc xuống dòng."),
        ("F", "form", "warning", "Hình thức chưa có trong danh sách: hãy kiểm tra lại."),
    ]
    for column, key, style, message in specs:
        dv = DataValidation(type="list", formula1=f"={ranges[key]}", allow_blank=True, errorStyle=style,
                            showErrorMessage=True, errorTitle="Giá trị ngoài danh sách", error=message)
        dv.add(f"{column}2:{column}{last_row}")
        ws.add_data_validation(dv)


def build_workbook(session: Session, *, plan: Plan, rows: Sequence[ItemListRow] = (),
                   steps: dict[int, str] | None = None) -> bytes:
    """The template (no rows) or an export (rows, and each item's checklist as its cell shows it), as .xlsx."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADERS)
    for col, width in enumerate(WIDTHS, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="A4161A")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A2"
    tasks = {t.id: t for t in plan.tasks}
    for n, r in enumerate(rows, start=1):
        ws.append(xlsx_row(ws, [
            n, task_cell(tasks[r.priority_task_id]), r.title, r.lead_unit, "; ".join(r.coordinating_units),
            r.form, r.channel, r.start_date, r.due_date, target_cell(r.target_qty, r.target_unit),
            r.budget_planned, r.note, (steps or {}).get(r.id), "; ".join(r.staff), r.id, r.version,
        ]))
        ws.cell(row=n + 1, column=STEPS_COLUMN).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=n + 1, column=8).number_format = DATE_FORMAT
        ws.cell(row=n + 1, column=9).number_format = DATE_FORMAT
        ws.cell(row=n + 1, column=11).number_format = MONEY_FORMAT
    for row in range(len(rows) + 2, TEMPLATE_ROWS + 2):
        ws.cell(row=row, column=8).number_format = DATE_FORMAT
        ws.cell(row=row, column=9).number_format = DATE_FORMAT
        ws.cell(row=row, column=11).number_format = MONEY_FORMAT
    _validations(ws, _lists_sheet(wb, session, plan), max(TEMPLATE_ROWS, len(rows)) + 1)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def file_name_for(plan_code: str, kind: str = "mau") -> str:
    """An ASCII file name for downloads: cong-viec-mau-184-QD-BNV.xlsx."""
    folded = fold(plan_code).upper()
    safe = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in folded)
    return f"cong-viec-{kind}-{safe.strip('-')}.xlsx"
