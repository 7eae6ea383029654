"""Read a plan's Decision (Quyết định) as the office receives it: a .docx or its pasted text.

What is read, and by which rule (the office sees every result in a preview and corrects it before
anything is saved; nothing here writes):

- **Number**: "Số: 184/QĐ-BNV" in the heading, else the first "Quyết định số 184/QĐ-BNV".
- **Date**: the heading's "…, ngày 18 tháng 3 năm 2024" (or "ngày 18/3/2024"), the first one in the text.
- **Issuer**: the capitalised line naming the signer's authority after "QUYẾT ĐỊNH" ("BỘ TRƯỞNG BỘ NỘI VỤ"
  becomes "Bộ trưởng Bộ Nội vụ").
- **Title**: what Điều 1 issues ("Ban hành kèm theo Quyết định này Kế hoạch …"), else the line after
  "QUYẾT ĐỊNH" that starts with "Ban hành"/"Về việc"; the **year** is the title's "năm 2024", else the date's.
- **Tasks**: every paragraph starting with a number marker — "(1)", "1.", "1)", "a)", "(i)" — forms runs of
  one marker style with rising numbers (a Roman heading "I.", "II." or a restart at 1 ends a run; markers
  inside one paragraph, as "(i) …; (ii) …", are split). The run chosen is the one under a heading that names
  "nhiệm vụ" (tasks), else the longest. A paragraph without a marker continues the task above it.
- **Gaps**: numbers missing inside the run, and up to a count the text states ("16 nhiệm vụ trọng tâm"),
  become slots with no text: the published text lacks them, and the catalog never invents one.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from tracker.text import fold, nfc

_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


def roman_value(text: str) -> int | None:
    """The value of a Roman numeral ("iv" → 4), or None when it is not one."""
    text = text.lower()
    if not text or any(ch not in _ROMAN for ch in text):
        return None
    total = 0
    for i, ch in enumerate(text):
        v = _ROMAN[ch]
        total += -v if i + 1 < len(text) and _ROMAN[text[i + 1]] > v else v
    return total


def roman(n: int) -> str:
    """n as an upper-case Roman numeral."""
    out = []
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                       (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


@dataclass
class DraftTask:
    number: int
    label: str
    text: str | None  # None: a slot the published text lacks
    group: str | None = None  # the Roman heading the task sits under, when the plan groups its tasks


@dataclass
class DecisionDraft:
    decision_no: str | None = None
    issued_on: dt.date | None = None
    issuer: str | None = None
    title: str | None = None
    year: int | None = None
    numbering: str = "arabic"  # "roman" when the tasks are numbered (i), (ii)…
    tasks: list[DraftTask] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the reader guessed or could not find, in Vietnamese

    @property
    def missing(self) -> list[int]:
        return [t.number for t in self.tasks if t.text is None]


# --- text of a .docx ----------------------------------------------------------------------------

def docx_paragraphs(data: bytes) -> list[str]:
    """The document's paragraphs in reading order, table cells included (the heading is often a table)."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    doc = Document(io.BytesIO(data))
    out: list[str] = []

    def walk(container) -> None:
        for child in container.iter_inner_content():
            if isinstance(child, Paragraph):
                out.append(child.text)
            elif isinstance(child, Table):
                for row in child.rows:
                    seen = set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:  # a merged cell repeats
                            continue
                        seen.add(id(cell._tc))
                        walk(cell)

    walk(doc)
    return out


def paragraphs(text: str) -> list[str]:
    """Pasted text: one paragraph per line, blank lines dropped."""
    return [line for line in (nfc(x) for x in text.splitlines()) if line]


# --- the heading ----------------------------------------------------------------------------------

_NUMBER = re.compile(r"\bSố\s*:\s*([0-9]+\s*/\s*[0-9A-ZĐ]+(?:\s*-\s*[0-9A-ZĐ]+)*)", re.I)
_NUMBER_INLINE = re.compile(r"Quyết định số\s+([0-9]+\s*/\s*[0-9A-ZĐ]+(?:-[0-9A-ZĐ]+)*)", re.I)
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.I)
_DATE_SLASH = re.compile(r"ngày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})", re.I)
_AUTHORITY = ("BỘ TRƯỞNG", "THỨ TRƯỞNG", "CHỦ TỊCH", "GIÁM ĐỐC", "CHÁNH VĂN PHÒNG", "TỔNG CỤC TRƯỞNG", "CỤC TRƯỞNG",
              "VỤ TRƯỞNG", "THỦ TƯỚNG", "TRƯỞNG BAN")
