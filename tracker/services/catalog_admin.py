"""Catalog administration by the office: task texts, units (add, rename, end, merge), provincial plans.

Every change is audited. Merging a unit into its successor moves its open work: each moved item
gets a "unit replaced" event in its own history, so the move is visible where the work is.
A renamed unit keeps its old name as an alias, so spreadsheets written with it still import.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.decision_text import DecisionDraft
from tracker.errors import NotFound, ValidationFailed
from tracker.limits import too_long
from tracker.models import (
    AuditEvent,
    EventKind,
    ExplanationRequest,
    ExplanationStatus,
    Numbering,
    Plan,
    PriorityTask,
    ProgressEvent,
    Role,
    Status,
    Unit,
    UnitKind,
    WorkItem,
    work_item_coordinators,
)
from tracker.permissions import Action, Actor, require
from tracker.text import fold, format_date, nfc

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")


def _audit(session: Session, actor: Actor, action: str, target_type: str, target_id: int,
           details: dict[str, Any]) -> None:
    session.add(AuditEvent(actor_id=actor.user_id or None, action=action, target_type=target_type,
                           target_id=target_id, details=details))


def _unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị số {unit_id}.")
    return unit


def edit_task_text(session: Session, *, actor: Actor, task_id: int, text: str, note: str | None = None) -> PriorityTask:
    """Fill in or correct a priority task's text (e.g. task (11), missing from the published source)."""
    require(actor, Action.EDIT_CATALOG, session=session)
    task = session.get(PriorityTask, task_id)
    if task is None:
        raise NotFound(f"Không tìm thấy nhiệm vụ số {task_id}.")
    text = nfc(text or "")
    if not text:
        raise ValidationFailed("Nội dung nhiệm vụ không được để trống.")
    if problem := too_long("task_text", text) or too_long("task_note", note):
        raise ValidationFailed(problem)
    _audit(session, actor, "task.edit", "priority_task", task.id,
           {"plan_id": task.plan_id, "number": task.number, "old": task.text, "new": text})
    task.text, task.text_missing = text, False
    if note is not None:
        task.note = nfc(note) or None
    session.flush()
    return task


def _name_taken(session: Session, names: list[str], except_id: int | None = None) -> list[str]:
    wanted = {fold(n): n for n in names if n}
    taken = []
    for unit in session.scalars(select(Unit)):
        if unit.id == except_id:
            continue
        for n in (unit.code, unit.name, unit.short_name, *unit.aliases):
            if n and fold(n) in wanted:
                taken.append(f"Tên “{wanted[fold(n)]}” trùng với đơn vị {unit.code} ({unit.name}).")
    return taken


def _too_long(**values: str | None) -> list[str]:
    """The length problems of these fields (named as in tracker.limits.TEXT_LIMITS)."""
    return [p for field, value in values.items() if (p := too_long(field, value))]


def add_unit(session: Session, *, actor: Actor, code: str, name: str, kind: UnitKind, short_name: str | None = None,
             province: str | None = None, valid_from: dt.date | None = None, aliases: list[str] = ()) -> Unit:
    """A new unit (e.g. a department created by a reorganisation)."""
    require(actor, Action.EDIT_CATALOG, session=session)
    code, name = (code or "").strip().upper(), nfc(name or "")
    short_name = nfc(short_name) if short_name else None
    aliases = [nfc(a) for a in aliases if nfc(a)]
    problems = []
    if not _CODE.match(code):
        problems.append("Mã đơn vị gồm chữ in hoa không dấu, số và dấu gạch ngang (tối đa 40 ký tự).")
    elif session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        problems.append(f"Đã có đơn vị mã {code}.")
    if not name:
        problems.append("Tên đơn vị không được để trống.")
    problems += _too_long(unit_name=name, unit_short_name=short_name)
    problems += _name_taken(session, [name, short_name, *aliases])
    if problems:
        raise ValidationFailed(problems[0], problems)
    unit = Unit(code=code, name=name, short_name=short_name, kind=kind, province=nfc(province) if province else None,
                valid_from=valid_from, aliases=aliases, verified=True)
    session.add(unit)
    session.flush()
    _audit(session, actor, "unit.add", "unit", unit.id, {"code": code, "name": name})
    return unit


