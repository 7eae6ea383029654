"""Importing work items from Excel as people really fill it in, all or nothing.

The whole file is read and checked first: headers found whatever their case, spacing or Unicode
form; units by code, name, short name or alias; forms by name or the words people use; tasks
by number; dates as Excel dates or dd/mm/yyyy text; money as a number or "50.000.000". If any
row is wrong nothing is written and every problem is listed (sheet row, column, value, reason).
Rows already imported (same plan, task, title and lead unit) are updated, never duplicated.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field, replace
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import clock, deadlines
from tracker.errors import Conflict, NotFound, ValidationFailed
from tracker.models import Channel, Form, Numbering, Plan, Unit, User, WorkItem
from tracker.permissions import Action, Actor, require
from tracker.services import work_items as items
from tracker.services.assignments import StaffIndex, apply_staff
from tracker.services.progress import HistoryEntry, history_since
from tracker.services import checklists, settings
from tracker.services import sheet_layout as layouts
from tracker.services.excel_template import HEADERS, build_workbook
from tracker.services.name_match import NameIndex, UnitIndex
from tracker.services.sheet_layout import Layout
from tracker.services import work_item_lists as lists
from tracker.services.work_item_lists import ItemFilter
from tracker.services.work_items import ItemInput
from tracker.text import fold, format_date, format_number, from_roman, nfc, shorten
from tracker.xlsx_guard import archive_problem

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000  # a year of work for every unit fits; the bench imports 5,000 rows
MAX_SCANNED = 100_000  # rows read in all, blank ones included: a sheet padded with a million rows stops here
HEADER_SCAN_ROWS = 15

# Column key -> the header in the template; extra spellings people use are accepted too.
COLUMNS = {
    "stt": "STT", "task": "Nhiệm vụ trọng tâm", "title": "Nội dung công việc", "lead": "Đơn vị chủ trì",
    "coord": "Đơn vị phối hợp", "form": "Hình thức", "channel": "Kênh/Sản phẩm", "start": "Ngày bắt đầu",
    "due": "Hạn hoàn thành", "target": "Chỉ tiêu", "budget": "Kinh phí (đồng)", "note": "Ghi chú",
    "steps": "Các bước", "staff": "Cán bộ phụ trách", "item_id": "Mã công việc (không sửa)",
    "version": "Phiên bản (không sửa)",
}
assert list(COLUMNS.values()) == HEADERS
EXTRA_HEADERS = {
    "task": ["Nhiệm vụ", "Số nhiệm vụ"], "title": ["Nội dung", "Tên công việc"],
    "lead": ["Chủ trì", "Đơn vị thực hiện"], "coord": ["Phối hợp"], "form": ["Hình thức truyền thông"],
    "channel": ["Kênh", "Sản phẩm", "Kênh / Sản phẩm"], "start": ["Bắt đầu", "Từ ngày"],
    "due": ["Hạn", "Thời hạn", "Thời hạn hoàn thành", "Hạn hoàn thành (dd/mm/yyyy)"],
    "budget": ["Kinh phí", "Kinh phí (VNĐ)", "Kinh phí (đ)"], "note": ["Ghi chú khác"],
    "staff": ["Cán bộ thực hiện", "Chuyên viên phụ trách", "Người phụ trách"],
}
REQUIRED = ("task", "title", "lead", "form")
# Which column a work-item rule belongs to.
FIELD_COLUMN = {
    "priority_task": "task", "title": "title", "lead_unit": "lead", "coordinating_units": "coord",
    "form": "form", "channel": "channel", "start_date": "start", "due_date": "due", "target": "target",
    "budget_planned": "budget", "note": "note", "description": "note",
}
_SPLIT_UNITS = re.compile(r"[;,\n\r]+")
_TASK = re.compile(r"^\s*(?:nhiem vu|nv)?\s*(?:so\s*)?\(?\s*([0-9]+|[ivxl]+)\s*\)?(?=[\s.:)\-–]|$)", re.IGNORECASE)
_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONEY_SUFFIX = re.compile(r"\s*(đồng|đ|vnđ|vnd)\.?\s*$", re.IGNORECASE)
_TARGET = re.compile(r"^(-?\d{1,3}(?:[.,]\d{3})+|-?\d+)\s*(.*)$")


def _key(header: str) -> str:
    return re.sub(r"\s+", "", fold(str(header)))


_HEADER_KEYS = {_key(h): col for col, h in COLUMNS.items()} | {
    _key(h): col for col, names in EXTRA_HEADERS.items() for h in names
}


@dataclass(frozen=True)
class RowError:
    """One problem in the file: where (sheet row, column), what was there, and why it is wrong."""

    row: int | None
    column: str
    value: str
    reason: str
    unknown_unit: str | None = None  # a unit name the catalog does not know, for the office to choose one for
    closest: tuple[str, ...] = ()  # the nearest units' names


class ImportFailed(ValidationFailed):
    """The file has problems; nothing was imported. `errors` lists every one."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"Tệp có {len(errors)} lỗi, chưa nhập công việc nào.",
                         [f"{'Dòng ' + str(e.row) + ', ' if e.row else ''}cột “{e.column}”: {e.reason}" for e in errors])


