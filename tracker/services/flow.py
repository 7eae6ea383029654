"""The cumulative flow: how many items were in each status at the end of each week or month.

Rebuilt from the progress history (status events), not from today's state, with GROUP BY only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from tracker.clock import VN_TZ
from tracker.models import ProgressEvent, Status, WorkItem
from tracker.services.dashboard_filters import Filters, conditions
from tracker.workflow import STATUS_ORDER

STATUS_COLUMNS = [s.value for s in STATUS_ORDER]


def period_ends(year: int, today: dt.date, freq: str) -> list[dt.date]:
    """The last day of each week (Sunday) or month of `year` up to `today` (today itself last if sooner)."""
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


def flow(session: Session, *, filters: Filters, today: dt.date, year: int, freq: str = "M") -> pd.DataFrame:
    """Items in each status at the end of each week/month of `year`, rebuilt from the progress history.

    An item counts from its creation, in the status it had then. Each status event moves one item
    from `from_status` to `to_status` at its time. The status an item was created in is its current
    status minus all its moves, so every move is also undone at the item's creation: per period,
    +1 current status (created), and for each move +1 to / -1 from at the event and the reverse at
    creation. Two GROUP BY queries (no window over the history), then a running sum per status.
    """
    ends = period_ends(year, today, freq)
    columns = ["period_end", *STATUS_COLUMNS, "total"]
    if not ends:
        return pd.DataFrame(columns=columns)
    # A day ends at midnight in Hà Nội: an event at 23:30 Vietnamese time counts for that day.
    boundaries = [dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), VN_TZ) for d in ends]
    grid = {s: [0] * (len(ends) + 1) for s in STATUS_COLUMNS}

    def add(status, bucket, delta) -> None:
        if status is not None:
            grid[status.value if isinstance(status, Status) else str(status)][int(bucket)] += int(delta)

    created = _bucket(WorkItem.created_at, boundaries)
    for bucket, status, n in session.execute(
            select(created, WorkItem.status, func.count()).where(*conditions(filters))
            .group_by(created, WorkItem.status)):
        add(status, bucket, n)
    ev = ProgressEvent
    moved = _bucket(ev.at, boundaries)
    for at_bucket, created_bucket, frm, to, n in session.execute(
            select(moved, created, ev.from_status, ev.to_status, func.count())
            .join(WorkItem, WorkItem.id == ev.work_item_id)
            .where(ev.to_status.is_not(None), *conditions(filters))
            .group_by(moved, created, ev.from_status, ev.to_status)):
        add(to, at_bucket, n)
        add(frm, at_bucket, -n)
        add(to, created_bucket, -n)
        add(frm, created_bucket, n)
    frame = pd.DataFrame({"period_end": ends})
    for s in STATUS_COLUMNS:
        frame[s] = pd.Series(grid[s][:len(ends)]).cumsum().astype("int64")
    frame["total"] = frame[STATUS_COLUMNS].sum(axis=1)
    return frame[columns]
