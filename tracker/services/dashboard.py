"""The leadership dashboard's figures: every number computed in SQL with GROUP BY, never row by row.

An item is classed as done on time, done late (confirmed after its due date, the rule of
`workflow.is_done_late`), in progress within its deadline, or overdue (RAG red, from
`rag.rag_case`). Percent complete is weighted by item: the mean of the items' progress, a done
item counting 100. The cumulative flow is rebuilt from the progress history (the status each item
had at the end of each week or month), not from today's state. `today` is always passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from tracker.errors import NotFound
from tracker.models import (
    Form,
    Plan,
    PriorityTask,
    ReportingRound,
    RoundReport,
    Status,
    Unit,
    UnitKind,
    WorkItem,
    reporting_round_units,
)
from tracker.permissions import Action, Actor, require
from tracker.rag import RAG_LABELS, Rag, rag_case
from tracker.services.dashboard_filters import Filters, conditions
from tracker.services.flow import flow
from tracker.workflow import STATUS_LABELS, STATUS_ORDER

GANTT_LIMIT = 300
ITEM_LIMIT = 500
UNIT_KIND_LABELS = {
    UnitKind.MINISTRY_ADMIN: "Vụ, Cục, Thanh tra, Văn phòng (cơ quan Bộ)",
    UnitKind.MINISTRY_SERVICE: "Đơn vị sự nghiệp thuộc Bộ",
    UnitKind.PROVINCIAL: "Sở Nội vụ các tỉnh, thành phố",
}
STATUS_COLUMNS = [s.value for s in STATUS_ORDER]


@dataclass(frozen=True)
class Headline:
    items: int
    done: int
    done_on_time: int
    done_late: int
    in_progress: int
    overdue: int
    blocked: int
    percent: float
    round_name: str | None = None
    units_reported: int = 0
    units_expected: int = 0


@dataclass(frozen=True)
class Dashboard:
    plan_id: int
    plan_code: str
    plan_title: str
    plan_year: int
    task_label: str
    today: dt.date
    filters: Filters
    headline: Headline
    by_task: pd.DataFrame
    by_unit: pd.DataFrame
    heatmap: pd.DataFrame
    forms: pd.DataFrame
    budget: pd.DataFrame
    gantt: pd.DataFrame
    flow: pd.DataFrame = field(default_factory=pd.DataFrame)


def done_late_sql(item=WorkItem) -> ColumnElement[bool]:
    """`workflow.is_done_late(...) is True` as SQL: confirmed done after the due date."""
    return and_(item.status == Status.DONE, item.completed_on.is_not(None), item.due_date.is_not(None),
                item.completed_on > item.due_date)


def _sum_if(condition) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count_columns(today: dt.date) -> list:
    """Counts for one group: items, each status, done late, overdue, blocked, and the sum of progress."""
    red = rag_case(today) == Rag.RED.value
    done = WorkItem.status == Status.DONE
    return [
        func.count(WorkItem.id).label("items"),
        *[_sum_if(WorkItem.status == s).label(s.value) for s in STATUS_ORDER],
        _sum_if(done_late_sql()).label("done_late"),
        _sum_if(red).label("overdue"),
        _sum_if(and_(WorkItem.blocked.is_(True), WorkItem.status != Status.DONE)).label("blocked"),
        func.coalesce(func.sum(case((done, 100), else_=WorkItem.progress)), 0).label("progress_sum"),
    ]


COUNTS = ["items", *STATUS_COLUMNS, "done_late", "overdue", "blocked", "progress_sum"]
BASE_SUMS = [*COUNTS, "amber", "target", "achieved", "planned", "spent"]


def _percent(progress_sum, items) -> float:
    return round(float(progress_sum) / items, 1) if items else 0.0


def _derive(frame: pd.DataFrame) -> pd.DataFrame:
    """Add done on time, in progress within the deadline and percent complete to summed counts."""
    frame["done_on_time"] = frame["done"] - frame["done_late"]
    frame["in_progress_in_time"] = frame["items"] - frame["done"] - frame["overdue"]
    frame["percent"] = [_percent(s, n) for s, n in zip(frame["progress_sum"], frame["items"])]
    return frame


def _counts_frame(rows, keys: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[*keys, *COUNTS])
    for col in COUNTS:
        frame[col] = frame[col].astype("int64")
    return _derive(frame).drop(columns="progress_sum")


def base(session: Session, *, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Every count the dashboard needs, per (lead unit, task, form): one GROUP BY over the items.

    Units × tasks × forms stays small (thousands of rows at most) whatever the number of items;
    the headline, per-task, per-unit, heat-map, form and budget figures are sums of it.
    """
    amber = rag_case(today) == Rag.AMBER.value
    rows = session.execute(
        select(WorkItem.lead_unit_id, WorkItem.priority_task_id, WorkItem.form_id, *_count_columns(today),
               _sum_if(amber), func.coalesce(func.sum(WorkItem.target_qty), 0),
               func.coalesce(func.sum(WorkItem.achieved_qty), 0), func.coalesce(func.sum(WorkItem.budget_planned), 0),
               func.coalesce(func.sum(WorkItem.budget_spent), 0))
        .where(*conditions(filters))
        .group_by(WorkItem.lead_unit_id, WorkItem.priority_task_id, WorkItem.form_id)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["unit_id", "task_id", "form_id", *BASE_SUMS])
    for col in BASE_SUMS:
        frame[col] = frame[col].astype("int64")
    return frame


