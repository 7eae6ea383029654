"""Planning work items: create, edit, soft-delete and restore, fan-out to many units.

Every write is checked against the whole rule set first (all problems reported at once, in
Vietnamese, each tied to a field so the Excel import can name the column), then written with
one history event, so a deleted item still shows who created, changed and deleted it.
Each item carries a `source_key` (plan + task + title + lead unit): the same work cannot be
entered twice in a plan, and re-importing a spreadsheet finds the items it made before.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tracker.errors import NotFound, ValidationFailed
from tracker.models import (
    Channel,
    EventKind,
    Form,
    Plan,
    PriorityTask,
    ProgressEvent,
    Role,
    Status,
    Unit,
    UnitKind,
    WorkItem,
)
from tracker.permissions import Action, Actor, require
from tracker.services.progress import StaleItem, history_since
from tracker.limits import MAX_MONEY, MAX_QTY, too_long
from tracker.text import clean, fold, format_date, format_money, format_number, nfc

# Fan-out scopes a planner picks instead of naming units one by one.
SCOPE_PROVINCIAL = "provincial"
SCOPE_MINISTRY = "ministry"
SCOPE_LABELS = {
    SCOPE_PROVINCIAL: "Tất cả Sở Nội vụ",
    SCOPE_MINISTRY: "Tất cả đơn vị thuộc Bộ",
}


@dataclass(frozen=True)
class ItemInput:
    """What a planner enters for one work item (ids, already looked up)."""

    priority_task_id: int | None
    title: str
    lead_unit_id: int | None
    form_id: int | None
    coordinating_unit_ids: tuple[int, ...] = ()
    channel_id: int | None = None
    channel_text: str | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    target_qty: int | None = None
    target_unit: str | None = None
    budget_planned: int | None = None
    note: str | None = None
    description: str | None = None
    recurring: bool = False


@dataclass(frozen=True)
class FieldProblem:
    """One broken rule, tied to the field (so an import can name the spreadsheet column)."""

    field: str
    message: str


def cli_actor() -> Actor:
    """The operator at the command line: whoever can reach the database is trusted as the office."""
    return Actor(user_id=0, username="dong-lenh", role=Role.ADMIN, full_name="Dòng lệnh")


def _actor_id(actor: Actor) -> int | None:
    return actor.user_id or None


@functools.lru_cache(maxsize=8192)  # pure; a change of many items asks for each key three times
def source_key(*, plan_id: int, task_number: int, title: str, lead_unit_code: str) -> str:
    """The identity of a work item within a plan: same task, same title (folded), same lead unit."""
    raw = "\x1f".join([str(plan_id), str(task_number), fold(title), lead_unit_code])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = nfc(value)
    return value or None


def normalise(data: ItemInput) -> ItemInput:
    """Text in NFC, trimmed; coordinating units unique and in the order given."""
    return replace(
        data,
        title=nfc(data.title or ""),
        channel_text=_clean(data.channel_text),
        target_unit=_clean(data.target_unit),
        note=clean(data.note),
        description=clean(data.description),
        coordinating_unit_ids=tuple(dict.fromkeys(data.coordinating_unit_ids)),
    )


def _inactive(unit: Unit, days: Iterable[dt.date]) -> dt.date | None:
    """The first of the item's dates on which the unit does not exist, or None."""
    for day in days:
        if not unit.active_on(day):
            return day
    return None


def _inactive_message(role: str, unit: Unit, day: dt.date) -> str:
    if unit.valid_to and day > unit.valid_to:
        reason = f"đã kết thúc hoạt động từ sau ngày {format_date(unit.valid_to)}"
        if unit.successor is not None:
            reason += f"; đơn vị kế thừa: {unit.successor.name}"
    else:
        reason = f"chỉ hoạt động từ ngày {format_date(unit.valid_from)}"
    return f"{role} “{unit.name}” không hoạt động vào ngày {format_date(day)} ({reason})."


KeyOwner = Callable[[int, str], "int | None"]  # (plan id, source key) -> the item holding it, or None


def _key_owner_in_db(session: Session) -> KeyOwner:
    return lambda plan_id, key: session.scalar(select(WorkItem.id).where(WorkItem.plan_id == plan_id,
                                                                         WorkItem.source_key == key))


