"""Moving a work item between statuses (the board's one write) and raising or clearing Vướng mắc.

Every move is checked in the same order: the item exists, the actor may move it (permissions),
the transition is allowed for the role with the evidence and reason it needs (workflow), and
the item has not changed since the actor read it (version). Only then is the status changed
and one progress event appended. A refused move changes nothing, so the board simply redraws
the card where it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tracker.errors import Conflict, ValidationFailed
from tracker.figures import STANDING_LABELS, Standing
from tracker.models import ProgressEvent, Status, WorkItem
from tracker.permissions import Action, Actor, require
from tracker.services.progress import (
    ProgressInput,
    StaleItem,
    _has_evidence,
    _json,
    _kind,
    _load,
    history_since,
    refuse_if_confirmed,
    update_progress,
    validate_input,
)
from tracker.text import clean, format_date
from tracker.workflow import STATUS_LABELS, coherent_progress, is_done_late, status_days, transition_problem

_PLACEHOLDER_REASON = "lý do"


class StaleMove(StaleItem):
    """The card changed since the board was drawn: nothing was moved, the board shows it as it is now."""

    def __init__(self, since, current_version: int, title: str):
        who = ", ".join(sorted({h.actor for h in since})) or "người khác"
        Conflict.__init__(
            self,
            f"Không chuyển được “{title}”: công việc vừa được {who} cập nhật sau khi bạn mở bảng. "
            "Bảng đã hiển thị lại trạng thái mới nhất, hãy kiểm tra rồi thử lại.",
        )
        self.since = since
        self.current_version = current_version


class MoveNeedsDetails(ValidationFailed):
    """The move is allowed once the actor gives a reason (a return) or evidence (for confirmation)."""

    def __init__(self, message: str, *, needs_reason: bool, needs_evidence: bool):
        super().__init__(message)
        self.needs_reason = needs_reason
        self.needs_evidence = needs_evidence


@dataclass(frozen=True)
class MoveResult:
    item_id: int
    from_status: Status
    to_status: Status
    version: int
    done_late: bool | None
    message: str


def _check_transition(session: Session, actor: Actor, item: WorkItem, to: Status, reason: str | None,
                      evidence_urls: Sequence[str]) -> None:
    """Raise ValidationFailed (or MoveNeedsDetails when only a reason or evidence is missing)."""
    frm = item.status
    problem = transition_problem(actor.role, frm, to, has_evidence=True, reason=_PLACEHOLDER_REASON)
    if problem:
        raise ValidationFailed(problem)
    has_evidence = _has_evidence(session, item, ProgressInput(evidence_urls=tuple(evidence_urls)), 0)
    problem = transition_problem(actor.role, frm, to, has_evidence=has_evidence, reason=reason)
    if problem:
        raise MoveNeedsDetails(
            problem,
            needs_reason=transition_problem(actor.role, frm, to, has_evidence=True, reason=None) is not None,
            needs_evidence=not has_evidence,
        )


def move_item(session: Session, *, actor: Actor | None, item_id: int, to_status: Status,
              expected_version: int, today: dt.date, reason: str | None = None,
              evidence_urls: Sequence[str] = ()) -> MoveResult:
    """Move one card to `to_status` and append the move to the item's history.

    Raises:
        PermissionDenied: not signed in, not the lead unit's head nor the office.
        NotFound: no such item, or deleted.
        ValidationFailed: the transition is not allowed for the role, or the input is invalid.
        MoveNeedsDetails: allowed once a reason (return) or evidence (confirmation) is given.
        StaleMove: the item changed since `expected_version` (nothing written).
    """
    to_status = Status(to_status)
    item = _load(session, item_id)
    refuse_if_confirmed(actor, item)
    require(actor, Action.MOVE_ITEM, item, session=session)
    reason = clean(reason)
    problems = validate_input(ProgressInput(note=reason, evidence_urls=tuple(evidence_urls)))
    if problems:
        raise ValidationFailed(problems[0], problems)
    if item.version != expected_version:
        raise StaleMove(history_since(session, item_id=item.id, version=expected_version), item.version,
                        item.title)
    frm = item.status
    if frm == to_status:
        raise ValidationFailed(f"Công việc đã ở cột “{STATUS_LABELS[frm]}”.")
    _check_transition(session, actor, item, to_status, reason, evidence_urls)
    if to_status is Status.DONE:
        require(actor, Action.CONFIRM_ITEM, item, session=session)  # backstop: the workflow already refuses unit heads

    changes: dict = {}

    def change(name: str, value) -> None:
        old = getattr(item, name)
        if old != value:
            changes[name] = [_json(old), _json(value)]
            setattr(item, name, value)

    days = status_days(frm, to_status, submitted_on=item.submitted_on, today=today)
    change("status", to_status)
    for name, value in days.items():
        change(name, value)
    if (progress := coherent_progress(to_status)) is not None:
        change("progress", progress)  # sent or done is 100%, not started 0%: the history keeps the old value
    late = is_done_late(item.due_date, item.completed_on)
    if late is not None:
        changes["completion"] = [None, "late" if late else "on_time"]

    session.add(ProgressEvent(
        work_item_id=item.id, actor_id=actor.user_id, kind=_kind(frm, to_status, changes),
        from_status=frm, to_status=to_status, progress=item.progress, achieved_qty=item.achieved_qty,
        changes=changes, note=reason, evidence_urls=list(evidence_urls),
    ))
    item.updated_at = dt.datetime.now(dt.UTC)
    try:
        session.flush()  # the UPDATE carries "WHERE version = expected": a racing writer loses here
    except StaleDataError:
        session.rollback()
        current = session.get(WorkItem, item_id)
        raise StaleMove(history_since(session, item_id=item_id, version=expected_version),
                        current.version if current else expected_version,
                        current.title if current else f"#{item_id}") from None
    message = f"Đã chuyển “{item.title}” sang “{STATUS_LABELS[to_status]}”."
    if late is not None:
        message += (f" {STANDING_LABELS[Standing.DONE_LATE if late else Standing.DONE_ON_TIME]} "
                    f"(đơn vị hoàn thành ngày {format_date(item.completed_on)}).")
    return MoveResult(item_id=item.id, from_status=frm, to_status=to_status, version=item.version,
                      done_late=late, message=message)


def set_blocked(session: Session, *, actor: Actor | None, item_id: int, blocked: bool, expected_version: int,
                today: dt.date, reason: str | None = None) -> ProgressEvent:
    """Raise (with a reason) or clear the Vướng mắc flag; the history records BLOCKED or UNBLOCKED.

    A progress report that changes only the flag: the same permission, validation and version rules.
    """
    return update_progress(session, actor=actor, item_id=item_id, expected_version=expected_version,
                           change=ProgressInput(blocked=blocked, blocked_reason=reason if blocked else None,
                                                note=None if blocked else reason),
                           today=today)
