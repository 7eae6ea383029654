"""Explanations: leadership or the office asks the lead unit why an item is overdue or blocked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from tracker.errors import NotFound, ValidationFailed
from tracker.limits import too_long
from tracker.models import EventKind, ExplanationRequest, ExplanationStatus, ProgressEvent, Status, WorkItem
from tracker.permissions import Action, Actor, require
from tracker.text import clean



@dataclass(frozen=True)
class ExplanationRow:
    id: int
    work_item_id: int
    item_title: str
    unit_name: str
    question: str
    requested_by: str
    requested_at: dt.datetime
    status: str
    answer: str | None
    answered_at: dt.datetime | None


def _text(value: str | None, what: str, field: str) -> str:
    value = clean(value)
    if not value:
        raise ValidationFailed(f"Vui lòng nhập nội dung {what}.")
    if problem := too_long(field, value):
        raise ValidationFailed(problem)
    return value


def _touch(session: Session, item: WorkItem) -> None:
    """One more version for the item, whatever its version is now.

    Every event is one version, so forms opened before it are stale and show it. The increment
    happens in SQL (not as a version-checked ORM update): a question or an answer never conflicts
    with a progress report made at the same moment, it just comes after it.
    """
    table = WorkItem.__table__
    session.execute(update(table).where(table.c.id == item.id)
                    .values(version=table.c.version + 1, updated_at=dt.datetime.now(dt.timezone.utc)))
    session.expire(item, ["version", "updated_at"])


def request_explanation(session: Session, *, actor: Actor, item_id: int, question: str,
                        today: dt.date) -> ExplanationRequest:
    """Ask the item's lead unit for an explanation.

    Raises:
        PermissionDenied, NotFound, ValidationFailed (item neither overdue nor blocked; empty text;
        an open request already waiting).
    """
    item = session.get(WorkItem, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFound(f"Không tìm thấy công việc số {item_id}.")
    require(actor, Action.REQUEST_EXPLANATION, item, session=session)
    question = _text(question, "yêu cầu giải trình", "question")
    overdue = item.status is not Status.DONE and item.due_date is not None and item.due_date < today
    if not (overdue or item.blocked):
        raise ValidationFailed("Chỉ yêu cầu giải trình đối với công việc quá hạn hoặc đang vướng mắc.")
    waiting = session.scalar(select(ExplanationRequest.id).where(
        ExplanationRequest.work_item_id == item.id, ExplanationRequest.status == ExplanationStatus.OPEN))
    if waiting:
        raise ValidationFailed("Công việc này đang có một yêu cầu giải trình chưa được trả lời.")
    request = ExplanationRequest(work_item_id=item.id, unit_id=item.lead_unit_id,
                                 requested_by_id=actor.user_id, question=question)
    session.add(request)
    session.add(ProgressEvent(work_item_id=item.id, actor_id=actor.user_id, kind=EventKind.EXPLANATION_REQUESTED,
                              note=question, changes={}, evidence_urls=[]))
    _touch(session, item)
    session.flush()
    return request


def answer_explanation(session: Session, *, actor: Actor, request_id: int, answer: str) -> ExplanationRequest:
    """The asked unit answers; the answer goes into the item's history.

    Raises:
        PermissionDenied (not the asked unit), NotFound, ValidationFailed (already answered, empty).
    """
    request = session.get(ExplanationRequest, request_id)
    if request is None:
        raise NotFound(f"Không tìm thấy yêu cầu giải trình số {request_id}.")
    require(actor, Action.ANSWER_EXPLANATION, request, session=session)
    if request.status is not ExplanationStatus.OPEN:
        raise ValidationFailed("Yêu cầu này đã được giải trình.")
    answer = _text(answer, "giải trình", "answer")
    request.status = ExplanationStatus.ANSWERED
    request.answer = answer
    request.answered_by_id = actor.user_id
    request.answered_at = dt.datetime.now(dt.timezone.utc)
    item = session.get(WorkItem, request.work_item_id)
    session.add(ProgressEvent(work_item_id=item.id, actor_id=actor.user_id, kind=EventKind.EXPLANATION_GIVEN,
                              note=answer, changes={}, evidence_urls=[]))
    _touch(session, item)
    session.flush()
    return request


def list_explanations(session: Session, *, actor: Actor, item_id: int | None = None,
                      unit_id: int | None = None, only_open: bool = False) -> list[ExplanationRow]:
    """Requests for one item, or for one unit; newest first."""
    stmt = (select(ExplanationRequest)
            .options(selectinload(ExplanationRequest.work_item), selectinload(ExplanationRequest.unit),
                     selectinload(ExplanationRequest.requested_by))
            .order_by(ExplanationRequest.requested_at.desc()))
    if item_id is not None:
        stmt = stmt.where(ExplanationRequest.work_item_id == item_id)
    if unit_id is not None:
        stmt = stmt.where(ExplanationRequest.unit_id == unit_id)
    if only_open:
        stmt = stmt.where(ExplanationRequest.status == ExplanationStatus.OPEN)
    rows = []
    for r in session.scalars(stmt):
        require(actor, Action.VIEW_ITEM, r.work_item)
        rows.append(ExplanationRow(
            id=r.id, work_item_id=r.work_item_id, item_title=r.work_item.title, unit_name=r.unit.name,
            question=r.question,
            requested_by=(r.requested_by.full_name or r.requested_by.username) if r.requested_by else "—",
            requested_at=r.requested_at, status=r.status.value, answer=r.answer, answered_at=r.answered_at,
        ))
    return rows