def validate_item(session: Session, *, plan: Plan, data: ItemInput, exclude_item_id: int | None = None,
                  check_duplicate: bool = True, key_owner: KeyOwner | None = None) -> list[FieldProblem]:
    """Every problem with `data` as a work item of `plan` (empty list when acceptable).

    `key_owner` answers the duplicate check (default: a query); a change of many items passes the keys it
    read at once and keeps up to date as it goes.
    """
    problems: list[FieldProblem] = []

    def bad(fld: str, message: str) -> None:
        problems.append(FieldProblem(fld, message))

    task = session.get(PriorityTask, data.priority_task_id) if data.priority_task_id else None
    if task is None or task.plan_id != plan.id:
        bad("priority_task", f"Chưa chọn nhiệm vụ trọng tâm của kế hoạch {plan.code}.")
    if not data.title:
        bad("title", "Nội dung công việc không được để trống.")
    elif problem := too_long("title", data.title):
        bad("title", problem)
    if data.start_date and data.due_date and data.due_date < data.start_date:
        bad("due_date", f"Hạn hoàn thành ({format_date(data.due_date)}) không được trước ngày bắt đầu "
                        f"({format_date(data.start_date)}).")
    days = [d for d in (data.start_date, data.due_date) if d]
    lead = session.get(Unit, data.lead_unit_id) if data.lead_unit_id else None
    if data.lead_unit_id is None:
        bad("lead_unit", "Chưa chọn đơn vị chủ trì.")
    elif lead is None:
        bad("lead_unit", "Đơn vị chủ trì không có trong danh mục.")
    elif (day := _inactive(lead, days)) is not None:
        bad("lead_unit", _inactive_message("Đơn vị chủ trì", lead, day))
    elif plan.owner_unit_id is not None and lead.id != plan.owner_unit_id:
        owner = session.get(Unit, plan.owner_unit_id)
        bad("lead_unit", f"Kế hoạch {plan.code} là kế hoạch riêng của {owner.name}: đơn vị chủ trì phải là {owner.name}.")
    for unit_id in data.coordinating_unit_ids:
        unit = session.get(Unit, unit_id)
        if unit is None:
            bad("coordinating_units", "Đơn vị phối hợp không có trong danh mục.")
        elif unit_id == data.lead_unit_id:
            bad("coordinating_units", f"Đơn vị phối hợp “{unit.name}” trùng với đơn vị chủ trì.")
        elif (day := _inactive(unit, days)) is not None:
            bad("coordinating_units", _inactive_message("Đơn vị phối hợp", unit, day))
    form = session.get(Form, data.form_id) if data.form_id else None
    if form is None or not form.active:
        bad("form", "Chưa chọn hình thức truyền thông có trong danh mục.")
    if data.channel_id is not None and session.get(Channel, data.channel_id) is None:
        bad("channel", "Kênh truyền thông không có trong danh mục.")
    if problem := too_long("channel_text", data.channel_text):
        bad("channel", problem)
    if data.target_qty is not None and data.target_qty < 0:
        bad("target", "Chỉ tiêu không được âm.")
    elif data.target_qty is not None and data.target_qty > MAX_QTY:
        bad("target", f"Chỉ tiêu không được lớn hơn {format_number(MAX_QTY)}.")
    if problem := too_long("target_unit", data.target_unit):
        bad("target", problem)
    if data.budget_planned is not None and data.budget_planned < 0:
        bad("budget_planned", "Kinh phí không được âm.")
    elif data.budget_planned is not None and data.budget_planned > MAX_MONEY:
        bad("budget_planned", f"Kinh phí không được lớn hơn {format_money(MAX_MONEY)}.")
    for name, limit, value in (("note", "item_note", data.note), ("description", "description", data.description)):
        if problem := too_long(limit, value):
            bad(name, problem)
    if check_duplicate and task is not None and lead is not None and data.title and not problems:
        key = source_key(plan_id=plan.id, task_number=task.number, title=data.title, lead_unit_code=lead.code)
        other = (key_owner or _key_owner_in_db(session))(plan.id, key)
        if other is not None and other != exclude_item_id:
            bad("title", _duplicate_message(plan, other))
    return problems


def _duplicate_message(plan: Plan, other_id: int) -> str:
    return f"Kế hoạch đã có công việc số {other_id} cùng nhiệm vụ, nội dung và đơn vị chủ trì."


def _raise(problems: Sequence[FieldProblem]) -> None:
    if problems:
        messages = [p.message for p in problems]
        raise ValidationFailed(messages[0], messages)


def _plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"Không tìm thấy kế hoạch số {plan_id}.")
    return plan


def _load(session: Session, item_id: int, *, deleted: bool = False) -> WorkItem:
    return live(session.get(WorkItem, item_id), item_id, deleted=deleted)


