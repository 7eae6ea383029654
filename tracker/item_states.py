"""Each work item's state by Hà Nội day (table work_item_states): what the figures of a past cut-off read.

A row holds the facts the figures need (plan, task, lead unit, form, dates, status, progress, quantities,
budget, blocked, completion and submission days, deleted) from `valid_from` up to, not including,
`valid_to`. The open row (valid_to NULL) is the item as it is now. Several writes on one day leave one
row: a cut-off is always the end of a day.

Kept in one place for every writer, by a session listener: after each flush, every new item and every
item whose tracked facts changed gets a row for today (a new item: its creation day), written on the
flush's own connection, so it commits or rolls back with the change. Bulk writes that bypass the ORM
(demo data, an old dump) call `rebuild()`, which replays the history (`replay`). Items written before
this table existed are replayed the same way by migration 0005: their status, progress, achieved
quantity, completion and submission days, lead unit (unit merges), blocked flag and deletion follow the
history; the other facts (task, form, dates, targets, budget) are taken as they are now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, event, inspect, or_, select, update
from sqlalchemy.orm import InstanceState, Session
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE

from tracker import clock
from tracker.models import CutoffFigures, EventKind, ProgressEvent, Status, Unit, WorkItem, WorkItemState

FACTS = ("plan_id", "priority_task_id", "lead_unit_id", "form_id", "start_date", "due_date", "status",
         "progress", "blocked", "completed_on", "submitted_on", "target_qty", "achieved_qty", "budget_planned",
         "budget_spent")
_WATCHED = (*FACTS, "deleted_at")
_CHUNK = 2000
_T = WorkItemState.__table__


def facts_of(item: WorkItem) -> dict[str, Any]:
    """The tracked facts of an item object, as a state row's values (without the item id and days)."""
    values = {name: getattr(item, name) for name in FACTS}
    values["deleted"] = item.deleted_at is not None
    return values


def changed(state: InstanceState, name: str) -> bool:
    """Whether the flush will write attribute `name` of an object (its state): without `state.attrs`, which
    builds every attribute's view of every object (a third of a 1.000-item flush)."""
    return state.get_history(name, PASSIVE_NO_INITIALIZE).has_changes()


def _changed(item: WorkItem) -> bool:
    state = inspect(item)
    return any(changed(state, name) for name in _WATCHED)


def record(session: Session, rows: Sequence[tuple[int, dt.date, dict[str, Any]]], *, new: bool = False) -> None:
    """Make each (item id, day, facts) the item's state from `day` on, replacing what was stored from then."""
    if not rows:
        return
    conn = session.connection()
    if not new:
        keys = [{"i": item_id, "d": day} for item_id, day, _ in rows]
        conn.execute(delete(_T).where(_T.c.work_item_id == bindparam("i"), _T.c.valid_from >= bindparam("d")), keys)
        conn.execute(update(_T).where(_T.c.work_item_id == bindparam("i"),
                                      or_(_T.c.valid_to.is_(None), _T.c.valid_to > bindparam("d")))
                     .values(valid_to=bindparam("d")), keys)
    conn.execute(_T.insert(), [{"work_item_id": item_id, "valid_from": day, "valid_to": None, **facts}
                               for item_id, day, facts in rows])


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    new = [(o.id, clock.vn_day(o.created_at), facts_of(o)) for o in session.new if isinstance(o, WorkItem)]
    today = clock.vn_day(clock.now())
    changed = [(o.id, today, facts_of(o)) for o in session.dirty
               if isinstance(o, WorkItem) and o not in session.deleted and _changed(o)]
    record(session, new, new=True)
    record(session, changed)


# ---------------------------------------------------------------- replay from the history

def replay(item: dict[str, Any], events: Sequence[dict[str, Any]], unit_ids: dict[str, int], *,
           end_as_now: bool = True) -> list[tuple[dt.date, dict[str, Any]]]:
    """The item's states by day, rebuilt from its history: [(day, facts)], the last equal to the item now
    (unless `end_as_now` is False: then as the history alone tells).

    `item`: the item's row (FACTS, created_at, deleted_at); `events`: its history in order (at, kind,
    from_status, to_status, progress, achieved_qty, changes); `unit_ids`: unit name -> id (merges
    record names).
    """
    now = {name: item[name] for name in FACTS}
    now["deleted"] = item["deleted_at"] is not None
    state = dict(now)
    if any(e["to_status"] is not None for e in events):
        state["status"] = Status.NOT_STARTED
    if any(e["progress"] is not None for e in events):
        state["progress"] = 0
    if any(e["achieved_qty"] is not None for e in events):
        state["achieved_qty"] = None
    if any(e["kind"] in (EventKind.BLOCKED, EventKind.UNBLOCKED) for e in events):
        state["blocked"] = False
    if any(e["kind"] in (EventKind.DELETED, EventKind.RESTORED) for e in events):
        state["deleted"] = False
    if any(e["to_status"] is not None for e in events):
        state["completed_on"] = state["submitted_on"] = None
    first_lead = next((e["changes"]["lead_unit"][0] for e in events
                       if e["kind"] is EventKind.UNIT_REPLACED and "lead_unit" in (e["changes"] or {})), None)
    if first_lead in unit_ids:
        state["lead_unit_id"] = unit_ids[first_lead]

    created = clock.vn_day(item["created_at"])
    days: dict[dt.date, dict[str, Any]] = {created: dict(state)}
    for e in events:
        day = max(clock.vn_day(e["at"]), created)
        to = e["to_status"]
        if to is not None:
            if to is Status.AWAITING_CONFIRMATION:
                state["submitted_on"], state["completed_on"] = day, None
            elif to is Status.DONE:
                from_awaiting = e["from_status"] is Status.AWAITING_CONFIRMATION and state["submitted_on"]
                state["completed_on"] = state["submitted_on"] if from_awaiting else day
            else:
                state["submitted_on"] = state["completed_on"] = None
            state["status"] = to
        if e["progress"] is not None:
            state["progress"] = e["progress"]
        if e["achieved_qty"] is not None:
            state["achieved_qty"] = e["achieved_qty"]
        kind, changes = e["kind"], e["changes"] or {}
        if kind in (EventKind.DELETED, EventKind.RESTORED):
            state["deleted"] = kind is EventKind.DELETED
        if kind in (EventKind.BLOCKED, EventKind.UNBLOCKED):
            state["blocked"] = kind is EventKind.BLOCKED
        if kind is EventKind.UNIT_REPLACED and "lead_unit" in changes and changes["lead_unit"][1] in unit_ids:
            state["lead_unit_id"] = unit_ids[changes["lead_unit"][1]]
        days[day] = dict(state)
    if end_as_now:
        days[max(days)] = now  # the open row is the item as it is now, whatever the history could not tell
    return sorted(days.items())


