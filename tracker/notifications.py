"""Notifications, written in the transaction of the change that causes them.

Kept in one place for every writer of an item's history, by a session listener (like
tracker/item_states.py): after each flush, every new history event that concerns a unit or a person
(created, moved to a unit by a merge, returned, confirmed, explanation asked or answered) becomes one
notification per recipient, inserted in one batch on the flush's own connection, so it commits or rolls
back with the change. A fan-out to 34 units is one query for the recipients and one INSERT.

Writers whose change is not an item event (a round opened, a comment) call `notify()` themselves. The staff an
item is assigned to are told what its unit is told about the work itself (returned, confirmed, explanation asked).
Nobody is notified of their own action.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tracker import clock
from tracker.models import (
    EventKind,
    ExplanationRequest,
    ExplanationStatus,
    ItemAssignment,
    Notification,
    NotificationKind,
    ProgressEvent,
    Role,
    User,
    WorkItem,
)

_TITLE_MAX = 160
# Roles that receive what is addressed to their unit.
UNIT_ROLES = (Role.UNIT_HEAD,)
_T = Notification.__table__


@dataclass(frozen=True)
class Note:
    """One notification to write: to a person, or to every head of a unit (`unit_id`)."""

    kind: NotificationKind
    text: str
    actor_id: int | None
    user_id: int | None = None
    unit_id: int | None = None
    work_item_id: int | None = None
    round_id: int | None = None
    dedupe_key: str | None = None


def short(title: str | None) -> str:
    """An item's title cut at a word for a one-line notification."""
    title = " ".join((title or "").split())
    if len(title) <= _TITLE_MAX:
        return title
    return title[:_TITLE_MAX].rsplit(" ", 1)[0] + "…"


def unit_members(session: Session, unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """Active accounts that receive a unit's notifications, by unit id (one query)."""
    ids = sorted(set(unit_ids))
    members: dict[int, list[int]] = {i: [] for i in ids}
    if not ids:
        return members
    rows = session.connection().execute(
        select(User.id, User.unit_id).where(User.unit_id.in_(ids), User.active.is_(True), User.role.in_(UNIT_ROLES)))
    for user_id, unit_id in rows:
        members[unit_id].append(user_id)
    return members


def notify(session: Session, notes: Sequence[Note]) -> int:
    """Write the notes (unit notes to each of the unit's people), never to the note's own actor, in one INSERT.

    Returns the number of notifications written.
    """
    if not notes:
        return 0
    members = unit_members(session, [n.unit_id for n in notes if n.unit_id is not None])
    now = clock.now()
    rows, seen = [], set()
    for n in notes:
        for user_id in ([n.user_id] if n.user_id is not None else members.get(n.unit_id, [])):
            key = (user_id, n.kind, n.work_item_id, n.round_id, n.text)
            if user_id == n.actor_id or key in seen:
                continue
            seen.add(key)
            rows.append({"user_id": user_id, "kind": n.kind, "work_item_id": n.work_item_id, "round_id": n.round_id,
                         "actor_id": n.actor_id, "text": n.text, "dedupe_key": n.dedupe_key, "created_at": now})
    if rows:
        session.connection().execute(_T.insert(), rows)
    return len(rows)


def _notes_for(session: Session, events: list[ProgressEvent]) -> list[Note]:
    conn = session.connection()
    item_ids = sorted({e.work_item_id for e in events})
    items = {r.id: r for r in conn.execute(
        select(WorkItem.id, WorkItem.title, WorkItem.lead_unit_id).where(WorkItem.id.in_(item_ids)))}
    notes: list[Note] = []
    for e in events:
        item = items.get(e.work_item_id)
        if item is None:
            continue
        title = short(item.title)
        base = {"actor_id": e.actor_id, "work_item_id": item.id}
        kind, changes = e.kind, e.changes or {}
        if kind is EventKind.CREATED:
            notes.append(Note(NotificationKind.ASSIGNED, f"Công việc mới giao cho đơn vị: “{title}”.",
                              unit_id=item.lead_unit_id, **base))
        elif kind is EventKind.UNIT_REPLACED and "lead_unit" in changes:
            notes.append(Note(NotificationKind.ASSIGNED,
                              f"Công việc chuyển về đơn vị (sáp nhập đơn vị): “{title}”.",
                              unit_id=item.lead_unit_id, **base))
        elif kind is EventKind.RETURNED:
            reason = f" Lý do: {e.note}" if e.note else ""
            notes.append(Note(NotificationKind.RETURNED, f"Văn phòng trả lại công việc “{title}”.{reason}",
                              unit_id=item.lead_unit_id, **base))
        elif kind is EventKind.CONFIRMED:
            notes.append(Note(NotificationKind.CONFIRMED, f"Văn phòng xác nhận hoàn thành “{title}”.",
                              unit_id=item.lead_unit_id, **base))
        elif kind is EventKind.EXPLANATION_REQUESTED:
            notes.append(Note(NotificationKind.EXPLANATION_REQUESTED,
                              f"Đơn vị được yêu cầu giải trình về “{title}”: {e.note or ''}".rstrip(": "),
                              unit_id=item.lead_unit_id, **base))
        elif kind is EventKind.EXPLANATION_GIVEN:
            asker = conn.execute(
                select(ExplanationRequest.requested_by_id)
                .where(ExplanationRequest.work_item_id == item.id,
                       ExplanationRequest.status == ExplanationStatus.ANSWERED)
                .order_by(ExplanationRequest.answered_at.desc(), ExplanationRequest.id.desc()).limit(1)).scalar()
            if asker is not None:
                notes.append(Note(NotificationKind.EXPLANATION_GIVEN,
                                  f"Đơn vị đã giải trình về “{title}”: {e.note or ''}".rstrip(": "),
                                  user_id=asker, **base))
    return notes + _to_staff(session, notes)


# What the lead unit is told that the staff doing the item are told too.
_STAFF_KINDS = (NotificationKind.RETURNED, NotificationKind.CONFIRMED, NotificationKind.EXPLANATION_REQUESTED)


def _to_staff(session: Session, notes: list[Note]) -> list[Note]:
    """The same notes for the staff the item is assigned to (active, still in the lead unit): one query."""
    item_ids = sorted({n.work_item_id for n in notes if n.kind in _STAFF_KINDS and n.unit_id is not None})
    if not item_ids:
        return []
    staff: dict[int, list[int]] = {}
    for item_id, user_id in session.connection().execute(
            select(ItemAssignment.work_item_id, ItemAssignment.user_id)
            .join(User, User.id == ItemAssignment.user_id).join(WorkItem, WorkItem.id == ItemAssignment.work_item_id)
            .where(ItemAssignment.work_item_id.in_(item_ids), User.active.is_(True), User.role == Role.STAFF,
                   User.unit_id == WorkItem.lead_unit_id)):
        staff.setdefault(item_id, []).append(user_id)
    return [replace(n, unit_id=None, user_id=u) for n in notes if n.kind in _STAFF_KINDS and n.unit_id is not None
            for u in staff.get(n.work_item_id, [])]


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    events = [o for o in session.new if isinstance(o, ProgressEvent)]
    if events:
        events.sort(key=lambda e: e.id)
        notify(session, _notes_for(session, events))
