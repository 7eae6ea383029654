"""Reading planned work items: the filtered list (pages, export) and what a planner picks from.

A unit head's list holds the unit's own items only; deleted items are listed for the office alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, selectinload

from tracker.errors import NotFound
from tracker.models import Channel, Form, Plan, PriorityTask, Role, Status, Unit, WorkItem
from tracker.permissions import Action, Actor, require
from tracker.services.plans import MISSING_TEXT_LABEL
from tracker.limits import max_chars
from tracker.text import fold, has_words, parse_id, search_words
from tracker.workflow import STATUS_LABELS


@dataclass(frozen=True)
class ItemFilter:
    """What the "Công việc" list shows; None means any."""

    plan_id: int | None = None
    task_id: int | None = None
    unit_id: int | None = None
    form_id: int | None = None
    status: Status | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    include_deleted: bool = False
    text: str = ""  # number, or words of the title (case and accents ignored: "tien luong" finds "tiền lương")


@dataclass(frozen=True)
class ItemListRow:
    id: int
    version: int
    plan_code: str
    task_number: int
    task_label: str
    title: str
    lead_unit_id: int
    lead_unit: str
    coordinating_units: list[str]
    form: str
    channel: str | None
    start_date: dt.date | None
    due_date: dt.date | None
    target_qty: int | None
    target_unit: str | None
    budget_planned: int | None
    status: Status
    status_label: str
    progress: int
    recurring: bool
    note: str | None
    deleted: bool
    coordinating_unit_ids: list[int] = field(default_factory=list)
    priority_task_id: int = 0
    form_id: int = 0
    channel_id: int | None = None
    channel_text: str | None = None
    description: str | None = None
    staff: list[str] = field(default_factory=list)  # cán bộ phụ trách, as the import reads them (username)


@dataclass(frozen=True)
class Option:
    id: int
    code: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanChoices:
    """What a planner picks from when entering items of a plan."""

    tasks: list[Option]
    units: list[Option]
    forms: list[Option]
    channels: list[Option] = field(default_factory=list)

    def channel_id(self, text: str | None) -> int | None:
        """The catalog channel a typed name means (name or alias, folded), or None for free text."""
        key = fold(text or "")
        return next((o.id for o in self.channels if key and key in {fold(n) for n in (o.label, *o.aliases)}), None)


def plan_units(session: Session, plan: Plan) -> list[Unit]:
    """Units that exist on some day of the plan's year, in catalog order."""
    first, last = dt.date(plan.year, 1, 1), dt.date(plan.year, 12, 31)
    return list(session.scalars(
        select(Unit).where(or_(Unit.valid_from.is_(None), Unit.valid_from <= last),
                           or_(Unit.valid_to.is_(None), Unit.valid_to >= first)).order_by(Unit.id)))


def plan_choices(session: Session, *, plan_id: int) -> PlanChoices:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Không tìm thấy kế hoạch số {plan_id}.")
    return PlanChoices(
        tasks=[Option(t.id, str(t.number), f"({t.label}) {t.text or f'[{MISSING_TEXT_LABEL}]'}")
               for t in plan.tasks],
        units=[Option(u.id, u.code, u.name) for u in plan_units(session, plan)],
        forms=[Option(f.id, f.code, f.name) for f in session.scalars(
            select(Form).where(Form.active.is_(True)).order_by(Form.sort_order, Form.id))],
        channels=[Option(c.id, c.code, c.name, tuple(c.aliases)) for c in session.scalars(
            select(Channel).where(Channel.active.is_(True)).order_by(Channel.sort_order, Channel.id))],
    )


def count_items(session: Session, *, actor: Actor, filters: ItemFilter) -> int:
    """How many items `list_items` would list without a limit."""
    require(actor, Action.VIEW_ITEM)
    stmt = _matching(select(func.count(WorkItem.id)), actor, filters, session)
    return int(session.scalar(stmt) or 0)


