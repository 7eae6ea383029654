"""Yearly rollover: next year's plan from this one, with a preview of every change before writing.

Priority tasks are copied; the chosen items (by default the recurring ones) are copied with their
dates moved a year and progress reset. A lead or coordinating unit that no longer exists on the new
dates is replaced by its successor (following the chain: 2024 units into 2025 units, 63 provinces
into 34); each replacement is listed in the preview and recorded in the new item's history.
Nothing is written by `preview_rollover`; `apply_rollover` writes all or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.errors import NotFound, ValidationFailed
from tracker.limits import too_long
from tracker.models import EventKind, Plan, PriorityTask, ProgressEvent, Unit, WorkItem
from tracker.permissions import Action, Actor, require
from tracker.services import work_items as items
from tracker.services.work_items import ItemInput
from tracker.text import fold, format_date, nfc


@dataclass(frozen=True)
class Replacement:
    source_item_id: int
    title: str
    role: str  # "Chủ trì" or "Phối hợp"
    old_unit: str
    new_unit: str | None  # None: dropped (a coordinator with no successor)


@dataclass(frozen=True)
class CarriedItem:
    source_item_id: int
    task_number: int
    task_label: str
    title: str
    lead_unit: str
    start_date: dt.date | None
    due_date: dt.date | None
    data: ItemInput
    kept_lead: bool = True  # the lead unit still exists (was not replaced by a successor)
    folded: tuple[int, ...] = ()  # source items merged into this one


@dataclass(frozen=True)
class Merge:
    """Two source items that become the same work once merged units are replaced (same task, title and
    lead): one item is created; targets and budgets are added up, coordinating units joined."""

    source_item_id: int
    into_source_item_id: int
    title: str
    lead_unit: str


@dataclass
class RolloverPreview:
    source_code: str
    new_code: str
    new_title: str
    new_year: int
    task_count: int
    items: list[CarriedItem] = field(default_factory=list)
    replacements: list[Replacement] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    merges: list[Merge] = field(default_factory=list)

    def summary(self) -> str:
        folded = f" (gộp {len(self.merges)} công việc trùng sau khi thay đơn vị)" if self.merges else ""
        return (f"Kế hoạch {self.new_code} (năm {self.new_year}) từ {self.source_code}: {self.task_count} nhiệm vụ, "
                f"{len(self.items)} công việc{folded}, {len(self.replacements)} lần thay đơn vị, "
                f"{len(self.problems)} lỗi.")


def next_year(day: dt.date | None) -> dt.date | None:
    """The same day a year later (29/02 becomes 28/02)."""
    if day is None:
        return None
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def unit_on(unit: Unit, days: Sequence[dt.date]) -> Unit | None:
    """The unit itself if it exists on all `days`, else its successor (followed down the chain), else None."""
    seen: set[int] = set()
    current: Unit | None = unit
    while current is not None and current.id not in seen:
        if all(current.active_on(d) for d in days):
            return current
        seen.add(current.id)
        current = current.successor
    return None


def unit_for_work(unit: Unit, days: Sequence[dt.date]) -> Unit | None:
    """Who carries work over `days`: a unit that exists on all of them (`unit_on`), else — when the span crosses
    the day a unit ended and its successor began — the one that exists when the work is due (the last day)."""
    return unit_on(unit, days) or (unit_on(unit, [max(days)]) if len(days) > 1 else None)


def why_no_unit(unit: Unit, days: Sequence[dt.date]) -> str:
    """The real reason no unit of `unit`'s line can carry work over `days` (Vietnamese), naming each unit's dates."""
    span = " – ".join(format_date(d) for d in days)
    parts, seen, current = [], set(), unit
    while current is not None and current.id not in seen:
        seen.add(current.id)
        since = f"từ {format_date(current.valid_from)} " if current.valid_from else ""
        until = f"đến {format_date(current.valid_to)}" if current.valid_to else "đến nay"
        parts.append(f"“{current.name}” hoạt động {since}{until}".replace("  ", " "))
        if current.successor is None and current.valid_to is not None:
            parts.append(f"“{current.name}” không có đơn vị kế thừa")
        current = current.successor
    return f"không đơn vị nào hoạt động vào {span} ({'; '.join(parts)})"


def recurring_item_ids(session: Session, *, plan_id: int) -> list[int]:
    """The items a rollover offers by default: those marked recurring."""
    return list(session.scalars(select(WorkItem.id).where(
        WorkItem.plan_id == plan_id, WorkItem.recurring.is_(True), WorkItem.deleted_at.is_(None)).order_by(WorkItem.id)))


def _source(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Không tìm thấy kế hoạch số {plan_id}.")
    return plan


def preview_rollover(session: Session, *, actor: Actor, source_plan_id: int, new_code: str,
                     new_title: str | None = None, item_ids: Sequence[int] | None = None) -> RolloverPreview:
    """What a rollover would create and replace, and every problem; writes nothing.

    `item_ids` None means the source plan's recurring items.
    """
    require(actor, Action.MANAGE_ITEMS, session=session)
    source = _source(session, source_plan_id)
    year = source.year + 1
    new_code = nfc(new_code or "")
    title = nfc(new_title) if new_title else source.title.replace(str(source.year), str(year))
    preview = RolloverPreview(source_code=source.code, new_code=new_code, new_title=title, new_year=year,
                              task_count=len(source.tasks))
    preview.problems += [p for p in (too_long("plan_code", new_code), too_long("plan_title", title)) if p]
    if not new_code:
        preview.problems.append("Chưa nhập mã kế hoạch mới.")
    elif session.scalar(select(Plan.id).where(Plan.code == new_code)) is not None:
        preview.problems.append(f"Đã có kế hoạch mã “{new_code}”.")
    ids = recurring_item_ids(session, plan_id=source.id) if item_ids is None else list(dict.fromkeys(item_ids))
    chosen = session.scalars(
        select(WorkItem).options(selectinload(WorkItem.coordinating_units), selectinload(WorkItem.lead_unit),
                                 selectinload(WorkItem.priority_task))
        .where(WorkItem.id.in_(ids), WorkItem.deleted_at.is_(None)).order_by(WorkItem.id)).all()
    found = {i.id for i in chosen}
    for missing in (i for i in ids if i not in found):
        preview.problems.append(f"Không tìm thấy công việc số {missing}.")
    for item in chosen:
        if item.plan_id != source.id:
            preview.problems.append(f"Công việc số {item.id} không thuộc kế hoạch {source.code}.")
            continue
        _carry(item, year, preview)
    _fold_duplicates(preview)
    return preview


def _sum(values: list[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _fold_duplicates(preview: RolloverPreview) -> None:
    """Items that became the same work (a merged province's item and its successor's) are created once."""
    groups: dict[tuple, list[CarriedItem]] = {}
    for c in preview.items:
        groups.setdefault((c.task_number, fold(c.title), c.data.lead_unit_id), []).append(c)
    kept: list[CarriedItem] = []
    for c in preview.items:
        group = groups[(c.task_number, fold(c.title), c.data.lead_unit_id)]
        survivor = next((g for g in group if g.kept_lead), group[0])
        if c is not survivor:
            continue
        others = [g for g in group if g is not survivor]
        if others:
            units = {g.data.target_unit for g in group} - {None}
            data = survivor.data
            coordinators = [u for g in group for u in g.data.coordinating_unit_ids if u != data.lead_unit_id]
            starts = [g.data.start_date for g in group if g.data.start_date]
            dues = [g.data.due_date for g in group if g.data.due_date]
            data = replace(
                data, coordinating_unit_ids=tuple(dict.fromkeys(coordinators)),
                target_qty=_sum([g.data.target_qty for g in group]) if len(units) <= 1 else data.target_qty,
                budget_planned=_sum([g.data.budget_planned for g in group]),
                start_date=min(starts) if starts else None, due_date=max(dues) if dues else None)
            survivor = replace(survivor, data=data, start_date=data.start_date, due_date=data.due_date,
                               folded=tuple(g.source_item_id for g in others))
            preview.merges += [Merge(g.source_item_id, c.source_item_id, g.title, c.lead_unit) for g in others]
        kept.append(survivor)
    preview.items = kept


def _carry(item: WorkItem, year: int, preview: RolloverPreview) -> None:
    start, due = next_year(item.start_date), next_year(item.due_date)
    days = [d for d in (start, due) if d] or [dt.date(year, 12, 31)]
    when = " – ".join(format_date(d) for d in days)
    lead = unit_for_work(item.lead_unit, days)
    if lead is None:
        preview.problems.append(f"Công việc số {item.id} “{item.title}”: đơn vị chủ trì “{item.lead_unit.name}” không "
                                f"còn hoạt động vào {when}: {why_no_unit(item.lead_unit, days)}; hãy giao lại trước "
                                "khi chuyển.")
        return
    if lead.id != item.lead_unit_id:
        preview.replacements.append(Replacement(item.id, item.title, "Chủ trì", item.lead_unit.name, lead.name))
    coordinators: list[int] = []
    for unit in item.coordinating_units:
        new = unit_for_work(unit, days)
        if new is None or new.id != unit.id:
            preview.replacements.append(Replacement(item.id, item.title, "Phối hợp", unit.name,
                                                    new.name if new else None))
        if new is not None and new.id != lead.id and new.id not in coordinators:
            coordinators.append(new.id)
    data = items.normalise(ItemInput(
        priority_task_id=None,  # set to the new plan's task of the same number when written
        title=item.title, lead_unit_id=lead.id, form_id=item.form_id, coordinating_unit_ids=tuple(coordinators),
        channel_id=item.channel_id, channel_text=item.channel_text, start_date=start, due_date=due,
        target_qty=item.target_qty, target_unit=item.target_unit, budget_planned=item.budget_planned,
        note=item.note, description=item.description, recurring=item.recurring,
    ))
    preview.items.append(CarriedItem(item.id, item.priority_task.number, item.priority_task.label, item.title,
                                     lead.name, start, due, data, kept_lead=lead.id == item.lead_unit_id))


def _origin(carried: CarriedItem, plan_code: str) -> str:
    numbers = ", ".join(str(i) for i in (carried.source_item_id, *carried.folded))
    merged = " (gộp các công việc trùng sau khi thay đơn vị)" if carried.folded else ""
    return f"Chuyển từ công việc số {numbers} của kế hoạch {plan_code}{merged}."


def apply_rollover(session: Session, *, actor: Actor, source_plan_id: int, new_code: str,
                   new_title: str | None = None, item_ids: Sequence[int] | None = None) -> tuple[Plan, RolloverPreview]:
    """Create the new plan, its tasks and the carried items, in the caller's transaction.

    Raises:
        ValidationFailed: any problem the preview lists (nothing written).
    """
    preview = preview_rollover(session, actor=actor, source_plan_id=source_plan_id, new_code=new_code,
                               new_title=new_title, item_ids=item_ids)
    if preview.problems:
        raise ValidationFailed(f"Chưa chuyển năm: {len(preview.problems)} lỗi.", preview.problems)
    source = _source(session, source_plan_id)
    plan = Plan(code=preview.new_code, title=preview.new_title, year=preview.new_year, numbering=source.numbering,
                task_label=source.task_label, parent_plan_id=source.parent_plan_id, owner_unit_id=source.owner_unit_id,
                message=source.message, verified=False,
                note=f"Tạo từ kế hoạch {source.code} bằng chức năng chuyển năm; cần bổ sung số, ngày quyết định.")
    plan.tasks = [PriorityTask(number=t.number, label=t.label, text=t.text, text_missing=t.text_missing, note=t.note)
                  for t in source.tasks]
    session.add(plan)
    session.flush()
    tasks = {t.number: t.id for t in plan.tasks}
    replaced = {}
    for r in preview.replacements:
        replaced.setdefault(r.source_item_id, []).append(r)
    for carried in preview.items:
        data = replace(carried.data, priority_task_id=tasks[carried.task_number])
        problems = items.validate_item(session, plan=plan, data=data)
        if problems:
            raise ValidationFailed(f"Công việc số {carried.source_item_id}: {problems[0].message}",
                                   [f"Công việc số {carried.source_item_id}: {p.message}" for p in problems])
        new = items.create_item(session, actor=actor, plan_id=plan.id, data=data,
                                note=_origin(carried, source.code))
        for r in (r for i in (carried.source_item_id, *carried.folded) for r in replaced.get(i, [])):
            session.add(ProgressEvent(
                work_item_id=new.id, actor_id=actor.user_id or None, kind=EventKind.UNIT_REPLACED, progress=0,
                changes={"lead_unit" if r.role == "Chủ trì" else "coordinating_units":
                         [r.old_unit, r.new_unit or "— (bỏ, không có đơn vị kế thừa)"]},
                note="Đơn vị cũ không còn hoạt động vào thời gian của kế hoạch mới."))
    session.flush()
    return plan, preview
