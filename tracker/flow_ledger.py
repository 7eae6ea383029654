"""The cumulative flow's summary: per plan, unit kind, Hà Nội day and status, the net change in the
number of live items in that status (table status_flow_days). The dashboard's flow reads a few
thousand of these rows instead of rebuilding from hundreds of thousands of progress events.

The rule (the same as tracker/services/flow.py rebuilt from history): a live item counts +1 in its
current status on the day it was created; each status event counts +1 `to` / -1 `from` on its day
and the reverse on the item's creation day (so the status it was created in is its current status
minus all its moves). Deleted items count nothing. `contributions()` is that rule in SQL.

Kept in one place for every writer: a flush that changes an item's status, plan, lead unit,
creation time or deletion, or adds a status event, takes back what the item counted before the
flush (read from the database as it was) and adds what it counts after. The changes are summed in
the session and written at commit, in key order (two sessions never lock the rows in opposite
orders), or before the flow is read. A rollback drops them with the rest. Bulk writes that bypass the
ORM (demo data, restore into an old schema) call `rebuild()`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Date, delete, event, func, inspect, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from tracker.models import ProgressEvent, StatusFlowDay, Unit, WorkItem

_PENDING = "flow_ledger_pending"  # Counter {(plan_id, unit_kind, day, status): change} not yet written
_TOUCHED = "flow_ledger_touched"  # item ids taken back in before_flush, added again in after_flush
_KEY_ATTRS = ("status", "plan_id", "lead_unit_id", "created_at", "deleted_at")
_CHUNK = 500


class vn_day(FunctionElement):  # noqa: N801 - used like a SQL function
    """The Hà Nội (UTC+7, no daylight saving) calendar day of a UTC timestamp column."""

    type = Date()
    inherit_cache = True


@compiles(vn_day, "sqlite")
def _vn_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(vn_day, "postgresql")
def _vn_day_postgresql(element, compiler, **kw):
    return f"(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC') + interval '7 hours')::date"


def contributions(*where: ColumnElement[bool]):
    """SELECT plan_id, unit_kind, day, status, net_change: what the live items matching `where` count."""
    item, ev = WorkItem, ProgressEvent
    created = vn_day(item.created_at)
    live = (item.deleted_at.is_(None), *where)
    moves = (ev.to_status.is_not(None), *live)

    def part(day, status, n, *conds, events: bool = True):
        stmt = select(item.plan_id.label("plan_id"), Unit.kind.label("unit_kind"), day.label("day"),
                      status.label("status"), literal(n).label("n")).join(Unit, Unit.id == item.lead_unit_id)
        if events:
            stmt = stmt.join(ev, ev.work_item_id == item.id)
        return stmt.where(*conds)

    rows = union_all(
        part(created, item.status, 1, *live, events=False),
        part(vn_day(ev.at), ev.to_status, 1, *moves),
        part(vn_day(ev.at), ev.from_status, -1, ev.from_status.is_not(None), *moves),
        part(created, ev.to_status, -1, *moves),
        part(created, ev.from_status, 1, ev.from_status.is_not(None), *moves),
    ).subquery()
    return (select(rows.c.plan_id, rows.c.unit_kind, rows.c.day, rows.c.status, func.sum(rows.c.n).label("net"))
            .group_by(rows.c.plan_id, rows.c.unit_kind, rows.c.day, rows.c.status))


def _count(session: Session, item_ids: Iterable[int]) -> Counter:
    ids, out = sorted(set(item_ids)), Counter()
    for start in range(0, len(ids), _CHUNK):
        for plan_id, kind, day, status, net in session.connection().execute(
                contributions(WorkItem.id.in_(ids[start:start + _CHUNK]))):
            out[(plan_id, kind, day, status)] += int(net)
    return out


def _pending(session: Session) -> Counter:
    return session.info.setdefault(_PENDING, Counter())


@event.listens_for(Session, "before_flush")
def _take_back(session: Session, _context, _instances) -> None:
    touched: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, WorkItem) and obj.id is not None:
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _KEY_ATTRS):
                touched.add(obj.id)
    touched.update(obj.id for obj in session.deleted if isinstance(obj, WorkItem) and obj.id is not None)
    touched.update(obj.work_item_id for obj in session.new
                   if isinstance(obj, ProgressEvent) and obj.to_status is not None and obj.work_item_id is not None)
    session.info[_TOUCHED] = touched
    if touched:
        _pending(session).subtract(_count(session, touched))


@event.listens_for(Session, "after_flush")
def _add_again(session: Session, _context) -> None:
    touched = set(session.info.pop(_TOUCHED, ()))
    touched.update(obj.id for obj in session.new if isinstance(obj, WorkItem))
    touched.update(obj.work_item_id for obj in session.new
                   if isinstance(obj, ProgressEvent) and obj.to_status is not None)
    if touched:
        _pending(session).update(_count(session, touched))


def write_pending(session: Session) -> None:
    """Write the changes summed in this session (flushing first), in key order."""
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    rows = [{"plan_id": p, "unit_kind": k, "day": d, "status": s, "net_change": n}
            for (p, k, d, s), n in sorted(pending.items(), key=lambda kv: (kv[0][0], kv[0][1].value, kv[0][2],
                                                                            kv[0][3].value)) if n]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    stmt = insert(StatusFlowDay)
    stmt = stmt.on_conflict_do_update(
        index_elements=["plan_id", "unit_kind", "day", "status"],
        set_={"net_change": StatusFlowDay.net_change + stmt.excluded.net_change})
    session.connection().execute(stmt, rows)


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_TOUCHED, None)


def rebuild(session: Session, plan_ids: Iterable[int] | None = None) -> int:
    """Recompute the summary of these plans (all when None) from the items and their history.

    Returns the number of rows written.
    """
    write_pending(session)
    wanted = None if plan_ids is None else sorted(set(plan_ids))
    conds = [] if wanted is None else [WorkItem.plan_id.in_(wanted)]
    gone = delete(StatusFlowDay)
    if wanted is not None:
        gone = gone.where(StatusFlowDay.plan_id.in_(wanted))
    conn = session.connection()
    conn.execute(gone)
    rows = contributions(*conds).subquery()
    conn.execute(StatusFlowDay.__table__.insert().from_select(
        ["plan_id", "unit_kind", "day", "status", "net_change"],
        select(rows).where(rows.c.net != 0)))
    counted = select(func.count()).select_from(StatusFlowDay)
    if wanted is not None:
        counted = counted.where(StatusFlowDay.plan_id.in_(wanted))
    return conn.execute(counted).scalar_one()


def drift(session: Session) -> dict[tuple, tuple[int, int]]:
    """Where the stored summary differs from the history: {key: (stored, recomputed)}; empty when right."""
    stored = Counter({(p, k, d, s): int(n) for p, k, d, s, n in session.execute(
        select(StatusFlowDay.plan_id, StatusFlowDay.unit_kind, StatusFlowDay.day, StatusFlowDay.status,
               StatusFlowDay.net_change))})
    fresh = Counter({(p, k, d, s): int(n) for p, k, d, s, n in session.execute(contributions())})
    return {key: (stored[key], fresh[key]) for key in stored.keys() | fresh.keys() if stored[key] != fresh[key]}
