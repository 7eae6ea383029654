"""Reading the Kanban board: columns by status, optional swimlanes, filters, most urgent first.

A board is two queries however many items there are: column counts with GROUP BY, and the
first cards of every column (ORDER BY ... LIMIT per column; with swimlanes ROW_NUMBER() OVER
(PARTITION BY lane, status)), ordered red, amber, then by due date, using the one RAG rule in SQL
(`rag.rag_case`). "Xem thêm" raises one column's limit. A unit head's board shows the unit's own
work; other roles see all.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields

from sqlalchemy import case, func, literal, or_, select, union
from sqlalchemy.orm import Session

from tracker.models import (
    Form,
    ItemAssignment,
    Plan,
    PriorityTask,
    Role,
    Status,
    Unit,
    UnitKind,
    WorkItem,
    work_item_coordinators,
)
from tracker.permissions import UNIT_ROLES, Action, Actor, ItemRef, can
from tracker.figures import STANDING_LABELS, Standing
from tracker.rag import RAG_LABELS, Rag, rag_case
from tracker.services.units import KIND_LABELS
from tracker.services import settings
from tracker.limits import max_chars
from tracker.text import format_date, has_words, parse_id, search_words
from tracker.workflow import STATUS_LABELS, STATUS_ORDER, is_done_late, transition_problem

PAGE_SIZE = 20
LANE_PAGE_SIZE = 5
MAX_LANES = 40
WIP_ENV = "TRACKER_BOARD_WIP_LIMITS"
DEFAULT_WIP = {Status.IN_PROGRESS: 40, Status.AWAITING_CONFIRMATION: 20}


class Swimlane(str, enum.Enum):
    NONE = "none"
    TASK = "task"
    UNIT = "unit"


SWIMLANE_LABELS = {Swimlane.NONE: "Không chia làn", Swimlane.TASK: "Theo nhiệm vụ trọng tâm",
                   Swimlane.UNIT: "Theo đơn vị chủ trì"}


@dataclass(frozen=True)
class BoardFilters:
    """What the board shows; every field maps to one URL query parameter (see `to_params`)."""

    plan: int | None = None
    task: int | None = None
    unit: int | None = None
    kind: UnitKind | None = None
    form: int | None = None
    rag: Rag | None = None
    blocked: bool | None = None
    due: int | None = None  # due within this many days (not done)
    q: str = ""
    lanes: Swimlane = Swimlane.NONE

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> BoardFilters:
        """Read filters from URL query parameters; anything malformed is ignored, never an error."""
        def number(name: str) -> int | None:
            return parse_id(params.get(name))

        def member(enum_cls, name: str):
            try:
                return enum_cls(params.get(name, ""))
            except ValueError:
                return None

        blocked = {"1": True, "0": False}.get(str(params.get("blocked", "")))
        return cls(plan=number("plan"), task=number("task"), unit=number("unit"), kind=member(UnitKind, "kind"),
                   form=number("form"), rag=member(Rag, "rag"), blocked=blocked, due=number("due"),
                   q=str(params.get("q", ""))[:max_chars("search")].strip(), lanes=member(Swimlane, "lanes") or Swimlane.NONE)

    def to_params(self) -> dict[str, str]:
        """The non-empty filters as URL query parameters (the inverse of `from_params`)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == "" or value == Swimlane.NONE:
                continue
            if isinstance(value, bool):
                value = "1" if value else "0"
            out[f.name] = value.value if isinstance(value, enum.Enum) else str(value)
        return out


