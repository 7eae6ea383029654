"""What the dashboard's cached figures were computed from: a version of each plan's data and of the catalog.

The figures' cache keys carry these versions (tracker/ui/dashboard_data.py), read from the database on every
page run, so a write made anywhere (this process, the other app process, the CLI) is seen at the next run,
and a write to one plan leaves the other plans' figures cached.

A plan's version: its items' latest `updated_at`, and the number and the sum of `version` of its items
updated in the WINDOW before that moment. Every write of an item sets `updated_at` and adds one to its
`version`: the ORM's optimistic lock and `onupdate` on every UPDATE of the row, whether by object or by a
set-based UPDATE statement (progress reports, moves, edits, bulk edits, soft delete and restore, unit
merges, imports, a new item), and `explanations._touch` in SQL for questions and answers. The latest
timestamp alone would miss a write that commits after a later-stamped one (two reports at the same
moment); that write still adds one to the window's sum. Read through ix_work_items_plan_updated: a
lookup and a scan of the window's rows (0,2 ms at 100.000 items). Everything else the figures read about
a plan is written with its items (history, item states, the flow's summary: listeners in the same flush)
or belongs to the catalog.

The catalog's version: the last audit event (task texts, units, plans, reporting rounds and their reports,
settings, accounts each write one), the newest plan, task and unit (a rollover or `init` adds them without
an audit) and the last change to a setting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from tracker.models import AppSetting, AuditEvent, Plan, PriorityTask, Unit, WorkItem

# Longer than any transaction between stamping an item and committing (a 5.000-row import takes seconds).
WINDOW = dt.timedelta(minutes=10)

PlanVersion = tuple[str, int, int]
CatalogVersion = tuple[int, int, int, int, str]


def _iso(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment else ""


def read(session: Session, plan_ids: Iterable[int] = ()) -> tuple[CatalogVersion, dict[int, PlanVersion]]:
    """The catalog's version and {plan id: version} in two statements: (last audit event, newest plan, task,
    unit, last change to a setting) and, for a plan, (latest update of an item, items updated in the WINDOW
    before it, sum of their versions); ("", 0, 0) for a plan without items."""
    ids = sorted({int(i) for i in plan_ids})
    w = WorkItem
    newest = [select(func.coalesce(func.max(col), 0)).scalar_subquery()
              for col in (AuditEvent.id, Plan.id, PriorityTask.id, Unit.id)]
    tops = [select(func.max(w.updated_at)).where(w.plan_id == p).scalar_subquery() for p in ids]
    row = session.execute(select(*newest, select(func.max(AppSetting.updated_at)).scalar_subquery(), *tops)).one()
    catalog = (*(int(v) for v in row[:4]), _iso(row[4]))
    latest = {p: top for p, top in zip(ids, row[5:], strict=True) if top is not None}
    recent = {}
    if latest:
        recent = {p: (n, int(total or 0)) for p, n, total in session.execute(
            select(w.plan_id, func.count(), func.sum(w.version))
            .where(or_(*(and_(w.plan_id == p, w.updated_at >= top - WINDOW) for p, top in latest.items())))
            .group_by(w.plan_id))}
    return catalog, {p: (_iso(latest.get(p)), *recent.get(p, (0, 0))) for p in ids}