def rename_unit(session: Session, *, actor: Actor, unit_id: int, name: str, short_name: str | None = None) -> Unit:
    """A new official name; the old one stays as an alias for matching."""
    require(actor, Action.EDIT_CATALOG, session=session)
    unit = _unit(session, unit_id)
    name = nfc(name or "")
    short_name = nfc(short_name) if short_name else unit.short_name
    if not name:
        raise ValidationFailed("Tên đơn vị không được để trống.")
    problems = _too_long(unit_name=name, unit_short_name=short_name)
    problems += _name_taken(session, [name, short_name], except_id=unit.id)
    if problems:
        raise ValidationFailed(problems[0], problems)
    old = unit.name
    if fold(old) != fold(name) and fold(old) not in {fold(a) for a in unit.aliases}:
        unit.aliases = [*unit.aliases, old]
    unit.name, unit.short_name = name, short_name
    _audit(session, actor, "unit.rename", "unit", unit.id, {"old": old, "new": name})
    session.flush()
    return unit


def end_unit(session: Session, *, actor: Actor, unit_id: int, last_day: dt.date) -> Unit:
    """The unit stops existing after `last_day` (no successor: its work must be reassigned by hand)."""
    require(actor, Action.EDIT_CATALOG, session=session)
    unit = _unit(session, unit_id)
    if unit.valid_from and last_day < unit.valid_from:
        raise ValidationFailed(f"Ngày kết thúc ({format_date(last_day)}) trước ngày bắt đầu hoạt động "
                               f"({format_date(unit.valid_from)}).")
    _audit(session, actor, "unit.end", "unit", unit.id, {"valid_to": last_day.isoformat()})
    unit.valid_to = last_day
    session.flush()
    return unit


def _move_open_work(session: Session, actor: Actor, unit: Unit, successor: Unit,
                    from_day: dt.date) -> tuple[list[int], list[int]]:
    """Open items `unit` leads or joins go to `successor` (an event in each item's history), with the open
    explanation requests on the items it led. Returns (led item ids, coordinated item ids)."""
    open_items = select(WorkItem).where(WorkItem.status != Status.DONE, WorkItem.deleted_at.is_(None))
    moved = []
    for item in session.scalars(open_items.where(WorkItem.lead_unit_id == unit.id).order_by(WorkItem.id)):
        item.lead_unit_id = successor.id
        item.coordinating_units = [u for u in item.coordinating_units if u.id != successor.id]
        session.add(ProgressEvent(work_item_id=item.id, actor_id=actor.user_id or None, kind=EventKind.UNIT_REPLACED,
                                  progress=item.progress, changes={"lead_unit": [unit.name, successor.name]},
                                  note=f"Sáp nhập {unit.name} vào {successor.name} từ ngày {format_date(from_day)}."))
        moved.append(item.id)
    # Open explanation requests follow the work: the successor answers them, the merged-away unit no longer can.
    for request in session.scalars(select(ExplanationRequest).where(
            ExplanationRequest.unit_id == unit.id, ExplanationRequest.status == ExplanationStatus.OPEN,
            ExplanationRequest.work_item_id.in_(moved))):
        request.unit_id = successor.id
    coordinated = []
    joined = select(work_item_coordinators.c.work_item_id).where(work_item_coordinators.c.unit_id == unit.id)
    for item in session.scalars(open_items.where(WorkItem.id.in_(joined)).order_by(WorkItem.id)):
        keep = [u for u in item.coordinating_units if u.id != unit.id]
        if successor.id != item.lead_unit_id and successor.id not in {u.id for u in keep}:
            keep.append(successor)
        item.coordinating_units = keep
        item.updated_at = dt.datetime.now(dt.timezone.utc)  # a new version: the page's open copies are stale
        session.add(ProgressEvent(work_item_id=item.id, actor_id=actor.user_id or None, kind=EventKind.UNIT_REPLACED,
                                  progress=item.progress,
                                  changes={"coordinating_units": [unit.name, successor.name]},
                                  note=f"Sáp nhập {unit.name} vào {successor.name} từ ngày {format_date(from_day)}."))
        coordinated.append(item.id)
    return moved, coordinated


