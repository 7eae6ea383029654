"""Checklists: ordered steps inside an item (text, done tick, who ticked it and when).

Edited and ticked by those who may report the item's progress (tracker.permissions, UPDATE_PROGRESS; confirmed
work is read-only for the unit as for every progress write). Each change is one entry in the item's history
("steps": "2/5" → "3/5", with the step's text). When the office chooses so for an item, its progress follows the
checklist (done ÷ steps, rounded) through the progress service, so every progress rule still applies (work not
started starts, "Chờ xác nhận" stays at 100%).

In the Excel layout (column "Các bước", tracker/services/imports.py) a checklist is one step per line, a done step
prefixed "[x] ". An import gives a new item the file's steps; to an existing item it only adds the steps it lacks
(same text), at the end: it never removes a step, reorders them or changes a tick, which are the units' own work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, ValidationFailed
from tracker.models import EventKind, ProgressEvent, Status, WorkItem, WorkItemChecklist, WorkItemStep
from tracker.permissions import Action, Actor, require
from tracker.services import progress as progress_service
from tracker.services.progress import refuse_if_confirmed
from tracker.text import nfc

MAX_STEPS = 50
MAX_TEXT = 500


@dataclass(frozen=True)
class Step:
    id: int
    position: int
    text: str
    done: bool
    done_by: str | None
    done_at: dt.datetime | None


@dataclass(frozen=True)
class Checklist:
    steps: list[Step]
    progress_follows: bool

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.steps if s.done)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / len(self.steps)) if self.steps else 0


DONE_PREFIX = "[x] "


def as_lines(steps: list[tuple[str, bool]]) -> str:
    """A checklist as the Excel cell shows it: one step per line, "[x] " before a done step."""
    return "\n".join(f"{DONE_PREFIX if done else ''}{text}" for text, done in steps)


def from_lines(cell: str | None) -> list[tuple[str, bool]]:
    """The (text, done) steps of an Excel cell: one per non-blank line; "[x]" (or "[X]") marks a done step,
    "[ ]" or nothing one not done.

    Raises:
        ValidationFailed: a step too long, or more than MAX_STEPS.
    """
    steps = []
    for line in str(cell or "").splitlines():
        line = nfc(line)
        done = line[:3].lower() == "[x]"
        if done or line[:3] == "[ ]":
            line = nfc(line[3:])
        if not line:
            continue
        if len(line) > MAX_TEXT:
            raise ValidationFailed(f"Bước “{line[:40]}…” dài quá {MAX_TEXT} ký tự.")
        steps.append((line, done))
    if len(steps) > MAX_STEPS:
        raise ValidationFailed(f"Mỗi công việc có tối đa {MAX_STEPS} bước (ô này có {len(steps)} bước).")
    return steps


def of_items(session: Session, item_ids: list[int]) -> dict[int, list[tuple[str, bool]]]:
    """The (text, done) steps of many items, in order, in a few queries (for the Excel export and import)."""
    out: dict[int, list[tuple[str, bool]]] = {}
    for start in range(0, len(item_ids), 500):
        for item_id, text, done in session.execute(
                select(WorkItemStep.work_item_id, WorkItemStep.text, WorkItemStep.done)
                .where(WorkItemStep.work_item_id.in_(item_ids[start:start + 500]))
                .order_by(WorkItemStep.work_item_id, WorkItemStep.position, WorkItemStep.id)):
            out.setdefault(item_id, []).append((text, done))
    return out


def _item(session: Session, item_id: int) -> WorkItem:
    item = session.get(WorkItem, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFound(f"Không tìm thấy công việc số {item_id} (có thể đã bị xóa).")
    return item


def read(session: Session, *, actor: Actor, item_id: int) -> Checklist:
    """The item's steps in order, and whether its progress follows them."""
    item = _item(session, item_id)
    require(actor, Action.VIEW_ITEM, item)
    steps = session.scalars(select(WorkItemStep).where(WorkItemStep.work_item_id == item_id)
                            .order_by(WorkItemStep.position, WorkItemStep.id)).all()
    flag = session.get(WorkItemChecklist, item_id)
    return Checklist(steps=[Step(s.id, s.position, s.text, s.done,
                                 (s.done_by.full_name or s.done_by.username) if s.done_by else None, s.done_at)
                            for s in steps], progress_follows=bool(flag and flag.progress_follows))


def _counts(session: Session, item_id: int) -> str:
    total = session.scalar(select(func.count(WorkItemStep.id)).where(WorkItemStep.work_item_id == item_id)) or 0
    done = session.scalar(select(func.count(WorkItemStep.id)).where(WorkItemStep.work_item_id == item_id,
                                                                   WorkItemStep.done)) or 0
    return f"{done}/{total}"


