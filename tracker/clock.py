"""Today's date in Vietnam (UTC+7). TRACKER_TODAY=YYYY-MM-DD pins it for demos and tests."""

from __future__ import annotations

import datetime as dt
import os

VN_TZ = dt.timezone(dt.timedelta(hours=7), name="ICT")


def today() -> dt.date:
    pinned = os.environ.get("TRACKER_TODAY", "").strip()
    if pinned:
        return dt.date.fromisoformat(pinned)
    return dt.datetime.now(VN_TZ).date()