@dataclass(frozen=True)
class ParsedRow:
    row: int
    data: ItemInput
    key: str
    lead_unit: str
    task_label: str
    version: int | None = None  # the item's version when it was exported (None: not from an export)
    item_id: int | None = None  # the item the export was made from (another installation's ids differ)
    part: int = 0  # a row fanned out to several units or recurring over the year: its items 0, 1, 2...
    notes: tuple[str, ...] = ()  # every guess made reading the row (a unit's other name, a deadline's rule)
    steps: tuple[tuple[str, bool], ...] = ()  # the "Các bước" cell: (text, done) in order
    staff_ids: tuple[int, ...] = ()  # "Cán bộ phụ trách": the lead unit's staff (empty: assignments left as they are)

    @property
    def slot(self) -> int | str:
        """The row in the preview: its sheet row, or "12.3" for the 4th item of row 12."""
        return self.row if self.part == 0 else f"{self.row}.{self.part}"


@dataclass(frozen=True)
class ImportConflictRow:
    """A row whose item was changed after the export (or the preview): what changed, by whom."""

    row: int
    item_id: int
    title: str
    since: list[HistoryEntry]
    after_preview: bool = False

    def describe(self) -> str:
        return "; ".join(f"{lbl}: {old} → {new}" for e in self.since for lbl, old, new in e.changes) or "đã sửa"

    def who(self) -> str:
        return ", ".join(sorted({e.actor for e in self.since})) or "người khác"


class ImportConflict(Conflict):
    """Rows would overwrite edits made after the export or the preview; nothing was imported."""

    def __init__(self, conflicts: list[ImportConflictRow]):
        self.conflicts = conflicts
        rows = ", ".join(str(c.row) for c in conflicts)
        if any(c.after_preview for c in conflicts):
            message = (f"Công việc ở dòng {rows} vừa được sửa sau khi bạn xem trước; chưa nhập gì. "
                       "Hãy xem lại bản xem trước rồi chọn cách xử lý.")
        else:
            message = (f"Công việc ở dòng {rows} đã được sửa sau khi tệp được xuất; chưa nhập gì. "
                       "Hãy chọn giữ nội dung trên hệ thống hoặc ghi đè bằng nội dung trong tệp.")
        super().__init__(message)


KEEP, OVERWRITE = "keep", "overwrite"


@dataclass
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    plan_code: str
    rows: list[ParsedRow]
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    dry_run: bool = False
    # On a dry run: sheet rows that would create / update / stay as they are / conflict.
    would: dict[int | str, str] = field(default_factory=dict)
    conflicts: list[ImportConflictRow] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # conflicting items kept as they are
    # The version of every item the file matches, as read now: the confirm passes it back.
    versions: dict[int, int] = field(default_factory=dict)

    def lines(self) -> str:
        """"7 dòng", or "6 dòng (7 công việc)" when a row became several items (units, months)."""
        n = len({r.row for r in self.rows})
        return f"{n} dòng" + (f" ({len(self.rows)} công việc)" if n != len(self.rows) else "")

    def summary(self) -> str:
        if self.dry_run:
            counts = {k: sum(1 for v in self.would.values() if v == k) for k in ("mới", "cập nhật", "giữ nguyên")}
            clash = f", {len(self.conflicts)} xung đột" if self.conflicts else ""
            return (f"Kiểm tra xong {self.lines()}, không có lỗi (chưa ghi gì): {counts['mới']} công việc mới, "
                    f"{counts['cập nhật']} cập nhật, {counts['giữ nguyên']} giữ nguyên{clash}.")
        kept = f", {len(self.skipped)} xung đột giữ nội dung trên hệ thống" if self.skipped else ""
        return (f"Đã nhập {self.lines()} vào kế hoạch {self.plan_code}: {len(self.created)} công việc mới, "
                f"{len(self.updated)} cập nhật, {len(self.unchanged)} giữ nguyên{kept}.")


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_date(value.date())
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value) -> str | None:
    if value is None:
        return None
    text = nfc(_show(value))
    return text or None


class _Lookups:
    """The catalog as matching keys (fold: case, accents and spacing ignored; see name_match)."""

    def __init__(self, session: Session, plan: Plan, chosen_units: dict[str, str] | None = None):
        self.plan = plan
        self.tasks = {t.number: t for t in plan.tasks}
        self.units = UnitIndex(list(session.scalars(select(Unit).order_by(Unit.id))))
        for written, code in (chosen_units or {}).items():
            self.units.choose(written, code)
        self.forms = NameIndex(session.scalars(select(Form).where(Form.active.is_(True)).order_by(Form.sort_order)),
                               lambda f: (f.name, f.code, *f.aliases), lambda f: f.name, "Hình thức")
        self.channels = NameIndex(session.scalars(select(Channel).where(Channel.active.is_(True)).order_by(Channel.id)),
                                  lambda c: (c.name, *c.aliases), lambda c: c.name, "Kênh")
        self.staff = StaffIndex(session)
        self._form_words: list[tuple[str, Form]] | None = None

    def is_form(self, text: str) -> bool:
        return self.forms.find(text) is not None

    def form_in(self, title: str) -> tuple[Form, str] | None:
        """The form whose name (or other name) the title says, longest first ("Tổ chức họp báo …" → Họp báo)."""
        if self._form_words is None:
            words = [(layouts.words(name), form) for name, form in self.forms.exact.items()]
            self._form_words = sorted(((w, f) for w, f in words if len(w.strip()) >= 5), key=lambda p: -len(p[0]))
        text = layouts.words(title)
        return next(((f, w.strip()) for w, f in self._form_words if w in text), None)


