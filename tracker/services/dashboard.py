"""The leadership dashboard's figures: every number computed in SQL with GROUP BY, never row by row.

Every figure is taken at the filters' cut-off (`Filters.cutoff`: the "Số liệu tính đến ngày" date, today
by default) and counted by the one definition in tracker/figures.py: the four official classes, the
completion rate (done ÷ items), the average progress and the overdue rate. A past cut-off reads the
items as they were then (work_item_states). The cumulative flow is rebuilt from the progress history.
`today` is always passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from tracker import figures
from tracker.services import cutoff_cache
from tracker.errors import NotFound
from tracker.figures import STANDING_LABELS, Source, Standing, Totals
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
    completion_rate: float
    average_progress: float
    overdue_rate: float
    due_passed: int = 0
    as_of: dt.date | None = None
    period_start: dt.date | None = None
    done_in_period: int | None = None
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

    @property
    def cutoff(self) -> dt.date:
        return self.filters.cutoff(self.today)


def _sum_if(condition) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


COUNTS = figures.COUNT_NAMES
BASE_SUMS = [*COUNTS, "amber", "target", "achieved", "planned", "spent"]
_EXTRA = ["progress_sum", "amber", "target", "achieved", "planned", "spent"]


def _derive(frame: pd.DataFrame) -> pd.DataFrame:
    """Add done, in progress within the deadline and the rates (tracker/figures.py) to summed counts."""
    figures.derive(frame)
    return frame


def source_for(filters: Filters, today: dt.date) -> Source:
    """Where the filters' figures are read: the items now, or as they were at a past cut-off."""
    return figures.source(filters.cutoff(today), today)


BASE_COLUMNS = ["unit_id", "task_id", "form_id", *BASE_SUMS]


def _base_query(session: Session, filters: Filters, src: Source) -> pd.DataFrame:
    t = src.t
    amber = rag_case(src.cutoff, t) == Rag.AMBER.value
    rows = session.execute(
        select(t.lead_unit_id, t.priority_task_id, t.form_id, *figures.count_columns(src),
               _sum_if(amber), func.coalesce(func.sum(t.target_qty), 0),
               func.coalesce(func.sum(t.achieved_qty), 0), func.coalesce(func.sum(t.budget_planned), 0),
               func.coalesce(func.sum(t.budget_spent), 0))
        .where(*conditions(filters, src))
        .group_by(t.lead_unit_id, t.priority_task_id, t.form_id)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=BASE_COLUMNS)
    for col in BASE_SUMS:
        frame[col] = frame[col].astype("int64")
    return frame