@dataclass(frozen=True)
class MergeResult:
    moved_items: list[int]
    coordinator_items: list[int]


def merge_unit(session: Session, *, actor: Actor, unit_id: int, successor_id: int, from_day: dt.date) -> MergeResult:
    """Merge a unit into its successor from `from_day`: open items it leads or joins move to the successor,
    with the open explanation requests on the items it led.

    Raises:
        ValidationFailed: the successor is the unit itself, leads back to it, or does not exist on `from_day`.
    """
    require(actor, Action.EDIT_CATALOG, session=session)
    unit, successor = _unit(session, unit_id), _unit(session, successor_id)
    problems = []
    chain, cur = set(), successor
    while cur is not None and cur.id not in chain:
        chain.add(cur.id)
        cur = cur.successor
    if unit.id in chain:
        problems.append("Không thể sáp nhập một đơn vị vào chính nó hoặc vào đơn vị kế thừa của nó.")
    elif not successor.active_on(from_day):
        problems.append(f"Đơn vị kế thừa “{successor.name}” không hoạt động vào ngày {format_date(from_day)}.")
    if unit.valid_from and from_day <= unit.valid_from:
        problems.append("Ngày sáp nhập phải sau ngày đơn vị bắt đầu hoạt động.")
    if problems:
        raise ValidationFailed(problems[0], problems)
    unit.valid_to = from_day - dt.timedelta(days=1)
    unit.successor_id = successor.id
    moved, coordinated = _move_open_work(session, actor, unit, successor, from_day)
    _audit(session, actor, "unit.merge", "unit", unit.id,
           {"successor": successor.code, "from": from_day.isoformat(), "moved_items": moved,
            "coordinator_items": coordinated})
    session.flush()
    return MergeResult(moved_items=moved, coordinator_items=coordinated)


def create_provincial_plan(session: Session, *, actor: Actor, parent_plan_id: int, unit_id: int,
                           code: str, title: str | None = None) -> Plan:
    """A Sở Nội vụ's own plan on the ministry plan's tasks: each task links to the ministry task it refines,
    so the department's items roll up under the same numbered tasks."""
    require(actor, Action.EDIT_CATALOG, session=session)
    parent = session.get(Plan, parent_plan_id)
    if parent is None:
        raise NotFound(f"Không tìm thấy kế hoạch số {parent_plan_id}.")
    unit = _unit(session, unit_id)
    code = nfc(code or "")
    problems = []
    if unit.kind is not UnitKind.PROVINCIAL:
        problems.append("Chỉ Sở Nội vụ mới có kế hoạch riêng theo kế hoạch của Bộ.")
    if parent.parent_plan_id is not None:
        problems.append("Kế hoạch gốc phải là kế hoạch của Bộ.")
    problems += _too_long(plan_code=code, plan_title=title)
    if not code:
        problems.append("Chưa nhập mã kế hoạch.")
    elif session.scalar(select(Plan.id).where(Plan.code == code)) is not None:
        problems.append(f"Đã có kế hoạch mã “{code}”.")
    if session.scalar(select(Plan.id).where(Plan.parent_plan_id == parent.id, Plan.owner_unit_id == unit.id)):
        problems.append(f"{unit.name} đã có kế hoạch theo kế hoạch {parent.code}.")
    if problems:
        raise ValidationFailed(problems[0], problems)
    plan = Plan(code=code, title=nfc(title) if title else f"Kế hoạch truyền thông năm {parent.year} của {unit.name}",
                year=parent.year, numbering=parent.numbering, task_label=parent.task_label, parent_plan_id=parent.id,
                owner_unit_id=unit.id, verified=True, note=f"Xây dựng theo kế hoạch {parent.code} của Bộ Nội vụ.")
    plan.tasks = [PriorityTask(number=t.number, label=t.label, text=t.text, text_missing=t.text_missing,
                               parent_task_id=t.id) for t in parent.tasks]
    session.add(plan)
    session.flush()
    _audit(session, actor, "plan.add_provincial", "plan", plan.id, {"parent": parent.code, "unit": unit.code})
    return plan