class _RowReader:
    """Reads one sheet row into an ItemInput, collecting every problem instead of stopping."""

    def __init__(self, lookups: _Lookups, row: int, errors: list[RowError], day: dt.date | None = None):
        self.lk, self.row, self.errors = lookups, row, errors
        self.day = day or dt.date(lookups.plan.year, 12, 31)  # a unit ended before it gives way to its successor
        self.notes: list[str] = []

    def bad(self, column: str, value, reason: str) -> None:
        self.errors.append(RowError(self.row, COLUMNS[column], _show(value), reason))

    def task(self, value):
        if value is None or _text(value) is None:
            self.bad("task", value, "Chưa ghi nhiệm vụ trọng tâm (số thứ tự nhiệm vụ).")
            return None
        roman_plan = self.lk.plan.numbering is Numbering.ROMAN
        if isinstance(value, (int, float)) and float(value).is_integer():
            number = int(value)
        else:
            match = _TASK.match(fold(_show(value)))
            label = match.group(1) if match else None
            number = int(label) if label and label.isdigit() else (from_roman(label) if label and roman_plan else None)
            if number is None:
                self.bad("task", value, "Không đọc được số thứ tự nhiệm vụ (ghi số, ví dụ 9 hoặc (9)"
                         + (", hoặc số La Mã như (iii))." if roman_plan else ")."))
                return None
        task = self.lk.tasks.get(number)
        if task is None:
            labels = [t.label for t in self.lk.tasks.values()]
            span = f"{labels[0]}–{labels[-1]}" if labels else "không có nhiệm vụ nào"
            self.bad("task", value, f"Nhiệm vụ số {number} không có trong kế hoạch {self.lk.plan.code} "
                                    f"(có các nhiệm vụ {span}).")
        return task

    def unit(self, column: str, value, name: str) -> Unit | None:
        found = self.lk.units.find(name)
        if found is None:
            near = self.lk.units.closest(name)
            hint = f" Gần nhất: {'; '.join(near)}." if near else ""
            self.errors.append(RowError(self.row, COLUMNS[column], _show(value),
                                        f"Không tìm thấy đơn vị “{name}” trong danh mục (ghi mã, tên đầy đủ hoặc "
                                        f"tên viết tắt).{hint}", unknown_unit=name, closest=tuple(near)))
            return None
        found = self.lk.units.current(found, self.day)
        if found.note:
            self.notes.append(found.note)
        return found.entry

    def names(self, column: str, value, text: str) -> list[Unit]:
        """Every unit a cell names: one, several ("Vụ TCBC, Vụ CQĐP") or a group ("Các Sở Nội vụ")."""
        group = self.lk.units.group(text, self.day)
        if group is not None:
            self.notes.append(f"“{text}” → {len(group)} Sở Nội vụ")
            return group
        if self.lk.units.find(text) is not None:
            return [u for u in [self.unit(column, value, text)] if u]
        parts = [nfc(p) for p in _SPLIT_UNITS.split(text) if nfc(p)]
        out = []
        for part in parts:
            group = self.lk.units.group(part, self.day)
            out += group if group is not None else [u for u in [self.unit(column, value, part)] if u]
        return list(dict.fromkeys(out))

    def lead(self, value, text: str) -> Unit | None:
        """One lead unit; several named in the cell is a mistake worth its own message (our template)."""
        parts = [nfc(p) for p in _SPLIT_UNITS.split(text) if nfc(p)]
        if len(parts) > 1 and self.lk.units.find(text) is None and all(self.lk.units.find(p) for p in parts):
            self.bad("lead", value, "Chỉ ghi một đơn vị chủ trì; các đơn vị khác ghi vào cột “Đơn vị phối hợp”.")
            return None
        return self.unit("lead", value, text)

    def units(self, value) -> list[Unit]:
        text = _text(value)
        if not text:
            return []
        return self.names("coord", value, _show(value))

    def form(self, value) -> Form | None:
        text = _text(value)
        if not text:
            self.bad("form", value, "Chưa ghi hình thức truyền thông.")
            return None
        found = self.lk.forms.find(text)
        if found is None:
            near = self.lk.forms.closest(text)
            hint = f" Gần nhất: {'; '.join(near)}." if near else ""
            self.bad("form", value, f"Hình thức “{text}” không có trong danh mục.{hint}")
            return None
        if found.note:
            self.notes.append(found.note)
        return found.entry

    def channel(self, text: str | None) -> Channel | None:
        found = self.lk.channels.find(text) if text else None
        if found and found.note:
            self.notes.append(found.note)
        return found.entry if found else None

    def date(self, column: str, value) -> dt.date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, (int, float)) and 20000 < value < 80000:
            return from_excel(value).date()
        text = str(value).strip()
        match = _DATE.match(text)
        iso = _ISO_DATE.match(text)
        try:
            if match:
                return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            if iso:
                return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            pass
        self.bad(column, value, f"Ngày “{text}” không hợp lệ (ghi theo dạng dd/mm/yyyy).")
        return None

    def due(self, value) -> deadlines.Deadline | None:
        """A date, or a phrase ("Quý III/2024", "Trước 30/9", "Thường xuyên") read by a rule the preview shows."""
        if isinstance(value, str) and value.strip() and not _DATE.match(value.strip()) \
                and not _ISO_DATE.match(value.strip()):
            found = deadlines.read_deadline(value, self.lk.plan.year)
            if found is None:
                self.bad("due", value, f"Không đọc được hạn “{nfc(value.strip())}” (ghi dd/mm/yyyy, hoặc như "
                                       "Quý III/2024, Tháng 9/2024, Trước 30/9/2024, 6 tháng đầu năm, Thường xuyên).")
                return None
            self.notes.append(f"Hạn: {found.rule}")
            return found
        day = self.date("due", value)
        return deadlines.Deadline(day) if day else None

    def money(self, value) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, (int, float)):
            if float(value).is_integer():
                return int(value)
            self.bad("budget", value, "Kinh phí phải là số đồng nguyên.")
            return None
        text = _MONEY_SUFFIX.sub("", str(value).strip()).replace(" ", "")
        if re.fullmatch(r"-?\d{1,3}([.,])\d{3}(\1\d{3})*", text) or re.fullmatch(r"-?\d+", text):
            return int(re.sub(r"[.,]", "", text))
        self.bad("budget", value, f"Kinh phí “{value}” không phải số tiền (ví dụ 50.000.000).")
        return None

    def target(self, value) -> tuple[int | None, str | None]:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, None
        if isinstance(value, (int, float)):
            if float(value).is_integer():
                return int(value), None
            self.bad("target", value, "Chỉ tiêu phải là số nguyên.")
            return None, None
        match = _TARGET.match(nfc(str(value)))
        if not match:
            self.bad("target", value, f"Chỉ tiêu “{value}” phải bắt đầu bằng một số (ví dụ 12 tin bài).")
            return None, None
        return int(re.sub(r"[.,]", "", match.group(1))), (match.group(2) or None)


