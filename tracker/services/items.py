"""Reading work items: one item in full, short lists for "Việc của tôi" and a simple search."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from tracker import clock
from tracker.errors import NotFound
from tracker.figures import STANDING_LABELS, Standing, standing, standing_case
from tracker.models import (
    EvidenceFile,
    ItemAssignment,
    Plan,
    PriorityTask,
    Role,
    Status,
    Unit,
    WorkItem,
    work_item_coordinators,
)
from tracker.permissions import Action, Actor, can, require
from tracker.services import contributions
from tracker.limits import max_chars
from tracker.text import fold, parse_id
from tracker.workflow import STATUS_LABELS

LIST_LIMIT = 200


@dataclass(frozen=True)
class ItemRow:
    id: int
    title: str
    plan_code: str
    task_label: str
    lead_unit: str
    due_date: dt.date | None
    status: str
    status_label: str
    progress: int
    blocked: bool
    days_overdue: int
    standing_label: str = ""


@dataclass(frozen=True)
class ItemDetail:
    id: int
    version: int
    title: str
    description: str | None
    plan_code: str
    plan_title: str
    task_label: str
    task_text: str | None
    lead_unit_id: int
    lead_unit: str
    coordinating_units: list[str]
    form: str
    channel: str | None
    start_date: dt.date | None
    due_date: dt.date | None
    target_qty: int | None
    target_unit: str | None
    achieved_qty: int | None
    budget_planned: int | None
    budget_spent: int | None
    status: Status
    status_label: str
    progress: int
    blocked: bool
    blocked_reason: str | None
    completed_on: dt.date | None
    note: str | None
    files: list[tuple[int, str, int, str | None]]  # id, name, bytes, the coordinating unit that sent it (or None)
    can_update: bool
    can_request_explanation: bool
    staff: tuple[str, ...] = ()  # cán bộ phụ trách, by name
    can_assign: bool = False
    can_contribute: bool = False
    submitted_on: dt.date | None = None
    confirmed_on: dt.date | None = None
    standing_label: str = ""


def _rows_query() -> Select:
    return (
        select(WorkItem.id, WorkItem.title, Plan.code, PriorityTask.label, Unit.name, WorkItem.due_date,
               WorkItem.status, WorkItem.progress, WorkItem.blocked, WorkItem.completed_on, WorkItem.submitted_on)
        .join(Plan, Plan.id == WorkItem.plan_id)
        .join(PriorityTask, PriorityTask.id == WorkItem.priority_task_id)
        .join(Unit, Unit.id == WorkItem.lead_unit_id)
        .where(WorkItem.deleted_at.is_(None))
    )


def _to_rows(session: Session, stmt: Select, today: dt.date, limit: int | None = LIST_LIMIT) -> list[ItemRow]:
    rows = []
    for r in session.execute(stmt if limit is None else stmt.limit(limit)):
        cls = standing(status=r.status, due=r.due_date, completed_on=r.completed_on, submitted_on=r.submitted_on,
                       cutoff=today)
        overdue = (today - r.due_date).days if cls is Standing.OVERDUE else 0
        rows.append(ItemRow(id=r.id, title=r.title, plan_code=r.code, task_label=r.label, lead_unit=r.name,
                            due_date=r.due_date, status=r.status.value, status_label=STATUS_LABELS[r.status],
                            progress=r.progress, blocked=r.blocked, days_overdue=overdue,
                            standing_label=STANDING_LABELS[cls]))
    return rows


@dataclass(frozen=True)
class Listing:
    """Some rows of a list and how many there are in all: a list that shows fewer says so."""

    rows: list[ItemRow]
    total: int

    @property
    def cut(self) -> bool:
        return self.total > len(self.rows)


def _listing(session: Session, stmt: Select, today: dt.date) -> Listing:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return Listing(rows=_to_rows(session, stmt, today), total=int(total))


def _assigned_to(actor: Actor):
    """The ids of the items assigned to the actor, as a subquery."""
    return select(ItemAssignment.work_item_id).where(ItemAssignment.user_id == actor.user_id)


def _own_work(stmt: Select, actor: Actor) -> Select:
    """A unit head's to-do lists ("Việc của tôi") hold the unit's own work, a staff member's the unit's work
    assigned to them; other roles follow every unit.

    Not a read restriction: anyone signed in reads every unit's items (see tracker.permissions).
    """
    if actor.role is Role.UNIT_HEAD:
        return stmt.where(WorkItem.lead_unit_id == actor.unit_id)
    if actor.role is Role.STAFF:
        return stmt.where(WorkItem.lead_unit_id == actor.unit_id, WorkItem.id.in_(_assigned_to(actor)))
    return stmt


@dataclass(frozen=True)
class MyWork:
    overdue: Listing
    due_soon: Listing
    blocked: Listing
    awaiting_confirmation: Listing
    coordinating: Listing = Listing(rows=[], total=0)  # a unit head's open work led by another unit, with theirs
    assigned: Listing = Listing(rows=[], total=0)  # a staff member's open work assigned to them


def my_work(session: Session, *, actor: Actor, today: dt.date, within_days: int = 7) -> MyWork:
    """Overdue work (the figures' rule), work due within `within_days`, blocked work and (for the office) work to
    confirm: at most LIST_LIMIT rows each, with the full count."""
    open_work = WorkItem.status != Status.DONE
    overdue = (_own_work(_rows_query(), actor).where(standing_case(today) == Standing.OVERDUE.value)
               .order_by(WorkItem.due_date, WorkItem.id))
    soon = _own_work(_rows_query(), actor).where(
        open_work, WorkItem.status != Status.AWAITING_CONFIRMATION,
        WorkItem.due_date >= today, WorkItem.due_date <= today + dt.timedelta(days=within_days),
    ).order_by(WorkItem.due_date)
    blocked = _own_work(_rows_query(), actor).where(open_work, WorkItem.blocked.is_(True)).order_by(WorkItem.due_date)
    awaiting = Listing(rows=[], total=0)
    if actor.role is Role.ADMIN:
        awaiting = _listing(session, _rows_query().where(WorkItem.status == Status.AWAITING_CONFIRMATION)
                            .order_by(WorkItem.due_date), today)
    coordinating = assigned = Listing(rows=[], total=0)
    if actor.role is Role.STAFF:
        assigned = _listing(session, _own_work(_rows_query(), actor).where(open_work)
                            .order_by(WorkItem.due_date, WorkItem.id), today)
    if actor.role in (Role.UNIT_HEAD, Role.STAFF) and actor.unit_id is not None:
        joined = select(work_item_coordinators.c.work_item_id).where(work_item_coordinators.c.unit_id == actor.unit_id)
        coordinating = _listing(session, _rows_query().where(open_work, WorkItem.id.in_(joined))
                                .order_by(WorkItem.due_date, WorkItem.id), today)
    return MyWork(overdue=_listing(session, overdue, today), due_soon=_listing(session, soon, today),
                  blocked=_listing(session, blocked, today), awaiting_confirmation=awaiting,
                  coordinating=coordinating, assigned=assigned)


def search_items(session: Session, *, actor: Actor, text: str = "", today: dt.date,
                 limit: int = 50) -> list[ItemRow]:
    """Items of every unit whose number or title matches `text` (case and accents ignored), most urgent first.

    Titles are matched in Python on the folded text, so "tap huan" finds "Tập huấn" on every database.
    """
    require(actor, Action.VIEW_ITEM)
    stmt = _rows_query().order_by(WorkItem.status == Status.DONE, WorkItem.due_date)
    text = (text or "").strip()[:max_chars("search")]
    if (number := parse_id(text)) is not None:
        return _to_rows(session, stmt.where(WorkItem.id == number), today)
    rows = _to_rows(session, stmt, today) if not text else [
        r for r in _to_rows(session, stmt, today, limit=None) if fold(text) in fold(r.title)
    ]
    return rows[:limit]


def get_item(session: Session, *, actor: Actor, item_id: int, today: dt.date | None = None) -> ItemDetail:
    """Everything about one item, with what the actor may do to it.

    Raises:
        NotFound: no such item or deleted. PermissionDenied: may not view it.
    """
    item = session.scalars(
        select(WorkItem).options(selectinload(WorkItem.coordinating_units), selectinload(WorkItem.staff),
                                 selectinload(WorkItem.lead_unit),
                                 selectinload(WorkItem.plan), selectinload(WorkItem.priority_task),
                                 selectinload(WorkItem.form), selectinload(WorkItem.channel))
        .where(WorkItem.id == item_id)
    ).one_or_none()
    if item is None or item.deleted_at is not None:
        raise NotFound(f"Không tìm thấy công việc số {item_id} (có thể đã bị xóa).")
    require(actor, Action.VIEW_ITEM, item)
    files = session.execute(
        select(EvidenceFile.id, EvidenceFile.filename, EvidenceFile.size_bytes)
        .where(EvidenceFile.work_item_id == item.id).order_by(EvidenceFile.id)
    ).all()
    owners = contributions.file_owners(session, item_id=item.id)
    return ItemDetail(
        id=item.id, version=item.version, title=item.title, description=item.description,
        plan_code=item.plan.code, plan_title=item.plan.title, task_label=item.priority_task.label,
        task_text=item.priority_task.text, lead_unit_id=item.lead_unit_id, lead_unit=item.lead_unit.name,
        coordinating_units=[u.name for u in item.coordinating_units], form=item.form.name,
        channel=item.channel.name if item.channel else item.channel_text,
        start_date=item.start_date, due_date=item.due_date, target_qty=item.target_qty,
        target_unit=item.target_unit, achieved_qty=item.achieved_qty, budget_planned=item.budget_planned,
        budget_spent=item.budget_spent, status=item.status, status_label=STATUS_LABELS[item.status],
        progress=item.progress, blocked=item.blocked, blocked_reason=item.blocked_reason,
        completed_on=item.completed_on, submitted_on=item.submitted_on, confirmed_on=item.confirmed_on,
        standing_label=STANDING_LABELS[standing(status=item.status, due=item.due_date, completed_on=item.completed_on,
                                                submitted_on=item.submitted_on, cutoff=today or clock.today())],
        note=item.note, files=[(f.id, f.filename, f.size_bytes, owners.get(f.id)) for f in files],
        can_update=can(actor, Action.UPDATE_PROGRESS, item),
        can_request_explanation=can(actor, Action.REQUEST_EXPLANATION, item),
        staff=tuple(u.full_name or u.username for u in item.staff),
        can_assign=can(actor, Action.ASSIGN_STAFF, item),
        can_contribute=can(actor, Action.ADD_CONTRIBUTION, item),
    )