def item_versions(session: Session, *, actor: Actor, filters: ItemFilter,
                  unit_id: int | None = None) -> list[tuple[int, int]]:
    """(id, version) of every item `filters` select (optionally led by `unit_id`), for a change to all of them."""
    require(actor, Action.VIEW_ITEM)
    stmt = _matching(select(WorkItem.id, WorkItem.version), actor, filters, session).order_by(WorkItem.id)
    if unit_id is not None:
        stmt = stmt.where(WorkItem.lead_unit_id == unit_id)
    return [(i, v) for i, v in session.execute(stmt)]


def _text_match(session: Session, stmt_ids, text: str) -> list[int]:
    """Ids among `stmt_ids` whose number is `text` or whose title holds its words, folded (tracker.text.fold) in
    Python: the same rule on SQLite and PostgreSQL, accents and case ignored."""
    text = text.strip()[:max_chars("search")]
    if (number := parse_id(text)) is not None:
        return [i for (i,) in session.execute(stmt_ids.where(WorkItem.id == number))]
    words = search_words(text)
    return [i for i, title in session.execute(stmt_ids.add_columns(WorkItem.title)) if has_words(words, title)]


def _matching(stmt, actor: Actor, filters: ItemFilter, session: Session | None = None):
    """`stmt` narrowed to the items `filters` select (deleted ones only for the office, when asked)."""
    if not filters.include_deleted or actor.role is not Role.ADMIN:
        stmt = stmt.where(WorkItem.deleted_at.is_(None))
    conditions = {
        "plan_id": WorkItem.plan_id, "task_id": WorkItem.priority_task_id, "unit_id": WorkItem.lead_unit_id,
        "form_id": WorkItem.form_id, "status": WorkItem.status,
    }
    for name, column in conditions.items():
        value = getattr(filters, name)
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.due_from:
        stmt = stmt.where(WorkItem.due_date >= filters.due_from)
    if filters.due_to:
        stmt = stmt.where(WorkItem.due_date <= filters.due_to)
    if filters.text.strip() and session is not None:
        ids = _text_match(session, _matching(select(WorkItem.id), actor, replace(filters, text="")), filters.text)
        # rendered inline: a short search ("a") may match tens of thousands of ids, past a bind-parameter limit
        stmt = stmt.where(WorkItem.id.in_(bindparam("text_ids", ids, expanding=True, literal_execute=True)))
    return stmt


def list_items(session: Session, *, actor: Actor, filters: ItemFilter, limit: int | None = None) -> list[ItemListRow]:
    """Items of every unit matching `filters`, by task then due date (reading is open: tracker.permissions)."""
    require(actor, Action.VIEW_ITEM)
    stmt = _matching(select(WorkItem)
            .join(PriorityTask, PriorityTask.id == WorkItem.priority_task_id)
            .options(selectinload(WorkItem.coordinating_units), selectinload(WorkItem.staff),
                     selectinload(WorkItem.lead_unit),
                     selectinload(WorkItem.plan), selectinload(WorkItem.priority_task),
                     selectinload(WorkItem.form), selectinload(WorkItem.channel))
            .order_by(PriorityTask.number, WorkItem.due_date, WorkItem.id), actor, filters, session)
    if limit:
        stmt = stmt.limit(limit)
    return [
        ItemListRow(
            id=i.id, version=i.version, plan_code=i.plan.code, task_number=i.priority_task.number,
            task_label=i.priority_task.label, title=i.title, lead_unit_id=i.lead_unit_id,
            lead_unit=i.lead_unit.name, coordinating_units=[u.name for u in i.coordinating_units],
            form=i.form.name, channel=i.channel.name if i.channel else i.channel_text,
            start_date=i.start_date, due_date=i.due_date, target_qty=i.target_qty, target_unit=i.target_unit,
            budget_planned=i.budget_planned, status=i.status, status_label=STATUS_LABELS[i.status],
            progress=i.progress, recurring=i.recurring, note=i.note, deleted=i.deleted_at is not None,
            coordinating_unit_ids=[u.id for u in i.coordinating_units], priority_task_id=i.priority_task_id,
            form_id=i.form_id, channel_id=i.channel_id, channel_text=i.channel_text, description=i.description,
            staff=[u.username for u in i.staff],
        )
        for i in session.scalars(stmt)
    ]