_TITLE_ISSUED = re.compile(r"Ban hành kèm theo Quyết định này\s+(Kế hoạch.+?)(?:\.\s*$|;|$)", re.I)
_YEAR = re.compile(r"năm\s+(\d{4})")
_COUNT = re.compile(r"(\d{1,3})\s+(?:nhóm\s+)?nhiệm vụ(?:\s+trọng tâm)?", re.I)


_AGENCY_WORDS = {"bộ", "sở", "ủy", "ubnd", "văn"}


def _proper(caps: str) -> str:
    """'BỘ TRƯỞNG BỘ NỘI VỤ' → 'Bộ trưởng Bộ Nội vụ': sentence case; an agency word after the position ("Bộ",
    "Sở", "Ủy ban") and the word after it (the start of the agency's name) capitalised."""
    words = caps.lower().split()
    out = []
    for i, w in enumerate(words):
        if i == 0 or (i >= 2 and words[i - 1] in _AGENCY_WORDS - {"ủy"}) or (i >= 2 and w in _AGENCY_WORDS):
            w = w[:1].upper() + w[1:]
        out.append(w)
    return " ".join(out)


def _date(match) -> dt.date | None:
    try:
        return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None


def _heading(lines: list[str], draft: DecisionDraft) -> None:
    joined = "\n".join(lines)
    m = _NUMBER.search(joined) or _NUMBER_INLINE.search(joined)
    if m:
        draft.decision_no = re.sub(r"\s+", "", m.group(1))
    else:
        draft.notes.append("Không thấy số Quyết định (dòng “Số: …”).")
    for rx in (_DATE_WORDS, _DATE_SLASH):
        m = rx.search(joined)
        if m and (day := _date(m)):
            draft.issued_on = day
            break
    else:
        draft.notes.append("Không thấy ngày ban hành (“…, ngày … tháng … năm …”).")
    start = next((i for i, line in enumerate(lines) if fold(line) == "quyet dinh"), 0)
    for line in lines[start:start + 8]:
        if line.isupper() and line.startswith(_AUTHORITY):
            draft.issuer = _proper(line)
            break
    for line in lines:
        m = _TITLE_ISSUED.search(line)
        if m:
            draft.title = m.group(1).strip().rstrip(".")
            break
    else:
        for line in lines[start + 1:start + 5]:
            folded = fold(line)
            if folded.startswith(("ban hanh ke hoach", "ve viec ban hanh ke hoach")):
                draft.title = re.sub(r"^(về việc\s+)?ban hành\s+", "", line, flags=re.I).strip().rstrip(".")
                draft.title = draft.title[:1].upper() + draft.title[1:]
                break
    if draft.title is None:
        draft.notes.append("Không thấy tên kế hoạch (Điều 1 “Ban hành kèm theo Quyết định này Kế hoạch …”).")
    m = _YEAR.search(draft.title or "")
    draft.year = int(m.group(1)) if m else (draft.issued_on.year if draft.issued_on else None)


# --- the tasks ------------------------------------------------------------------------------------

_MARKERS = (  # style, pattern of a marker at the start of a paragraph
    ("paren", re.compile(r"^\((\d{1,3})\)\s*")),
    ("paren_roman", re.compile(r"^\(([ivxlc]{1,6})\)\s*")),
    ("dot", re.compile(r"^(\d{1,3})\.(?!\d)\s*")),
    ("close", re.compile(r"^(\d{1,3})\)\s*")),
    ("letter", re.compile(r"^([a-zđ])\)\s*")),
)
_ROMAN_HEADING = re.compile(r"^([IVXLC]{1,6})\.\s+(\S.*)$")
_INLINE = {"paren": re.compile(r"(?:^|(?<=[\s;:.]))\((\d{1,3})\)\s+"),
           "paren_roman": re.compile(r"(?:^|(?<=[\s;:.]))\(([ivxlc]{1,6})\)\s+")}
_LETTERS = "abcdđeghiklmnopqrstuvxy"  # Vietnamese alphabet order used in documents (no f, j, w, z)


def _marker(line: str) -> tuple[str, int, str] | None:
    """(style, number, the text after the marker) when the paragraph starts with one."""
    if re.match(r"^Điều\s+\d", line):
        return None
    for style, rx in _MARKERS:
        m = rx.match(line)
        if not m:
            continue
        raw = m.group(1)
        if style == "paren_roman":
            number = roman_value(raw)
        elif style == "letter":
            number = _LETTERS.index(raw) + 1 if raw in _LETTERS else None
        else:
            number = int(raw)
        if number:
            return style, number, line[m.end():].strip()
    return None