def live(item: WorkItem | None, item_id: int, *, deleted: bool = False) -> WorkItem:
    """The item if it exists and is (not) deleted. Raises: NotFound, named as the single-item services name it."""
    if item is None or (item.deleted_at is not None) != deleted:
        state = "đã bị xóa" if item is not None and not deleted else "không tồn tại hoặc chưa bị xóa"
        raise NotFound(f"Không tìm thấy công việc số {item_id} ({state}).")
    return item


def _snapshot(session: Session, item: WorkItem) -> dict[str, str]:
    """The planner-editable facts of an item as display text (what history shows old -> new)."""
    target = " ".join(str(v) for v in (item.target_qty, item.target_unit) if v is not None)
    channel = session.get(Channel, item.channel_id).name if item.channel_id else (item.channel_text or "")
    return {
        "priority_task": f"({session.get(PriorityTask, item.priority_task_id).label})",
        "title": item.title,
        "lead_unit": session.get(Unit, item.lead_unit_id).name,
        "coordinating_units": "; ".join(u.name for u in item.coordinating_units),
        "form": session.get(Form, item.form_id).name,
        "channel": channel,
        "start_date": format_date(item.start_date),
        "due_date": format_date(item.due_date),
        "target": target,
        "budget_planned": format_money(item.budget_planned),
        "note": item.note or "",
        "description": item.description or "",
        "recurring": "Có" if item.recurring else "Không",
    }


def _apply(session: Session, item: WorkItem, plan: Plan, data: ItemInput) -> None:
    task = session.get(PriorityTask, data.priority_task_id)
    lead = session.get(Unit, data.lead_unit_id)
    item.plan_id = plan.id
    item.priority_task_id = task.id
    item.title = data.title
    item.description = data.description
    item.lead_unit_id = lead.id
    item.form_id = data.form_id
    item.channel_id = data.channel_id
    item.channel_text = None if data.channel_id else data.channel_text
    item.start_date = data.start_date
    item.due_date = data.due_date
    item.target_qty = data.target_qty
    item.target_unit = data.target_unit
    item.budget_planned = data.budget_planned
    item.note = data.note
    item.recurring = data.recurring
    coordinators = [session.get(Unit, u) for u in data.coordinating_unit_ids]
    if item.coordinating_units != coordinators:  # an unchanged list left alone: nothing for the flush to compare
        item.coordinating_units = coordinators
    item.source_key = source_key(plan_id=plan.id, task_number=task.number, title=data.title,
                                 lead_unit_code=lead.code)


def _new_items(session: Session, *, actor: Actor, plan: Plan, entries: Sequence[tuple[ItemInput, str | None]],
               ) -> list[WorkItem]:
    """Insert checked items and their "created" events: one batch of INSERTs each, not a round trip per item."""
    with session.no_autoflush:
        new = []
        for data, _ in entries:
            item = WorkItem(status=Status.NOT_STARTED, progress=0, created_by_id=_actor_id(actor))
            _apply(session, item, plan, data)
            new.append(item)
    session.add_all(new)
    session.flush()
    session.add_all([ProgressEvent(work_item_id=item.id, actor_id=_actor_id(actor), kind=EventKind.CREATED,
                                   progress=0, changes={}, note=note) for item, (_, note) in zip(new, entries)])
    return new


def create_item(session: Session, *, actor: Actor, plan_id: int, data: ItemInput,
                note: str | None = None) -> WorkItem:
    """Create one work item (status "not started") and its "created" history event.

    Raises:
        PermissionDenied: not the office. NotFound: no such plan.
        ValidationFailed: every problem with `data`.
    """
    require(actor, Action.MANAGE_ITEMS, session=session)
    plan = _plan(session, plan_id)
    data = normalise(data)
    _raise(validate_item(session, plan=plan, data=data))
    return _new_items(session, actor=actor, plan=plan, entries=[(data, note)])[0]


