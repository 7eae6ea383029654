"""Deadlines as offices write them ("Quý III/2024", "Trước 30/9", "Thường xuyên") read as due dates.

Each reading carries the rule it applied, in Vietnamese, so the import preview can show it: the
office sees "Quý III/2024 → 30/09/2024 (ngày cuối quý)", never a date made up in silence.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

from tracker.text import fold, format_date

# How a "Thường xuyên" item is split over the plan's year.
MONTH, QUARTER, YEAR = "month", "quarter", "year"
RECURRENCE_LABELS = {
    MONTH: "Mỗi tháng một công việc (12 công việc, hạn ngày cuối tháng)",
    QUARTER: "Mỗi quý một công việc (4 công việc, hạn ngày cuối quý)",
    YEAR: "Một công việc cả năm, đánh dấu thường xuyên (hạn 31/12)",
}
ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}

_YEAR = r"(?:\s*(?:/|-|nam)?\s*(\d{4}))?"
_QUARTER = re.compile(r"^(?:trong |truoc |cuoi |het )?quy\s+([1-4]|iv|iii|ii|i)" + _YEAR + r"$")
_MONTH = re.compile(r"^(?:trong |truoc |cuoi |het )?thang\s+(\d{1,2})" + _YEAR + r"$")
_BEFORE = re.compile(r"^(?:truoc|chay truoc|han|den|cham nhat|truoc ngay|den ngay|cham nhat ngay|ngay)\s*(?:ngay\s*)?"
                     r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})$")
_HALF = re.compile(r"^(6|sau|9|chin) thang(?: (dau|cuoi))?(?: nam)?" + _YEAR + r"$")
_WHOLE_YEAR = re.compile(r"^(?:ca nam|trong nam|nam|hang nam|het nam)" + _YEAR + r"$")
_RECURRING = re.compile(r"^(?:thuong xuyen|hang thang|hang quy|dinh ky|thuong xuyen,? lien tuc|lien tuc)"
                        r"(?:\s*(?:trong )?(?:nam|ca nam))?" + _YEAR + r"$")


@dataclass(frozen=True)
class Deadline:
    """A deadline phrase read: the due date, or recurring over the year; `rule` says how (None: a plain date)."""

    due: dt.date | None
    rule: str | None = None
    recurring: bool = False


def _clean(text: str) -> str:
    return re.sub(r"[\s,;:]+", " ", fold(text)).strip(" .")


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _year(found: str | None, plan_year: int) -> tuple[int, str]:
    """The year written, or the plan's year with a note saying so."""
    return (int(found), "") if found else (plan_year, f", năm của kế hoạch {plan_year}")


@functools.lru_cache(maxsize=4096)  # a sheet repeats its few phrasings over thousands of rows
def read_deadline(text: str, plan_year: int) -> Deadline | None:
    """The due date a phrase means (None: not a phrase this reads).

    >>> read_deadline("Quý III/2024", 2024).due
    datetime.date(2024, 9, 30)
    """
    key = _clean(text)
    if m := _QUARTER.match(key):
        q = int(m.group(1)) if m.group(1).isdigit() else ROMAN_QUARTERS[m.group(1)]
        year, note = _year(m.group(2), plan_year)
        due = _last_day(year, q * 3)
        return Deadline(due, f"“{text}” → {format_date(due)} (ngày cuối quý{note})")
    if m := _MONTH.match(key):
        month = int(m.group(1))
        if 1 <= month <= 12:
            year, note = _year(m.group(2), plan_year)
            due = _last_day(year, month)
            return Deadline(due, f"“{text}” → {format_date(due)} (ngày cuối tháng{note})")
    if (m := _BEFORE.match(key)) or (m := _DAY_MONTH.match(key)):
        year, note = _year(m.group(3) if m.re is _BEFORE else None, plan_year)
        try:
            due = dt.date(year, int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
        return Deadline(due, f"“{text}” → {format_date(due)} (hạn là ngày ghi{note})")
    if m := _HALF.match(key):
        months = 6 if m.group(1) in ("6", "sau") else 9
        year, note = _year(m.group(3), plan_year)
        due = _last_day(year, 12) if m.group(2) == "cuoi" else _last_day(year, months)
        label = "ngày cuối năm" if m.group(2) == "cuoi" else f"ngày cuối tháng {months}"
        return Deadline(due, f"“{text}” → {format_date(due)} ({label}{note})")
    if m := _RECURRING.match(key):
        year, _ = _year(m.group(1), plan_year)
        return Deadline(_last_day(year, 12), f"“{text}” → công việc thường xuyên trong năm {year}", recurring=True)
    if m := _WHOLE_YEAR.match(key):
        year, note = _year(m.group(1), plan_year)
        due = _last_day(year, 12)
        return Deadline(due, f"“{text}” → {format_date(due)} (ngày cuối năm{note})")
    return None


@dataclass(frozen=True)
class Occurrence:
    """One item of a recurring row: its title suffix, start and due date."""

    suffix: str
    start: dt.date
    due: dt.date


def occurrences(year: int, recurrence: str) -> list[Occurrence]:
    """The items a "Thường xuyên" row becomes in the plan's year, as the office chose."""
    if recurrence == MONTH:
        return [Occurrence(f" (tháng {m}/{year})", dt.date(year, m, 1), _last_day(year, m)) for m in range(1, 13)]
    if recurrence == QUARTER:
        names = ("I", "II", "III", "IV")
        return [Occurrence(f" (quý {names[q]}/{year})", dt.date(year, 3 * q + 1, 1), _last_day(year, 3 * q + 3))
                for q in range(4)]
    return [Occurrence("", dt.date(year, 1, 1), dt.date(year, 12, 31))]