MAX_DECISION_BYTES = 10 * 1024 * 1024


def create_plan_from_decision(session: Session, *, actor: Actor, code: str, draft: DecisionDraft,
                              source_filename: str | None = None, source: bytes | None = None) -> Plan:
    """A new plan from a Decision read by `tracker.decision_text` and corrected by the office: its number, date,
    issuer, title, year and numbered tasks (a slot with no text is kept as "chưa có nội dung", never invented).
    The Decision's file is kept with the evidence files and linked from the plan. All or nothing; audited."""
    require(actor, Action.EDIT_CATALOG, session=session)
    code = nfc(code or "")
    title = nfc(draft.title or "")
    problems = _too_long(plan_code=code, plan_title=title, decision_no=draft.decision_no, issuer=draft.issuer)
    if not code:
        problems.append("Chưa nhập mã kế hoạch.")
    elif session.scalar(select(Plan.id).where(Plan.code == code)) is not None:
        problems.append(f"Đã có kế hoạch mã “{code}”.")
    if not title:
        problems.append("Chưa có tên kế hoạch.")
    if draft.year is None or not 2000 <= draft.year <= 2100:
        problems.append("Năm của kế hoạch phải từ 2000 đến 2100.")
    if not draft.tasks:
        problems.append("Kế hoạch chưa có nhiệm vụ nào.")
    numbers = [t.number for t in draft.tasks]
    if any(n < 1 for n in numbers):
        problems.append("Số thứ tự nhiệm vụ phải từ 1 trở lên.")
    if len(set(numbers)) != len(numbers):
        twice = sorted({n for n in numbers if numbers.count(n) > 1})
        problems.append("Trùng số thứ tự nhiệm vụ: " + ", ".join(f"({n})" for n in twice) + ".")
    for t in draft.tasks:
        if t.text and (problem := too_long("task_text", nfc(t.text))):
            problems.append(f"Nhiệm vụ ({t.label}): {problem}")
    if source is not None and len(source) > MAX_DECISION_BYTES:
        problems.append("Tệp Quyết định lớn hơn 10 MB.")
    if problems:
        raise ValidationFailed(problems[0], problems)
    plan = Plan(code=code, title=title, year=draft.year, decision_no=nfc(draft.decision_no or "") or None,
                issued_on=draft.issued_on, issuer=nfc(draft.issuer or "") or None,
                numbering=Numbering.ROMAN if draft.numbering == "roman" else Numbering.ARABIC, verified=True,
                source=(f"Quyết định số {draft.decision_no}" if draft.decision_no else "Văn bản do Văn phòng nhập")
                + (f", tệp {source_filename}" if source_filename else ""))
    plan.tasks = [PriorityTask(number=t.number, label=nfc(t.label or str(t.number))[:10], text=nfc(t.text) or None
                               if t.text else None, text_missing=not (t.text and nfc(t.text)),
                               note="Văn bản gốc không có nội dung nhiệm vụ này." if not (t.text and nfc(t.text))
                               else None)
                  for t in sorted(draft.tasks, key=lambda t: t.number)]
    if source is not None:
        from tracker.services import evidence

        plan.source_filename = evidence.safe_name(source_filename or "quyet-dinh.docx")
        plan.source_sha256 = evidence.keep(session, source)
    session.add(plan)
    session.flush()
    _audit(session, actor, "plan.add_from_decision", "plan", plan.id,
           {"code": code, "decision_no": plan.decision_no, "tasks": len(plan.tasks),
            "missing": [t.number for t in plan.tasks if t.text_missing], "source": plan.source_filename})
    return plan


def decision_file(session: Session, *, actor: Actor, plan_id: int) -> tuple[str, bytes]:
    """The Decision file a plan was read from (name, bytes), for anyone who may read the plans."""
    from tracker.services import evidence

    plan = session.get(Plan, plan_id)
    if plan is None or not plan.source_sha256:
        raise NotFound("Kế hoạch này không có tệp Quyết định.")
    try:
        return plan.source_filename or "quyet-dinh.docx", evidence.read_kept(plan.source_sha256)
    except (OSError, ValueError):
        raise NotFound("Không đọc được tệp Quyết định trên máy chủ; vui lòng báo quản trị hệ thống.") from None


