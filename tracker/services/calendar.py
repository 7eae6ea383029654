"""The calendar: work items by their due dates (and starts), a month or a week at a time, and as iCalendar.

Reading is open (tracker.permissions): the calendar holds every unit's items the filters select, as the
"Công việc" list does; deleted items never. "Overdue" is the figures' class (tracker.figures.standing_case
at today): the calendar draws in red exactly what the dashboard counts as "Quá hạn".
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker.figures import Standing, standing_case
from tracker.models import Plan, PriorityTask, Role, Status, Unit, WorkItem
from tracker.permissions import Action, Actor, require
from tracker.services.work_item_lists import plan_units
from tracker.text import parse_id


class View(str, enum.Enum):
    MONTH = "month"
    WEEK = "week"


VIEW_LABELS = {View.MONTH: "Tháng", View.WEEK: "Tuần"}
WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
PER_DAY = {View.MONTH: 4, View.WEEK: 40}  # entries drawn in a day's cell; the rest are counted


@dataclass(frozen=True)
class CalendarFilter:
    """What the calendar shows; None means any. `day` picks the month or week shown."""

    plan: int | None = None
    task: int | None = None
    unit: int | None = None
    status: Status | None = None
    view: View = View.MONTH
    day: dt.date | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> CalendarFilter:
        """Read filters from URL query parameters; anything malformed is ignored, never an error."""
        def member(enum_cls, name):
            try:
                return enum_cls(str(params.get(name, "")))
            except ValueError:
                return None

        try:
            day = dt.date.fromisoformat(str(params.get("day", "")))
        except ValueError:
            day = None
        return cls(plan=parse_id(params.get("plan")), task=parse_id(params.get("task")),
                   unit=parse_id(params.get("unit")), status=member(Status, "status"),
                   view=member(View, "view") or View.MONTH, day=day)

    def to_params(self) -> dict[str, str]:
        """The non-empty filters as URL query parameters (the inverse of `from_params`)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value is View.MONTH:
                continue
            out[f.name] = value.value if isinstance(value, enum.Enum) else (
                value.isoformat() if isinstance(value, dt.date) else str(value))
        return out


