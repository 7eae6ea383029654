"""Saved views: a page's filters (its URL query parameters) kept under a name, to reopen as a link.

Who sees a view: its owner always; a view shared with a unit, the accounts of that unit; a view shared
with everyone, every account. Only the office shares with everyone. The owner (or the office) renames and
deletes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, PermissionDenied, ValidationFailed
from tracker.models import Role, SavedView, ViewVisibility
from tracker.permissions import Action, Actor, require

# The pages that keep their filters in the URL, by the name a page passes (and its address).
PAGES = {"board": "bang-kanban", "work_items": "danh-sach-cong-viec", "dashboard": "tong-quan", "calendar": "lich"}
VISIBILITY_LABELS = {
    ViewVisibility.PRIVATE: "Chỉ mình tôi",
    ViewVisibility.UNIT: "Cả đơn vị của tôi",
    ViewVisibility.EVERYONE: "Mọi người",
}
NAME_MAX = 120
MAX_PARAMS = 20
PARAM_MAX = 200

NAME_EMPTY = "Hãy đặt tên cho bộ lọc."
NAME_TAKEN = "Bạn đã có một bộ lọc tên “{name}” trên trang này."
EVERYONE_OFFICE_ONLY = "Chỉ Văn phòng (quản trị) được chia sẻ bộ lọc cho mọi người."
UNIT_NEEDS_UNIT = "Tài khoản của bạn không thuộc đơn vị nào để chia sẻ."
NOT_YOURS = "Bạn chỉ được xóa bộ lọc do mình lưu."
NOT_YOURS_RENAME = "Bạn chỉ được đổi tên bộ lọc do mình lưu."
NOT_FOUND = "Không tìm thấy bộ lọc đã lưu."


@dataclass(frozen=True)
class View:
    id: int
    page: str
    name: str
    params: dict[str, str]
    visibility: ViewVisibility
    owner_id: int
    owner_name: str
    mine: bool


def clean_params(params: Mapping[str, object]) -> dict[str, str]:
    """The query parameters worth keeping: plain strings, a bounded number and length."""
    out = {}
    for key, value in list(params.items())[:MAX_PARAMS]:
        if isinstance(value, (list, tuple)):
            value = value[-1] if value else ""
        key, value = str(key)[:40], str(value)[:PARAM_MAX]
        if key and value:
            out[key] = value
    return out


def _visible(actor: Actor):
    shared = [SavedView.owner_id == actor.user_id, SavedView.visibility == ViewVisibility.EVERYONE]
    if actor.unit_id is not None:
        shared.append((SavedView.visibility == ViewVisibility.UNIT) & (SavedView.unit_id == actor.unit_id))
    return or_(*shared)


def list_views(session: Session, *, actor: Actor, page: str) -> list[View]:
    """The views of `page` the actor may see: their own first, then the shared ones, by name."""
    require(actor, Action.VIEW_ITEM)
    rows = session.scalars(select(SavedView).where(SavedView.page == page, _visible(actor))
                           .order_by(SavedView.name, SavedView.id))
    views = [View(id=v.id, page=v.page, name=v.name, params=dict(v.params or {}), visibility=v.visibility,
                  owner_id=v.owner_id, owner_name=v.owner.full_name or v.owner.username,
                  mine=v.owner_id == actor.user_id) for v in rows]
    return sorted(views, key=lambda v: not v.mine)


def _name(name: str | None) -> str:
    name = " ".join(str(name or "").split())[:NAME_MAX]
    if not name:
        raise ValidationFailed(NAME_EMPTY)
    return name


def _refuse_taken(session: Session, *, owner_id: int, page: str, name: str, but: int | None = None) -> None:
    taken = session.scalar(select(SavedView.id).where(SavedView.owner_id == owner_id, SavedView.page == page,
                                                      SavedView.name == name, SavedView.id != (but or 0)))
    if taken is not None:
        raise ValidationFailed(NAME_TAKEN.format(name=name))


def save_view(session: Session, *, actor: Actor, page: str, name: str, params: Mapping[str, object],
              visibility: ViewVisibility) -> View:
    """Keep `params` under `name` for `page`; a name the owner already used on that page is refused.

    Raises:
        ValidationFailed: no name, an unknown page, the name taken.
        PermissionDenied: "everyone" by anyone but the office; "unit" without a unit.
    """
    require(actor, Action.VIEW_ITEM, session=session)
    name = _name(name)
    if page not in PAGES:
        raise ValidationFailed(f"Trang “{page}” không lưu được bộ lọc.")
    if visibility is ViewVisibility.EVERYONE and actor.role is not Role.ADMIN:
        raise PermissionDenied(EVERYONE_OFFICE_ONLY)
    if visibility is ViewVisibility.UNIT and actor.unit_id is None:
        raise PermissionDenied(UNIT_NEEDS_UNIT)
    _refuse_taken(session, owner_id=actor.user_id, page=page, name=name)
    row = SavedView(owner_id=actor.user_id, page=page, name=name, params=clean_params(params),
                    visibility=visibility, unit_id=actor.unit_id if visibility is ViewVisibility.UNIT else None)
    session.add(row)
    session.flush()
    return View(id=row.id, page=page, name=name, params=row.params, visibility=visibility,
                owner_id=actor.user_id, owner_name=actor.display_name, mine=True)


def delete_view(session: Session, *, actor: Actor, view_id: int) -> None:
    """Delete a saved view: its owner, or the office.

    Raises:
        NotFound: no such view (or one the actor cannot see).
        PermissionDenied: someone else's view.
    """
    require(actor, Action.VIEW_ITEM, session=session)
    row = session.get(SavedView, view_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    if row.owner_id != actor.user_id and actor.role is not Role.ADMIN:
        raise PermissionDenied(NOT_YOURS)
    session.delete(row)


def rename_view(session: Session, *, actor: Actor, view_id: int, name: str) -> View:
    """Give a saved view another name (its filters and who sees it stay): its owner, or the office.

    Raises:
        NotFound: no such view. PermissionDenied: someone else's view.
        ValidationFailed: no name, or the owner already has a view of that name on the page.
    """
    require(actor, Action.VIEW_ITEM, session=session)
    row = session.get(SavedView, view_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    if row.owner_id != actor.user_id and actor.role is not Role.ADMIN:
        raise PermissionDenied(NOT_YOURS_RENAME)
    name = _name(name)
    _refuse_taken(session, owner_id=row.owner_id, page=row.page, name=name, but=row.id)
    row.name = name
    session.flush()
    return View(id=row.id, page=row.page, name=name, params=dict(row.params or {}), visibility=row.visibility,
                owner_id=row.owner_id, owner_name=row.owner.full_name or row.owner.username,
                mine=row.owner_id == actor.user_id)
