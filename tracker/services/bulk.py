"""Changes to many items at once: shift or set dates, change lead or coordinating units, form, channel; delete or
restore (the office); move cards (the office, or a unit head for their own unit's items).

Each change goes through the single-item services, in ONE transaction, so every rule, every history entry (one per
item) and every refusal is the single item's. Edits stage `work_items.update_item`'s checks and changes item after
item (`work_items.stage_update`) and write them in one flush: the items read in a few SELECTs, the UPDATEs, the
history rows and the item states batched, the listeners (item states, the flow, notifications) run once — the same
rows as item by item (tests/test_bulk_equivalence.py), in a fraction of the time. Deletes, restores and moves still
call `delete_item`, `restore_item`, `moves.move_item` item by item. The preview runs the same calls in a savepoint
that is rolled back: what the preview shows is what the change writes. Any refusal — a rule, a permission, an item
changed since it was read (named) — stops the whole change; nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker.errors import NotFound, PermissionDenied, TrackerError, ValidationFailed
from tracker.models import Status, WorkItem
from tracker.permissions import Action, Actor, require
from tracker.services import moves
from tracker.services import work_items as items_service
from tracker.services.progress import StaleItem, history_since
from tracker.workflow import STATUS_LABELS

MAX_ITEMS = 5_000
_CHUNK = 500  # ids per IN (...) list
FIELD_LABELS = {"lead_unit": "Đơn vị chủ trì", "coordinating_units": "Đơn vị phối hợp", "form": "Hình thức",
                "channel": "Kênh", "start_date": "Bắt đầu", "due_date": "Hạn", "status": "Trạng thái",
                "deleted": "Đã xóa"}


@dataclass(frozen=True)
class BulkEdit:
    """What to change on every chosen item; None (or 0 days) leaves a field as it is."""
    shift_days: int = 0  # move start and due dates by this many days (negative: earlier)
    start_date: dt.date | None = None  # set (after no shift)
    due_date: dt.date | None = None
    lead_unit_id: int | None = None
    coordinating_unit_ids: tuple[int, ...] | None = None  # replaces the list
    form_id: int | None = None
    channel_id: int | None = None

    def is_empty(self) -> bool:
        return self == BulkEdit()


@dataclass(frozen=True)
class BulkRow:
    item_id: int
    title: str
    changes: dict[str, list[str]]  # field -> [old, new] as the item's history will show it; empty: unchanged
    problem: str | None = None


@dataclass(frozen=True)
class BulkResult:
    rows: list[BulkRow]

    @property
    def changed(self) -> list[BulkRow]:
        return [r for r in self.rows if r.changes and not r.problem]

    @property
    def problems(self) -> list[str]:
        return [f"#{r.item_id} “{r.title}”: {r.problem}" for r in self.rows if r.problem]


def _edited(data: items_service.ItemInput, edit: BulkEdit) -> items_service.ItemInput:
    shift = dt.timedelta(days=edit.shift_days)
    start = edit.start_date or (data.start_date + shift if data.start_date else None)
    due = edit.due_date or (data.due_date + shift if data.due_date else None)
    lead = edit.lead_unit_id or data.lead_unit_id
    coordinators = data.coordinating_unit_ids if edit.coordinating_unit_ids is None else edit.coordinating_unit_ids
    return replace(data, start_date=start, due_date=due, lead_unit_id=lead,
                   coordinating_unit_ids=tuple(u for u in coordinators if u != lead),
                   form_id=edit.form_id or data.form_id,
                   channel_id=edit.channel_id or data.channel_id,
                   channel_text=None if edit.channel_id else data.channel_text)


def _problem(exc: TrackerError) -> str:
    if isinstance(exc, StaleItem):
        who = ", ".join(sorted({h.actor for h in exc.since})) or "người khác"
        return f"đã được {who} cập nhật sau khi bạn xem trước; hãy xem trước lại."
    problems = getattr(exc, "problems", None) or [str(exc)]
    return " ".join(str(p) for p in problems)


def _catalog(session: Session) -> list:
    """Units, forms, channels, tasks and plans, held for the whole change: the session's identity map holds objects
    weakly, so without these the single-item services would read each of them again for every item."""
    from tracker.models import Channel, Form, Plan, PriorityTask, Unit

    return [*session.scalars(select(Unit)), *session.scalars(select(Form)), *session.scalars(select(Channel)),
            *session.scalars(select(PriorityTask)), *session.scalars(select(Plan))]


def _each(session: Session, items: Sequence[tuple[int, int]],
          change: Callable[[WorkItem, int], dict[str, list[str]]]) -> BulkResult:
    held = _catalog(session)  # noqa: F841 (kept alive on purpose)
    rows = []
    for item_id, version in items:
        item = session.get(WorkItem, item_id)
        title = item.title if item is not None else f"công việc số {item_id}"
        try:
            if item is None:
                raise NotFound("không còn tồn tại.")
            rows.append(BulkRow(item_id, title, change(item, version)))
        except TrackerError as exc:
            rows.append(BulkRow(item_id, title, {}, _problem(exc)))
    return BulkResult(rows)


def _check_size(items: Sequence[tuple[int, int]]) -> None:
    if not items:
        raise ValidationFailed("Chưa chọn công việc nào.")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(f"Mỗi lần chỉ sửa được tối đa {MAX_ITEMS:,} công việc.".replace(",", "."))


def _load_items(session: Session, ids: Sequence[int]) -> dict[int, WorkItem]:
    """The items with their coordinating units, a few SELECTs for all (not one per item)."""
    found: dict[int, WorkItem] = {}
    for start in range(0, len(ids), _CHUNK):
        found.update((i.id, i) for i in session.scalars(
            select(WorkItem).options(selectinload(WorkItem.coordinating_units))
            .where(WorkItem.id.in_(ids[start:start + _CHUNK]))))
    return found


class _KeyOwners:
    """Who holds each source key the change could give an item, as the item-by-item path would see it
    after each item before (read at once, then kept up to date as items take new keys)."""

    def __init__(self, session: Session, wanted: set[tuple[int, str]]):
        self.owner: dict[tuple[int, str], int] = {}
        keys = sorted({key for _, key in wanted})
        for start in range(0, len(keys), _CHUNK):
            for plan_id, key, item_id in session.execute(select(WorkItem.plan_id, WorkItem.source_key, WorkItem.id)
                                                         .where(WorkItem.source_key.in_(keys[start:start + _CHUNK]))):
                self.owner[(plan_id, key)] = item_id

    def __call__(self, plan_id: int, key: str) -> int | None:
        return self.owner.get((plan_id, key))

    def moved(self, item: WorkItem, old_key: str | None) -> None:
        if old_key is not None and self.owner.get((item.plan_id, old_key)) == item.id:
            del self.owner[(item.plan_id, old_key)]
        if item.source_key is not None:
            self.owner[(item.plan_id, item.source_key)] = item.id


def _new_key(session: Session, item: WorkItem, data: items_service.ItemInput) -> tuple[int, str] | None:
    from tracker.models import PriorityTask, Unit

    data = items_service.normalise(data)
    task = session.get(PriorityTask, data.priority_task_id) if data.priority_task_id else None
    lead = session.get(Unit, data.lead_unit_id) if data.lead_unit_id else None
    if task is None or lead is None or not data.title:
        return None
    return item.plan_id, items_service.source_key(plan_id=item.plan_id, task_number=task.number, title=data.title,
                                                  lead_unit_code=lead.code)


def _flush(session: Session, items: Sequence[tuple[int, int]], result: BulkResult) -> BulkResult:
    """Write every staged item at once; an item another writer changed meanwhile is named, as update_item does."""
    try:
        session.flush()  # each UPDATE carries "WHERE version = expected"
    except StaleDataError:
        session.rollback()
        titles = {r.item_id: r.title for r in result.rows}
        now = dict(session.execute(select(WorkItem.id, WorkItem.version)
                                   .where(WorkItem.id.in_([i for i, _ in items]))).all())
        return BulkResult([BulkRow(i, titles[i], {}, _problem(StaleItem(
            history_since(session, item_id=i, version=v), now.get(i, v)))) for i, v in items if now.get(i) != v])
    return result


def _edit_all(session: Session, actor: Actor, items: Sequence[tuple[int, int]], edit: BulkEdit) -> BulkResult:
    """`work_items.update_item` for every item, as if one after the other, written in one flush: the same checks
    and refusals, one history entry each, and the listeners (item states, the flow, notifications) run once."""
    require(actor, Action.MANAGE_ITEMS, session=session)
    _check_size(items)
    if edit.is_empty():
        raise ValidationFailed("Chưa chọn thay đổi nào.")
    items = list(dict.fromkeys(items))
    held = _catalog(session)  # noqa: F841 (kept alive on purpose)
    loaded = _load_items(session, [i for i, _ in items])
    rows = []
    with session.no_autoflush:
        datas = {i: _edited(items_service.item_input(item), edit) for i, item in loaded.items()
                 if item.deleted_at is None}
        keys = _KeyOwners(session, {k for i, d in datas.items() if (k := _new_key(session, loaded[i], d))})
        for item_id, version in items:
            item = loaded.get(item_id)
            title = item.title if item is not None else f"công việc số {item_id}"
            try:
                if item is None:
                    raise NotFound("không còn tồn tại.")
                items_service.live(item, item_id)
                old_key = item.source_key
                changes = items_service.stage_update(session, actor=actor, item=item, expected_version=version,
                                                     data=datas[item_id], key_owner=keys)
                keys.moved(item, old_key)
                rows.append(BulkRow(item_id, title, changes))
            except ValidationFailed as exc:
                if str(exc) == "Chưa có gì thay đổi.":
                    rows.append(BulkRow(item_id, title, {}))
                else:
                    rows.append(BulkRow(item_id, title, {}, _problem(exc)))
            except TrackerError as exc:
                rows.append(BulkRow(item_id, title, {}, _problem(exc)))
    return _flush(session, items, BulkResult(rows))


def _preview(session: Session, run: Callable[[], BulkResult]) -> BulkResult:
    savepoint = session.begin_nested()
    try:
        return run()
    finally:
        if savepoint.is_active:  # a racing writer's refusal has rolled the whole transaction back already
            savepoint.rollback()
        session.expire_all()


def _commit(result: BulkResult) -> BulkResult:
    if result.problems:
        raise ValidationFailed(f"{len(result.problems)} công việc không thay đổi được, nên chưa công việc nào được "
                               "thay đổi.", result.problems)
    return result


def preview_edit(session: Session, *, actor: Actor, items: Sequence[tuple[int, int]], edit: BulkEdit) -> BulkResult:
    """What `apply_edit` would write for each (item id, version read): its history's changes, or why not."""
    return _preview(session, lambda: _edit_all(session, actor, items, edit))