def _classify(value) -> str | None:
    """The field a header names: the template's own spellings first, then the header's words."""
    if value is None or not str(value).strip():
        return None
    by_words = layouts.classify(str(value))
    if by_words == "product":  # "Sản phẩm" is a target, a form or a channel: its values decide
        return by_words
    return _HEADER_KEYS.get(_key(value)) or by_words


_TEMPLATE_KEYS = {_key(COLUMNS[c]) for c in REQUIRED}


def _find_layout(ws) -> tuple[int, tuple, bool] | None:
    """The header row (people put titles above it), its cells, and whether it is our own template's."""
    for r, values in enumerate(ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, values_only=True), start=1):
        keys = {_key(v) for v in values if v is not None}
        if _TEMPLATE_KEYS <= keys:
            return r, values, True
        found = {_classify(v) for v in values} - {None, "stt", layouts.IGNORE}
        if "title" in found and len(found) >= 3:
            return r, values, False
    return None


def _template_layout(ws, header_row: int, values: tuple) -> Layout:
    """Our template (or its accepted spellings): columns by their exact headers, as always."""
    headers = ["" if v is None else " ".join(str(v).split()) for v in values]
    columns: dict[int, str] = {}
    for c, value in enumerate(values):
        col = _HEADER_KEYS.get(_key(value)) if value is not None else None
        if col and col not in columns.values():
            columns[c] = col
    return Layout(ws.title, header_row, headers, columns, template=True)


def _open(data: bytes):
    if len(data) > MAX_BYTES:
        raise ImportFailed([RowError(None, "Tệp", f"{len(data) / 1024 / 1024:.1f} MB",
                                     f"Tệp quá lớn: tối đa {MAX_BYTES // 1024 // 1024} MB.")])
    if problem := archive_problem(data):
        raise ImportFailed([RowError(None, "Tệp", "", problem)])
    try:
        return load_workbook(BytesIO(data), read_only=True, data_only=True)
    except _UNREADABLE:
        raise _unreadable() from None


# What openpyxl raises on a damaged archive or malformed XML (lxml's and ElementTree's errors are SyntaxErrors).
_UNREADABLE = (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError, EOFError)


def _unreadable() -> ImportFailed:
    return ImportFailed([RowError(None, "Tệp", "", "Không đọc được tệp: cần tệp Excel dạng .xlsx "
                                                   "(tải tệp mẫu ở trang Công việc).")])