def create_items(session: Session, *, actor: Actor, plan_id: int,
                 entries: Sequence[tuple[ItemInput, str | None]]) -> list[WorkItem]:
    """Create many items (data, history note) at once, each checked as create_item checks it; all or nothing.

    Raises:
        PermissionDenied, NotFound, ValidationFailed: the first item with a problem (nothing is created).
    """
    require(actor, Action.MANAGE_ITEMS, session=session)
    plan = _plan(session, plan_id)
    entries = [(normalise(data), note) for data, note in entries]
    with session.no_autoflush:
        for data, _ in entries:
            _raise(validate_item(session, plan=plan, data=data, check_duplicate=False))
    keys: dict[str, ItemInput] = {}
    for data, _ in entries:
        key = source_key(plan_id=plan.id, task_number=session.get(PriorityTask, data.priority_task_id).number,
                         title=data.title, lead_unit_code=session.get(Unit, data.lead_unit_id).code)
        if key in keys:
            raise ValidationFailed(f"Có hai công việc trùng nhiệm vụ, nội dung và đơn vị chủ trì: “{data.title}”.")
        keys[key] = data
    wanted = list(keys)
    for start in range(0, len(wanted), 500):
        taken = session.scalar(select(WorkItem.id).where(WorkItem.plan_id == plan.id,
                                                         WorkItem.source_key.in_(wanted[start:start + 500])))
        if taken is not None:
            raise ValidationFailed(_duplicate_message(plan, taken))
    return _new_items(session, actor=actor, plan=plan, entries=entries)


def _write_version(session: Session, item_id: int, expected_version: int) -> None:
    try:
        session.flush()  # the UPDATE carries "WHERE version = expected": a racing writer loses here
    except StaleDataError:
        session.rollback()
        current = session.get(WorkItem, item_id)
        raise StaleItem(history_since(session, item_id=item_id, version=expected_version),
                        current.version if current else expected_version) from None


def update_item(session: Session, *, actor: Actor, item_id: int, expected_version: int,
                data: ItemInput) -> WorkItem:
    """Change an item's planned facts; history records old -> new for each changed field.

    Raises:
        PermissionDenied, NotFound, ValidationFailed (nothing changed or a rule broken),
        StaleItem: the item changed since `expected_version` (nothing written).
    """
    require(actor, Action.MANAGE_ITEMS, session=session)
    item = _load(session, item_id)
    with session.no_autoflush:
        stage_update(session, actor=actor, item=item, expected_version=expected_version, data=data)
    _write_version(session, item_id, expected_version)
    return item


def stage_update(session: Session, *, actor: Actor, item: WorkItem, expected_version: int, data: ItemInput,
                 key_owner: KeyOwner | None = None) -> dict[str, list[str]]:
    """The checks and changes of `update_item` on a loaded, live item, and its history entry, all left for the
    caller's flush (a change of many items flushes them together); returns the entry's changes (old -> new).

    The caller has called `require(actor, Action.MANAGE_ITEMS, session=session)` in this transaction, and
    flushes under `session.no_autoflush` (so the version moves one step per item).

    Raises:
        ValidationFailed (nothing changed or a rule broken), StaleItem: the item is not at `expected_version`.
    """
    plan = _plan(session, item.plan_id)
    data = normalise(data)
    _raise(validate_item(session, plan=plan, data=data, exclude_item_id=item.id, key_owner=key_owner))
    if item.version != expected_version:
        raise StaleItem(history_since(session, item_id=item.id, version=expected_version), item.version)
    before = _snapshot(session, item)
    _apply(session, item, plan, data)
    after = _snapshot(session, item)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        session.expire(item)
        raise ValidationFailed("Chưa có gì thay đổi.")
    item.updated_at = dt.datetime.now(dt.timezone.utc)
    session.add(ProgressEvent(work_item_id=item.id, actor_id=_actor_id(actor), kind=EventKind.UPDATED,
                              progress=item.progress, changes=changes))
    return changes


def delete_item(session: Session, *, actor: Actor, item_id: int, expected_version: int,
                reason: str | None = None) -> WorkItem:
    """Soft-delete: the item leaves every list but keeps its history, with a "deleted" event.

    Its source key is released (kept in the event), so the same work can be entered again.
    """
    require(actor, Action.MANAGE_ITEMS, session=session)
    if problem := too_long("progress_note", clean(reason)):
        raise ValidationFailed(problem)
    item = _load(session, item_id)
    if item.version != expected_version:
        raise StaleItem(history_since(session, item_id=item.id, version=expected_version), item.version)
    session.add(ProgressEvent(work_item_id=item.id, actor_id=_actor_id(actor), kind=EventKind.DELETED,
                              progress=item.progress, changes={"source_key": [item.source_key, "—"]},
                              note=clean(reason)))
    item.deleted_at = dt.datetime.now(dt.timezone.utc)
    item.source_key = None
    _write_version(session, item_id, expected_version)
    return item


