"""The cumulative flow: how many items were in each status at the end of each week or month.

Rebuilt from the progress history (status events), not from today's state, with GROUP BY only.
For the whole plan or one kind of unit it reads the summary kept by tracker/flow_ledger.py (a few
thousand rows); with a period alone that keeps most of the plan, the summary minus the history of
the items the period leaves out; with any other filter, the history itself (the items are fewer).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import replace

import pandas as pd
from sqlalchemy import and_, case, func, literal, not_, select
from sqlalchemy.orm import Session

from tracker.clock import VN_TZ
from tracker import flow_ledger
from tracker.models import ProgressEvent, Status, StatusFlowDay, WorkItem
from tracker.services.dashboard_filters import Filters, conditions, period_conditions
from tracker.workflow import STATUS_ORDER

STATUS_COLUMNS = [s.value for s in STATUS_ORDER]


def period_ends(year: int, today: dt.date, freq: str) -> list[dt.date]:
    """The last day of each week (Sunday) or month of `year` up to `today` (today itself last if sooner);
    a `today` after the year adds the year's end and `today`, so the last point is always the cut-off."""
    first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)
    ends: list[dt.date] = []
    if last < first:
        return ends
    if freq == "W":
        day = first + dt.timedelta(days=(6 - first.weekday()) % 7)
        while day < last:
            ends.append(day)
            day += dt.timedelta(days=7)
    else:
        for month in range(1, 13):
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            end = nxt - dt.timedelta(days=1)
            if end >= last:
                break
            ends.append(end)
    ends.append(last)
    if today > last:
        ends.append(today)
    return ends


def _bucket(moment, boundaries: list[dt.datetime], lo: int = 0, hi: int | None = None):
    """Index of the first period whose end-of-day boundary comes after `moment` (len: after the last).

    A nested CASE that halves the range at each level: about log2(periods) comparisons per row.
    """
    hi = len(boundaries) if hi is None else hi
    if lo == hi:
        return literal(lo)
    mid = (lo + hi) // 2
    return case((moment < boundaries[mid], _bucket(moment, boundaries, lo, mid)),
                else_=_bucket(moment, boundaries, mid + 1, hi))


def flow(session: Session, *, filters: Filters, today: dt.date, year: int, freq: str = "M",
         from_history: bool = False) -> pd.DataFrame:
    """Items in each status at the end of each week/month of `year`, rebuilt from the progress history.

    An item counts from its creation, in the status it had then. Each status event moves one item
    from `from_status` to `to_status` at its time. The status an item was created in is its current
    status minus all its moves, so every move is also undone at the item's creation: per period,
    +1 current status (created), and for each move +1 to / -1 from at the event and the reverse at
    creation. Two GROUP BY queries (no window over the history), then a running sum per status; one
    over the summary table when the filters are only the plan and the kind of unit (unless
    `from_history`, which the tests use to check the summary against the history).
    """
    ends = period_ends(year, today, freq)
    columns = ["period_end", *STATUS_COLUMNS, "total"]
    if not ends:
        return pd.DataFrame(columns=columns)
    grid = {s: [0] * (len(ends) + 1) for s in STATUS_COLUMNS}
    if from_history:
        changes = _history_changes(session, conditions(filters), ends)
    elif _summarised(filters):
        changes = _summary_changes(session, filters, ends)
    else:
        changes = _period_changes(session, filters, ends)
    for status, bucket, delta in changes:
        if status is not None:
            grid[status.value if isinstance(status, Status) else str(status)][int(bucket)] += int(delta)
    frame = pd.DataFrame({"period_end": ends})
    for s in STATUS_COLUMNS:
        frame[s] = pd.Series(grid[s][:len(ends)]).cumsum().astype("int64")
    frame["total"] = frame[STATUS_COLUMNS].sum(axis=1)
    return frame[columns]


def _summarised(filters: Filters) -> bool:
    """The summary holds the whole plan per kind of unit: any other filter needs the history."""
    return not (filters.date_from or filters.date_to or filters.unit_id or filters.task_id or filters.form_id)


def _period_changes(session: Session, filters: Filters, ends: list[dt.date]) -> Iterator[tuple]:
    """The history of the filtered items; for a period alone that keeps most of the plan, the summary
    minus the history of the items the period leaves out (the flow adds up over sets of items)."""
    period = period_conditions(filters)
    if not period or filters.unit_id or filters.task_id or filters.form_id:
        return _history_changes(session, conditions(filters), ends)
    whole = replace(filters, date_from=None, date_to=None)
    kept, total = session.execute(
        select(func.count(case((and_(*period), 1))), func.count()).where(*conditions(whole))).one()
    if kept * 2 <= total:
        return _history_changes(session, conditions(filters), ends)
    left_out = _history_changes(session, [*conditions(whole), not_(and_(*period))], ends)
    return itertools.chain(_summary_changes(session, whole, ends),
                           ((status, bucket, -n) for status, bucket, n in left_out))


def _summary_changes(session: Session, filters: Filters, ends: list[dt.date]) -> Iterator[tuple]:
    """(status, period index, change) from the summary kept by tracker/flow_ledger.py."""
    flow_ledger.write_pending(session)
    day = _bucket(StatusFlowDay.day, [d + dt.timedelta(days=1) for d in ends])
    where = [StatusFlowDay.plan_id == filters.plan_id]
    if filters.unit_kind:
        where.append(StatusFlowDay.unit_kind == filters.unit_kind)
    for bucket, status, n in session.execute(
            select(day, StatusFlowDay.status, func.sum(StatusFlowDay.net_change)).where(*where)
            .group_by(day, StatusFlowDay.status)):
        yield status, bucket, n


def _history_changes(session: Session, where: list, ends: list[dt.date]) -> Iterator[tuple]:
    """(status, period index, change) rebuilt from the items matching `where` and their status events."""
    # A day ends at midnight in Hà Nội: an event at 23:30 Vietnamese time counts for that day.
    boundaries = [dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), VN_TZ) for d in ends]
    created = _bucket(WorkItem.created_at, boundaries)
    for bucket, status, n in session.execute(
            select(created, WorkItem.status, func.count()).where(*where)
            .group_by(created, WorkItem.status)):
        yield status, bucket, n
    ev = ProgressEvent
    moved = _bucket(ev.at, boundaries)
    for at_bucket, created_bucket, frm, to, n in session.execute(
            select(moved, created, ev.from_status, ev.to_status, func.count())
            .join(WorkItem, WorkItem.id == ev.work_item_id)
            .where(ev.to_status.is_not(None), *where)
            .group_by(moved, created, ev.from_status, ev.to_status)):
        yield to, at_bucket, n
        yield frm, at_bucket, -n
        yield to, created_bucket, -n
        yield frm, created_bucket, n
