"""A spreadsheet in the office's own layout: where its header row is and which column holds which field.

The header row is found under any title lines; each header is matched to one of our fields by its
words (case and accents ignored: "Cơ quan chủ trì" → lead unit), an ambiguous one ("Sản phẩm") by
its values. Cells merged down are filled down, hidden columns are left out of the proposal, blank
lines are skipped. The office can override any column (`--map`, or the page's selectboxes).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from io import BytesIO

from openpyxl.utils.cell import range_boundaries

from tracker.text import fold

IGNORE = "ignore"
# Our fields: key -> the label the page and the CLI show.
FIELD_LABELS = {
    "task": "Nhiệm vụ trọng tâm", "title": "Nội dung công việc", "lead": "Đơn vị chủ trì",
    "coord": "Đơn vị phối hợp", "form": "Hình thức", "channel": "Kênh/Sản phẩm", "start": "Ngày bắt đầu",
    "due": "Hạn hoàn thành", "target": "Chỉ tiêu", "budget": "Kinh phí (đồng)", "note": "Ghi chú", "stt": "STT",
    "steps": "Các bước",
    "item_id": "Mã công việc (không sửa)", "version": "Phiên bản (không sửa)", IGNORE: "(bỏ qua)",
}
# Names accepted by --map: the field keys and the item's attribute names.
MAP_NAMES = {k: k for k in FIELD_LABELS} | {
    "priority_task": "task", "lead_unit": "lead", "coordinating_units": "coord", "due_date": "due",
    "start_date": "start", "budget_planned": "budget", "target_qty": "target", "skip": IGNORE,
}
# Header words -> field, tried in order (the first rule whose words all appear wins).
_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("item_id", ("ma cong viec",)), ("version", ("phien ban",)), ("steps", ("cac buoc",)),
    ("coord", ("phoi hop",)), ("lead", ("chu tri",)), ("lead", ("don vi thuc hien",)),
    ("lead", ("co quan thuc hien",)), ("lead", ("don vi",)), ("lead", ("co quan",)),
    ("start", ("bat dau",)), ("start", ("tu ngay",)),
    ("due", ("thoi gian",)), ("due", ("thoi han",)), ("due", ("han",)), ("due", ("hoan thanh",)),
    ("due", ("tien do",)), ("due", ("ket thuc",)),
    ("budget", ("kinh phi",)), ("budget", ("du toan",)), ("form", ("hinh thuc",)),
    ("channel", ("kenh",)), ("target", ("chi tieu",)), ("target", ("so luong",)), ("note", ("ghi chu",)),
    ("task", ("nhiem vu trong tam",)), ("task", ("nhom nhiem vu",)), ("task", ("so nhiem vu",)),
    ("title", ("noi dung",)), ("title", ("ten cong viec",)), ("title", ("cong viec",)), ("title", ("hoat dong",)),
    ("title", ("nhiem vu",)), ("product", ("san pham",)), ("stt", ("stt",)), ("stt", ("tt",)),
    ("stt", ("so thu tu",)),
]
_NUMBERISH = re.compile(r"^\s*\d")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+:[A-Z]+\d+)"')
_COL = re.compile(rb"<(?:\w+:)?col\s([^>]*)/?>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')


def words(text: str) -> str:
    return " " + " ".join(re.sub(r"[^0-9a-z]+", " ", fold(text)).split()) + " "


def classify(header: str) -> str | None:
    """The field a header's words name ("product" for "Sản phẩm": decided by the values), or None."""
    text = words(header)
    if text.strip() == "":
        return None
    for name, needles in _RULES:
        if all(f" {n} " in text for n in needles):
            return name
    return None