def restore_item(session: Session, *, actor: Actor, item_id: int) -> WorkItem:
    """Bring a deleted item back, unless the same work was entered again meanwhile."""
    require(actor, Action.MANAGE_ITEMS, session=session)
    item = _load(session, item_id, deleted=True)
    task = session.get(PriorityTask, item.priority_task_id)
    lead = session.get(Unit, item.lead_unit_id)
    key = source_key(plan_id=item.plan_id, task_number=task.number, title=item.title, lead_unit_code=lead.code)
    other = session.scalar(select(WorkItem.id).where(WorkItem.plan_id == item.plan_id, WorkItem.source_key == key))
    if other is not None:
        raise ValidationFailed(f"Không khôi phục được: công việc số {other} đã được nhập lại với cùng nội dung.")
    item.deleted_at = None
    item.source_key = key
    session.add(ProgressEvent(work_item_id=item.id, actor_id=_actor_id(actor), kind=EventKind.RESTORED,
                              progress=item.progress, changes={}))
    session.flush()
    return item


def units_in_scope(session: Session, *, scope: str, start: dt.date | None, due: dt.date | None) -> list[Unit]:
    """All provincial departments, or all ministry units, that exist on the item's dates."""
    kinds = {SCOPE_PROVINCIAL: [UnitKind.PROVINCIAL],
             SCOPE_MINISTRY: [UnitKind.MINISTRY_ADMIN, UnitKind.MINISTRY_SERVICE]}.get(scope)
    if kinds is None:
        raise ValidationFailed(f"Phạm vi đơn vị “{scope}” không hợp lệ.")
    stmt = select(Unit).where(Unit.kind.in_(kinds)).order_by(Unit.id)
    for day in (d for d in (start, due) if d):
        stmt = stmt.where(or_(Unit.valid_from.is_(None), Unit.valid_from <= day),
                          or_(Unit.valid_to.is_(None), Unit.valid_to >= day))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class FanOutResult:
    item_ids: list[int]
    unit_names: list[str]


def fan_out(session: Session, *, actor: Actor, plan_id: int, template: ItemInput,
            unit_ids: Sequence[int] = (), scope: str | None = None) -> FanOutResult:
    """One item per unit from one template, all in the caller's transaction: all or nothing.

    Units are `unit_ids`, plus every unit of `scope` active on the template's dates.

    Raises:
        ValidationFailed: every problem of every unit's item (nothing is created).
    """
    require(actor, Action.MANAGE_ITEMS, session=session)
    plan = _plan(session, plan_id)
    template = normalise(template)
    ids = list(dict.fromkeys(unit_ids))
    if scope:
        ids += [u.id for u in units_in_scope(session, scope=scope, start=template.start_date,
                                             due=template.due_date) if u.id not in ids]
    if not ids:
        raise ValidationFailed("Chưa chọn đơn vị nào để giao việc.")
    problems: list[str] = []
    datas = []
    for unit_id in ids:
        unit = session.get(Unit, unit_id)
        data = replace(template, lead_unit_id=unit_id,
                       coordinating_unit_ids=tuple(u for u in template.coordinating_unit_ids if u != unit_id))
        name = unit.name if unit else f"đơn vị số {unit_id}"
        problems += [f"{name}: {p.message}" for p in validate_item(session, plan=plan, data=data)]
        datas.append((data, name))
    if problems:
        raise ValidationFailed(f"Chưa tạo công việc nào: {len(problems)} lỗi.", problems)
    note = f"Giao đồng loạt cho {len(datas)} đơn vị."
    items = _new_items(session, actor=actor, plan=plan, entries=[(d, note) for d, _ in datas])
    return FanOutResult(item_ids=[i.id for i in items], unit_names=[n for _, n in datas])


def item_input(item: WorkItem) -> ItemInput:
    """An existing item as form input (to prefill an edit form)."""
    return ItemInput(
        priority_task_id=item.priority_task_id, title=item.title, lead_unit_id=item.lead_unit_id,
        form_id=item.form_id, coordinating_unit_ids=tuple(u.id for u in item.coordinating_units),
        channel_id=item.channel_id, channel_text=item.channel_text, start_date=item.start_date,
        due_date=item.due_date, target_qty=item.target_qty, target_unit=item.target_unit,
        budget_planned=item.budget_planned, note=item.note, description=item.description,
        recurring=item.recurring,
    )


def get_input(session: Session, *, actor: Actor, item_id: int) -> tuple[ItemInput, int]:
    """An item's editable facts and its version, for the edit form."""
    require(actor, Action.MANAGE_ITEMS, session=session)
    item = _load(session, item_id)
    return item_input(item), item.version