def _filled_rows(ws, header_row: int, fill=None, stt: int | None = None) -> list[tuple[int, tuple | str]]:
    """(sheet row, cells) of the rows with something in them (merged cells filled down), read lazily and
    bounded: past MAX_ROWS filled rows, or MAX_SCANNED rows in all, the last entry is (row, reason)."""
    out: list[tuple[int, tuple | str]] = []
    for r, values in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1):
        if r - header_row > MAX_SCANNED:
            out.append((r, f"Tệp có hơn {format_number(MAX_SCANNED)} dòng (kể cả dòng trống): hãy xóa các dòng "
                           "thừa hoặc chia thành nhiều tệp."))
            break
        if fill is not None:
            values = fill(r, values)
        values = tuple(None if isinstance(v, str) and not v.strip() else v for v in values)
        if not any(v is not None for i, v in enumerate(values) if i != stt):
            continue  # a blank line, or one with only its number
        if len(out) >= MAX_ROWS:
            out.append((r, f"Tệp có quá {format_number(MAX_ROWS)} dòng công việc: hãy chia thành nhiều tệp."))
            break
        out.append((r, values))
    return out


@dataclass
class Sheet:
    """A file read: its layout (proposed, or as the office mapped it) and its filled rows."""

    layout: Layout
    rows: list[tuple[int, tuple | str]]


def read_sheet(data: bytes, *, is_form=lambda text: False) -> Sheet:
    """Find the header row and propose each column's field; read the rows (merged cells filled down).

    Raises:
        ImportFailed: unreadable, refused by the archive check, or no header row found.
    """
    wb = _open(data)
    try:
        sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
        found = next(((ws, h) for ws in sheets if (h := _find_layout(ws)) is not None), None)
        if found is None:
            raise ImportFailed([RowError(None, "Tiêu đề", "", "Không tìm thấy dòng tiêu đề (cần các cột: "
                                         + " | ".join(HEADERS) + ", hoặc các cột như “Nội dung nhiệm vụ”, "
                                         "“Cơ quan chủ trì”, “Thời gian hoàn thành”).")])
        ws, (header_row, values, template) = found
        if template:
            layout = _template_layout(ws, header_row, values)
            return Sheet(layout, _filled_rows(ws, header_row, stt=layout.fields.get("stt")))
        shape = layouts.sheet_shape(data, getattr(ws, "_worksheet_path", None))
        layout = layouts.propose(ws.title, header_row, values, shape.hidden, template=False, name=_classify)
        rows = _filled_rows(ws, header_row, layouts.FillDown(shape.merged), stt=layout.fields.get("stt"))
        return Sheet(layouts.settle_products(layout, [r for r in rows if not isinstance(r[1], str)], is_form), rows)
    except _UNREADABLE:  # the sheets are parsed lazily, while they are read
        raise _unreadable() from None
    finally:
        wb.close()


def detect_layout(session: Session, *, plan: Plan, data: bytes) -> Layout:
    """The layout the import would use for this file (for the CLI to print, the page to show): proposed,
    or as the office mapped it last time for a file of the same layout.

    Raises:
        ImportFailed: as read_sheet.
    """
    return _remembered(session, read_sheet(data, is_form=_Lookups(session, plan).is_form).layout)


def _remembered(session: Session, layout: Layout) -> Layout:
    saved = None if layout.template else settings.import_mapping(session, layout.signature)
    if not saved:
        return layout
    try:
        return replace(layout.with_mapping(saved), remembered=True)
    except KeyError:
        return layout


def _missing(layout: Layout, rows) -> list[RowError]:
    fields = layout.fields
    required = REQUIRED if layout.template else ("title", "lead")
    missing = [COLUMNS[c] for c in required if c not in fields]
    if not layout.template and "task" not in fields and not any(
            not isinstance(v, str) and layouts.group_row(v, fields) for _, v in rows):
        missing.append(COLUMNS["task"] + " (hoặc dòng nhóm “Nhiệm vụ 1: …” phía trên các dòng)")
    return [RowError(layout.header_row, m, "", "Thiếu cột bắt buộc.") for m in missing]


def parse_workbook(session: Session, *, plan: Plan, data: bytes, mapping: dict[str, str] | None = None,
                   recurrence: str = deadlines.MONTH, chosen_units: dict[str, str] | None = None) -> list[ParsedRow]:
    """Read and check every row; raise ImportFailed listing every problem (nothing is written).

    `mapping` (header text -> field) overrides the proposed layout; `recurrence` says how a
    "Thường xuyên" row is split over the plan's year; `chosen_units` (name as written -> unit code) are the
    units the office chose for names the catalog does not know.

    Raises:
        ImportFailed: with each problem's sheet row, column, value and reason.
    """
    lookups = _Lookups(session, plan, chosen_units)
    sheet = read_sheet(data, is_form=lookups.is_form)
    layout = _remembered(session, sheet.layout)
    if mapping:
        try:
            layout = layout.with_mapping(mapping)
        except KeyError as exc:
            raise ImportFailed([RowError(layout.header_row, "Tiêu đề", "", exc.args[0])]) from None
    if missing := _missing(layout, sheet.rows):
        raise ImportFailed(missing)
    fields = layout.fields
    errors: list[RowError] = []
    parsed: list[ParsedRow] = []
    seen: dict[str, int] = {}
    group: tuple[int, layouts.Group] | None = None
    for r, values in sheet.rows:
        if isinstance(values, str):
            errors.append(RowError(r, "Tệp", "", values))
            break
        if not layout.template and (g := layouts.group_row(values, fields)) is not None:
            group = (r, g)
            continue
        cells = {c: (values[i] if i < len(values) else None) for c, i in fields.items()}
        if not any(v is not None for c, v in cells.items() if c != "stt"):
            continue
        for row in _parse_row(session, lookups, r, cells, errors, layout=layout, group=group, recurrence=recurrence):
            if row.key in seen:
                errors.append(RowError(r, COLUMNS["title"], row.data.title,
                                       f"Trùng với dòng {seen[row.key]} (cùng nhiệm vụ, nội dung và đơn vị chủ trì)."))
            else:
                seen[row.key] = r
                parsed.append(row)
    if not parsed and not errors:
        errors.append(RowError(None, "Tệp", "", "Tệp không có dòng công việc nào."))
    if errors:
        raise ImportFailed(errors)
    return parsed