def _narrow(session: Session, frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of a whole plan's counts that the unit, kind, task and form filters keep."""
    keep = pd.Series(True, index=frame.index)
    if filters.unit_id:
        keep &= frame["unit_id"] == filters.unit_id
    if filters.task_id:
        keep &= frame["task_id"] == filters.task_id
    if filters.form_id:
        keep &= frame["form_id"] == filters.form_id
    if filters.unit_kind:
        of_kind = set(session.scalars(select(Unit.id).where(Unit.kind == filters.unit_kind)))
        keep &= frame["unit_id"].isin(of_kind)
    return frame[keep].reset_index(drop=True)


def base(session: Session, *, filters: Filters, today: dt.date) -> pd.DataFrame:
    """Every count the dashboard needs, per (lead unit, task, form): one GROUP BY over the items.

    Units × tasks × forms stays small (thousands of rows at most) whatever the number of items;
    the headline, per-task, per-unit, heat-map, form and budget figures are sums of it. At a past cut-off
    (without a period filter) the whole plan's counts are computed once and kept (cutoff_cache).
    """
    src = source_for(filters, today)
    if not src.historical or filters.date_from or filters.date_to:
        return _base_query(session, filters, src)
    whole = cutoff_cache.get(session, plan_id=filters.plan_id, cutoff=src.cutoff, columns=BASE_COLUMNS)
    if whole is None:
        whole = _base_query(session, Filters(plan_id=filters.plan_id, as_of=src.cutoff), src)
        cutoff_cache.put(session, plan_id=filters.plan_id, cutoff=src.cutoff, frame=whole)
    return _narrow(session, whole, filters)


def stale_cutoffs(session: Session) -> list[tuple[int, dt.date]]:
    """(plan, cut-off) pairs whose kept counts differ from the states (empty when right; the tests check it)."""
    from tracker.models import CutoffFigures

    wrong = []
    for plan_id, cutoff in session.execute(select(CutoffFigures.plan_id, CutoffFigures.cutoff)).all():
        kept = cutoff_cache.get(session, plan_id=plan_id, cutoff=cutoff, columns=BASE_COLUMNS)
        src = figures.source(cutoff, cutoff + dt.timedelta(days=1))
        fresh = _base_query(session, Filters(plan_id=plan_id, as_of=cutoff), src)
        rows = [sorted(tuple(int(v) for v in r) for r in f.itertuples(index=False)) for f in (kept, fresh)]
        if rows[0] != rows[1]:
            wrong.append((plan_id, cutoff))
    return wrong


def _sum_by(data: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return _derive(data.groupby(keys, as_index=False)[BASE_SUMS].sum())


def _base(session: Session, filters: Filters, today: dt.date, data: pd.DataFrame | None) -> pd.DataFrame:
    return base(session, filters=filters, today=today) if data is None else data


def totals(session: Session, *, filters: Filters, today: dt.date, data: pd.DataFrame | None = None) -> Totals:
    """The four classes and the rates of every item the filters select, at their cut-off."""
    return Totals.of(_base(session, filters, today, data)[BASE_SUMS].sum())


def done_between(session: Session, *, filters: Filters, today: dt.date, start: dt.date) -> int:
    """Items done at the cut-off whose completion (delivery) day falls from `start` to the cut-off."""
    src = source_for(filters, today)
    t = src.t
    return int(session.scalar(select(func.count(src.id)).where(
        *conditions(filters, src), t.status == Status.DONE, t.completed_on >= start,
        t.completed_on <= src.cutoff)) or 0)


def headline(session: Session, *, filters: Filters, today: dt.date, data: pd.DataFrame | None = None,
             period_start: dt.date | None = None) -> Headline:
    """The headline figures (with what was done since `period_start`, when given); the reporting figures
    come from the current round of the plan."""
    t = totals(session, filters=filters, today=today, data=data)
    in_period = (done_between(session, filters=filters, today=today, start=period_start) if period_start
                 else None)
    round_name, reported, expected = current_round(session, filters=filters, today=filters.cutoff(today))
    return Headline(items=t.items, done=t.done, done_on_time=t.done_on_time, done_late=t.done_late,
                    in_progress=t.in_progress_on_time, overdue=t.overdue, blocked=t.blocked,
                    completion_rate=t.completion_rate, average_progress=t.average_progress,
                    overdue_rate=t.overdue_rate, due_passed=t.due_passed, as_of=filters.cutoff(today),
                    period_start=period_start, done_in_period=in_period,
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
        frame[col] = frame[col].astype(float if col in figures.RATES else "int64")
    frame["task"] = "(" + frame["label"] + ")"
    return frame.drop(columns=_EXTRA)


def by_unit(session: Session, *, filters: Filters, today: dt.date, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per lead unit that has items, lowest completion rate first (then most overdue)."""
    counts = _sum_by(_base(session, filters, today, data), ["unit_id"])
    frame = _units(session, counts["unit_id"]).merge(counts, on="unit_id")
    frame = frame.drop(columns=_EXTRA)
    return frame.sort_values(["completion_rate", "average_progress", "overdue", "unit"],
                             ascending=[True, True, False, True]).reset_index(drop=True)


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


def _item_conditions(src: Source, filters: Filters, *, unit_id: int | None, task_id: int | None,
                     rag: Rag | None, problems_only: bool, at_risk: bool = False) -> list[ColumnElement[bool]]:
    t = src.t
    rag_col = rag_case(src.cutoff, t)
    conds = conditions(filters, src)
    if unit_id:
        conds.append(t.lead_unit_id == unit_id)
    if task_id:
        conds.append(t.priority_task_id == task_id)
    if rag:
        conds.append(rag_col == rag.value)
    if problems_only:
        conds.append(or_(rag_col == Rag.RED.value, and_(t.blocked.is_(True), t.status != Status.DONE)))
    if at_risk:
        conds.append(rag_col != Rag.GREEN.value)
    return conds


def count_items(session: Session, *, filters: Filters, today: dt.date, unit_id: int | None = None,
                task_id: int | None = None, rag: Rag | None = None, problems_only: bool = False,
                at_risk: bool = False) -> int:
    """How many items `items(...)` would list without a limit."""
    src = source_for(filters, today)
    conds = _item_conditions(src, filters, unit_id=unit_id, task_id=task_id, rag=rag, problems_only=problems_only,
                             at_risk=at_risk)
    return int(session.scalar(select(func.count(src.id)).where(*conds)) or 0)


def problem_reasons(session: Session, *, filters: Filters, today: dt.date) -> list[tuple[int, str | None]]:
    """Every item `items(problems_only=True)` would list, light: (id, blocked reason at the cut-off or None).
    For the report's count of causes over all overdue and blocked work, not only the rows it lists."""
    src = source_for(filters, today)
    conds = _item_conditions(src, filters, unit_id=None, task_id=None, rag=None, problems_only=True)
    stmt = select(src.id, src.t.blocked, WorkItem.blocked_reason)
    if src.historical:
        stmt = stmt.join(WorkItem, WorkItem.id == src.id)
    return [(int(i), reason if blocked else None) for i, blocked, reason in session.execute(stmt.where(*conds))]


ITEM_COLUMNS = ["id", "title", "number", "label", "unit", "form", "start_date", "due_date", "status", "progress",
                "completed_on", "submitted_on", "confirmed_on", "blocked", "blocked_reason", "target_qty",
                "achieved_qty", "budget_planned", "budget_spent", "rag", "standing"]


def items(session: Session, *, filters: Filters, today: dt.date, unit_id: int | None = None,
          task_id: int | None = None, rag: Rag | None = None, problems_only: bool = False,
          at_risk: bool = False, limit: int | None = ITEM_LIMIT, order: str = "urgency") -> pd.DataFrame:
    """Matching items as rows (at most `limit`), as they were at the cut-off: for click-through, the Gantt
    and the Excel list. `standing` is the item's class (tracker/figures.py), `rag` its RAG mark.

    problems_only: overdue (RAG red) or blocked and not done, for the report's limitations.
    at_risk: RAG red or amber, for the list of items to watch.
    order: "urgency" (overdue and earliest due first) or "start" (by start date, for the Gantt).
    """
    src = source_for(filters, today)
    t = src.t
    rag_col = rag_case(src.cutoff, t)
    conds = _item_conditions(src, filters, unit_id=unit_id, task_id=task_id, rag=rag, problems_only=problems_only,
                             at_risk=at_risk)
    ordering = ([t.start_date, t.due_date, src.id] if order == "start" else
                [case((rag_col == Rag.RED.value, 0), (rag_col == Rag.AMBER.value, 1), else_=2),
                 t.due_date, src.id])
    stmt = select(src.id, WorkItem.title, PriorityTask.number, PriorityTask.label, Unit.name, Form.name,
                  t.start_date, t.due_date, t.status, t.progress, t.completed_on, t.submitted_on,
                  WorkItem.confirmed_on, t.blocked, WorkItem.blocked_reason, t.target_qty, t.achieved_qty,
                  t.budget_planned, t.budget_spent, rag_col.label("rag"),
                  figures.standing_case(src.cutoff, t).label("standing"))
    if src.historical:
        stmt = stmt.join(WorkItem, WorkItem.id == src.id)
    rows = session.execute(
        stmt.join(PriorityTask, PriorityTask.id == t.priority_task_id)
        .join(Unit, Unit.id == t.lead_unit_id)
        .join(Form, Form.id == t.form_id)
        .where(*conds).order_by(*ordering).limit(limit)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=ITEM_COLUMNS)
    if src.historical:  # the confirmation date and the reason as they are now mean nothing at a past cut-off
        frame["confirmed_on"] = [c if c is not None and c <= src.cutoff else None for c in frame["confirmed_on"]]
        frame.loc[~frame["blocked"].astype(bool), "blocked_reason"] = None
    frame["status"] = [s.value if isinstance(s, Status) else s for s in frame["status"]]
    frame["status_label"] = [STATUS_LABELS[Status(s)] for s in frame["status"]]
    frame["rag_label"] = [RAG_LABELS[Rag(r)] for r in frame["rag"]]
    frame["standing_label"] = [STANDING_LABELS[Standing(c)] for c in frame["standing"]]
    frame["task"] = "(" + frame["label"].astype(str) + ")"
    return frame


def compare_plans(session: Session, *, plan_ids: list[int], today: dt.date) -> pd.DataFrame:
    """Year over year: the headline counts of several plans side by side, one row per plan, as of today."""
    src = figures.source(today, today)
    rows = session.execute(
        select(Plan.id, Plan.code, Plan.year, *figures.count_columns(src))
        .join(Plan, Plan.id == WorkItem.plan_id)
        .where(WorkItem.plan_id.in_(plan_ids), *src.live)
        .group_by(Plan.id, Plan.code, Plan.year)
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["plan_id", "code", "year", *COUNTS])
    for col in COUNTS:
        frame[col] = frame[col].astype("int64")
    frame = _derive(frame).drop(columns="progress_sum")
    known = set(frame["plan_id"])
    missing = session.execute(select(Plan.id, Plan.code, Plan.year)
                              .where(Plan.id.in_([p for p in plan_ids if p not in known]))).all()
    if missing:
        empty = pd.DataFrame([{"plan_id": i, "code": c, "year": y} for i, c, y in missing])
        frame = pd.concat([frame, empty], ignore_index=True).fillna(0)
    order = {p: i for i, p in enumerate(plan_ids)}
    return frame.sort_values("plan_id", key=lambda s: s.map(order)).reset_index(drop=True)


def build(session: Session, *, actor: Actor, filters: Filters, today: dt.date, freq: str = "M",
          include_flow: bool = True, period_start: dt.date | None = None) -> Dashboard:
    """Every figure of the dashboard for the filters, at their cut-off (the flow, the costliest, optional).

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
        headline=headline(session, filters=filters, today=today, data=data, period_start=period_start),
        by_task=by_task(session, filters=filters, today=today, data=data),
        by_unit=by_unit(session, filters=filters, today=today, data=data),
        heatmap=heatmap(session, filters=filters, today=today, data=data),
        forms=forms(session, filters=filters, today=today, data=data),
        budget=budget(session, filters=filters, today=today, data=data),
        gantt=items(session, filters=filters, today=today, limit=GANTT_LIMIT, order="start"),
        flow=(flow(session, filters=filters, today=filters.cutoff(today), year=plan.year, freq=freq) if include_flow
              else pd.DataFrame()),
    )


def _records(frame: pd.DataFrame, key: str, name: str) -> list[dict]:
    keep = [key, name, "items", "done_on_time", "done_late", "in_progress_on_time", "overdue", "completion_rate",
            "average_progress", "overdue_rate"]
    out = []
    for r in frame[frame["items"] > 0][keep].to_dict("records"):
        out.append({k: (float(v) if k in figures.RATES else int(v) if k != name else v) for k, v in r.items()})
    return out


def figures_dict(board: Dashboard) -> dict:
    """The board's figures as plain data (the CLI's --json; what another system would read)."""
    h = board.headline
    out = {"plan": board.plan_code, "cutoff": board.cutoff.isoformat(),
           "period_start": h.period_start.isoformat() if h.period_start else None,
           **Totals(items=h.items, done_on_time=h.done_on_time, done_late=h.done_late,
                    in_progress_on_time=h.in_progress, overdue=h.overdue, due_passed=h.due_passed,
                    blocked=h.blocked, progress_sum=0).as_dict(),
           "average_progress": h.average_progress,
           "by_task": _records(board.by_task.assign(task_label=board.by_task["task"]), "number", "task_label"),
           "by_unit": _records(board.by_unit, "unit_id", "unit")}
    if h.done_in_period is not None:
        out["done_in_period"] = h.done_in_period
    return out