def window(view: View, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day drawn: whole weeks, Monday to Sunday, covering `day`'s month or week."""
    if view is View.WEEK:
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    start = day.replace(day=1)
    end = day.replace(day=_cal.monthrange(day.year, day.month)[1])
    return start - dt.timedelta(days=start.weekday()), end + dt.timedelta(days=6 - end.weekday())


def step(view: View, day: dt.date, by: int) -> dt.date:
    """The day `by` months (or weeks) from `day`: what "Trước" and "Sau" open."""
    if view is View.WEEK:
        return day + dt.timedelta(weeks=by)
    month = day.year * 12 + day.month - 1 + by
    return dt.date(month // 12, month % 12 + 1, 1)


@dataclass(frozen=True)
class Entry:
    id: int
    title: str
    kind: str  # "due" or "start"
    overdue: bool
    status: Status
    unit: str


@dataclass(frozen=True)
class Day:
    entries: list[Entry]
    total: int


@dataclass(frozen=True)
class Month:
    first: dt.date
    last: dt.date
    days: dict[dt.date, Day]
    items: int  # distinct items with a due date or a start in the window
    overdue: int


def _conditions(filters: CalendarFilter) -> list:
    conds = [WorkItem.deleted_at.is_(None)]
    for value, column in ((filters.plan, WorkItem.plan_id), (filters.task, WorkItem.priority_task_id),
                          (filters.unit, WorkItem.lead_unit_id), (filters.status, WorkItem.status)):
        if value is not None:
            conds.append(column == value)
    return conds


def read_calendar(session: Session, *, actor: Actor, filters: CalendarFilter, today: dt.date,
                  per_day: int | None = None) -> Month:
    """The items due (or starting) on each day of the window around `filters.day` (today if none)."""
    require(actor, Action.VIEW_ITEM)
    first, last = window(filters.view, filters.day or today)
    cap = per_day if per_day is not None else PER_DAY[filters.view]
    overdue = standing_case(today) == Standing.OVERDUE.value
    # Narrow rows first (a busy month of a large plan holds thousands); titles for the drawn entries only.
    stmt = (select(WorkItem.id, WorkItem.start_date, WorkItem.due_date, overdue.label("overdue"))
            .where(*_conditions(filters), or_(WorkItem.due_date.between(first, last),
                                              WorkItem.start_date.between(first, last))))
    buckets: dict[dt.date, list[tuple[bool, bool, int]]] = {}
    items = late = 0
    for item_id, start, due, is_late in session.execute(stmt):
        items += 1
        late += bool(is_late)
        if due is not None and first <= due <= last:
            buckets.setdefault(due, []).append((not is_late, False, item_id))
        if start is not None and start != due and first <= start <= last:
            buckets.setdefault(start, []).append((True, True, item_id))
    # Overdue first, then due dates before starts, then by number.
    kept = {day: sorted(keys)[:cap] for day, keys in buckets.items()}
    wanted = {key[2] for keys in kept.values() for key in keys}
    details = {r.id: r for r in session.execute(
        select(WorkItem.id, WorkItem.title, WorkItem.status, Unit.name)
        .join(Unit, Unit.id == WorkItem.lead_unit_id).where(WorkItem.id.in_(wanted)))} if wanted else {}
    days = {day: Day([Entry(i, details[i].title, "start" if is_start else "due", not not_late and not is_start,
                            details[i].status, details[i].name) for not_late, is_start, i in keys],
                     len(buckets[day]))
            for day, keys in kept.items()}
    return Month(first=first, last=last, days=days, items=items, overdue=late)


@dataclass(frozen=True)
class FeedItem:
    id: int
    title: str
    plan_code: str
    task_label: str
    unit: str
    start: dt.date | None
    due: dt.date
    status: Status
    progress: int
    overdue: bool


def feed_items(session: Session, *, actor: Actor, plan_id: int | None, unit_id: int | None,
               today: dt.date) -> list[FeedItem]:
    """Every item with a due date of the plan (all plans: None) and lead unit (all: None), by due date."""
    require(actor, Action.VIEW_ITEM)
    overdue = standing_case(today) == Standing.OVERDUE.value
    stmt = (select(WorkItem.id, WorkItem.title, Plan.code, PriorityTask.label, Unit.name, WorkItem.start_date,
                   WorkItem.due_date, WorkItem.status, WorkItem.progress, overdue.label("overdue"))
            .join(Plan, Plan.id == WorkItem.plan_id)
            .join(PriorityTask, PriorityTask.id == WorkItem.priority_task_id)
            .join(Unit, Unit.id == WorkItem.lead_unit_id)
            .where(*_conditions(CalendarFilter(plan=plan_id, unit=unit_id)), WorkItem.due_date.is_not(None))
            .order_by(WorkItem.due_date, WorkItem.id))
    return [FeedItem(id=r.id, title=r.title, plan_code=r.code, task_label=r.label, unit=r.name, start=r.start_date,
                     due=r.due_date, status=r.status, progress=r.progress, overdue=bool(r.overdue))
            for r in session.execute(stmt)]


def unit_choice_default(actor: Actor) -> int | None:
    """The unit a calendar opens on when the address names none: a unit head's or staff member's own; the others
    see all."""
    return actor.unit_id if actor.role in (Role.UNIT_HEAD, Role.STAFF) else None



@dataclass(frozen=True)
class Options:
    plans: list[tuple[int, str]]
    tasks: list[tuple[int, str]]
    units: list[tuple[int, str]]


def filter_options(session: Session, *, actor: Actor, plan_id: int | None) -> Options:
    """Choices for the calendar's filters: every plan; the chosen plan's tasks and units (all units without one)."""
    require(actor, Action.VIEW_ITEM)
    plans = [(p.id, f"{p.code} · năm {p.year}") for p in session.scalars(select(Plan).order_by(Plan.year.desc(),
                                                                                                 Plan.id))]
    plan = session.get(Plan, plan_id) if plan_id is not None else None
    tasks, units = [], session.scalars(select(Unit).order_by(Unit.id)).all()
    if plan is not None:
        tasks = [(t.id, f"({t.label}) {_short(t.text or 'Chưa có nội dung', 70)}") for t in plan.tasks]
        units = plan_units(session, plan)
    return Options(plans=plans, tasks=tasks, units=[(u.id, u.name) for u in units])


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
