"""Progress reports on a work item, its append-only history, and refusing lost updates.

Every report is checked against the version the user read: a report made on a stale copy is
refused with a Conflict that lists what changed meanwhile, so the page can keep the user's
input and let them re-apply it. Each accepted report bumps the version and appends one event
with old -> new for each field it changed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tracker.models import EventKind, EvidenceFile, ItemComment, ProgressEvent, Status, WorkItem
from tracker.permissions import Action, Actor, require
from tracker.services import evidence
from tracker.services.evidence import Upload
from tracker.limits import MAX_MONEY, MAX_QTY, max_chars, too_long
from tracker.text import clean, format_date, format_money, format_number, strip_controls
from tracker.workflow import (
    STATUS_LABELS,
    coherent_progress,
    confirmed_lock,
    progress_problem,
    status_days,
    transition_problem,
)

MAX_URLS = 10
_URL = re.compile(r"^https?://[^\s/$.?#][^\s<>\"']*$", re.IGNORECASE)

FIELD_LABELS = {
    "status": "Trạng thái",
    "progress": "Tiến độ (%)",
    "achieved_qty": "Kết quả đạt được",
    "budget_spent": "Kinh phí đã chi",
    "blocked": "Vướng mắc",
    "blocked_reason": "Lý do vướng mắc",
    "completed_on": "Ngày hoàn thành",
    "submitted_on": "Ngày gửi xác nhận",
    "confirmed_on": "Ngày xác nhận",
    "lead_unit": "Đơn vị chủ trì",
    "completion": "Kết quả so với hạn",
    # Planned facts (tracker/services/work_items.py, rollover.py, catalog_admin.py), stored as display text.
    "priority_task": "Nhiệm vụ trọng tâm",
    "title": "Nội dung công việc",
    "coordinating_units": "Đơn vị phối hợp",
    "form": "Hình thức",
    "channel": "Kênh/Sản phẩm",
    "start_date": "Ngày bắt đầu",
    "due_date": "Hạn hoàn thành",
    "target": "Chỉ tiêu",
    "budget_planned": "Kinh phí (đồng)",
    "note": "Ghi chú",
    "description": "Mô tả",
    "recurring": "Lặp lại hằng năm",
    "source_key": "Mã nhận diện khi nhập Excel",
    "steps": "Các bước đã xong",  # tracker/services/checklists.py
    "staff": "Cán bộ phụ trách",  # tracker/services/assignments.py
    "contribution": "Đơn vị phối hợp gửi minh chứng",  # tracker/services/contributions.py
}
COMPLETION_LABELS = {"on_time": "Đúng hạn", "late": "Muộn hạn"}
EVENT_LABELS = {
    EventKind.CREATED: "Tạo công việc",
    EventKind.UPDATED: "Sửa thông tin",
    EventKind.MOVED: "Chuyển trạng thái",
    EventKind.PROGRESS: "Báo cáo tiến độ",
    EventKind.CONFIRMED: "Xác nhận hoàn thành",
    EventKind.RETURNED: "Trả lại",
    EventKind.BLOCKED: "Báo vướng mắc",
    EventKind.UNBLOCKED: "Hết vướng mắc",
    EventKind.EXPLANATION_REQUESTED: "Yêu cầu giải trình",
    EventKind.EXPLANATION_GIVEN: "Giải trình",
    EventKind.UNIT_REPLACED: "Thay đơn vị chủ trì",
    EventKind.DELETED: "Xóa công việc",
    EventKind.RESTORED: "Khôi phục công việc",
}


@dataclass(frozen=True)
class ProgressInput:
    """What a unit reports; None means "leave as it is"."""

    status: Status | None = None
    progress: int | None = None
    achieved_qty: int | None = None
    budget_spent: int | None = None
    blocked: bool | None = None
    blocked_reason: str | None = None
    note: str | None = None
    evidence_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: dt.datetime
    actor: str
    kind: str
    kind_label: str
    changes: list[tuple[str, str, str]]
    note: str | None
    evidence_urls: list[str]
    files: list[str] = field(default_factory=list)


class StaleItem(Conflict):
    """The item changed since the user read it; `since` says how, `current_version` what to retry on."""

    def __init__(self, since: list[HistoryEntry], current_version: int):
        who = ", ".join(sorted({h.actor for h in since})) or "người khác"
        super().__init__(
            f"Công việc đã được {who} cập nhật sau khi bạn mở ra. Nội dung bạn nhập vẫn được giữ nguyên: "
            "hãy xem các thay đổi dưới đây rồi gửi lại."
        )
        self.since = since
        self.current_version = current_version


def _show(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if name == "status":
        return STATUS_LABELS[Status(value)]
    if name == "budget_spent":
        return format_money(int(value))
    if name == "blocked":
        return "Có" if value else "Không"
    if name in ("completed_on", "submitted_on", "confirmed_on"):
        return format_date(dt.date.fromisoformat(value)) if isinstance(value, str) else format_date(value)
    if name == "progress":
        return f"{value}%"
    if name == "completion":
        return COMPLETION_LABELS.get(value, str(value))
    return str(value)


def _json(value):
    if isinstance(value, Status):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def validate_input(change: ProgressInput) -> list[str]:
    """Every problem with a report, in Vietnamese (empty when it is acceptable)."""
    problems = []
    if change.progress is not None and not (isinstance(change.progress, int) and 0 <= change.progress <= 100):
        problems.append("Tiến độ phải là số nguyên từ 0 đến 100.")
    if change.achieved_qty is not None and change.achieved_qty < 0:
        problems.append("Kết quả đạt được không được âm.")
    elif change.achieved_qty is not None and change.achieved_qty > MAX_QTY:
        problems.append(f"Kết quả đạt được không được lớn hơn {format_number(MAX_QTY)}.")
    if change.budget_spent is not None and change.budget_spent < 0:
        problems.append("Kinh phí đã chi không được âm.")
    elif change.budget_spent is not None and change.budget_spent > MAX_MONEY:
        problems.append(f"Kinh phí đã chi không được lớn hơn {format_money(MAX_MONEY)}.")
    for name, value in (("progress_note", change.note), ("blocked_reason", change.blocked_reason)):
        if problem := too_long(name, value):
            problems.append(problem)
    if len(change.evidence_urls) > MAX_URLS:
        problems.append(f"Tối đa {MAX_URLS} đường dẫn minh chứng mỗi lần báo cáo.")
    for url in change.evidence_urls:
        if len(url) > max_chars("evidence_url") or not _URL.match(url):
            problems.append(f"Đường dẫn minh chứng “{url[:80]}” không hợp lệ: phải bắt đầu bằng http:// hoặc https://.")
    if change.blocked and not (change.blocked_reason and change.blocked_reason.strip()):
        problems.append("Báo vướng mắc cần ghi rõ lý do.")
    return problems


def parse_urls(text: str) -> tuple[str, ...]:
    """Evidence links typed one per line (or separated by spaces)."""
    return tuple(u for u in re.split(r"\s+", text.strip()) if u)


def _load(session: Session, item_id: int) -> WorkItem:
    item = session.get(WorkItem, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFound(f"Không tìm thấy công việc số {item_id} (có thể đã bị xóa).")
    return item


def refuse_if_confirmed(actor: Actor | None, item: WorkItem) -> None:
    """Raise PermissionDenied naming the reason when the office has confirmed the item (see workflow)."""
    problem = confirmed_lock(actor.role, item.status) if actor is not None else None
    if problem:
        raise PermissionDenied(problem)


def _has_evidence(session: Session, item: WorkItem, change: ProgressInput, files: int) -> bool:
    if change.evidence_urls or files:
        return True
    earlier = session.scalars(select(ProgressEvent.evidence_urls).where(ProgressEvent.work_item_id == item.id))
    if any(urls for urls in earlier):
        return True
    return session.scalar(select(EvidenceFile.id).where(EvidenceFile.work_item_id == item.id).limit(1)) is not None


def update_progress(session: Session, *, actor: Actor, item_id: int, expected_version: int,
                    change: ProgressInput, today: dt.date, files: Sequence[Upload] = (),
                    upload_root: Path | None = None) -> ProgressEvent:
    """Apply a progress report and append it to the item's history.

    Raises:
        PermissionDenied: not the lead unit's head nor the office, or confirmed work and not the office.
        NotFound: no such item.
        ValidationFailed: every problem with the input.
        StaleItem: the item changed since `expected_version` (nothing written).
    """
    item = _load(session, item_id)
    refuse_if_confirmed(actor, item)
    require(actor, Action.UPDATE_PROGRESS, item, session=session)
    change = replace(change, note=clean(change.note), blocked_reason=clean(change.blocked_reason),
                     evidence_urls=tuple(strip_controls(u) for u in change.evidence_urls))
    problems = (validate_input(change) + evidence.file_problems(list(files))
                + evidence.quota_problems(session, item=item, files=list(files)))
    if problems:
        raise ValidationFailed(problems[0], problems)
    if item.version != expected_version:
        raise StaleItem(history_since(session, item_id=item.id, version=expected_version), item.version)

    old_status = item.status
    new_status = change.status or old_status
    if change.status is None and old_status is Status.NOT_STARTED and (change.progress or 0) > 0:
        new_status = Status.IN_PROGRESS  # progress on work not started starts it (recorded as a move)
    if new_status is not Status.DONE and (problem := progress_problem(new_status, change.progress)):
        raise ValidationFailed(problem)
    if new_status != old_status:
        if new_status is Status.DONE:
            require(actor, Action.CONFIRM_ITEM, item, session=session)
        problem = transition_problem(actor.role, old_status, new_status,
                                     has_evidence=_has_evidence(session, item, change, len(files)),
                                     reason=change.note)
        if problem:
            raise ValidationFailed(problem)

    wanted = {
        "status": new_status,
        "progress": coherent_progress(new_status) if coherent_progress(new_status) is not None else change.progress,
        "achieved_qty": change.achieved_qty,
        "budget_spent": change.budget_spent,
    }
    if change.blocked is not None:
        wanted["blocked"] = change.blocked
        wanted["blocked_reason"] = change.blocked_reason if change.blocked else None
    if new_status != old_status:
        wanted.update(status_days(old_status, new_status, submitted_on=item.submitted_on, today=today))
    changes = {}
    for name, value in wanted.items():
        if value is None and name not in ("blocked_reason", "completed_on", "submitted_on", "confirmed_on"):
            continue  # not reported: leave as it is
        old = getattr(item, name)
        if old != value:
            changes[name] = [_json(old), _json(value)]
            setattr(item, name, value)

    if not changes and not change.note and not change.evidence_urls and not files:
        raise ValidationFailed("Chưa có gì thay đổi: hãy nhập tiến độ, ghi chú hoặc minh chứng.")
    event = ProgressEvent(
        work_item_id=item.id, actor_id=actor.user_id, kind=_kind(old_status, new_status, changes),
        from_status=old_status if new_status != old_status else None,
        to_status=new_status if new_status != old_status else None,
        progress=item.progress, achieved_qty=item.achieved_qty, changes=changes,
        note=change.note, evidence_urls=list(change.evidence_urls),
    )
    session.add(event)
    item.updated_at = dt.datetime.now(dt.timezone.utc)
    try:
        session.flush()  # the UPDATE carries "WHERE version = expected": a racing writer loses here
    except StaleDataError:
        session.rollback()
        current = session.get(WorkItem, item_id)
        raise StaleItem(history_since(session, item_id=item_id, version=expected_version),
                        current.version if current else expected_version) from None
    if files:
        evidence.store(session, work_item_id=item.id, event_id=event.id, uploaded_by_id=actor.user_id,
                       files=list(files), root=upload_root)
    return event


def _kind(old: Status, new: Status, changes: dict) -> EventKind:
    if new != old:
        if new is Status.DONE:
            return EventKind.CONFIRMED
        if old in (Status.AWAITING_CONFIRMATION, Status.DONE):
            return EventKind.RETURNED
        return EventKind.MOVED
    if changes.get("blocked") == [False, True]:
        return EventKind.BLOCKED
    if changes.get("blocked") == [True, False]:
        return EventKind.UNBLOCKED
    return EventKind.PROGRESS


# Entries recorded as UPDATED that are not an edit of the item's facts, named by their one change.
_UPDATE_LABELS = {"staff": "Giao cán bộ phụ trách", "contribution": "Minh chứng của đơn vị phối hợp"}


def _label(e: ProgressEvent) -> str:
    changes = e.changes or {}
    if e.kind is EventKind.UPDATED and len(changes) == 1 and (key := next(iter(changes))) in _UPDATE_LABELS:
        return _UPDATE_LABELS[key]
    return EVENT_LABELS[e.kind]


def _entries(session: Session, events: list[ProgressEvent]) -> list[HistoryEntry]:
    files: dict[int, list[str]] = {}
    ids = [e.id for e in events]
    if ids:
        for f in session.scalars(select(EvidenceFile).where(EvidenceFile.event_id.in_(ids))):
            files.setdefault(f.event_id, []).append(f.filename)
    return [
        HistoryEntry(
            id=e.id, at=e.at,
            actor=(e.actor.full_name or e.actor.username) if e.actor else "Hệ thống",
            kind=e.kind.value, kind_label=_label(e),
            changes=[(FIELD_LABELS.get(k, k), _show(k, v[0]), _show(k, v[1])) for k, v in (e.changes or {}).items()],
            note=e.note, evidence_urls=list(e.evidence_urls or []), files=files.get(e.id, []),
        )
        for e in events
    ]


def item_history(session: Session, *, actor: Actor, item_id: int) -> list[HistoryEntry]:
    """The item's whole history, oldest first."""
    item = session.get(WorkItem, item_id)
    if item is None:
        raise NotFound(f"Không tìm thấy công việc số {item_id}.")
    require(actor, Action.VIEW_ITEM, item)
    events = session.scalars(
        select(ProgressEvent).options(selectinload(ProgressEvent.actor))
        .where(ProgressEvent.work_item_id == item_id).order_by(ProgressEvent.at, ProgressEvent.id)
    ).all()
    entries = _entries(session, list(events)) + comment_entries(session, item_id)
    return sorted(entries, key=lambda e: _utc(e.at))


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def comment_entries(session: Session, item_id: int) -> list[HistoryEntry]:
    """The item's comments as history entries (a deleted one says so; an edited one says it was edited)."""
    from tracker.services.comments import DELETED_TEXT

    comments = session.scalars(select(ItemComment).options(selectinload(ItemComment.author))
                               .where(ItemComment.work_item_id == item_id)
                               .order_by(ItemComment.created_at, ItemComment.id))
    return [HistoryEntry(id=c.id, at=c.created_at,
                         actor=(c.author.full_name or c.author.username) if c.author else "Hệ thống",
                         kind="comment",
                         kind_label="Bình luận (đã sửa)" if c.edited_at and not c.deleted_at else "Bình luận",
                         changes=[], note=DELETED_TEXT if c.deleted_at else c.body, evidence_urls=[])
            for c in comments]


def history_since(session: Session, *, item_id: int, version: int) -> list[HistoryEntry]:
    """Events that moved the item past `version` (each accepted write adds one version)."""
    events = session.scalars(
        select(ProgressEvent).options(selectinload(ProgressEvent.actor))
        .where(ProgressEvent.work_item_id == item_id).order_by(ProgressEvent.at, ProgressEvent.id)
    ).all()
    item = session.get(WorkItem, item_id)
    newer = max((item.version if item else version) - version, 0)
    return _entries(session, list(events[-newer:] if newer else []))