def _sum_by(data: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return _derive(data.groupby(keys, as_index=False)[BASE_SUMS].sum())


def _base(session: Session, filters: Filters, today: dt.date, data: pd.DataFrame | None) -> pd.DataFrame:
    return base(session, filters=filters, today=today) if data is None else data


def headline(session: Session, *, filters: Filters, today: dt.date, data: pd.DataFrame | None = None) -> Headline:
    """The headline figures; the reporting figures come from the current round of the plan."""
    totals = _base(session, filters, today, data)[BASE_SUMS].sum()
    items, done, late, overdue = (int(totals[c]) for c in ("items", "done", "done_late", "overdue"))
    round_name, reported, expected = current_round(session, filters=filters, today=today)
    return Headline(items=items, done=done, done_on_time=done - late, done_late=late,
                    in_progress=items - done - overdue, overdue=overdue, blocked=int(totals["blocked"]),
                    percent=_percent(totals["progress_sum"], items),
                    round_name=round_name, units_reported=reported, units_expected=expected)


def current_round(session: Session, *, filters: Filters, today: dt.date) -> tuple[str | None, int, int]:
    """(name, units that reported, units asked) of the current round: open first, then latest deadline.

    A round counts when it is for this plan or for no plan in particular and has started by `today`;
    the unit filters narrow the units counted.
    """
    round_ = session.scalars(
        select(ReportingRound)
        .where(or_(ReportingRound.plan_id == filters.plan_id, ReportingRound.plan_id.is_(None)),
               ReportingRound.period_start <= today)
        .order_by(ReportingRound.closed_at.is_not(None), ReportingRound.deadline.desc(), ReportingRound.id.desc())
        .limit(1)
    ).one_or_none()
    if round_ is None:
        return None, 0, 0
    rru = reporting_round_units
    unit_conds = [rru.c.round_id == round_.id]
    if filters.unit_id:
        unit_conds.append(rru.c.unit_id == filters.unit_id)
    if filters.unit_kind:
        unit_conds.append(rru.c.unit_id.in_(select(Unit.id).where(Unit.kind == filters.unit_kind)))
    expected, reported = session.execute(
        select(func.count(rru.c.unit_id), func.count(RoundReport.id))
        .select_from(rru)
        .outerjoin(RoundReport, and_(RoundReport.round_id == rru.c.round_id, RoundReport.unit_id == rru.c.unit_id))
        .where(*unit_conds)
    ).one()
    return round_.name, int(reported), int(expected)


def _tasks(session: Session, filters: Filters) -> pd.DataFrame:
    return pd.DataFrame(
        session.execute(select(PriorityTask.id, PriorityTask.number, PriorityTask.label, PriorityTask.text)
                        .where(PriorityTask.plan_id == filters.plan_id,
                               *([PriorityTask.id == filters.task_id] if filters.task_id else []))
                        .order_by(PriorityTask.number)).all(),
        columns=["task_id", "number", "label", "text"])


def _units(session: Session, unit_ids) -> pd.DataFrame:
    rows = session.execute(select(Unit.id, Unit.name, Unit.kind).where(Unit.id.in_([int(i) for i in unit_ids]))).all()
    return pd.DataFrame([(i, n, k.value if isinstance(k, UnitKind) else k) for i, n, k in rows],
                        columns=["unit_id", "unit", "kind"])


def by_task(session: Session, *, filters: Filters, today: dt.date, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per priority task of the plan (tasks without items included), in task order."""
    counts = _sum_by(_base(session, filters, today, data), ["task_id"])
    frame = _tasks(session, filters).merge(counts, on="task_id", how="left")
    numeric = [c for c in counts.columns if c != "task_id"]
    frame[numeric] = frame[numeric].fillna(0)
    for col in numeric:
        frame[col] = frame[col].astype(float if col == "percent" else "int64")
    frame["task"] = "(" + frame["label"] + ")"
    return frame.drop(columns=["progress_sum", "amber", "target", "achieved", "planned", "spent"])


def by_unit(session: Session, *, filters: Filters, today: dt.date, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per lead unit that has items, lowest percent complete first (then most overdue)."""
    counts = _sum_by(_base(session, filters, today, data), ["unit_id"])
    frame = _units(session, counts["unit_id"]).merge(counts, on="unit_id")
    frame = frame.drop(columns=["progress_sum", "amber", "target", "achieved", "planned", "spent"])
    return frame.sort_values(["percent", "overdue", "unit"], ascending=[True, False, True]).reset_index(drop=True)


def heatmap(session: Session, *, filters: Filters, today: dt.date, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """Units × priority tasks: items in each RAG class per cell, and the cell's worst class."""
    cells = _sum_by(_base(session, filters, today, data), ["unit_id", "task_id"])
    cells = cells.assign(red=cells["overdue"], green=cells["items"] - cells["overdue"] - cells["amber"])
    frame = (cells[["unit_id", "task_id", "items", "red", "amber", "green"]]
             .merge(_units(session, cells["unit_id"].unique())[["unit_id", "unit"]], on="unit_id")
             .merge(_tasks(session, filters)[["task_id", "number", "label"]], on="task_id"))
    frame["worst"] = [Rag.RED.value if r else Rag.AMBER.value if a else Rag.GREEN.value
                      for r, a in zip(frame["red"], frame["amber"])]
    frame["task"] = "(" + frame["label"] + ")"
    columns = ["unit_id", "unit", "task_id", "number", "label", "items", "red", "amber", "green", "worst", "task"]
    return frame[columns].sort_values(["unit", "number"]).reset_index(drop=True)


def forms(session: Session, *, filters: Filters, today: dt.date, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """Targets against achieved outputs, by communication form (forms with items only)."""
    sums = _sum_by(_base(session, filters, today, data), ["form_id"])
    names = pd.DataFrame(session.execute(select(Form.id, Form.name, Form.output_unit, Form.sort_order)
                                         .where(Form.id.in_([int(i) for i in sums["form_id"]]))).all(),
                         columns=["form_id", "form", "output_unit", "sort_order"])
    frame = names.merge(sums[["form_id", "items", "target", "achieved"]], on="form_id")
    return frame.sort_values(["sort_order", "form"]).drop(columns="sort_order").reset_index(drop=True)


def budget(session: Session, *, filters: Filters, today: dt.date, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """Budget planned and spent (đồng) per priority task, tasks with items only, in task order."""
    sums = _sum_by(_base(session, filters, today, data), ["task_id"])
    frame = _tasks(session, filters)[["task_id", "number", "label"]].merge(
        sums[["task_id", "planned", "spent"]], on="task_id")
    frame["task"] = "(" + frame["label"] + ")"
    return frame.reset_index(drop=True)


def _item_conditions(filters: Filters, today: dt.date, *, unit_id: int | None, task_id: int | None,
                     rag: Rag | None, problems_only: bool, at_risk: bool = False) -> list[ColumnElement[bool]]:
    rag_col = rag_case(today)
    conds = conditions(filters)
    if unit_id:
        conds.append(WorkItem.lead_unit_id == unit_id)
    if task_id:
        conds.append(WorkItem.priority_task_id == task_id)
    if rag:
        conds.append(rag_col == rag.value)
    if problems_only:
        conds.append(or_(rag_col == Rag.RED.value, and_(WorkItem.blocked.is_(True), WorkItem.status != Status.DONE)))
    if at_risk:
        conds.append(rag_col != Rag.GREEN.value)
    return conds


def count_items(session: Session, *, filters: Filters, today: dt.date, unit_id: int | None = None,
                task_id: int | None = None, rag: Rag | None = None, problems_only: bool = False) -> int:
    """How many items `items(...)` would list without a limit."""
    conds = _item_conditions(filters, today, unit_id=unit_id, task_id=task_id, rag=rag, problems_only=problems_only)
    return int(session.scalar(select(func.count(WorkItem.id)).where(*conds)) or 0)


def items(session: Session, *, filters: Filters, today: dt.date, unit_id: int | None = None,
          task_id: int | None = None, rag: Rag | None = None, problems_only: bool = False,
          at_risk: bool = False, limit: int | None = ITEM_LIMIT, order: str = "urgency") -> pd.DataFrame:
    """Matching items as rows (at most `limit`): for click-through, the Gantt and the Excel list.

    problems_only: overdue (RAG red) or blocked and not done, for the report's limitations.
    at_risk: RAG red or amber, for the list of items to watch.
    order: "urgency" (overdue and earliest due first) or "start" (by start date, for the Gantt).
    """
    rag_col = rag_case(today)
    conds = _item_conditions(filters, today, unit_id=unit_id, task_id=task_id, rag=rag, problems_only=problems_only,
                             at_risk=at_risk)
    ordering = ([WorkItem.start_date, WorkItem.due_date, WorkItem.id] if order == "start" else
                [case((rag_col == Rag.RED.value, 0), (rag_col == Rag.AMBER.value, 1), else_=2),
                 WorkItem.due_date, WorkItem.id])
    rows = session.execute(
        select(WorkItem.id, WorkItem.title, PriorityTask.number, PriorityTask.label, Unit.name, Form.name,
               WorkItem.start_date, WorkItem.due_date, WorkItem.status, WorkItem.progress, WorkItem.completed_on,
               WorkItem.blocked, WorkItem.blocked_reason, WorkItem.target_qty, WorkItem.achieved_qty,
               WorkItem.budget_planned, WorkItem.budget_spent, rag_col.label("rag"))
        .join(PriorityTask, PriorityTask.id == WorkItem.priority_task_id)
        .join(Unit, Unit.id == WorkItem.lead_unit_id)
        .join(Form, Form.id == WorkItem.form_id)
        .where(*conds).order_by(*ordering).limit(limit)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[
        "id", "title", "number", "label", "unit", "form", "start_date", "due_date", "status", "progress",
        "completed_on", "blocked", "blocked_reason", "target_qty", "achieved_qty", "budget_planned",
        "budget_spent", "rag"])
    frame["status"] = [s.value if isinstance(s, Status) else s for s in frame["status"]]
    frame["status_label"] = [STATUS_LABELS[Status(s)] for s in frame["status"]]
    frame["rag_label"] = [RAG_LABELS[Rag(r)] for r in frame["rag"]]
    frame["task"] = "(" + frame["label"].astype(str) + ")"
    return frame


def compare_plans(session: Session, *, plan_ids: list[int], today: dt.date) -> pd.DataFrame:
    """Year over year: the headline counts of several plans side by side, one row per plan."""
    rows = session.execute(
        select(Plan.id, Plan.code, Plan.year, *_count_columns(today))
        .join(Plan, Plan.id == WorkItem.plan_id)
        .where(WorkItem.plan_id.in_(plan_ids), WorkItem.deleted_at.is_(None))
        .group_by(Plan.id, Plan.code, Plan.year)
    ).all()
    frame = _counts_frame(rows, ["plan_id", "code", "year"])
    known = set(frame["plan_id"])
    missing = session.execute(select(Plan.id, Plan.code, Plan.year)
                              .where(Plan.id.in_([p for p in plan_ids if p not in known]))).all()
    if missing:
        empty = pd.DataFrame([{"plan_id": i, "code": c, "year": y} for i, c, y in missing])
        frame = pd.concat([frame, empty], ignore_index=True).fillna(0)
    order = {p: i for i, p in enumerate(plan_ids)}
    return frame.sort_values("plan_id", key=lambda s: s.map(order)).reset_index(drop=True)


def build(session: Session, *, actor: Actor, filters: Filters, today: dt.date, freq: str = "M",
          include_flow: bool = True) -> Dashboard:
    """Every figure of the dashboard for the filters, as of `today` (the flow, the costliest, optional).

    Raises:
        PermissionDenied: not signed in. NotFound: no such plan.
    """
    require(actor, Action.VIEW_DASHBOARD)
    plan = session.get(Plan, filters.plan_id)
    if plan is None:
        raise NotFound(f"Không tìm thấy kế hoạch số {filters.plan_id}.")
    data = base(session, filters=filters, today=today)
    return Dashboard(
        plan_id=plan.id, plan_code=plan.code, plan_title=plan.title, plan_year=plan.year,
        task_label=plan.task_label, today=today, filters=filters,
        headline=headline(session, filters=filters, today=today, data=data),
        by_task=by_task(session, filters=filters, today=today, data=data),
        by_unit=by_unit(session, filters=filters, today=today, data=data),
        heatmap=heatmap(session, filters=filters, today=today, data=data),
        forms=forms(session, filters=filters, today=today, data=data),
        budget=budget(session, filters=filters, today=today, data=data),
        gantt=items(session, filters=filters, today=today, limit=GANTT_LIMIT, order="start"),
        flow=(flow(session, filters=filters, today=today, year=plan.year, freq=freq) if include_flow
              else pd.DataFrame()),
    )