@dataclass
class Layout:
    """Where the data is and which column is which field (column index -> field key)."""

    sheet: str
    header_row: int
    headers: list[str]
    columns: dict[int, str]
    hidden: frozenset[int] = frozenset()
    template: bool = False
    guesses: dict[int, str] = field(default_factory=dict)  # column -> why it was given its field
    remembered: bool = False  # the office's mapping for this layout, kept from an earlier import

    @property
    def fields(self) -> dict[str, int]:
        """Field key -> column index (the first column given a field wins)."""
        out: dict[str, int] = {}
        for col, key in sorted(self.columns.items()):
            if key != IGNORE:
                out.setdefault(key, col)
        return out

    @property
    def signature(self) -> str:
        """Files with the same headers in the same places share a signature (and a remembered mapping)."""
        folded = "|".join(" ".join(fold(h).split()) for h in self.headers)
        return hashlib.sha256(folded.encode()).hexdigest()[:24]

    def mapping(self) -> dict[str, str]:
        """Header text -> field key, for every column with a header."""
        return {self.headers[c]: self.columns.get(c, IGNORE) for c in range(len(self.headers)) if self.headers[c]}

    def describe(self) -> list[str]:
        """One line per headed column: “header” → our field (and why, when guessed from the values)."""
        lines = []
        for c, header in enumerate(self.headers):
            if not header:
                continue
            key = self.columns.get(c, IGNORE)
            why = f" ({self.guesses[c]})" if c in self.guesses else ""
            hidden = " [cột ẩn]" if c in self.hidden else ""
            lines.append(f"“{header}”{hidden} → {FIELD_LABELS[key]} ({key}){why}")
        return lines

    def with_mapping(self, mapping: dict[str, str]) -> Layout:
        """The layout with the office's choices (header text -> field) over the proposal.

        Raises:
            KeyError: a header not in the file, or a field name not known (the message names it).
        """
        by_header = {" ".join(fold(h).split()): c for c, h in enumerate(self.headers) if h}
        columns = dict(self.columns)
        for header, name in mapping.items():
            col = by_header.get(" ".join(fold(header).split()))
            if col is None:
                raise KeyError(f"Không có cột “{header}” trong dòng tiêu đề (dòng {self.header_row}).")
            key = MAP_NAMES.get(fold(name).strip().replace(" ", "_"))
            if key is None:
                raise KeyError(f"Không biết trường “{name}” (dùng: {', '.join(sorted(MAP_NAMES))}).")
            columns[col] = key
        return replace(self, columns=columns, guesses={c: g for c, g in self.guesses.items() if c not in
                                                       {by_header[" ".join(fold(h).split())] for h in mapping}})


def parse_map(text: str) -> dict[str, str]:
    """'Nội dung nhiệm vụ=title, Cơ quan chủ trì=lead_unit' -> {header: field}.

    Raises:
        KeyError: a part without '='.
    """
    out = {}
    for part in re.split(r"[,;]\s*(?=[^,;=]+=)", text.strip()):
        if not part.strip():
            continue
        if "=" not in part:
            raise KeyError(f"“{part}” thiếu dấu “=” (ghi: Tên cột=trường).")
        header, name = part.rsplit("=", 1)
        out[header.strip()] = name.strip()
    return out


def propose(ws_title: str, header_row: int, values: tuple, hidden: frozenset[int], template: bool,
            name: Callable[[str], str | None] = classify) -> Layout:
    """The mapping the header words suggest (hidden columns left out unless this is our template)."""
    headers = ["" if v is None else " ".join(str(v).split()) for v in values]
    columns: dict[int, str] = {}
    for c, header in enumerate(headers):
        key = name(header) if header else None
        if key is None or (c in hidden and not template):
            continue
        if key != "product" and key in columns.values() and key not in ("stt",):
            continue  # a second "Đơn vị ..." column is not a second lead unit
        columns[c] = key
    return Layout(ws_title, header_row, headers, columns, hidden, template)


def settle_products(layout: Layout, rows: list[tuple[int, tuple]], is_form: Callable[[str], bool]) -> Layout:
    """A "Sản phẩm" column becomes the target (its values start with a number), the form (they name
    forms) or the channel (free text), judged on the values, and the reason is kept for the preview."""
    columns, guesses = dict(layout.columns), dict(layout.guesses)
    taken = set(columns.values())
    for col, key in layout.columns.items():
        if key != "product":
            continue
        values = [str(v).strip() for _, vals in rows[:200] if col < len(vals) and (v := vals[col]) is not None
                  and str(v).strip()]
        n = max(len(values), 1)
        if "target" not in taken and sum(bool(_NUMBERISH.match(v)) for v in values) * 2 >= n and values:
            columns[col], why = "target", "giá trị bắt đầu bằng số"
        elif "form" not in taken and sum(is_form(v) for v in values) * 2 >= n and values:
            columns[col], why = "form", "giá trị là hình thức trong danh mục"
        elif "channel" not in taken:
            columns[col], why = "channel", "giá trị không phải số lượng hay hình thức"
        else:
            columns[col], why = IGNORE, "đã có cột chỉ tiêu, hình thức và kênh"
        taken.add(columns[col])
        guesses[col] = f"đoán theo giá trị: {why}"
    return replace(layout, columns=columns, guesses=guesses)