def _group_task(rd: _RowReader, group: tuple[int, layouts.Group] | None):
    """The task a group row above sets (None: no group, or a section heading that names none)."""
    if group is None or group[1].label is None:
        return None
    r, g = group
    roman_plan = rd.lk.plan.numbering is Numbering.ROMAN
    if g.roman_heading and not roman_plan:
        return None
    number = int(g.label) if g.label.isdigit() else from_roman(g.label)
    task = rd.lk.tasks.get(number) if number else None
    if task is None:
        rd.bad("task", g.text, f"Dòng nhóm {r} ghi nhiệm vụ “{g.label}”, không có trong kế hoạch {rd.lk.plan.code}.")
        return None
    rd.notes.append(f"Nhiệm vụ ({task.label}) theo dòng nhóm {r}: “{shorten(g.text, 60)}”")
    return task


def _parse_row(session: Session, lookups: _Lookups, r: int, cells: dict, errors: list[RowError], *,
               layout: Layout | None = None, group=None, recurrence: str = deadlines.MONTH) -> list[ParsedRow]:
    """The row's items: one, or one per unit a lead cell names, or one per month/quarter of a recurring row."""
    before = len(errors)
    own = layout is not None and not layout.template
    rd = _RowReader(lookups, r, errors)
    due = rd.due(cells.get("due"))
    if due and due.due and not due.recurring:
        rd.day = due.due
    n = len(errors)
    task = _group_task(rd, group) if own and _text(cells.get("task")) is None else None
    if task is None and len(errors) == n:
        task = rd.task(cells.get("task"))
    title = _text(cells.get("title")) or ""
    lead_text = _text(cells.get("lead"))
    if own and lead_text:
        leads = rd.names("lead", cells.get("lead"), lead_text)
        if len(leads) > 1:
            rd.notes.append(f"Giao cho {len(leads)} đơn vị chủ trì, mỗi đơn vị một công việc")
    else:
        leads = [u for u in [rd.lead(cells.get("lead"), lead_text) if lead_text else None] if u] or [None]
    coord = rd.units(cells.get("coord"))
    if own and _text(cells.get("form")) is None and (guess := lookups.form_in(title)):
        form = guess[0]
        rd.notes.append(f"Hình thức đoán từ nội dung (“{guess[1]}”) → {form.name}")
    else:
        form = rd.form(cells.get("form"))
    channel_text = _text(cells.get("channel"))
    channel = rd.channel(channel_text)
    qty, unit_text = rd.target(cells.get("target"))
    start = rd.date("start", cells.get("start"))
    steps: tuple[tuple[str, bool], ...] = ()
    try:
        steps = tuple(checklists.from_lines(None if cells.get("steps") is None else _show(cells.get("steps"))))
    except ValidationFailed as exc:
        rd.bad("steps", cells.get("steps"), str(exc))
    base = items.normalise(ItemInput(
        priority_task_id=task.id if task else None, title=title, lead_unit_id=None,
        form_id=form.id if form else None, coordinating_unit_ids=tuple(u.id for u in coord),
        channel_id=channel.id if channel else None, channel_text=None if channel else channel_text,
        start_date=start, due_date=due.due if due else None,
        target_qty=qty, target_unit=unit_text, budget_planned=rd.money(cells.get("budget")),
        note=_text(cells.get("note")),
    ))
    if len(errors) > before or not leads:
        return []
    times = [deadlines.Occurrence("", start, base.due_date)]
    if due and due.recurring:
        times = deadlines.occurrences(due.due.year, recurrence)
        rd.notes.append(f"Thường xuyên: {deadlines.RECURRENCE_LABELS[recurrence]}"
                        + (" — cách chia theo tháng hay quý để chọn sau" if recurrence == deadlines.YEAR else ""))
    out: list[ParsedRow] = []
    for lead in leads:
        for when in times:
            data = replace(base, lead_unit_id=lead.id if lead else None, title=base.title + when.suffix,
                           start_date=when.start, due_date=when.due, recurring=bool(due and due.recurring))
            for p in items.validate_item(session, plan=lookups.plan, data=data, check_duplicate=False):
                if p.field == "lead_unit" and not lead_text:
                    p = replace(p, message="Chưa ghi đơn vị chủ trì.")
                col = FIELD_COLUMN.get(p.field, "title")
                errors.append(RowError(r, COLUMNS[col], _show(cells.get(col)), p.message))
            if len(errors) > before:
                return []
            version, item_id = cells.get("version"), cells.get("item_id")
            for col, value in (("version", version), ("item_id", item_id)):
                if value is not None and not (isinstance(value, int | float) and float(value).is_integer()
                                              and value > 0):
                    errors.append(RowError(r, COLUMNS[col], _show(value), "Cột này do hệ thống ghi khi xuất tệp: "
                                                                          "đừng sửa (để trống nếu là việc mới)."))
                    return []
            staff = _staff(lookups, r, cells.get("staff"), lead, errors)
            if staff is None:
                return []
            key = items.source_key(plan_id=lookups.plan.id, task_number=task.number, title=data.title,
                                   lead_unit_code=lead.code)
            out.append(ParsedRow(row=r, data=data, key=key, lead_unit=lead.name, task_label=task.label,
                                 version=int(version) if version is not None else None,
                                 item_id=int(item_id) if item_id is not None else None, part=len(out),
                                 notes=tuple(rd.notes), steps=steps, staff_ids=staff))
    return out