def _split_inline(line: str) -> list[str]:
    """'(i) A; (ii) B; (iii) C.' → three paragraphs, when the markers inside run 1, 2, 3…"""
    for style, rx in _INLINE.items():
        found = list(rx.finditer(line))
        if len(found) < 2:
            continue
        values = [roman_value(m.group(1)) if style == "paren_roman" else int(m.group(1)) for m in found]
        if values != list(range(values[0], values[0] + len(values))):
            continue
        head = line[:found[0].start()].strip()
        parts = [head] if head else []
        for m, nxt in zip(found, [*found[1:], None]):
            parts.append(line[m.start():nxt.start() if nxt else len(line)].strip().rstrip(";").strip())
        return parts
    return [line]


@dataclass
class _Run:
    style: str
    heading: str  # the nearest heading (or lead-in sentence) above the run's first task
    items: list[list]  # [number, text, group]


def _is_part(line: str) -> bool:
    """A line that starts a new part of the document: all capitals, or an article ("Điều 2.")."""
    return line.isupper() or bool(re.match(r"^Điều\s+\d", line))


def _runs(lines: list[str]) -> list[_Run]:
    runs: list[_Run] = []
    open_runs: dict[str, _Run] = {}
    heading = ""
    group: str | None = None
    last: list | None = None  # the task a continuation paragraph belongs to
    for raw in lines:
        for line in _split_inline(raw):
            rh = _ROMAN_HEADING.match(line)
            if rh and rh.group(1).isupper() and roman_value(rh.group(1)):
                heading, group, last = line, line, None
                for style in [s for s in open_runs if s not in ("paren", "paren_roman")]:
                    open_runs.pop(style)  # "1." lists restart under each heading; "(1)" often runs across them
                continue
            mk = _marker(line)
            if mk is None:
                if _is_part(line):
                    heading, last = line, None
                    open_runs.clear()
                elif last is not None and (line[:1].islower() or line[:1] in "-–+•*"):
                    last[1] = f"{last[1]} {line}"  # a task's own sub-points
                else:
                    heading, last = line, None  # a lead-in ("… có 16 nhiệm vụ trọng tâm là:") or other prose
                continue
            style, number, text = mk
            run = open_runs.get(style)
            if run is None or number <= run.items[-1][0]:
                run = _Run(style=style, heading=heading, items=[])
                runs.append(run)
                open_runs[style] = run
            for deeper in [s for s in open_runs if _depth(s) > _depth(style)]:
                open_runs.pop(deeper)  # a list under the previous task has ended
            last = [number, text, group]
            run.items.append(last)
    return runs


def _depth(style: str) -> int:
    return {"dot": 0, "paren": 1, "paren_roman": 1, "close": 2, "letter": 3}[style]


def _choose(runs: list[_Run]) -> _Run | None:
    def score(run: _Run) -> tuple:
        named = "nhiem vu" in fold(run.heading)
        return (named and len(run.items) >= 2, len(run.items), named)

    runs = [r for r in runs if len(r.items) >= 2 or "nhiem vu" in fold(r.heading)]
    return max(runs, key=score) if runs else None


def parse(lines: list[str]) -> DecisionDraft:
    """A plan's draft from the Decision's paragraphs (see the module's rules)."""
    lines = [nfc(x) for x in lines if nfc(x)]
    draft = DecisionDraft()
    _heading(lines, draft)
    run = _choose(_runs(lines))
    if run is None:
        draft.notes.append("Không tìm thấy danh sách nhiệm vụ đánh số ((1), 1., 1), a), (i)…).")
        return draft
    stated = None
    for line in lines:
        m = _COUNT.search(line)
        if m and "nhiem vu" in fold(line) and 1 < int(m.group(1)) <= 200:
            stated = int(m.group(1))
            break
    draft.numbering = "roman" if run.style == "paren_roman" else "arabic"
    found = {n: (text, group) for n, text, group in run.items}
    top = max(max(found), stated or 0) if stated and stated >= max(found) else max(found)
    for n in range(1, top + 1):
        text, group = found.get(n, (None, None))
        label = roman(n).lower() if draft.numbering == "roman" else str(n)
        draft.tasks.append(DraftTask(number=n, label=label, text=text or None, group=group))
    if draft.missing:
        labels = ", ".join(f"({t.label})" for t in draft.tasks if t.text is None)
        draft.notes.append(f"Văn bản không có nội dung nhiệm vụ {labels}: để trống, đánh dấu “chưa có nội dung”.")
    if stated and stated != len(draft.tasks):
        draft.notes.append(f"Văn bản nêu {stated} nhiệm vụ nhưng đọc được {len(draft.tasks)}.")
    return draft


def read(data: bytes | None = None, *, text: str | None = None) -> DecisionDraft:
    """A draft from a .docx's bytes or from pasted text."""
    if data is not None:
        return parse(docx_paragraphs(data))
    return parse(paragraphs(text or ""))