def _write(session: Session, actor: Actor, item: WorkItem, note: str, before: str, today: dt.date) -> None:
    """One history entry for the change; the progress follows the checklist when the office chose so."""
    session.flush()
    after = _counts(session, item.id)
    flag = session.get(WorkItemChecklist, item.id)
    done, total = (int(x) for x in after.split("/"))
    wanted = round(100 * done / total) if total else 0
    follows = bool(flag and flag.progress_follows) and item.status in (Status.NOT_STARTED, Status.IN_PROGRESS)
    if follows and wanted != item.progress:
        event = progress_service.update_progress(
            session, actor=actor, item_id=item.id, expected_version=item.version,
            change=progress_service.ProgressInput(progress=wanted, note=note), today=today)
        event.changes = {**(event.changes or {}), "steps": [before, after]}
        return
    session.add(ProgressEvent(work_item_id=item.id, actor_id=actor.user_id or None, kind=EventKind.PROGRESS,
                              progress=item.progress, changes={"steps": [before, after]}, note=note))
    session.flush()


def _allowed(session: Session, actor: Actor, item: WorkItem) -> None:
    refuse_if_confirmed(actor, item)
    require(actor, Action.UPDATE_PROGRESS, item, session=session)


def add_step(session: Session, *, actor: Actor, item_id: int, text: str, today: dt.date) -> WorkItemStep:
    item = _item(session, item_id)
    _allowed(session, actor, item)
    text = nfc(text or "")
    if not text:
        raise ValidationFailed("Nội dung bước không được để trống.")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"Nội dung bước không được dài quá {MAX_TEXT} ký tự (đang có {len(text):,} ký tự)."
                               .replace(",", "."))
    before = _counts(session, item_id)
    count = int(before.split("/")[1])
    if count >= MAX_STEPS:
        raise ValidationFailed(f"Mỗi công việc có tối đa {MAX_STEPS} bước.")
    last = session.scalar(select(func.max(WorkItemStep.position)).where(WorkItemStep.work_item_id == item_id)) or 0
    step = WorkItemStep(work_item_id=item_id, position=last + 1, text=text, done=False)
    session.add(step)
    _write(session, actor, item, f"Thêm bước: {text}", before, today)
    return step


def add_steps(session: Session, *, actor: Actor, item_id: int, steps: list[tuple[str, bool]], today: dt.date,
              note: str) -> list[WorkItemStep]:
    """Append many steps at once, done ones ticked by `actor` now, with ONE history entry (an import).

    Raises:
        PermissionDenied (as add_step), ValidationFailed: a step empty or too long, or too many steps in all.
    """
    item = _item(session, item_id)
    _allowed(session, actor, item)
    before = _counts(session, item_id)
    count = int(before.split("/")[1])
    if count + len(steps) > MAX_STEPS:
        raise ValidationFailed(f"Mỗi công việc có tối đa {MAX_STEPS} bước (công việc số {item_id} đã có {count}).")
    last = session.scalar(select(func.max(WorkItemStep.position)).where(WorkItemStep.work_item_id == item_id)) or 0
    now = dt.datetime.now(dt.timezone.utc)
    added = []
    for n, (text, done) in enumerate(steps, start=1):
        text = nfc(text or "")
        if not text or len(text) > MAX_TEXT:
            raise ValidationFailed(f"Nội dung bước phải có từ 1 đến {MAX_TEXT} ký tự.")
        added.append(WorkItemStep(work_item_id=item_id, position=last + n, text=text, done=done,
                                  done_by_id=(actor.user_id or None) if done else None, done_at=now if done else None))
    if added:
        session.add_all(added)
        _write(session, actor, item, note, before, today)
    return added


def _step(session: Session, step_id: int) -> WorkItemStep:
    step = session.get(WorkItemStep, step_id)
    if step is None:
        raise NotFound("Không tìm thấy bước này (có thể đã bị xóa).")
    return step


def tick(session: Session, *, actor: Actor, step_id: int, done: bool, today: dt.date) -> WorkItemStep:
    """Mark a step done (who and when are kept) or not done."""
    step = _step(session, step_id)
    item = _item(session, step.work_item_id)
    _allowed(session, actor, item)
    if step.done == done:
        return step
    before = _counts(session, item.id)
    step.done = done
    step.done_by_id = (actor.user_id or None) if done else None
    step.done_at = dt.datetime.now(dt.timezone.utc) if done else None
    _write(session, actor, item, f"{'Xong' if done else 'Chưa xong'} bước: {step.text}", before, today)
    return step


def remove_step(session: Session, *, actor: Actor, step_id: int, today: dt.date) -> None:
    step = _step(session, step_id)
    item = _item(session, step.work_item_id)
    _allowed(session, actor, item)
    before = _counts(session, item.id)
    text = step.text
    session.delete(step)
    _write(session, actor, item, f"Bỏ bước: {text}", before, today)


def set_progress_follows(session: Session, *, actor: Actor, item_id: int, follows: bool, today: dt.date) -> None:
    """The office's choice for one item; turning it on brings the progress to the checklist at once."""
    item = _item(session, item_id)
    require(actor, Action.MANAGE_ITEMS, session=session)
    flag = session.get(WorkItemChecklist, item_id)
    if flag is None:
        flag = WorkItemChecklist(work_item_id=item_id, progress_follows=follows)
        session.add(flag)
    elif flag.progress_follows == follows:
        return
    flag.progress_follows = follows
    counts = _counts(session, item_id)
    _write(session, actor, item, "Tiến độ theo các bước" if follows else "Tiến độ nhập tay, không theo các bước",
           counts, today)