def _staff(lookups: _Lookups, r: int, value, lead: Unit, errors: list[RowError]) -> tuple[int, ...] | None:
    """The staff a "Cán bộ phụ trách" cell names (username or full name, case and accents ignored), all of the
    lead unit; None after recording a row error for a name that is not one of them."""
    text = _text(value)
    if text is None:
        return ()
    found: list[int] = []
    for name in (n.strip() for n in _SPLIT_UNITS.split(text)):
        if not name:
            continue
        user = lookups.staff.find(lead.id, name)
        if user is None:
            errors.append(RowError(r, COLUMNS["staff"], name,
                                   f"Không có chuyên viên “{name}” của {lead.name}: ghi tên đăng nhập hoặc họ tên "
                                   "của một tài khoản Chuyên viên đang hoạt động thuộc đơn vị chủ trì."))
            return None
        if user.id not in found:
            found.append(user.id)
    return tuple(found)


def _same(a: ItemInput, b: ItemInput) -> bool:
    """Equal facts; the order coordinating units are listed in does not matter."""
    return replace(a, coordinating_unit_ids=tuple(sorted(a.coordinating_unit_ids))) == replace(
        b, coordinating_unit_ids=tuple(sorted(b.coordinating_unit_ids)))


def read_file(session: Session, *, actor: Actor, plan_id: int, data: bytes, mapping: dict[str, str] | None = None,
              recurrence: str = deadlines.MONTH, chosen_units: dict[str, str] | None = None) -> list[ParsedRow]:
    """Parse and check an uploaded file once; the page keeps the rows (by the file's hash) for its reruns.

    Raises:
        PermissionDenied: not the office. NotFound: no such plan. ImportFailed: any problem in the file.
    """
    require(actor, Action.MANAGE_ITEMS, session=session)
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Không tìm thấy kế hoạch số {plan_id}.")
    return parse_workbook(session, plan=plan, data=data, mapping=mapping, recurrence=recurrence,
                          chosen_units=chosen_units)


def _conflict(session: Session, row: ParsedRow, item: WorkItem, seen: dict[int, int] | None) -> ImportConflictRow | None:
    """The row would overwrite an edit made after the preview (seen) or after the export (the row's version)."""
    base, after_preview = None, False
    if seen is not None and item.id in seen and seen[item.id] < item.version:
        base, after_preview = seen[item.id], True
    elif row.version is not None and row.item_id == item.id and row.version < item.version:
        base = row.version
    if base is None:
        return None
    return ImportConflictRow(row=row.row, item_id=item.id, title=item.title, after_preview=after_preview,
                             since=history_since(session, item_id=item.id, version=base))


