"""Named staff (cán bộ phụ trách): a unit head assigns an item of the unit to one or more of its staff.

An assignment is a row per (item, staff member). Each change is one history entry ("Cán bộ phụ trách":
who before → who after) and one notification to each newly assigned person, written in the same
transaction; the newly assigned follow the item. What an assignment lets a staff member do is decided in
tracker/permissions.py, against the account as it is at the write: a staff member deactivated or moved to
another unit keeps the row (the history stays true) but loses the write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, ValidationFailed
from tracker.models import EventKind, ItemAssignment, ItemFollow, NotificationKind, ProgressEvent, Role, User, WorkItem
from tracker.notifications import Note, notify, short
from tracker.permissions import Action, Actor, require
from tracker.text import fold

NOTHING_CHANGED = "Danh sách cán bộ phụ trách không thay đổi."


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    username: str
    name: str
    # False once the account is locked or belongs to another unit: the assignment no longer gives any right.
    current: bool = True

    @property
    def label(self) -> str:
        return f"{self.name} (@{self.username})" + ("" if self.current else " — không còn thuộc đơn vị")


def _member(user: User, unit_id: int) -> StaffMember:
    return StaffMember(user.id, user.username, user.full_name or user.username,
                       current=user.active and user.role is Role.STAFF and user.unit_id == unit_id)


def unit_staff(session: Session, *, unit_id: int) -> list[StaffMember]:
    """The unit's active staff accounts, by name."""
    users = session.scalars(select(User).where(User.unit_id == unit_id, User.role == Role.STAFF,
                                               User.active.is_(True)))
    return sorted((_member(u, unit_id) for u in users), key=lambda m: (fold(m.name), m.username))


def assigned_staff(session: Session, *, item_id: int) -> list[StaffMember]:
    """Whom the item is assigned to, by name (those no longer in the lead unit marked so)."""
    item = session.get(WorkItem, item_id)
    if item is None:
        return []
    users = session.scalars(select(User).join(ItemAssignment, ItemAssignment.user_id == User.id)
                            .where(ItemAssignment.work_item_id == item_id))
    return sorted((_member(u, item.lead_unit_id) for u in users), key=lambda m: (fold(m.name), m.username))


def _names(users: Iterable[User]) -> str:
    return ", ".join(sorted((u.full_name or u.username for u in users), key=fold))


def apply_staff(session: Session, *, item: WorkItem, users: Sequence[User], actor_id: int | None,
                actor_name: str) -> ProgressEvent | None:
    """Make `users` the item's staff: rows, one history entry, notifications, follows. No permission check
    (assign_staff and the office's import check first). Returns the history entry, None when nothing changed.

    Raises:
        ValidationFailed: someone is not an active staff account of the item's lead unit.
    """
    problems = [f"“{u.full_name or u.username}” không phải chuyên viên đang hoạt động của đơn vị chủ trì."
                for u in users if not (u.active and u.role is Role.STAFF and u.unit_id == item.lead_unit_id)]
    if problems:
        raise ValidationFailed(problems[0], problems)
    wanted = {u.id: u for u in users}
    current = {u.id: u for u in session.scalars(
        select(User).join(ItemAssignment, ItemAssignment.user_id == User.id)
        .where(ItemAssignment.work_item_id == item.id))}
    added = [u for i, u in wanted.items() if i not in current]
    removed = [i for i in current if i not in wanted]
    if not added and not removed:
        return None
    if removed:
        session.execute(delete(ItemAssignment).where(ItemAssignment.work_item_id == item.id,
                                                     ItemAssignment.user_id.in_(removed)))
    for u in added:
        session.add(ItemAssignment(work_item_id=item.id, user_id=u.id, assigned_by_id=actor_id))
    event = ProgressEvent(work_item_id=item.id, actor_id=actor_id, kind=EventKind.UPDATED,
                          changes={"staff": [_names(current.values()) or None, _names(wanted.values()) or None]})
    session.add(event)
    known = set(session.scalars(select(ItemFollow.user_id).where(
        ItemFollow.work_item_id == item.id, ItemFollow.user_id.in_([u.id for u in added]))))
    for u in added:  # the people who do the work follow it, unless they chose before
        if u.id not in known:
            session.add(ItemFollow(work_item_id=item.id, user_id=u.id, following=True))
    session.flush()
    title = short(item.title)
    notify(session, [Note(NotificationKind.ASSIGNED, f"{actor_name} giao cho bạn công việc “{title}”.",
                          actor_id=actor_id, user_id=u.id, work_item_id=item.id) for u in added])
    session.expire(item, ["staff"])
    return event


def assign_staff(session: Session, *, actor: Actor, item_id: int, user_ids: Sequence[int]) -> ProgressEvent | None:
    """The lead unit's head (or the office) sets whom the item is assigned to (every id: the whole list).

    Raises:
        PermissionDenied: not the lead unit's head nor the office. NotFound: no such item or account.
        ValidationFailed: someone is not an active staff account of the lead unit; nothing changed.
    """
    item = session.get(WorkItem, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFound(f"Không tìm thấy công việc số {item_id} (có thể đã bị xóa).")
    require(actor, Action.ASSIGN_STAFF, item, session=session)
    ids = list(dict.fromkeys(int(i) for i in user_ids))
    users = list(session.scalars(select(User).where(User.id.in_(ids)))) if ids else []
    if len(users) != len(ids):
        raise NotFound("Không tìm thấy tài khoản chuyên viên được chọn.")
    event = apply_staff(session, item=item, users=users, actor_id=actor.user_id, actor_name=actor.display_name)
    if event is None:
        raise ValidationFailed(NOTHING_CHANGED)
    return event


class StaffIndex:
    """Staff accounts by unit, matched by username or full name with case and accents ignored (the import)."""

    def __init__(self, session: Session):
        self._by_unit: dict[int, dict[str, User]] = {}
        for u in session.scalars(select(User).where(User.role == Role.STAFF, User.active.is_(True))):
            names = self._by_unit.setdefault(u.unit_id, {})
            names.setdefault(fold(u.username), u)
            if u.full_name:
                names.setdefault(fold(u.full_name), u)

    def find(self, unit_id: int, text: str) -> User | None:
        """The lead unit's staff member written as `text` ("@nguyen.van.a", "nguyễn văn a"), or None."""
        return self._by_unit.get(unit_id, {}).get(fold(text.strip().lstrip("@")))