@dataclass(frozen=True)
class EndedUnit:
    """A unit whose end date has passed but which still has open work, open requests or active accounts."""
    unit_id: int
    name: str
    ended_on: dt.date
    successor_id: int | None  # the catalog's successor that exists today (followed down the chain), if any
    successor_name: str | None
    open_items: int
    coordinated_items: int
    open_requests: int
    accounts: list[tuple[int, str, Role]]  # (user id, username, role) of active accounts still in the unit


def _heir(unit: Unit, today: dt.date) -> Unit | None:
    seen, current = set(), unit.successor
    while current is not None and current.id not in seen:
        if current.active_on(today):
            return current
        seen.add(current.id)
        current = current.successor
    return None


def ended_units(session: Session, *, today: dt.date) -> list[EndedUnit]:
    """Units ended before `today` that still hold open work, open explanation requests or active accounts: what
    the office has to settle (Quản trị danh mục → Sáp nhập đơn vị; `units follow-successors`)."""
    from tracker.models import User

    out = []
    for unit in session.scalars(select(Unit).where(Unit.valid_to.is_not(None), Unit.valid_to < today)
                                .order_by(Unit.valid_to, Unit.id)):
        open_items = select(func.count(WorkItem.id)).where(WorkItem.status != Status.DONE,
                                                           WorkItem.deleted_at.is_(None))
        led = session.scalar(open_items.where(WorkItem.lead_unit_id == unit.id))
        joined = session.scalar(open_items.where(WorkItem.id.in_(
            select(work_item_coordinators.c.work_item_id).where(work_item_coordinators.c.unit_id == unit.id))))
        requests = session.scalar(select(func.count(ExplanationRequest.id)).where(
            ExplanationRequest.unit_id == unit.id, ExplanationRequest.status == ExplanationStatus.OPEN))
        accounts = session.execute(select(User.id, User.username, User.role)
                                   .where(User.unit_id == unit.id, User.active).order_by(User.username)).all()
        if not (led or joined or requests or accounts):
            continue
        heir = _heir(unit, today)
        out.append(EndedUnit(unit_id=unit.id, name=unit.name, ended_on=unit.valid_to,
                             successor_id=heir.id if heir else None, successor_name=heir.name if heir else None,
                             open_items=led, coordinated_items=joined, open_requests=requests,
                             accounts=[(i, n, r) for i, n, r in accounts]))
    return out


@dataclass(frozen=True)
class FollowResult:
    unit: str
    successor: str
    moved_items: list[int]
    coordinator_items: list[int]


def follow_successors(session: Session, *, actor: Actor, today: dt.date,
                      unit_ids: list[int] | None = None) -> list[FollowResult]:
    """Open work of every ended unit (or of `unit_ids`) goes to its catalog successor, from the day after the
    unit's end — each item's history says so. Units without a successor are left for the office to decide.
    Accounts are not moved here (`move_account`): the office decides who keeps working."""
    require(actor, Action.EDIT_CATALOG, session=session)
    results = []
    for ended in ended_units(session, today=today):
        if ended.successor_id is None or (unit_ids is not None and ended.unit_id not in unit_ids):
            continue
        if not (ended.open_items or ended.coordinated_items or ended.open_requests):
            continue
        unit, heir = _unit(session, ended.unit_id), _unit(session, ended.successor_id)
        moved, coordinated = _move_open_work(session, actor, unit, heir, ended.ended_on + dt.timedelta(days=1))
        _audit(session, actor, "unit.follow_successor", "unit", unit.id,
               {"successor": heir.code, "from": (ended.ended_on + dt.timedelta(days=1)).isoformat(),
                "moved_items": moved, "coordinator_items": coordinated})
        results.append(FollowResult(unit=unit.name, successor=heir.name, moved_items=moved,
                                    coordinator_items=coordinated))
    session.flush()
    return results
