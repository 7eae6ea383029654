"""An item's conversation: comments with `@username` mentions, and who follows the item.

Comments are plain text (shown escaped, never as markdown or HTML). A mention notifies the person
named, who must be able to see the item; a comment notifies the item's followers. The people
involved follow by default: the lead unit's heads (unless they unfollowed), whoever commented,
whoever was mentioned. An author edits a comment within EDIT_WINDOW; a deletion leaves "đã xóa".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker import clock
from tracker.errors import NotFound, ValidationFailed
from tracker.limits import too_long
from tracker.models import ItemComment, ItemFollow, NotificationKind, User, WorkItem
from tracker.notifications import Note, notify, short, unit_members
from tracker.permissions import Action, Actor, can, require
from tracker.text import clean

EDIT_WINDOW = dt.timedelta(minutes=15)
DELETED_TEXT = "Bình luận đã xóa."
# "@name" at the start or after a space or punctuation, not inside an e-mail address (a@b.vn).
_MENTION = re.compile(r"(?<![\w.@])@([a-z0-9][a-z0-9._-]{1,79})", re.IGNORECASE)


@dataclass(frozen=True)
class CommentRow:
    id: int
    author: str
    body: str  # DELETED_TEXT once deleted
    created_at: dt.datetime
    edited: bool
    deleted: bool
    can_edit: bool
    can_delete: bool


@dataclass(frozen=True)
class Person:
    user_id: int
    username: str
    name: str


def _item(session: Session, item_id: int) -> WorkItem:
    item = session.get(WorkItem, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFound(f"Không tìm thấy công việc số {item_id}.")
    return item


def mentioned_names(body: str) -> list[str]:
    """The usernames a text mentions, lower case, in order, each once."""
    names: list[str] = []
    for m in _MENTION.finditer(body or ""):
        name = m.group(1).rstrip("._-").lower()
        if name not in names:
            names.append(name)
    return names


def _mentioned(session: Session, item: WorkItem, body: str) -> list[User]:
    """The accounts the body mentions; every one must exist and be able to see the item.

    Raises:
        ValidationFailed: naming each mention refused and why.
    """
    names = mentioned_names(body)
    if not names:
        return []
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}
    problems = []
    for name in names:
        user = users.get(name)
        if user is None:
            problems.append(f"Không có tài khoản “@{name}”: không thể nhắc tên.")
        elif not user.active:
            problems.append(f"Không thể nhắc tên “@{name}”: tài khoản đã bị khóa, không xem được công việc.")
        elif not can(Actor.of(user), Action.VIEW_ITEM, item):
            problems.append(f"Không thể nhắc tên “@{name}”: người này không được xem công việc này.")
    if problems:
        raise ValidationFailed(problems[0], problems)
    return [users[n] for n in names]


def _body(value: str | None) -> str:
    body = clean(value)
    if not body:
        raise ValidationFailed("Vui lòng nhập nội dung bình luận.")
    if problem := too_long("comment", body):
        raise ValidationFailed(problem)
    return body


def _follow_by_default(session: Session, item_id: int, user_ids: list[int]) -> None:
    """The people involved follow the item, unless they chose before (a row exists)."""
    known = set(session.scalars(select(ItemFollow.user_id).where(ItemFollow.work_item_id == item_id,
                                                                 ItemFollow.user_id.in_(user_ids))))
    for user_id in dict.fromkeys(user_ids):
        if user_id not in known:
            session.add(ItemFollow(work_item_id=item_id, user_id=user_id, following=True))


def followers(session: Session, item: WorkItem) -> set[int]:
    """Who follows the item: those who chose to, and the lead unit's heads unless they chose not to."""
    choices = dict(session.execute(select(ItemFollow.user_id, ItemFollow.following)
                                   .where(ItemFollow.work_item_id == item.id)).all())
    heads = unit_members(session, [item.lead_unit_id]).get(item.lead_unit_id, [])
    return {u for u, on in choices.items() if on} | {u for u in heads if choices.get(u, True)}


def is_following(session: Session, *, actor: Actor, item_id: int) -> bool:
    return actor.user_id in followers(session, _item(session, item_id))


def set_following(session: Session, *, actor: Actor, item_id: int, following: bool) -> None:
    """Follow or stop following an item (anyone who may see it)."""
    item = _item(session, item_id)
    require(actor, Action.FOLLOW_ITEM, item, session=session)
    row = session.get(ItemFollow, (item.id, actor.user_id))
    if row is None:
        session.add(ItemFollow(work_item_id=item.id, user_id=actor.user_id, following=following))
    else:
        row.following, row.at = following, clock.now()
    session.flush()