def apply_edit(session: Session, *, actor: Actor, items: Sequence[tuple[int, int]], edit: BulkEdit) -> BulkResult:
    """Change every item (one history entry each), or none: ValidationFailed lists every refusal."""
    return _commit(_edit_all(session, actor, items, edit))


def _delete_all(session: Session, actor: Actor, items: Sequence[tuple[int, int]], reason: str | None,
                restore: bool) -> BulkResult:
    require(actor, Action.MANAGE_ITEMS, session=session)
    _check_size(items)

    def change(item: WorkItem, version: int) -> dict[str, list[str]]:
        if restore:
            if item.deleted_at is None:
                return {}
            items_service.restore_item(session, actor=actor, item_id=item.id)
            return {"deleted": ["Có", "Không"]}
        if item.deleted_at is not None:
            return {}
        items_service.delete_item(session, actor=actor, item_id=item.id, expected_version=version, reason=reason)
        return {"deleted": ["Không", "Có"]}

    return _each(session, items, change)


def preview_delete(session: Session, *, actor: Actor, items: Sequence[tuple[int, int]], restore: bool = False,
                   reason: str | None = None) -> BulkResult:
    return _preview(session, lambda: _delete_all(session, actor, items, reason, restore))


def apply_delete(session: Session, *, actor: Actor, items: Sequence[tuple[int, int]], restore: bool = False,
                 reason: str | None = None) -> BulkResult:
    """Delete (or restore) every item, or none."""
    return _commit(_delete_all(session, actor, items, reason, restore))


def _move_all(session: Session, actor: Actor, items: Sequence[tuple[int, int]], to_status: Status,
              today: dt.date, reason: str | None) -> BulkResult:
    if actor is None:
        raise PermissionDenied("Vui lòng đăng nhập.")
    _check_size(items)

    def change(item: WorkItem, version: int) -> dict[str, list[str]]:
        if item.status is to_status:
            return {}
        before = STATUS_LABELS[item.status]
        moves.move_item(session, actor=actor, item_id=item.id, to_status=to_status, expected_version=version,
                        today=today, reason=reason)
        return {"status": [before, STATUS_LABELS[to_status]]}

    return _each(session, items, change)


def preview_move(session: Session, *, actor: Actor, items: Sequence[tuple[int, int]], to_status: Status,
                 today: dt.date, reason: str | None = None) -> BulkResult:
    return _preview(session, lambda: _move_all(session, actor, items, Status(to_status), today, reason))


def apply_move(session: Session, *, actor: Actor, items: Sequence[tuple[int, int]], to_status: Status,
               today: dt.date, reason: str | None = None) -> BulkResult:
    """Move every card (each by the board's own rules and permissions: a unit head only its unit's), or none."""
    return _commit(_move_all(session, actor, items, Status(to_status), today, reason))