@dataclass(frozen=True)
class Card:
    id: int
    version: int
    title: str
    status: Status
    plan_code: str
    task_label: str
    lead_unit: str
    due_date: dt.date | None
    progress: int
    rag: Rag
    blocked: bool
    blocked_reason: str | None
    targets: tuple[Status, ...]  # where this actor may move it (evidence and reasons are asked for later)
    completed_on: dt.date | None = None
    recent: bool = False  # asked for by id (`include_ids`): the card just moved, shown whatever its rank
    coordinating: bool = False  # the actor's unit coordinates it (đơn vị phối hợp): shown, never moved by them

    def as_data(self) -> dict:
        """Plain JSON for the board component."""
        return {
            "id": self.id, "version": self.version, "title": self.title, "status": self.status.value,
            "task": f"({self.task_label})", "plan": self.plan_code, "unit": self.lead_unit,
            "due": format_date(self.due_date), "progress": self.progress, "rag": self.rag.value,
            "rag_label": self.badge, "blocked": self.blocked, "blocked_reason": self.blocked_reason or "",
            "targets": [t.value for t in self.targets], "done": self.done_label, "recent": self.recent,
            "order": self.order_key, "coordinating": self.coordinating,
        }

    @property
    def order_key(self) -> str:
        """The column order (red, amber, green, then due date, then id) as one string that sorts the
        same way: the browser places a card it has just moved, before the server redraws the board."""
        rank = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2}[self.rag]
        due = self.due_date.isoformat() if self.due_date else "9999-99-99"
        return f"{rank}{due}{self.id:012d}"

    @property
    def badge(self) -> str:
        """The card's mark: confirmed work says done on time or late (tracker/figures.py), other work its RAG."""
        late = is_done_late(self.due_date, self.completed_on) if self.status is Status.DONE else None
        if late is not None:
            return STANDING_LABELS[Standing.DONE_LATE if late else Standing.DONE_ON_TIME]
        return RAG_LABELS[self.rag]

    @property
    def done_label(self) -> str:
        """For confirmed work: done on time or late (from the due date), else empty."""
        late = is_done_late(self.due_date, self.completed_on)
        if late is None:
            return ""
        return f"Xong {format_date(self.completed_on)} · " + ("muộn hạn" if late else "đúng hạn")


@dataclass(frozen=True)
class Lane:
    key: int
    label: str
    counts: dict[Status, int]
    cards: dict[Status, list[Card]]


@dataclass(frozen=True)
class Board:
    lanes: list[Lane]
    totals: dict[Status, int]
    wip: dict[Status, int]
    limits: dict[Status, int]
    lane_count: int = 0  # lanes that have cards (only the first MAX_LANES are drawn)
    filters: BoardFilters = field(default_factory=BoardFilters)
    lane_wip: dict[Status, int] = field(default_factory=dict)  # per lane's cell, when lanes are shown

    def as_data(self) -> dict:
        """Plain JSON for the board component: columns, lanes, cards."""
        return {
            "columns": [{
                "status": s.value, "label": STATUS_LABELS[s], "count": self.totals.get(s, 0),
                "wip": self.wip.get(s), "over": self.wip.get(s) is not None and self.totals.get(s, 0) > self.wip[s],
            } for s in STATUS_ORDER],
            "lanes": [{
                "key": lane.key, "label": lane.label,
                "cells": {s.value: {"count": lane.counts.get(s, 0),
                                    "wip": self.lane_wip.get(s) if self.filters.lanes is not Swimlane.NONE else None,
                                    "cards": [c.as_data() for c in lane.cards.get(s, [])]} for s in STATUS_ORDER},
            } for lane in self.lanes],
            "status_labels": {s.value: STATUS_LABELS[s] for s in STATUS_ORDER},
            "swimlanes": self.filters.lanes is not Swimlane.NONE,
        }


def wip_limits(raw: str | None = None) -> dict[Status, int]:
    """WIP limit per column from "in_progress=40, awaiting_confirmation=20" (TRACKER_BOARD_WIP_LIMITS).

    Unset: DEFAULT_WIP. "none": no limits. Unknown statuses or bad numbers are ignored.
    """
    raw = os.environ.get(WIP_ENV) if raw is None else raw
    if raw is None or not raw.strip():
        return dict(DEFAULT_WIP)
    limits = {}
    for part in raw.split(","):
        name, _, value = part.partition("=")
        try:
            status, limit = Status(name.strip()), int(value.strip())
        except ValueError:
            continue
        if limit > 0:
            limits[status] = limit
    return limits