def import_items(session: Session, *, actor: Actor, plan_id: int, data: bytes | None = None,
                 rows: list[ParsedRow] | None = None, dry_run: bool = False,
                 seen_versions: dict[int, int] | None = None, on_conflict: str | None = None,
                 mapping: dict[str, str] | None = None, recurrence: str = deadlines.MONTH) -> ImportResult:
    """Check the whole file (or take the rows read_file returned), then create new items and update ones imported before.

    Fields the template has no column for (description, recurring) are kept on update. The "Các bước" column
    gives a new item its steps; to an existing item it adds only the steps it lacks (same text), never removing
    one nor changing a tick (the units' own work; see tracker/services/checklists.py). A row whose
    item was changed after the export (its version column) is a conflict: listed on a dry run, and
    on import kept (KEEP) or overwritten (OVERWRITE) only as `on_conflict` says. An item changed
    after the preview (`seen_versions`, the preview's `versions`) always stops the import.

    Raises:
        PermissionDenied: not the office. NotFound: no such plan.
        ImportFailed: any problem in the file (nothing written).
    """
    require(actor, Action.MANAGE_ITEMS, session=session)
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Không tìm thấy kế hoạch số {plan_id}.")
    # The session's identity map holds objects weakly: keep the catalog referenced for the whole
    # import, or every row's checks would query each unit, form and task again (25,000 queries
    # for 5,000 rows).
    catalog = [*session.scalars(select(Unit)), *session.scalars(select(Form)), *session.scalars(select(Channel)),
               *plan.tasks]
    if rows is None:
        rows = parse_workbook(session, plan=plan, data=data or b"", mapping=mapping, recurrence=recurrence)
    existing = {i.source_key: i for i in session.scalars(
        select(WorkItem).where(WorkItem.plan_id == plan.id, WorkItem.source_key.in_([r.key for r in rows])))}
    result = ImportResult(plan_code=plan.code, rows=rows, dry_run=dry_run)
    have = {i: {text for text, _ in steps} for i, steps in
            checklists.of_items(session, sorted(i.id for i in existing.values())).items()}
    fresh, fresh_rows, with_steps = [], [], []
    fresh_staff, staffed = [], []
    for row in rows:
        item = existing.get(row.key)
        if item is None:
            if dry_run:
                result.would[row.slot] = "mới"
            else:
                fresh.append((row.data, f"Nhập từ tệp Excel (dòng {row.row})."))
                fresh_rows.append(row)
                fresh_staff.append(row.staff_ids)
            continue
        if row.staff_ids:
            staffed.append((item, row.staff_ids))
        new_steps = [s for s in row.steps if s[0] not in have.get(item.id, set())]  # never removed nor re-ticked
        wanted = replace(row.data, description=item.description, recurring=item.recurring)
        if _same(wanted, items.item_input(item)):
            if new_steps:
                result.would[row.slot] = "cập nhật"
                with_steps.append((item.id, row, new_steps))
                continue
            result.would[row.slot] = "giữ nguyên"
            result.unchanged.append(item.id)
            continue
        conflict = _conflict(session, row, item, seen_versions)
        if conflict:
            result.conflicts.append(conflict)
            result.would[row.slot] = "xung đột"
            if dry_run or conflict.after_preview or on_conflict not in (KEEP, OVERWRITE):
                continue
            if on_conflict == KEEP:
                result.skipped.append(item.id)
                continue
        if dry_run:
            result.would[row.slot] = "cập nhật"
        else:
            items.update_item(session, actor=actor, item_id=item.id, expected_version=item.version, data=wanted)
            result.updated.append(item.id)
        if new_steps:
            with_steps.append((item.id, None, new_steps))
    result.versions = {item.id: item.version for item in existing.values()}
    unresolved = [c for c in result.conflicts if c.after_preview or on_conflict not in (KEEP, OVERWRITE)]
    if unresolved and not dry_run:
        raise ImportConflict(unresolved)  # the caller's transaction rolls back the updates made so far
    if dry_run:
        return result
    today = clock.today()
    for item_id, row, new_steps in with_steps:
        _add_steps(session, actor, item_id, new_steps, today)
        if row is not None:
            result.updated.append(item_id)
    if fresh:  # one batch of INSERTs, not a round trip per row
        created = items.create_items(session, actor=actor, plan_id=plan.id, entries=fresh)
        result.created = [i.id for i in created]
        for item, row in zip(created, fresh_rows):
            if row.steps:
                _add_steps(session, actor, item.id, list(row.steps), today)
        staffed += [(item, ids) for item, ids in zip(created, fresh_staff) if ids]
    if staffed and not dry_run:
        _assign(session, actor, staffed)
    return result


def _add_steps(session: Session, actor: Actor, item_id: int, steps: list[tuple[str, bool]], today: dt.date) -> None:
    checklists.add_steps(session, actor=actor, item_id=item_id, steps=steps, today=today,
                         note=f"Thêm {len(steps)} bước từ tệp Excel.")


def _assign(session: Session, actor: Actor, staffed: list[tuple[WorkItem, tuple[int, ...]]]) -> None:
    """The "Cán bộ phụ trách" column applied: each item's staff set as the row names them (history, notices)."""
    users = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_({i for _, ids in staffed for i in ids})))}
    for item, ids in staffed:
        apply_staff(session, item=item, users=[users[i] for i in ids], actor_id=actor.user_id,
                    actor_name=actor.display_name)


def export_items(session: Session, *, actor: Actor, filters: ItemFilter) -> bytes:
    """The filtered list in the template layout: every unit's items, as the list shows them (reading is open)."""
    plan = session.get(Plan, filters.plan_id) if filters.plan_id else None
    if plan is None:
        raise ValidationFailed("Hãy chọn kế hoạch để xuất danh sách công việc.")
    rows = lists.list_items(session, actor=actor, filters=replace(filters, include_deleted=False))
    steps = checklists.of_items(session, [r.id for r in rows])
    return build_workbook(session, plan=plan, rows=rows,
                          steps={i: checklists.as_lines(s) for i, s in steps.items()})


def template(session: Session, *, plan_id: int) -> bytes:
    """The blank template of a plan, with its drop-down lists."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Không tìm thấy kế hoạch số {plan_id}.")
    return build_workbook(session, plan=plan)