@dataclass(frozen=True)
class SheetShape:
    """What the sheet's XML says beyond the values: merged ranges and hidden columns (0-based)."""

    merged: list[tuple[int, int, int, int]]  # min_col, min_row, max_col, max_row (1-based, as openpyxl)
    hidden: frozenset[int]


def sheet_shape(data: bytes, part: str | None) -> SheetShape:
    """Merged ranges and hidden columns read straight from the sheet's XML part (the read-only reader
    does not give them; the archive was checked by xlsx_guard before)."""
    if not part:
        return SheetShape([], frozenset())
    with zipfile.ZipFile(BytesIO(data)) as zf:
        xml = zf.read(part.lstrip("/"))
    merged = [range_boundaries(m.decode()) for m in _MERGE.findall(xml)]
    hidden: set[int] = set()
    for attrs in _COL.findall(xml):
        a = {k.decode(): v.decode() for k, v in _ATTR.findall(attrs)}
        if a.get("hidden") in ("1", "true") and a.get("min", "").isdigit() and a.get("max", "").isdigit():
            hidden.update(range(int(a["min"]) - 1, min(int(a["max"]), 200)))
    return SheetShape(merged, frozenset(hidden))


class FillDown:
    """Gives each cell inside a range merged over several rows the value of the range's top cell."""

    def __init__(self, merged: list[tuple[int, int, int, int]]):
        self.starts: dict[tuple[int, int], tuple[int, int]] = {}  # (top row, col) -> (last row, col)
        for min_col, min_row, _max_col, max_row in merged:
            if max_row > min_row:
                self.starts[(min_row, min_col - 1)] = (max_row, min_col - 1)
        self.open: dict[int, tuple[int, object]] = {}  # col -> (last row, value)

    def __call__(self, r: int, values: tuple) -> tuple:
        if not self.starts:
            return values
        out = list(values)
        for col, (last, value) in list(self.open.items()):
            if r > last:
                del self.open[col]
            elif col < len(out) and out[col] is None:
                out[col] = value
        for c in range(len(out)):
            if (r, c) in self.starts:
                self.open[c] = (self.starts[(r, c)][0], out[c])
        return tuple(out)



_GROUP_TASK = re.compile(r"^(?:nhom nhiem vu|nhiem vu|nhom|nv)\s*(?:so\s*)?\(?\s*([0-9]+|[ivxl]+)\s*\)?\s*(?:[:.)\-]|$)")
_GROUP_PAREN = re.compile(r"^\(\s*([0-9]+|[ivxl]+)\s*\)")
_GROUP_NUMBER = re.compile(r"^([0-9]+)\s*[.)]\s*\S")
_SECTION = re.compile(r"^([ivxl]+)\s*[.)/]")
_ROMAN = re.compile(r"^[ivxl]+$")


@dataclass(frozen=True)
class Group:
    """A group row: its text, and the task label it names ("9", "iii") or None for a section heading."""

    text: str
    label: str | None
    roman_heading: bool = False


def group_row(values: tuple, fields: dict[str, int]) -> Group | None:
    """The row is a heading over the rows below ("I. NHIỆM VỤ TRỌNG TÂM", "Nhiệm vụ 1: …"), or None.

    A heading has no unit, form or deadline, one text (merged across), and reads as a numbered
    task, a Roman section or an upper-case line: anything else stays a data row (its errors shown).
    """
    for key in ("lead", "coord", "form", "due"):
        col = fields.get(key)
        if col is not None and col < len(values) and values[col] not in (None, ""):
            return None
    stt_col = fields.get("stt")
    texts = {" ".join(str(v).split()) for c, v in enumerate(values)
             if c != stt_col and v is not None and str(v).strip()}
    if len(texts) != 1:
        return None
    text = texts.pop()
    key = fold(text)
    stt = fold(str(values[stt_col])).strip(" .") if stt_col is not None and stt_col < len(values) and \
        values[stt_col] is not None else ""
    for pattern in (_GROUP_TASK, _GROUP_PAREN, _GROUP_NUMBER):
        if m := pattern.match(key):
            return Group(text, m.group(1))
    if m := _SECTION.match(key):
        return Group(text, m.group(1), roman_heading=True)
    if _ROMAN.match(stt):
        return Group(text, stt, roman_heading=True)
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) > 3 and all(ch.isupper() for ch in letters):
        return Group(text, None)
    return None