def _lane_column(lanes: Swimlane):
    """The column swimlanes split on, or None for a single lane."""
    if lanes is Swimlane.TASK:
        return WorkItem.priority_task_id
    if lanes is Swimlane.UNIT:
        return WorkItem.lead_unit_id
    return None


def _coordinated(unit_id: int):
    """The ids of the items a unit coordinates (đơn vị phối hợp), as a subquery."""
    return select(work_item_coordinators.c.work_item_id).where(work_item_coordinators.c.unit_id == unit_id)


def _conditions(session: Session, actor: Actor, filters: BoardFilters, today: dt.date) -> list:
    """WHERE clauses for the actor's scope and the filters (the text filter resolves to item ids)."""
    conds = [WorkItem.deleted_at.is_(None)]
    if actor.role in UNIT_ROLES:  # the unit's own work and the work it coordinates (staff: read-only but theirs)
        conds.append(or_(WorkItem.lead_unit_id == actor.unit_id, WorkItem.id.in_(_coordinated(actor.unit_id))))
    if filters.plan is not None:
        conds.append(WorkItem.plan_id == filters.plan)
    if filters.task is not None:
        conds.append(WorkItem.priority_task_id == filters.task)
    if filters.unit is not None:  # a unit's work: what it leads and what it coordinates
        conds.append(or_(WorkItem.lead_unit_id == filters.unit, WorkItem.id.in_(_coordinated(filters.unit))))
    if filters.kind is not None:
        conds.append(WorkItem.lead_unit_id.in_(select(Unit.id).where(Unit.kind == filters.kind)))
    if filters.form is not None:
        conds.append(WorkItem.form_id == filters.form)
    if filters.rag is not None:
        conds.append(rag_case(today) == filters.rag.value)
    if filters.blocked is not None:
        conds.append(WorkItem.blocked.is_(filters.blocked))
    if filters.due is not None:
        conds += [WorkItem.status != Status.DONE, WorkItem.due_date >= today,
                  WorkItem.due_date <= today + dt.timedelta(days=filters.due)]
    text = filters.q.strip()
    if text:
        # Titles hold every word, folded ("tap huan" finds "Tập huấn"), by the rule of every search box
        # (tracker.text.has_words) on every database: only (id, title) of the items in scope are read.
        words = search_words(text)
        rows = session.execute(select(WorkItem.id, WorkItem.title).where(*conds))
        ids = [r.id for r in rows if has_words(words, r.title)]
        match = WorkItem.id.in_(ids)
        number = parse_id(text)
        conds.append(or_(match, WorkItem.id == number) if number is not None else match)
    return conds


def _lane_labels(session: Session, lanes: Swimlane, keys: list[int]) -> dict[int, tuple]:
    """Each lane's label and sort key."""
    if lanes is Swimlane.TASK:
        rows = session.execute(select(PriorityTask.id, PriorityTask.label, PriorityTask.text, PriorityTask.number,
                                      Plan.code, Plan.id.label("plan_id"))
                               .join(Plan, Plan.id == PriorityTask.plan_id).where(PriorityTask.id.in_(keys)))
        return {r.id: (f"{r.code} · Nhiệm vụ ({r.label}) {_short(r.text or '')}".strip(), (r.plan_id, r.number))
                for r in rows}
    if lanes is Swimlane.UNIT:
        rows = session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(keys)))
        return {r.id: (r.name, (0, r.id)) for r in rows}
    return {0: ("", (0, 0))}


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _targets(actor: Actor, status: Status, item: ItemRef) -> tuple[Status, ...]:
    if not can(actor, Action.MOVE_ITEM, item):
        return ()
    return tuple(s for s in STATUS_ORDER if s != status
                 and transition_problem(actor.role, status, s, has_evidence=True, reason="lý do") is None)


