"""Units: lookup by code or name, and listing by the date they are active on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from tracker.errors import NotFound
from tracker.models import Unit, UnitKind
from tracker.text import fold

KIND_LABELS = {
    UnitKind.MINISTRY_ADMIN: "Đơn vị hành chính thuộc Bộ",
    UnitKind.MINISTRY_SERVICE: "Đơn vị sự nghiệp thuộc Bộ",
    UnitKind.PROVINCIAL: "Sở Nội vụ",
}


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    short_name: str | None
    kind: str
    kind_label: str
    province: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    successor_code: str | None
    verified: bool
    note: str | None


def list_units(session: Session, *, active_on: dt.date | None = None,
               kind: UnitKind | None = None) -> list[UnitInfo]:
    """Units (optionally those active on a day, or of one kind) in catalog order."""
    successor = aliased(Unit)
    stmt = select(Unit, successor.code).outerjoin(successor, Unit.successor_id == successor.id)
    if active_on is not None:
        stmt = stmt.where(
            or_(Unit.valid_from.is_(None), Unit.valid_from <= active_on),
            or_(Unit.valid_to.is_(None), Unit.valid_to >= active_on),
        )
    if kind is not None:
        stmt = stmt.where(Unit.kind == kind)
    rows = session.execute(stmt.order_by(Unit.id)).all()
    return [
        UnitInfo(
            id=u.id, code=u.code, name=u.name, short_name=u.short_name, kind=u.kind.value,
            kind_label=KIND_LABELS[u.kind], province=u.province, valid_from=u.valid_from,
            valid_to=u.valid_to, successor_code=succ, verified=u.verified, note=u.note,
        )
        for u, succ in rows
    ]


def find_unit(session: Session, ref: str) -> Unit:
    """A unit by code, full name, short name or alias, ignoring case, accents and spacing.

    Raises:
        NotFound: with a Vietnamese message naming what was asked.
    """
    key = fold(ref)
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        names = [unit.code, unit.name, unit.short_name or "", *unit.aliases]
        if key in {fold(n) for n in names if n}:
            return unit
    raise NotFound(f"Không tìm thấy đơn vị “{ref}”. Xem danh sách: python -m tracker units.")
