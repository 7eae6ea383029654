"""Today's date in Vietnam (UTC+7).

TRACKER_TODAY=YYYY-MM-DD pins it for demos and tests. A database holding demo data has its own
today, the date its history runs to: the app sets it with `use_database_today` at the start of
every run, for the thread that runs it (each browser session's script runs in its own thread).
"""

from __future__ import annotations

import datetime as dt
import os
import threading

VN_TZ = dt.timezone(dt.timedelta(hours=7), name="ICT")
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
