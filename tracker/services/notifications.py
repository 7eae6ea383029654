"""A person's notifications: what is unread, the list with links, marking read one by one or all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from tracker import clock
from tracker.errors import NotFound
from tracker.models import EmailChoice, Notification, NotificationKind, User
from tracker.limits import max_chars
from tracker.permissions import Action, Actor, require
from tracker.text import has_words, search_words

EMAIL_CHOICE_LABELS = {
    EmailChoice.IMMEDIATE: "Gửi ngay từng thông báo",
    EmailChoice.DIGEST: "Gửi một thư tổng hợp mỗi ngày",
    EmailChoice.NONE: "Không gửi thư (chỉ xem trên hệ thống)",
}
KIND_LABELS = {
    NotificationKind.ASSIGNED: "Được giao việc",
    NotificationKind.RETURNED: "Bị trả lại",
    NotificationKind.CONFIRMED: "Đã xác nhận hoàn thành",
    NotificationKind.EXPLANATION_REQUESTED: "Yêu cầu giải trình",
    NotificationKind.EXPLANATION_GIVEN: "Đã giải trình",
    NotificationKind.ROUND_OPENED: "Kỳ báo cáo mới",
    NotificationKind.ROUND_DUE_SOON: "Sắp đến hạn nộp báo cáo",
    NotificationKind.ROUND_PASSED: "Quá hạn nộp báo cáo",
    NotificationKind.DUE_SOON: "Sắp đến hạn",
    NotificationKind.OVERDUE: "Quá hạn",
    NotificationKind.MENTION: "Được nhắc tên",
    NotificationKind.COMMENT: "Bình luận mới",
}
LIST_LIMIT = 200


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind_label: str
    text: str
    actor: str | None
    created_at: dt.datetime
    read: bool
    work_item_id: int | None
    round_id: int | None


@dataclass(frozen=True)
class NotificationList:
    rows: list[NotificationRow]
    total: int  # every notification of the person (the list shows the newest LIST_LIMIT)
    unread: int


def unread_count(session: Session, *, user_id: int) -> int:
    """How many of the person's notifications are unread (the sidebar's count)."""
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def list_notifications(session: Session, *, actor: Actor, only_unread: bool = False,
                       limit: int = LIST_LIMIT, text: str = "") -> NotificationList:
    """The actor's notifications, newest first (at most `limit`), with the totals; `text`: only those whose
    words (what happened, its kind, who did it) hold every word typed, case and accents ignored."""
    n = Notification
    mine = [n.user_id == actor.user_id]
    if only_unread:
        mine.append(n.read_at.is_(None))
    if words := search_words(text[:max_chars("search")]):
        found = session.execute(select(n.id, n.kind, n.text, User.full_name, User.username)
                                .outerjoin(User, User.id == n.actor_id).where(*mine))
        ids = [i for i, kind, body, full, username in found
               if has_words(words, body, KIND_LABELS[kind], full or username)]
        mine.append(n.id.in_(bindparam("found_ids", ids, expanding=True, literal_execute=True)))
    total = session.scalar(select(func.count()).select_from(n).where(*mine)) or 0
    stmt = (select(n, User.full_name, User.username).outerjoin(User, User.id == n.actor_id)
            .where(*mine).order_by(n.created_at.desc(), n.id.desc()).limit(limit))
    rows = [NotificationRow(id=x.id, kind_label=KIND_LABELS[x.kind], text=x.text, actor=full or username,
                            created_at=x.created_at, read=x.read_at is not None, work_item_id=x.work_item_id,
                            round_id=x.round_id)
            for x, full, username in session.execute(stmt)]
    return NotificationList(rows=rows, total=total, unread=unread_count(session, user_id=actor.user_id))


def mark_read(session: Session, *, actor: Actor, notification_id: int) -> None:
    """Mark one of the actor's notifications read.

    Raises:
        NotFound: no such notification. PermissionDenied: someone else's, or the session is over.
    """
    note = session.get(Notification, notification_id)
    if note is None:
        raise NotFound(f"Không tìm thấy thông báo số {notification_id}.")
    require(actor, Action.READ_NOTIFICATION, note, session=session)
    if note.read_at is None:
        note.read_at = clock.now()
    session.flush()


def mark_all_read(session: Session, *, actor: Actor) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    require(actor, Action.READ_NOTIFICATION, Notification(user_id=actor.user_id), session=session)
    result = session.execute(update(Notification)
                             .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
                             .values(read_at=clock.now()))
    return result.rowcount or 0


def email_choice(session: Session, *, actor: Actor) -> tuple[EmailChoice, str | None]:
    """The actor's e-mail choice and address (None: no address, nothing can be sent)."""
    user = session.get(User, actor.user_id)
    return user.email_choice, user.email or None


def set_email_choice(session: Session, *, actor: Actor, choice: EmailChoice) -> None:
    """How the actor's notifications reach them by e-mail (the scheduled job sends them)."""
    require(actor, Action.OWN_SETTINGS, actor.user_id, session=session)
    session.get(User, actor.user_id).email_choice = EmailChoice(choice)
    session.flush()