def _chunks(session: Session, item_conds: list) -> Iterable[tuple[list[int], dict, dict, dict]]:
    """(item ids, {id: item row}, {id: [events]}, unit ids by name) for the matching items, 2.000 at a time."""
    conn = session.connection()
    ids = [i for (i,) in conn.execute(select(WorkItem.id).where(*item_conds).order_by(WorkItem.id))]
    unit_ids = {name: uid for uid, name in conn.execute(select(Unit.id, Unit.name))}
    cols = [WorkItem.id, WorkItem.created_at, WorkItem.deleted_at, *(getattr(WorkItem, n) for n in FACTS)]
    ev = ProgressEvent
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        items = {r.id: r._asdict() for r in conn.execute(select(*cols).where(WorkItem.id.in_(chunk)))}
        history: dict[int, list[dict[str, Any]]] = {i: [] for i in chunk}
        for r in conn.execute(select(ev.work_item_id, ev.at, ev.kind, ev.from_status, ev.to_status, ev.progress,
                                     ev.achieved_qty, ev.changes)
                              .where(ev.work_item_id.in_(chunk)).order_by(ev.work_item_id, ev.at, ev.id)):
            history[r.work_item_id].append(r._asdict())
        yield chunk, items, history, unit_ids


def redate_completions(session: Session) -> int:
    """Set the submission, completion (delivery) and confirmation days of items sent or confirmed before
    those rules existed, from their history (migration 0005). Returns the number of items changed."""
    session.flush()
    conn = session.connection()
    changed = 0
    done_or_sent = [WorkItem.status.in_([Status.AWAITING_CONFIRMATION, Status.DONE])]
    for chunk, items, history, unit_ids in _chunks(session, done_or_sent):
        for item_id in chunk:
            item = items[item_id]
            if not any(e["to_status"] is not None for e in history[item_id]):
                continue
            told = replay(item, history[item_id], unit_ids, end_as_now=False)[-1][1]
            values = {"submitted_on": told["submitted_on"]}
            if item["status"] is Status.DONE:
                values["completed_on"] = told["completed_on"] or item["completed_on"]
                values["confirmed_on"] = item["completed_on"]
            if any(item.get(k) != v for k, v in values.items()) or item["status"] is Status.DONE:
                conn.execute(update(WorkItem.__table__).where(WorkItem.__table__.c.id == item_id).values(**values))
                changed += 1
    return changed


def rebuild(session: Session, plan_ids: Iterable[int] | None = None) -> int:
    """Replace the stored states of these plans' items (all when None) by the history's replay.

    Returns the number of rows written.
    """
    session.flush()
    conn = session.connection()
    item_conds = [] if plan_ids is None else [WorkItem.plan_id.in_(sorted(set(plan_ids)))]
    kept = delete(CutoffFigures)  # figures kept for past cut-offs came from the rows replaced here
    conn.execute(kept if plan_ids is None else kept.where(CutoffFigures.plan_id.in_(sorted(set(plan_ids)))))
    written = 0
    for chunk, items, history, unit_ids in _chunks(session, item_conds):
        conn.execute(delete(_T).where(_T.c.work_item_id.in_(chunk)))
        rows = []
        for item_id in chunk:
            states = replay(items[item_id], history[item_id], unit_ids)
            for n, (day, facts) in enumerate(states):
                end = states[n + 1][0] if n + 1 < len(states) else None
                rows.append({"work_item_id": item_id, "valid_from": day, "valid_to": end, **facts})
        if rows:
            conn.execute(_T.insert(), rows)
        written += len(rows)
    return written


def drift(session: Session) -> list[int]:
    """Items whose open state row is missing or differs from the item as it is now (empty when right)."""
    session.flush()
    item, st = WorkItem, WorkItemState
    joined = (select(item.id).select_from(item)
              .outerjoin(st, and_(st.work_item_id == item.id, st.valid_to.is_(None))))
    differs = [st.work_item_id.is_(None), st.deleted != (item.deleted_at.is_not(None))]
    for name in FACTS:
        a, b = getattr(item, name), getattr(st, name)
        differs.append(or_(and_(a.is_(None), b.is_not(None)), and_(a.is_not(None), b.is_(None)), a != b))
    return sorted(i for (i,) in session.execute(joined.where(or_(*differs))))