def read_board(session: Session, *, actor: Actor, filters: BoardFilters, today: dt.date,
               limits: Mapping[Status, int] | None = None, wip: Mapping[Status, int] | None = None,
               include_ids: Collection[int] | None = None) -> Board:
    """The board the actor sees: counts per column and lane, and each cell's most urgent cards.

    `limits` is how many cards each column shows per lane (default PAGE_SIZE, or LANE_PAGE_SIZE
    with swimlanes); "Xem thêm" raises one column's limit. `include_ids` (the card just moved) are
    drawn in their cell even below its first cards, marked `recent`, after the ranked ones; they
    still pass the actor's scope and the filters, so a unit head never sees another unit's card.
    """
    include = sorted({int(i) for i in include_ids or ()})
    per_cell = PAGE_SIZE if filters.lanes is Swimlane.NONE else LANE_PAGE_SIZE
    limits = {s: max(1, int((limits or {}).get(s, per_cell))) for s in STATUS_ORDER}
    conds = _conditions(session, actor, filters, today)
    lane = _lane_column(filters.lanes)

    counts: dict[int, dict[Status, int]] = {}
    groups = [WorkItem.status] if lane is None else [lane, WorkItem.status]
    for *key, status, n in session.execute(select(*groups, func.count()).where(*conds).group_by(*groups)):
        counts.setdefault(int(key[0]) if key else 0, {})[status] = n
    totals = {s: sum(c.get(s, 0) for c in counts.values()) for s in STATUS_ORDER}
    labels = _lane_labels(session, filters.lanes, list(counts))
    keys = sorted(counts, key=lambda k: labels.get(k, ("", (9, k)))[1])
    shown_keys = keys[:MAX_LANES]

    cards: dict[int, dict[Status, list[Card]]] = {k: {} for k in shown_keys}
    if shown_keys:
        inner = _first_cards(conds, lane, shown_keys, limits, include, today)
        stmt = (
            select(WorkItem.id, WorkItem.version, WorkItem.title, WorkItem.status, WorkItem.lead_unit_id,
                   WorkItem.due_date, WorkItem.progress, WorkItem.blocked, WorkItem.blocked_reason,
                   WorkItem.completed_on, inner.c.lane, inner.c.rag, Plan.code, PriorityTask.label, Unit.name)
            .join(inner, inner.c.id == WorkItem.id)
            .join(Plan, Plan.id == WorkItem.plan_id)
            .join(PriorityTask, PriorityTask.id == WorkItem.priority_task_id)
            .join(Unit, Unit.id == WorkItem.lead_unit_id)
        )
        rows = session.execute(stmt).all()
        coordinated: set[int] = set()  # marked for the unit head's unit, or the unit filtered on
        marked = actor.unit_id if actor.role in UNIT_ROLES else filters.unit
        if marked is not None and rows:
            coordinated = set(session.scalars(_coordinated(marked).where(
                work_item_coordinators.c.work_item_id.in_([r.id for r in rows]))))
        mine: set[int] = set()  # a staff member moves only the cards assigned to them
        if actor.role is Role.STAFF and rows:
            mine = set(session.scalars(select(ItemAssignment.work_item_id).where(
                ItemAssignment.user_id == actor.user_id, ItemAssignment.work_item_id.in_([r.id for r in rows]))))
        for r in rows:
            card = Card(id=r.id, version=r.version, title=r.title, status=r.status, plan_code=r.code,
                        task_label=r.label, lead_unit=r.name, due_date=r.due_date, progress=r.progress,
                        rag=Rag(r.rag), blocked=r.blocked, blocked_reason=r.blocked_reason,
                        targets=_targets(actor, r.status, ItemRef(r.lead_unit_id, frozenset(
                            {actor.user_id} if r.id in mine else ()))), completed_on=r.completed_on,
                        recent=r.id in include, coordinating=r.id in coordinated)
            cards[int(r.lane)].setdefault(r.status, []).append(card)
        for cells in cards.values():
            for cell in cells.values():
                # The SQL order (red, amber, green, then due date, then id) is the cards' order key; an
                # included card below the first cards sorts after them, as its rank says.
                cell.sort(key=lambda c: c.order_key)

    lanes = [Lane(key=k, label=labels.get(k, ("", ()))[0], counts=counts[k], cards=cards[k]) for k in shown_keys]
    chosen = settings.board_wip(session)
    return Board(lanes=lanes, totals=totals, wip=dict(wip if wip is not None else chosen.columns), limits=limits,
                 lane_count=len(keys), filters=filters, lane_wip=chosen.lanes)


