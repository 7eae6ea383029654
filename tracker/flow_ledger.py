"""The cumulative flow's summary: per plan, unit kind, Hà Nội day and status, the net change in the
number of live items in that status (table status_flow_days). The dashboard's flow reads a few
thousand of these rows instead of rebuilding from hundreds of thousands of progress events.

The rule (the same as tracker/services/flow.py rebuilt from history): a live item counts +1 in its
current status on the day it was created; each status event counts +1 `to` / -1 `from` on its day
and the reverse on the item's creation day (so the status it was created in is its current status
minus all its moves). Deleted items count nothing. `contributions()` is that rule in SQL.

Kept in one place for every writer, by session listeners. The common writes are counted from the
objects themselves, without SQL: a new item (+1 in its status on its creation day), a status change
(-1 old / +1 new on the creation day) and a new status event (as above). A flush that changes an
item's plan, lead unit, creation time or deletion (or a status whose old value the session does not
hold) takes back what the item counted before the flush (read from the database as it was) and
adds what it counts after (read again). The changes are summed in
the session and written at commit, in key order (two sessions never lock the rows in opposite
orders), or before the flow is read. A rollback drops them with the rest. Bulk writes that bypass the
ORM (demo data, restore into an old schema) call `rebuild()`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import Date, delete, event, func, inspect, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from tracker.clock import VN_TZ
from tracker.item_states import changed
from tracker.models import ProgressEvent, Status, StatusFlowDay, Unit, UnitKind, WorkItem

_PENDING = "flow_ledger_pending"  # Counter {(plan_id, unit_kind, day, status): change} not yet written
_TOUCHED = "flow_ledger_touched"  # item ids taken back in before_flush, added again in after_flush
_KEY_ATTRS = ("status", "plan_id", "lead_unit_id", "created_at", "deleted_at")
_KINDS = "flow_ledger_unit_kinds"  # {unit id: kind}, read once per session
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


def _day(moment: dt.datetime) -> dt.date:
    """vn_day() in Python: the Hà Nội day of a stored moment (SQLite gives it back without an offset)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(VN_TZ).date()


def _kind(session: Session, unit_id: int) -> UnitKind:
    kinds = session.info.get(_KINDS)
    if kinds is None or unit_id not in kinds:  # a unit's kind never changes: read them all once per session
        kinds = session.info[_KINDS] = dict(session.connection().execute(select(Unit.id, Unit.kind)).all())
    return kinds[unit_id]


def _old_status(item: WorkItem) -> Status | None:
    """The status before this flush, when only the status changed and the old value is known."""
    state = inspect(item)
    if any(changed(state, name) for name in _KEY_ATTRS if name != "status"):
        return None
    deleted = state.get_history("status", PASSIVE_NO_INITIALIZE).deleted
    return deleted[0] if deleted else None


@event.listens_for(Session, "before_flush")
def _take_back(session: Session, _context, _instances) -> None:
    """Items whose plan, lead unit, creation or deletion changes: take back what they counted, as stored."""
    touched: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, WorkItem) and obj.id is not None:
            state = inspect(obj)
            if (any(changed(state, name) for name in _KEY_ATTRS)
                    and _old_status(obj) is None):
                touched.add(obj.id)
    touched.update(obj.id for obj in session.deleted if isinstance(obj, WorkItem) and obj.id is not None)
    session.info[_TOUCHED] = touched
    if touched:
        _pending(session).subtract(_count(session, touched))


@event.listens_for(Session, "after_flush")
def _add_again(session: Session, _context) -> None:
    """Add what the touched items count now; count new items, status changes and status events directly."""
    touched = set(session.info.pop(_TOUCHED, ()))
    pending = _pending(session)
    if touched:
        pending.update(_count(session, touched))
    for obj in session.new:
        if isinstance(obj, WorkItem) and obj.deleted_at is None:
            pending[(obj.plan_id, _kind(session, obj.lead_unit_id), _day(obj.created_at), obj.status)] += 1
    for obj in session.dirty:
        if isinstance(obj, WorkItem) and obj.id not in touched and obj.deleted_at is None:
            old = _old_status(obj)
            if old is not None and old != obj.status:
                key = (obj.plan_id, _kind(session, obj.lead_unit_id), _day(obj.created_at))
                pending[(*key, old)] -= 1
                pending[(*key, obj.status)] += 1
    for obj in session.new:
        if isinstance(obj, ProgressEvent) and obj.to_status is not None and obj.work_item_id not in touched:
            facts = _item_facts(session, obj.work_item_id)
            if facts is None:
                continue
            plan_id, kind, created = facts
            at = _day(obj.at)
            pending[(plan_id, kind, at, obj.to_status)] += 1
            pending[(plan_id, kind, created, obj.to_status)] -= 1
            if obj.from_status is not None:
                pending[(plan_id, kind, at, obj.from_status)] -= 1
                pending[(plan_id, kind, created, obj.from_status)] += 1


def _item_facts(session: Session, item_id: int) -> tuple[int, UnitKind, dt.date] | None:
    """(plan, unit kind, creation day) of a live item, from the session if it holds it; None if deleted."""
    item = session.identity_map.get(session.identity_key(WorkItem, item_id))
    if item is not None and all(name in item.__dict__ for name in _KEY_ATTRS):  # loaded, not expired
        row = (item.plan_id, item.lead_unit_id, item.created_at, item.deleted_at)
    else:
        row = session.connection().execute(
            select(WorkItem.plan_id, WorkItem.lead_unit_id, WorkItem.created_at, WorkItem.deleted_at)
            .where(WorkItem.id == item_id)).one_or_none()
    if row is None or row[3] is not None:
        return None
    return row[0], _kind(session, row[1]), _day(row[2])


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
