"""Deterministic, realistic demo data: work items across tasks, units and forms, with history.

The same seed, plan and as-of date always give the same rows, so demo data is usable for
trying the app and for benchmarks. Demo rows carry a `source_key` starting with "demo:";
generating again replaces them, and nothing else is touched.

The history ends on the as-of date (30/09 of the plan's year by default). While demo items remain,
the app takes that date as today for this database (`demo_today`), so a newcomer sees the plan
as it stood that day instead of every open item overdue.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from tracker import flow_ledger, item_states
from tracker.errors import ValidationFailed
from tracker.models import (
    AuditEvent,
    EventKind,
    Form,
    Plan,
    PriorityTask,
    ProgressEvent,
    Status,
    Unit,
    WorkItem,
    work_item_coordinators,
)

DEMO_PREFIX = "demo:"
DEMO_ACTION = "demo.generate"  # the audit event that records the as-of date
BATCH = 2000
VN_TZ = dt.timezone(dt.timedelta(hours=7))

# How a form's output is counted and the usual range of its target, by catalog form code
# prefix; anything else counts "sản phẩm".
_TARGETS = {
    "THONG-CAO": (2, 12), "HOP-BAO": (1, 4), "TAP-HUAN": (1, 3), "HOI-NGHI": (1, 3),
    "CHUYEN-MUC": (4, 24), "AN-PHAM": (1, 5), "CUNG-CAP": (4, 12), "PHAN-ANH": (10, 60),
    "VIDEO": (1, 6), "MANG-XA-HOI": (12, 60), "TRUNG-BAY": (1, 2), "DAI-CHUNG": (6, 30),
    "CONG-TTDT": (12, 48),
}
_ACTIONS = ["Tổ chức", "Triển khai", "Thực hiện", "Xây dựng", "Đăng tải"]
_BLOCK_REASONS = [
    "Chưa được bố trí kinh phí.",
    "Đang chờ ý kiến của đơn vị phối hợp.",
    "Văn bản hướng dẫn chưa được ban hành.",
    "Cơ quan báo chí lùi lịch phát sóng.",
]
_NOTES = [
    "Đã hoàn thành dự thảo, đang xin ý kiến lãnh đạo đơn vị.",
    "Đã đăng tải một phần trên Cổng Thông tin điện tử.",
    "Phối hợp với cơ quan báo chí để thực hiện.",
    "Đang tổng hợp số liệu.",
    "Bám sát kế hoạch, tiến độ bảo đảm.",
]


@dataclass(frozen=True)
class DemoResult:
    plan_code: str
    items: int
    events: int
    removed: int
    as_of: dt.date


def _topic(text: str) -> str:
    """A short topic from a task's text: its first clause, at most ~90 characters."""
    clause = re.split(r"[;:,(]", text, maxsplit=1)[0].strip().rstrip(".")
    if len(clause) > 90:
        clause = clause[:90].rsplit(" ", 1)[0] + "…"
    return clause


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(8 + rng.randrange(9), rng.randrange(60)), VN_TZ)
    return local.astimezone(dt.timezone.utc)


def _target(form: Form, rng: random.Random) -> int:
    for prefix, (low, high) in _TARGETS.items():
        if form.code.startswith(prefix):
            return rng.randint(low, high)
    return rng.randint(1, 10)