def _first_cards(conds: list, lane, shown_keys: list[int], limits: Mapping[Status, int], include: list[int],
                 today: dt.date):
    """A subquery (id, lane, rag) of each cell's first cards, most urgent first, plus `include`.

    One lane: each column is its own ORDER BY ... LIMIT (a top-N sort), about half the time of
    numbering every item on the board with ROW_NUMBER() (10,000 items on SQLite: ~8 against ~17 ms).
    Swimlanes: ROW_NUMBER() OVER (PARTITION BY lane, status), cut to each cell's limit.
    """
    rag = rag_case(today)
    rank = case((rag == Rag.RED.value, 0), (rag == Rag.AMBER.value, 1), else_=2)
    ordering = (rank, WorkItem.due_date.is_(None), WorkItem.due_date, WorkItem.id)
    if lane is None:
        parts = [select(WorkItem.id, literal(0).label("lane"), rag.label("rag"))
                 .where(*conds, WorkItem.status == s).order_by(*ordering).limit(limits[s]) for s in STATUS_ORDER]
        if include:
            parts.append(select(WorkItem.id, literal(0).label("lane"), rag.label("rag"))
                         .where(*conds, WorkItem.id.in_(include)))
        return union(*(part.subquery().select() for part in parts)).subquery()
    order = func.row_number().over(partition_by=[lane, WorkItem.status], order_by=ordering)
    ranked = (select(WorkItem.id, WorkItem.status, lane.label("lane"), rag.label("rag"), order.label("rn"))
              .where(*conds, lane.in_(shown_keys)).subquery())
    cap = case(*[(ranked.c.status == s, limits[s]) for s in STATUS_ORDER], else_=0)
    # Cut to each cell's first cards before joining the labels: the join touches only shown cards.
    keep = ranked.c.rn <= cap
    if include:
        keep = or_(keep, ranked.c.id.in_(include))
    return select(ranked.c.id, ranked.c.lane, ranked.c.rag).where(keep).subquery()


def more(limits: Mapping[Status, int], status: Status, lanes: Swimlane) -> dict[Status, int]:
    """The limits after "Xem thêm" on one column: one more page of cards."""
    step = PAGE_SIZE if lanes is Swimlane.NONE else LANE_PAGE_SIZE
    out = {s: int(limits.get(s, step)) for s in STATUS_ORDER}
    out[status] += step
    return out


@dataclass(frozen=True)
class FilterOptions:
    plans: list[tuple[int, str]]
    tasks: list[tuple[int, str]]
    units: list[tuple[int, str]]
    kinds: list[tuple[str, str]]
    forms: list[tuple[int, str]]


def filter_options(session: Session, *, actor: Actor, plan_id: int | None) -> FilterOptions:
    """Choices for the board's filters (tasks of the chosen plan; a unit head's own unit only)."""
    plans = [(p.id, f"{p.code} · {p.year}") for p in session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.id))]
    tasks = []
    if plan_id is not None:
        tasks = [(t.id, f"({t.label}) {_short(t.text or 'Chưa có nội dung', 70)}") for t in session.scalars(
            select(PriorityTask).where(PriorityTask.plan_id == plan_id).order_by(PriorityTask.number))]
    unit_stmt = select(Unit.id, Unit.name).order_by(Unit.id)
    if actor.role in UNIT_ROLES:
        unit_stmt = unit_stmt.where(Unit.id == actor.unit_id)
    units = [(r.id, r.name) for r in session.execute(unit_stmt)]
    forms = [(f.id, f.name) for f in session.scalars(select(Form).order_by(Form.sort_order, Form.id))]
    return FilterOptions(plans=plans, tasks=tasks, units=units,
                         kinds=[(k.value, KIND_LABELS[k]) for k in UnitKind], forms=forms)

