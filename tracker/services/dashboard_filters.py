"""The dashboard's filters: what they select (the WHERE of every figure), as URL parameters (so a
leader can send a link), and the choices offered.

Parameters: plan (id), from / to (yyyy-mm-dd), kind (unit kind), unit (id), task (id), form (id),
asof (yyyy-mm-dd, the cut-off of the figures; absent: today).
Anything unreadable is dropped rather than refused: a hand-edited link still opens the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from tracker.figures import Source
from tracker.models import Form, Plan, PriorityTask, Unit, UnitKind, WorkItem
from tracker.text import parse_id


@dataclass(frozen=True)
class Filters:
    """What the leader looks at. Period: items whose [start, due] overlaps [date_from, date_to]. as_of: the
    cut-off day of every figure (None: today), see tracker/figures.py."""

    plan_id: int
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    unit_kind: UnitKind | None = None
    unit_id: int | None = None
    task_id: int | None = None
    form_id: int | None = None
    as_of: dt.date | None = None

    def cutoff(self, today: dt.date) -> dt.date:
        """The day the figures are taken at: `as_of` when set and before today, else today."""
        return self.as_of if self.as_of and self.as_of < today else today


def period_conditions(filters: Filters, t: Any = WorkItem) -> list[ColumnElement[bool]]:
    """Items whose [start, due] overlaps the chosen period (an open end never excludes); never NULL."""
    conds = []
    if filters.date_from:
        conds.append(or_(t.due_date.is_(None), t.due_date >= filters.date_from))
    if filters.date_to:
        conds.append(or_(t.start_date.is_(None), t.start_date <= filters.date_to))
    return conds


def conditions(filters: Filters, src: Source | None = None) -> list[ColumnElement[bool]]:
    """The WHERE clause of every figure: the plan, live items, and the chosen period, unit, task, form.

    `src`: where the items' state is read (tracker.figures.source); None: the items as they are now.
    """
    t = src.t if src is not None else WorkItem
    live = src.live if src is not None else (WorkItem.deleted_at.is_(None),)
    conds = [t.plan_id == filters.plan_id, *live, *period_conditions(filters, t)]
    if filters.unit_kind:
        conds.append(t.lead_unit_id.in_(select(Unit.id).where(Unit.kind == filters.unit_kind)))
    if filters.unit_id:
        conds.append(t.lead_unit_id == filters.unit_id)
    if filters.task_id:
        conds.append(t.priority_task_id == filters.task_id)
    if filters.form_id:
        conds.append(t.form_id == filters.form_id)
    return conds


@dataclass(frozen=True)
class Option:
    id: int
    label: str


@dataclass(frozen=True)
class FilterOptions:
    tasks: list[Option]
    units: list[Option]
    forms: list[Option]


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def default_plan_id(plans: list[tuple[int, int]], today: dt.date) -> int | None:
    """The plan of this year if any, else the newest: `plans` as (id, year) pairs."""
    if not plans:
        return None
    this_year = [pid for pid, year in plans if year == today.year]
    return this_year[0] if this_year else max(plans, key=lambda p: (p[1], p[0]))[0]


def from_params(params: Mapping[str, str], *, plan_ids: set[int], default_plan: int) -> Filters:
    """Filters from URL parameters; an unknown plan falls back to `default_plan`."""
    plan_id = parse_id(params.get("plan"))
    kind = params.get("kind")
    date_from, date_to = _date(params.get("from")), _date(params.get("to"))
    if date_from and date_to and date_to < date_from:
        date_from, date_to = date_to, date_from
    return Filters(
        plan_id=plan_id if plan_id in plan_ids else default_plan,
        date_from=date_from, date_to=date_to,
        unit_kind=UnitKind(kind) if kind in {k.value for k in UnitKind} else None,
        unit_id=parse_id(params.get("unit")), task_id=parse_id(params.get("task")), form_id=parse_id(params.get("form")),
        as_of=_date(params.get("asof")),
    )


def to_params(filters: Filters) -> dict[str, str]:
    """URL parameters for the filters (empty ones left out)."""
    values = {
        "plan": str(filters.plan_id),
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
        "kind": filters.unit_kind.value if filters.unit_kind else None,
        "unit": str(filters.unit_id) if filters.unit_id else None,
        "task": str(filters.task_id) if filters.task_id else None,
        "form": str(filters.form_id) if filters.form_id else None,
        "asof": filters.as_of.isoformat() if filters.as_of else None,
    }
    return {k: v for k, v in values.items() if v}


def options(session: Session, *, plan_id: int, unit_kind: UnitKind | None = None) -> FilterOptions:
    """The plan's tasks, the units leading its items (of the kind, if chosen), and every active form."""
    tasks = [Option(i, f"({label}) {text or ''}".strip()) for i, label, text in session.execute(
        select(PriorityTask.id, PriorityTask.label, PriorityTask.text)
        .where(PriorityTask.plan_id == plan_id).order_by(PriorityTask.number))]
    unit_stmt = (select(Unit.id, Unit.name).where(Unit.id.in_(
        select(WorkItem.lead_unit_id).where(WorkItem.plan_id == plan_id, WorkItem.deleted_at.is_(None))))
        .order_by(Unit.kind, Unit.name))
    if unit_kind:
        unit_stmt = unit_stmt.where(Unit.kind == unit_kind)
    units = [Option(i, name) for i, name in session.execute(unit_stmt)]
    forms = [Option(i, name) for i, name in session.execute(
        select(Form.id, Form.name).where(Form.active.is_(True)).order_by(Form.sort_order, Form.name))]
    return FilterOptions(tasks=tasks, units=units, forms=forms)


def plan_choices(session: Session) -> list[tuple[int, int, str]]:
    """(id, year, label) of every plan, newest first."""
    return [(i, year, f"{code} · năm {year}") for i, year, code in session.execute(
        select(Plan.id, Plan.year, Plan.code).order_by(Plan.year.desc(), Plan.code))]
