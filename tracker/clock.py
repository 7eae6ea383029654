"""Today's date and the current moment in Vietnam (UTC+7).

TRACKER_TODAY=YYYY-MM-DD pins today for demos and tests. A database holding demo data has its own
today, the date its history runs to: the app sets it with `use_database_today` at the start of
every run, for the thread that runs it (each browser session's script runs in its own thread).
`frozen(moment)` pins the moment that new rows record (tests that write history on chosen days).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
import threading
from collections.abc import Iterator

VN_TZ = dt.timezone(dt.timedelta(hours=7), name="ICT")
_FROZEN: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("tracker_frozen_now", default=None)
_local = threading.local()


def use_database_today(day: dt.date | None) -> None:
    """In this thread, take `day` as today (None: the real date); TRACKER_TODAY still wins."""
    _local.database_today = day


def today() -> dt.date:
    pinned = os.environ.get("TRACKER_TODAY", "").strip()
    if pinned:
        return dt.date.fromisoformat(pinned)
    database_today = getattr(_local, "database_today", None)
    if database_today is not None:
        return database_today
    return dt.datetime.now(VN_TZ).date()


def now() -> dt.datetime:
    """The current moment in UTC, or the one `frozen` pins."""
    return _FROZEN.get() or dt.datetime.now(dt.timezone.utc)


@contextlib.contextmanager
def frozen(moment: dt.datetime) -> Iterator[None]:
    """Record `moment` as the time of every write inside the block (history written on a chosen day)."""
    token = _FROZEN.set(moment.astimezone(dt.timezone.utc))
    try:
        yield
    finally:
        _FROZEN.reset(token)


def vn_day(moment: dt.datetime) -> dt.date:
    """The Hà Nội calendar day of a stored moment (SQLite gives it back without an offset: UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(VN_TZ).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after `day` ends in Hà Nội, in UTC: the cut-off of a period ending that day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), VN_TZ).astimezone(dt.timezone.utc)
