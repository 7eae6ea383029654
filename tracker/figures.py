"""The figures leadership signs: one definition of each, used by every screen, workbook, report and the CLI.

At a cut-off day (the end of that day, Hà Nội time) every item of the plan that exists then is in exactly
one of the four official classes, judged on what the item was at the cut-off:

- hoàn thành đúng hạn: confirmed done, delivered on or before its deadline (or without a deadline);
- hoàn thành quá hạn: confirmed done, delivered after its deadline;
- đang thực hiện trong hạn: not done, and its deadline has not passed at the cut-off — or the unit sent it
  for confirmation on or before the deadline and the office has not confirmed it yet;
- quá hạn: not done and its deadline passed before the cut-off day.

Rates: tỷ lệ hoàn thành = done ÷ all items; tiến độ bình quân = the mean of the items' progress (a done
item counts 100) — a different figure with its own name; tỷ lệ quá hạn = overdue ÷ items whose deadline
has passed at the cut-off (the headline of the Government's task monitoring).

The state at a past cut-off is read from work_item_states (tracker/item_states.py), the state now from
work_items: `source()` gives either behind the same column names, so every query below has one form.
`standing()` is the rule for one item in Python, `standing_case()` the same rule in SQL.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, false, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from tracker.models import Status, WorkItem, WorkItemState


class Standing(str, enum.Enum):
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    IN_PROGRESS_ON_TIME = "in_progress_on_time"
    OVERDUE = "overdue"


STANDING_LABELS = {
    Standing.DONE_ON_TIME: "Hoàn thành đúng hạn",
    Standing.DONE_LATE: "Hoàn thành quá hạn",
    Standing.IN_PROGRESS_ON_TIME: "Đang thực hiện trong hạn",
    Standing.OVERDUE: "Quá hạn",
}
STANDINGS = list(STANDING_LABELS)

# Vietnamese glossary (README "Cách tính số liệu" repeats it; a test keeps them the same).
GLOSSARY = [
    ("Ngày chốt số liệu", "Số liệu của một kỳ là tình trạng cuối ngày cuối kỳ (giờ Hà Nội), dựng lại từ lịch sử: "
     "việc tạo sau ngày chốt không tính, việc hoàn thành sau ngày chốt chưa là hoàn thành."),
    ("Hoàn thành đúng hạn", "Đã được Văn phòng xác nhận hoàn thành, ngày đơn vị hoàn thành không muộn hơn hạn."),
    ("Hoàn thành quá hạn", "Đã được xác nhận hoàn thành, ngày đơn vị hoàn thành muộn hơn hạn."),
    ("Đang thực hiện trong hạn", "Chưa hoàn thành và chưa quá hạn tại ngày chốt; kể cả việc đơn vị đã gửi xác nhận "
     "trước hạn mà Văn phòng chưa xác nhận."),
    ("Quá hạn", "Chưa hoàn thành và hạn đã qua trước ngày chốt."),
    ("Ngày hoàn thành", "Ngày đơn vị chuyển sang “Chờ xác nhận” (nếu không bị trả lại sau đó); "
     "ngày Văn phòng xác nhận được ghi riêng."),
    ("Tỷ lệ hoàn thành", "Số việc hoàn thành ÷ tổng số việc."),
    ("Tiến độ bình quân", "Trung bình tiến độ (%) của các việc, việc hoàn thành tính 100%."),
    ("Tỷ lệ quá hạn", "Số việc quá hạn ÷ số việc đã đến hạn (hạn trước ngày chốt)."),
]


def standing(*, status: Status, due: dt.date | None, completed_on: dt.date | None,
             submitted_on: dt.date | None, cutoff: dt.date) -> Standing:
    """The class of one item, from what it was at the end of `cutoff`."""
    if status is Status.DONE:
        late = due is not None and completed_on is not None and completed_on > due
        return Standing.DONE_LATE if late else Standing.DONE_ON_TIME
    if due is None or due >= cutoff:
        return Standing.IN_PROGRESS_ON_TIME
    if status is Status.AWAITING_CONFIRMATION and submitted_on is not None and submitted_on <= due:
        return Standing.IN_PROGRESS_ON_TIME
    return Standing.OVERDUE


def standing_case(cutoff: dt.date, t: Any = WorkItem) -> ColumnElement[str]:
    """`standing` as a SQL CASE over `t` (WorkItem, WorkItemState or an alias)."""
    day = literal(cutoff)
    done = t.status == Status.DONE
    late = and_(t.due_date.is_not(None), t.completed_on.is_not(None), t.completed_on > t.due_date)
    delivered_in_time = and_(t.status == Status.AWAITING_CONFIRMATION, t.submitted_on.is_not(None),
                             t.submitted_on <= t.due_date)
    return case(
        (and_(done, late), Standing.DONE_LATE.value),
        (done, Standing.DONE_ON_TIME.value),
        (or_(t.due_date.is_(None), t.due_date >= day, delivered_in_time), Standing.IN_PROGRESS_ON_TIME.value),
        else_=Standing.OVERDUE.value,
    )


def due_passed(cutoff: dt.date, t: Any = WorkItem) -> ColumnElement[bool]:
    """The item's deadline passed before the cut-off day (the denominator of tỷ lệ quá hạn)."""
    return and_(t.due_date.is_not(None), t.due_date < literal(cutoff))