def generate_demo(session: Session, *, plan: Plan, items: int, seed: int,
                  as_of: dt.date | None = None,
                  progress: Callable[[int, int], None] | None = None) -> DemoResult:
    """Replace the plan's demo items with `items` new ones and their history up to `as_of`.

    `as_of` defaults to 30/09 of the plan's year: a mid-year snapshot with work in every state.

    Raises:
        ValidationFailed: bad count, or a catalog without tasks, units or forms.
    """
    if not 1 <= items <= 1_000_000:
        raise ValidationFailed("Số công việc mẫu phải từ 1 đến 1.000.000.")
    as_of = as_of or dt.date(plan.year, 9, 30)
    year_start, year_end = dt.date(plan.year, 1, 1), dt.date(plan.year, 12, 31)
    tasks = session.scalars(
        select(PriorityTask).where(PriorityTask.plan_id == plan.id, PriorityTask.text_missing.is_(False))
        .order_by(PriorityTask.number)
    ).all()
    mid_year = dt.date(plan.year, 6, 30)
    units = [u for u in session.scalars(select(Unit).order_by(Unit.id)) if u.active_on(mid_year)]
    forms = session.scalars(select(Form).where(Form.active.is_(True)).order_by(Form.sort_order)).all()
    if not tasks or not units or not forms:
        raise ValidationFailed("Danh mục chưa đủ nhiệm vụ, đơn vị và hình thức: hãy chạy python -m tracker init.")

    removed = session.execute(
        delete(WorkItem).where(WorkItem.plan_id == plan.id, WorkItem.source_key.like(f"{DEMO_PREFIX}%"))
    ).rowcount or 0

    rng = random.Random(f"{seed}:{plan.code}:{items}")
    topics = {t.id: _topic(t.text or "") for t in tasks}
    # Ministry units take more work each than provincial departments, as in real plans.
    weights = [6 if u.kind.value != "provincial" else 1 for u in units]
    total_events = 0
    for start in range(0, items, BATCH):
        count = min(BATCH, items - start)
        item_rows, coord_rows, event_rows = [], [], []
        first_id = _next_id(session)
        for offset in range(count):
            n = start + offset
            item_id = first_id + offset
            row, coords, events = _one_item(rng, n, item_id, plan, tasks, topics, units, weights, forms,
                                            seed, as_of, year_start, year_end)
            item_rows.append(row)
            coord_rows.extend({"work_item_id": item_id, "unit_id": u} for u in coords)
            event_rows.extend(events)
        session.execute(insert(WorkItem.__table__), item_rows)
        if coord_rows:
            session.execute(insert(work_item_coordinators), coord_rows)
        session.execute(insert(ProgressEvent.__table__), event_rows)
        total_events += len(event_rows)
        if progress:
            progress(start + count, items)
    _fix_sequences(session)
    flow_ledger.rebuild(session, [plan.id])  # the rows above bypassed the ORM's listeners
    item_states.rebuild(session, [plan.id])
    session.add(AuditEvent(action=DEMO_ACTION, target_type="plan", target_id=plan.id,
                           details={"as_of": as_of.isoformat(), "items": items, "seed": seed}))
    return DemoResult(plan_code=plan.code, items=items, events=total_events, removed=removed, as_of=as_of)


def demo_today(session: Session) -> dt.date | None:
    """The date the latest demo history runs to, while demo items remain; else None."""
    if session.scalar(select(WorkItem.id).where(WorkItem.source_key.like(f"{DEMO_PREFIX}%"),
                                                WorkItem.deleted_at.is_(None)).limit(1)) is None:
        return None
    details = session.scalar(select(AuditEvent.details).where(AuditEvent.action == DEMO_ACTION)
                             .order_by(AuditEvent.id.desc()).limit(1))
    try:
        return dt.date.fromisoformat(details["as_of"])
    except (TypeError, KeyError, ValueError):
        return None


def _next_id(session: Session) -> int:
    return (session.scalar(select(func.max(WorkItem.id))) or 0) + 1


