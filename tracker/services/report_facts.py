"""What the official report says beyond the dashboard's figures, read once per report (no query per row):
the causes of overdue and blocked work, the reporting rounds and the units' proposals, what falls due next.

The counts cover every item; the lists stop at ANNEX_ROWS, and the report says how many it lists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.models import (ExplanationRequest, ExplanationStatus, Plan, PriorityTask, ReportingRound, RoundReport,
                            Status, Unit, WorkItem)
from tracker.services import dashboard
from tracker.services import rounds as round_service
from tracker.services.dashboard import Dashboard
from tracker.services.dashboard_filters import conditions

ANNEX_ROWS = 500  # an annex in Word lists at most this many items, and says so; the Excel list is whole
PROPOSAL_MARK = re.compile(r"(đề xuất|kiến nghị)\s*[:：]?\s*", re.IGNORECASE)


def missing(value) -> bool:
    """None, NaN (pandas' empty) or blank."""
    return value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip()


@dataclass(frozen=True)
class RoundLine:
    name: str
    deadline: dt.date
    expected: int
    on_time: int
    late: int
    missing: int


@dataclass(frozen=True)
class Proposal:
    unit: str
    text: str


@dataclass
class Facts:
    """What the report says beyond the dashboard's figures, read once (no query per row)."""

    plan: Plan
    period_start: dt.date | None
    cutoff: dt.date
    tasks_total: int
    units_total: int
    child_plans: int
    rounds: list[RoundLine]
    proposals: list[Proposal]
    problems: pd.DataFrame  # overdue or blocked, at most ANNEX_ROWS listed, with `cause`
    problems_total: int
    causes: list[tuple[str, int]]  # over all problems_total items, most frequent first
    unexplained: int
    next_start: dt.date
    next_end: dt.date
    next_by: pd.DataFrame = field(default_factory=pd.DataFrame)  # label, unit, items
    next_listed: pd.DataFrame = field(default_factory=pd.DataFrame)
    next_total: int = 0


def _causes(session: Session, board: Dashboard) -> dict[int, str | None]:
    """Each overdue or blocked item's cause: the unit's latest answered explanation, else its blocked reason."""
    reasons = dashboard.problem_reasons(session, filters=board.filters, today=board.today)
    wanted = {i for i, _ in reasons}
    answers: dict[int, str] = {}
    for item_id, answer in session.execute(
        select(ExplanationRequest.work_item_id, ExplanationRequest.answer)
        .join(WorkItem, WorkItem.id == ExplanationRequest.work_item_id)
        .where(WorkItem.plan_id == board.plan_id, ExplanationRequest.status == ExplanationStatus.ANSWERED)
        .order_by(ExplanationRequest.answered_at, ExplanationRequest.id)
    ):
        if item_id in wanted and not missing(answer):
            answers[item_id] = answer  # the latest answer wins
    out = {}
    for item_id, reason in reasons:
        text = answers.get(item_id) or (None if missing(reason) else reason)
        out[item_id] = " ".join(str(text).split()).rstrip(". ") if text else None
    return out


def _rounds(session: Session, board: Dashboard, start: dt.date | None, cutoff: dt.date
            ) -> tuple[list[RoundLine], list[Proposal]]:
    found = session.scalars(
        select(ReportingRound).where(ReportingRound.plan_id == board.plan_id, ReportingRound.period_end <= cutoff,
                                     *([ReportingRound.period_end >= start] if start else []))
        .order_by(ReportingRound.deadline, ReportingRound.id)).all()
    lines, proposals = [], []
    for r in found:
        reports = {rep.unit_id: rep for rep in session.scalars(select(RoundReport).where(RoundReport.round_id == r.id))}
        statuses = Counter(round_service.report_status(
            submitted_at=reports[u.id].submitted_at if u.id in reports else None, deadline=r.deadline,
            today=board.today, closed=r.closed_at is not None) for u in r.units)
        lines.append(RoundLine(r.name, r.deadline, len(r.units), statuses[round_service.ReportStatus.SUBMITTED],
                               statuses[round_service.ReportStatus.LATE],
                               statuses[round_service.ReportStatus.MISSING] + statuses[round_service.ReportStatus.PENDING]))
        names = {u.id: u.name for u in r.units}
        for unit_id, rep in sorted(reports.items(), key=lambda kv: names.get(kv[0], "")):
            mark = PROPOSAL_MARK.search(rep.summary or "")
            if mark:
                text = " ".join(rep.summary[mark.end():].split()).rstrip(". ")
                if text:
                    proposals.append(Proposal(names.get(unit_id) or session.get(Unit, unit_id).name, text))
    return lines, proposals


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _next_period(start: dt.date | None, cutoff: dt.date, year: int) -> tuple[dt.date, dt.date]:
    """The period after the report's, as many months long, from the day after the cut-off: after 01/01–30/06
    comes 01/07–31/12, after 15/12–14/06 (Nghị định 09/2019's cut-off) 15/06–14/12; a period shorter than a
    month is followed by one as many days long; without a start, the rest of the plan's year."""
    begin = cutoff + dt.timedelta(days=1)
    if start is None:
        return begin, max(dt.date(year, 12, 31), begin)
    months = (begin.year - start.year) * 12 + begin.month - start.month
    if months < 1:
        return begin, begin + (cutoff - start)
    return begin, _add_months(begin, months) - dt.timedelta(days=1)


def _due_next(session: Session, board: Dashboard, begin: dt.date, end: dt.date) -> tuple[pd.DataFrame, int]:
    """Items not done whose deadline falls in [begin, end], as they stand at the cut-off (at most ANNEX_ROWS
    listed, all counted by task and unit)."""
    src = dashboard.source_for(board.filters, board.today)
    t = src.t
    where = [*conditions(board.filters, src), t.status != Status.DONE, t.due_date >= begin, t.due_date <= end]
    counts = session.execute(
        select(PriorityTask.label, Unit.name, func.count(src.id))
        .join(PriorityTask, PriorityTask.id == t.priority_task_id).join(Unit, Unit.id == t.lead_unit_id)
        .where(*where).group_by(PriorityTask.label, PriorityTask.number, Unit.name)
        .order_by(PriorityTask.number, Unit.name)).all()
    frame = pd.DataFrame([tuple(r) for r in counts], columns=["label", "unit", "items"])
    stmt = select(src.id, WorkItem.title, PriorityTask.label, Unit.name, t.due_date)
    if src.historical:
        stmt = stmt.join(WorkItem, WorkItem.id == src.id)
    rows = session.execute(stmt.join(PriorityTask, PriorityTask.id == t.priority_task_id)
                           .join(Unit, Unit.id == t.lead_unit_id).where(*where)
                           .order_by(t.due_date, src.id).limit(ANNEX_ROWS)).all()
    listed = pd.DataFrame([tuple(r) for r in rows], columns=["id", "title", "label", "unit", "due_date"])
    return frame, listed


def facts(session: Session, board: Dashboard) -> Facts:
    plan = session.get(Plan, board.plan_id)
    start, cutoff = board.headline.period_start, board.cutoff
    cause_of = _causes(session, board)
    counted = Counter(c for c in cause_of.values() if c)
    causes = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = dashboard.items(session, filters=board.filters, today=board.today, problems_only=True, limit=ANNEX_ROWS)
    problems = listed.assign(cause=[cause_of.get(int(i)) for i in listed["id"]])
    rounds, proposals = _rounds(session, board, start, cutoff)
    begin, end = _next_period(start, cutoff, plan.year)
    by, listed = _due_next(session, board, begin, end)
    return Facts(
        plan=plan, period_start=start, cutoff=cutoff,
        tasks_total=int(session.scalar(select(func.count(PriorityTask.id)).where(PriorityTask.plan_id == plan.id))),
        units_total=len(board.by_unit),
        child_plans=int(session.scalar(select(func.count(Plan.id)).where(Plan.parent_plan_id == plan.id))),
        rounds=rounds, proposals=proposals, problems=problems, problems_total=len(cause_of), causes=causes,
        unexplained=sum(1 for c in cause_of.values() if not c), next_start=begin, next_end=end,
        next_by=by, next_listed=listed, next_total=int(by["items"].sum()) if not by.empty else 0,
    )