@dataclass(frozen=True)
class Source:
    """Where the items' state at the cut-off is read: `t` has WorkItem's column names; `live` selects the
    items that existed, not deleted, at the cut-off."""

    t: Any
    id: ColumnElement[int]
    live: tuple[ColumnElement[bool], ...]
    cutoff: dt.date
    historical: bool


def source(cutoff: dt.date, today: dt.date) -> Source:
    """The items as now (cut-off today or later) or as they were at the end of `cutoff`."""
    if cutoff >= today:
        return Source(WorkItem, WorkItem.id, (WorkItem.deleted_at.is_(None),), cutoff, False)
    s = WorkItemState
    live = (s.valid_from <= cutoff, or_(s.valid_to.is_(None), s.valid_to > cutoff), s.deleted == false())
    return Source(s, s.work_item_id, live, cutoff, True)


def _sum_if(condition) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def count_columns(src: Source) -> list[ColumnElement]:
    """The counts of one group of items: COUNT_NAMES, in that order."""
    t = src.t
    cls = standing_case(src.cutoff, t)
    return [
        func.count(src.id).label("items"),
        *[_sum_if(t.status == s).label(s.value) for s in Status],
        *[_sum_if(cls == s.value).label(s.value) for s in STANDINGS],
        _sum_if(due_passed(src.cutoff, t)).label("due_passed"),
        _sum_if(and_(t.blocked.is_(True), t.status != Status.DONE)).label("blocked"),
        func.coalesce(func.sum(case((t.status == Status.DONE, 100), else_=t.progress)), 0).label("progress_sum"),
    ]


RATES = ("completion_rate", "average_progress", "overdue_rate")
COUNT_NAMES = ["items", *[s.value for s in Status], *[s.value for s in STANDINGS], "due_passed", "blocked",
               "progress_sum"]


def rate(part: float, whole: float) -> float:
    """A percentage with one decimal; 0 when there is nothing to divide."""
    return round(100.0 * float(part) / float(whole), 1) if whole else 0.0


def completion_rate(done: float, items: float) -> float:
    return rate(done, items)


def average_progress(progress_sum: float, items: float) -> float:
    return round(float(progress_sum) / float(items), 1) if items else 0.0


def overdue_rate(overdue: float, passed: float) -> float:
    return rate(overdue, passed)


def derive(frame):
    """Add done, the three rates to a frame of summed COUNT_NAMES (pandas), in place; returns it."""
    frame["done"] = frame[Standing.DONE_ON_TIME.value] + frame[Standing.DONE_LATE.value]
    frame["completion_rate"] = [completion_rate(d, n) for d, n in zip(frame["done"], frame["items"])]
    frame["average_progress"] = [average_progress(s, n) for s, n in zip(frame["progress_sum"], frame["items"])]
    frame["overdue_rate"] = [overdue_rate(o, p) for o, p in zip(frame["overdue"], frame["due_passed"])]
    return frame


@dataclass(frozen=True)
class Totals:
    """The headline of a set of items at a cut-off."""

    items: int
    done_on_time: int
    done_late: int
    in_progress_on_time: int
    overdue: int
    due_passed: int
    blocked: int
    progress_sum: int
    done_in_period: int | None = None

    @property
    def done(self) -> int:
        return self.done_on_time + self.done_late

    @property
    def completion_rate(self) -> float:
        return completion_rate(self.done, self.items)

    @property
    def average_progress(self) -> float:
        return average_progress(self.progress_sum, self.items)

    @property
    def overdue_rate(self) -> float:
        return overdue_rate(self.overdue, self.due_passed)

    @classmethod
    def of(cls, sums, done_in_period: int | None = None) -> Totals:
        """From a mapping of summed COUNT_NAMES (a pandas Series or a dict)."""
        return cls(items=int(sums["items"]), done_on_time=int(sums["done_on_time"]),
                   done_late=int(sums["done_late"]), in_progress_on_time=int(sums["in_progress_on_time"]),
                   overdue=int(sums["overdue"]), due_passed=int(sums["due_passed"]), blocked=int(sums["blocked"]),
                   progress_sum=int(sums["progress_sum"]), done_in_period=done_in_period)

    def as_dict(self) -> dict[str, Any]:
        out = {"items": self.items, "done_on_time": self.done_on_time, "done_late": self.done_late,
               "in_progress_on_time": self.in_progress_on_time, "overdue": self.overdue,
               "completion_rate": self.completion_rate, "average_progress": self.average_progress,
               "overdue_rate": self.overdue_rate, "due_passed": self.due_passed, "blocked": self.blocked}
        if self.done_in_period is not None:
            out["done_in_period"] = self.done_in_period
        return out