def _fix_sequences(session: Session) -> None:
    """Explicit ids bypass PostgreSQL's sequence: move it past the highest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(
        "SELECT setval(pg_get_serial_sequence('work_items', 'id'), "
        "COALESCE((SELECT MAX(id) FROM work_items), 1))"
    ))


def _one_item(rng, n, item_id, plan, tasks, topics, units, weights, forms, seed, as_of,
              year_start, year_end):
    task = rng.choice(tasks)
    unit = rng.choices(units, weights=weights)[0]
    form = rng.choice(forms)
    start = year_start + dt.timedelta(days=rng.randrange(0, 300))
    due = min(start + dt.timedelta(days=rng.choice([30, 45, 60, 90, 120, 180])), year_end)
    target = _target(form, rng)
    budget = None if rng.random() < 0.6 else rng.randrange(5, 200) * 1_000_000
    others = [u for u in units if u.id != unit.id]
    coords = sorted({u.id for u in rng.sample(others, k=rng.choice([0, 0, 1, 1, 2, 3]))})

    elapsed = (as_of - start).days
    span = max((due - start).days, 1)
    status, progress, completed, blocked = Status.NOT_STARTED, 0, None, False
    if elapsed >= 0:
        expected = min(elapsed / span, 1.0)
        roll = rng.random()
        if as_of >= due and roll < 0.78:
            status, progress = Status.DONE, 100
            late = rng.random() < 0.22
            completed = min(due + dt.timedelta(days=rng.randrange(1, 25)), as_of) if late else \
                due - dt.timedelta(days=rng.randrange(0, min(span, 20)))
        elif as_of < due and roll < 0.06 and expected > 0.5:
            status, progress = Status.AWAITING_CONFIRMATION, 100
        elif elapsed > 0 or roll < 0.5:
            status = Status.IN_PROGRESS
            progress = max(0, min(95, int(expected * 100 + rng.gauss(-8, 18))))
            progress -= progress % 5
            blocked = rng.random() < 0.07
    achieved = round(target * progress / 100) if status is not Status.NOT_STARTED else 0
    spent = round(budget * progress / 100 * rng.uniform(0.7, 1.05)) // 1000 * 1000 if budget else None
    if spent is not None and status is Status.NOT_STARTED:
        spent = 0

    row = {
        "id": item_id, "plan_id": plan.id, "priority_task_id": task.id,
        "title": f"{rng.choice(_ACTIONS)} {form.name.lower()}: {topics[task.id]}",
        "description": None, "lead_unit_id": unit.id, "form_id": form.id, "channel_id": None,
        "channel_text": None, "start_date": start, "due_date": due, "target_qty": target,
        "target_unit": form.output_unit, "achieved_qty": achieved, "budget_planned": budget,
        "budget_spent": spent, "status": status, "progress": progress, "blocked": blocked,
        "blocked_reason": rng.choice(_BLOCK_REASONS) if blocked else None,
        "completed_on": completed, "confirmed_on": completed,
        "submitted_on": (completed or as_of) if status in (Status.AWAITING_CONFIRMATION, Status.DONE) else None,
        "recurring": rng.random() < 0.1,
        "source_key": f"{DEMO_PREFIX}{seed}:{n}", "note": None, "version": 1,
        "created_at": _at(min(start - dt.timedelta(days=rng.randrange(1, 15)), as_of), rng),
        "updated_at": _at(min(as_of, completed or as_of), rng), "created_by_id": None, "deleted_at": None,
    }
    events = _history(rng, item_id, row, start, as_of)
    row["version"] = len(events)
    return row, coords, events


def _history(rng, item_id, row, start, as_of):
    """About ten events: created, started, progress reports, awaiting confirmation, done."""
    events = [{"work_item_id": item_id, "actor_id": None, "at": row["created_at"], "kind": EventKind.CREATED,
               "from_status": None, "to_status": Status.NOT_STARTED, "progress": 0, "achieved_qty": 0,
               "changes": {}, "note": "Giao nhiệm vụ theo kế hoạch.", "evidence_urls": []}]
    status, final = row["status"], row["progress"]
    if status is Status.NOT_STARTED:
        return events

    def ev(day, kind, frm, to, pct, note, urls=()):
        # History is strictly ordered in time, even for several events on one day.
        at = max(_at(day, rng), events[-1]["at"] + dt.timedelta(minutes=rng.randint(5, 50)))
        events.append({"work_item_id": item_id, "actor_id": None, "at": at, "kind": kind,
                       "from_status": frm, "to_status": to, "progress": pct,
                       "achieved_qty": round((row["target_qty"] or 0) * pct / 100), "changes": {},
                       "note": note, "evidence_urls": list(urls)})

    end = row["completed_on"] or as_of
    end = max(end, start)
    ev(start, EventKind.MOVED, Status.NOT_STARTED, Status.IN_PROGRESS, 0, "Bắt đầu triển khai.")
    span = (end - start).days
    steps = min(rng.randint(4, 8), max(span, 1))
    pct = 0
    for k in range(1, steps + 1):
        day = start + dt.timedelta(days=span * k // (steps + 1))
        pct = min(final, max(pct, final * k // (steps + 1)))
        pct -= pct % 5
        ev(day, EventKind.PROGRESS, None, None, pct, rng.choice(_NOTES))
    if row["blocked"]:
        ev(end, EventKind.BLOCKED, None, None, pct, row["blocked_reason"])
    if status in (Status.AWAITING_CONFIRMATION, Status.DONE):
        url = f"https://moha.gov.vn/tin-tuc/{row['source_key'].replace(':', '-')}"
        ev(end, EventKind.MOVED, Status.IN_PROGRESS, Status.AWAITING_CONFIRMATION, 100,
           "Đã hoàn thành, đề nghị xác nhận.", [url])
    if status is Status.DONE:
        ev(end, EventKind.CONFIRMED, Status.AWAITING_CONFIRMATION, Status.DONE, 100,
           "Văn phòng xác nhận hoàn thành.")
    return events
