"""Reporting periods of Nghị định 09/2019/NĐ-CP: month, quarter, 6 months, 9 months, year, with their data
cut-off, as presets for reports, reporting rounds and Tổng quan.

Two rules, chosen once by the office (setting "reporting.cutoff_rule"):

- "nd09": the cut-off of periodic reports in Article 12 of the decree, as ministries apply it — from the
  15th of the month before the period to the 14th of the period's last month (a month: 15/(m-1) to 14/m;
  a quarter: 15th of the month before it to the 14th of its third month; 6 months: 15/12 of the year before
  to 14/06; 9 months: to 14/09; the year: 15/12 of the year before to 14/12);
- "calendar": the calendar period (01/01–30/06 for 6 months...).

A period's reports are due a number of days after its end (setting "reporting.send_within_days", 5 by
default): a round opened from a preset gets that deadline.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from dataclasses import dataclass

from tracker.text import format_date


class Rule(str, enum.Enum):
    ND09 = "nd09"
    CALENDAR = "calendar"


RULE_LABELS = {
    Rule.ND09: "Theo Nghị định 09/2019/NĐ-CP: từ ngày 15 tháng trước kỳ đến ngày 14 tháng cuối kỳ",
    Rule.CALENDAR: "Theo tháng, quý, năm dương lịch (ngày đầu đến ngày cuối kỳ)",
}
DEFAULT_RULE = Rule.ND09
DEFAULT_SEND_WITHIN_DAYS = 5
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class Kind(str, enum.Enum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "6m"
    NINE_MONTHS = "9m"
    YEAR = "year"


@dataclass(frozen=True)
class Period:
    kind: Kind
    year: int
    number: int  # the month (1–12) or quarter (1–4); 0 for 6 months, 9 months and the year
    start: dt.date
    end: dt.date  # the cut-off: figures are taken at the end of this day
    rule: Rule

    @property
    def code(self) -> str:
        """An address-safe name: 'month-3', 'quarter-2', '6m', '9m', 'year'."""
        return f"{self.kind.value}-{self.number}" if self.number else self.kind.value

    @property
    def name(self) -> str:
        """'Báo cáo 6 tháng năm 2024', 'Báo cáo quý II năm 2024', 'Báo cáo tháng 3 năm 2024'."""
        what = {Kind.MONTH: f"tháng {self.number}", Kind.QUARTER: f"quý {ROMAN.get(self.number, self.number)}",
                Kind.HALF_YEAR: "6 tháng", Kind.NINE_MONTHS: "9 tháng", Kind.YEAR: "năm"}[self.kind]
        return f"Báo cáo {what} năm {self.year}" if self.kind is not Kind.YEAR else f"Báo cáo năm {self.year}"

    @property
    def label(self) -> str:
        return f"{self.name} ({format_date(self.start)} – {format_date(self.end)})"

    def deadline(self, send_within_days: int = DEFAULT_SEND_WITHIN_DAYS) -> dt.date:
        """The day the units' reports are due: `send_within_days` after the cut-off."""
        return self.end + dt.timedelta(days=send_within_days)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _last_month(kind: Kind, number: int) -> int:
    return {Kind.MONTH: number, Kind.QUARTER: 3 * number, Kind.HALF_YEAR: 6, Kind.NINE_MONTHS: 9,
            Kind.YEAR: 12}[kind]


def _first_month(kind: Kind, number: int) -> int:
    return {Kind.MONTH: number, Kind.QUARTER: 3 * number - 2}.get(kind, 1)


def period(kind: Kind, year: int, number: int = 0, *, rule: Rule = DEFAULT_RULE) -> Period:
    """The period `kind` number `number` (month 1–12, quarter 1–4; else 0) of `year` under `rule`.

    Raises:
        ValueError: a month or quarter out of range.
    """
    kind, rule = Kind(kind), Rule(rule)
    if kind is Kind.MONTH and not 1 <= number <= 12 or kind is Kind.QUARTER and not 1 <= number <= 4:
        raise ValueError(f"Kỳ không hợp lệ: {kind.value} {number}.")
    if kind not in (Kind.MONTH, Kind.QUARTER):
        number = 0
    first, last = _first_month(kind, number), _last_month(kind, number)
    if rule is Rule.CALENDAR:
        return Period(kind, year, number, dt.date(year, first, 1), _month_end(year, last), rule)
    before = dt.date(year - 1, 12, 15) if first == 1 else dt.date(year, first - 1, 15)
    return Period(kind, year, number, before, dt.date(year, last, 14), rule)


def presets(year: int, *, rule: Rule = DEFAULT_RULE) -> list[Period]:
    """Every period of a year, in the order an office reads them: months, quarters, 6 and 9 months, year."""
    return ([period(Kind.MONTH, year, m, rule=rule) for m in range(1, 13)]
            + [period(Kind.QUARTER, year, q, rule=rule) for q in range(1, 5)]
            + [period(k, year, rule=rule) for k in (Kind.HALF_YEAR, Kind.NINE_MONTHS, Kind.YEAR)])


def from_code(code: str, year: int, *, rule: Rule = DEFAULT_RULE) -> Period:
    """The period named by `Period.code` ('month-3', 'quarter-2', '6m', '9m', 'year').

    Raises:
        ValueError: an unknown code (message in Vietnamese).
    """
    kind, _, number = (code or "").strip().partition("-")
    try:
        return period(Kind(kind), year, int(number) if number else 0, rule=rule)
    except ValueError:
        raise ValueError(f"Không hiểu kỳ “{code}”: dùng month-1…month-12, quarter-1…quarter-4, 6m, 9m hoặc year."
                         ) from None