def _notes(session: Session, item: WorkItem, actor: Actor, body: str, mentioned: list[User],
           *, already: set[int] = frozenset(), to_followers: bool = True) -> list[Note]:
    title = short(item.title)
    excerpt = short(body)
    who = actor.display_name
    notes = [Note(NotificationKind.MENTION, f"{who} nhắc tên bạn trong “{title}”: {excerpt}",
                  actor_id=actor.user_id, user_id=u.id, work_item_id=item.id)
             for u in mentioned if u.id not in already]
    if to_followers:
        named = {u.id for u in mentioned}
        notes += [Note(NotificationKind.COMMENT, f"{who} bình luận về “{title}”: {excerpt}",
                       actor_id=actor.user_id, user_id=u, work_item_id=item.id)
                  for u in sorted(followers(session, item) - named)]
    return notes


def add_comment(session: Session, *, actor: Actor, item_id: int, body: str) -> ItemComment:
    """Post a comment; mentions and followers are notified in the same transaction.

    Raises:
        PermissionDenied, NotFound, ValidationFailed (empty, too long, a mention refused).
    """
    item = _item(session, item_id)
    require(actor, Action.COMMENT, item, session=session)
    body = _body(body)
    mentioned = _mentioned(session, item, body)
    comment = ItemComment(work_item_id=item.id, author_id=actor.user_id, body=body, created_at=clock.now())
    session.add(comment)
    notify(session, _notes(session, item, actor, body, mentioned))
    _follow_by_default(session, item.id, [actor.user_id, *(u.id for u in mentioned)])
    session.flush()
    return comment


def _comment(session: Session, comment_id: int) -> ItemComment:
    comment = session.get(ItemComment, comment_id)
    if comment is None:
        raise NotFound(f"Không tìm thấy bình luận số {comment_id}.")
    return comment


def edit_comment(session: Session, *, actor: Actor, comment_id: int, body: str) -> ItemComment:
    """The author changes a comment within EDIT_WINDOW of posting it; people newly mentioned are notified.

    Raises:
        PermissionDenied (not the author, deleted), NotFound, ValidationFailed (too late, empty, mention).
    """
    comment = _comment(session, comment_id)
    require(actor, Action.EDIT_COMMENT, comment, session=session)
    if clock.now() - _utc(comment.created_at) > EDIT_WINDOW:
        raise ValidationFailed("Chỉ sửa được bình luận trong 15 phút sau khi gửi.")
    item = _item(session, comment.work_item_id)
    body = _body(body)
    mentioned = _mentioned(session, item, body)
    before = set(mentioned_names(comment.body))
    comment.body, comment.edited_at = body, clock.now()
    notify(session, _notes(session, item, actor, body, mentioned,
                           already={u.id for u in mentioned if u.username in before}, to_followers=False))
    _follow_by_default(session, item.id, [u.id for u in mentioned])
    session.flush()
    return comment


def delete_comment(session: Session, *, actor: Actor, comment_id: int) -> None:
    """Delete a comment (its author, or the office): the thread keeps its place, saying "đã xóa"."""
    comment = _comment(session, comment_id)
    require(actor, Action.DELETE_COMMENT, comment, session=session)
    comment.body, comment.deleted_at, comment.deleted_by_id = "", clock.now(), actor.user_id
    session.flush()


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def list_comments(session: Session, *, actor: Actor, item_id: int) -> list[CommentRow]:
    """The item's thread, oldest first, with what the actor may do to each comment."""
    item = _item(session, item_id)
    require(actor, Action.VIEW_ITEM, item)
    now = clock.now()
    rows = []
    for c in session.scalars(select(ItemComment).options(selectinload(ItemComment.author))
                             .where(ItemComment.work_item_id == item.id)
                             .order_by(ItemComment.created_at, ItemComment.id)):
        deleted = c.deleted_at is not None
        author = (c.author.full_name or c.author.username) if c.author else "Tài khoản đã xóa"
        rows.append(CommentRow(
            id=c.id, author=author, body=DELETED_TEXT if deleted else c.body, created_at=c.created_at,
            edited=c.edited_at is not None and not deleted, deleted=deleted,
            can_edit=can(actor, Action.EDIT_COMMENT, c) and now - _utc(c.created_at) <= EDIT_WINDOW,
            can_delete=can(actor, Action.DELETE_COMMENT, c)))
    return rows


def mention_candidates(session: Session, *, item_id: int) -> list[Person]:
    """People who may be mentioned on the item (active accounts that may see it), by name."""
    item = _item(session, item_id)
    people = [Person(u.id, u.username, u.full_name or u.username)
              for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
              if can(Actor.of(u), Action.VIEW_ITEM, item)]
    return sorted(people, key=lambda p: p.name)


@dataclass(frozen=True)
class Thread:
    comments: list[CommentRow]
    following: bool
    can_comment: bool
    people: list[Person]  # who may be mentioned (empty when the actor may not comment)


def thread(session: Session, *, actor: Actor, item_id: int) -> Thread:
    """Everything the item page's conversation tab shows, in one call."""
    item = _item(session, item_id)
    allowed = can(actor, Action.COMMENT, item)
    return Thread(comments=list_comments(session, actor=actor, item_id=item_id),
                  following=actor.user_id in followers(session, item), can_comment=allowed,
                  people=mention_candidates(session, item_id=item_id) if allowed else [])
