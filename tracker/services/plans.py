"""Plans and their priority tasks: lookup and listing."""

from __future__ import annotations

from dataclasses import dataclass
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.models import Plan, PriorityTask, WorkItem
from tracker.text import fold

MISSING_TEXT_LABEL = "Chưa có nội dung trong văn bản nguồn"


@dataclass(frozen=True)
class PlanInfo:
    id: int
    code: str
    title: str
    year: int
    decision_no: str | None
    issued_on: dt.date | None
    issuer: str | None
    message: str | None
    numbering: str
    task_label: str
    verified: bool
    note: str | None
    source: str | None
    source_filename: str | None  # the Decision file kept with the plan (plan-from), if any
    task_count: int
    missing_count: int
    item_count: int


@dataclass(frozen=True)
class TaskInfo:
    id: int
    number: int
    label: str
    text: str | None
    text_missing: bool
    note: str | None

    @property
    def display_text(self) -> str:
        return self.text if self.text else MISSING_TEXT_LABEL


def find_plan(session: Session, ref: str) -> Plan:
    """A plan by its code, decision number or year ("184/QĐ-BNV", "184/QD-BNV", "2024").

    Raises:
        NotFound: no plan, or a year shared by several plans.
    """
    key = fold(ref)
    plans = session.scalars(select(Plan).order_by(Plan.year, Plan.code)).all()
    for plan in plans:
        if key in {fold(plan.code), fold(plan.decision_no or "")}:
            return plan
    by_year = [p for p in plans if key.isdigit() and p.year == int(key) and p.parent_plan_id is None]
    if len(by_year) == 1:
        return by_year[0]
    known = ", ".join(p.code for p in plans) or "(chưa có kế hoạch nào; hãy chạy python -m tracker init)"
    raise NotFound(f"Không tìm thấy kế hoạch “{ref}”. Các kế hoạch hiện có: {known}.")


def list_plans(session: Session) -> list[PlanInfo]:
    """Every plan, newest first, with task and work-item counts (two grouped queries)."""
    task_counts = dict(
        (row.plan_id, (row.n, row.missing))
        for row in session.execute(
            select(
                PriorityTask.plan_id,
                func.count().label("n"),
                func.count().filter(PriorityTask.text_missing).label("missing"),
            ).group_by(PriorityTask.plan_id)
        )
    )
    item_counts = dict(
        session.execute(
            select(WorkItem.plan_id, func.count())
            .where(WorkItem.deleted_at.is_(None))
            .group_by(WorkItem.plan_id)
        ).all()
    )
    plans = session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.code)).all()
    return [
        PlanInfo(
            id=p.id, code=p.code, title=p.title, year=p.year, decision_no=p.decision_no,
            issued_on=p.issued_on, issuer=p.issuer, message=p.message, numbering=p.numbering.value,
            task_label=p.task_label, verified=p.verified, note=p.note, source=p.source,
            source_filename=p.source_filename if p.source_sha256 else None,
            task_count=task_counts.get(p.id, (0, 0))[0], missing_count=task_counts.get(p.id, (0, 0))[1],
            item_count=item_counts.get(p.id, 0),
        )
        for p in plans
    ]


def list_tasks(session: Session, *, plan_id: int) -> list[TaskInfo]:
    """A plan's priority tasks in number order."""
    rows = session.scalars(
        select(PriorityTask).where(PriorityTask.plan_id == plan_id).order_by(PriorityTask.number)
    )
    return [
        TaskInfo(id=t.id, number=t.number, label=t.label, text=t.text, text_missing=t.text_missing, note=t.note)
        for t in rows
    ]
