"""Red / amber / green: how a work item is going, in Python and as the same rule in SQL.

Red: past its due date and not done. Amber: not done and either behind schedule (progress below
the share of its time already elapsed) or due within `DUE_SOON_DAYS` days and not near done
(progress below `NEAR_DONE`). Green: everything else, including done work and work handed in
for confirmation (it waits on the office, not on the unit) while not yet overdue.

`classify` decides one item; `rag_case` is the same rule as a SQL CASE, so boards and dashboards
can count and filter by RAG in GROUP BY / WHERE over any number of rows. A test checks the two
agree on both databases. `today` is always passed in, never read from the clock here.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, Integer, and_, case, literal, not_, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from tracker.models import Status, WorkItem

DUE_SOON_DAYS = 7
NEAR_DONE = 80


class Rag(str, enum.Enum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


RAG_LABELS = {Rag.RED: "Quá hạn", Rag.AMBER: "Có nguy cơ chậm", Rag.GREEN: "Đúng tiến độ"}
RAG_COLORS = {Rag.RED: "#c62828", Rag.AMBER: "#ef8f00", Rag.GREEN: "#2e7d32"}


def classify(*, status: Status, progress: int, start: dt.date | None, due: dt.date | None,
             today: dt.date, submitted_on: dt.date | None = None) -> Rag:
    """The RAG mark of one item on `today`. Work sent for confirmation by its deadline is never red: it waits
    on the office (the figures' rule, tracker/figures.py)."""
    if status is Status.DONE or due is None:
        return Rag.GREEN
    if status is Status.AWAITING_CONFIRMATION and submitted_on is not None and submitted_on <= due:
        return Rag.GREEN
    if due < today:
        return Rag.RED
    if status is Status.AWAITING_CONFIRMATION:
        return Rag.GREEN
    if (due - today).days <= DUE_SOON_DAYS and progress < NEAR_DONE:
        return Rag.AMBER
    if start is not None and due > start and today > start:
        # progress/100 < elapsed/total, in integers: no rounding at the boundary.
        if progress * (due - start).days < 100 * (today - start).days:
            return Rag.AMBER
    return Rag.GREEN


class days_between(FunctionElement):
    """Whole days from `a` to `b` (b - a) as an integer, on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"({compiler.process(b, **kw)} - {compiler.process(a, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return (f"CAST(julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)})"
            " AS INTEGER)")


def rag_case(today: dt.date, item=WorkItem) -> ColumnElement[str]:
    """`classify` as a SQL CASE over `item` (the WorkItem entity or an alias), giving 'red'/'amber'/'green'."""
    day = literal(today, Date())
    not_done = item.status != Status.DONE
    sent_in_time = and_(item.status == Status.AWAITING_CONFIRMATION, item.submitted_on.is_not(None),
                        item.submitted_on <= item.due_date)
    overdue = and_(not_done, item.due_date.is_not(None), item.due_date < day, not_(sent_in_time))
    active = and_(not_done, item.status != Status.AWAITING_CONFIRMATION, item.due_date.is_not(None))
    due_soon = and_(days_between(day, item.due_date) <= DUE_SOON_DAYS, item.progress < NEAR_DONE)
    behind = and_(
        item.start_date.is_not(None), item.due_date > item.start_date, day > item.start_date,
        item.progress * days_between(item.start_date, item.due_date) < 100 * days_between(item.start_date, day),
    )
    return case(
        (overdue, Rag.RED.value),
        (and_(active, or_(due_soon, behind)), Rag.AMBER.value),
        else_=Rag.GREEN.value,
    )
