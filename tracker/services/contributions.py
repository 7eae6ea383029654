"""A coordinating unit's contribution (phần phối hợp): its head or staff attach evidence to an item they coordinate.

The same limits as the lead unit's evidence (links, file types, sizes, quotas: tracker/services/evidence.py);
each contribution is a history entry naming the coordinating unit, so the files and links show as theirs.
Progress and the card's column stay the lead unit's (tracker/permissions.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, ValidationFailed
from tracker.models import EventKind, EvidenceFile, ProgressEvent, Unit, WorkItem
from tracker.permissions import Action, Actor, require
from tracker.services import evidence
from tracker.services.evidence import Upload
from tracker.services.progress import ProgressInput, validate_input
from tracker.text import clean, strip_controls

# The history entry's change key; its label is "Minh chứng của đơn vị phối hợp" (tracker/services/progress.py).
CHANGE_KEY = "contribution"
NOTHING_SENT = "Hãy gửi ít nhất một đường dẫn hoặc một tệp minh chứng phần phối hợp."


def add_contribution(session: Session, *, actor: Actor, item_id: int, note: str | None = None,
                     evidence_urls: Sequence[str] = (), files: Sequence[Upload] = (),
                     upload_root: Path | None = None) -> ProgressEvent:
    """Record a coordinating unit's evidence (links, files, a note) on the item.

    Raises:
        PermissionDenied: not the head or staff of one of the item's coordinating units, or confirmed work.
        NotFound: no such item. ValidationFailed: every problem with the links, files or note.
    """
    item = session.get(WorkItem, item_id)
    if item is None or item.deleted_at is not None:
        raise NotFound(f"Không tìm thấy công việc số {item_id} (có thể đã bị xóa).")
    require(actor, Action.ADD_CONTRIBUTION, item, session=session)
    note = clean(note)
    urls = tuple(strip_controls(u) for u in evidence_urls)
    problems = (validate_input(ProgressInput(note=note, evidence_urls=urls)) + evidence.file_problems(list(files))
                + evidence.quota_problems(session, item=item, files=list(files)))
    if not urls and not files:
        problems.insert(0, NOTHING_SENT)
    if problems:
        raise ValidationFailed(problems[0], problems)
    unit_name = session.scalar(select(Unit.name).where(Unit.id == actor.unit_id))
    event = ProgressEvent(work_item_id=item.id, actor_id=actor.user_id, kind=EventKind.UPDATED,
                          changes={CHANGE_KEY: [None, unit_name]}, note=note, evidence_urls=list(urls))
    session.add(event)
    session.flush()
    if files:
        evidence.store(session, work_item_id=item.id, event_id=event.id, uploaded_by_id=actor.user_id,
                       files=list(files), root=upload_root)
    return event


def file_owners(session: Session, *, item_id: int) -> dict[int, str]:
    """The coordinating unit that sent each of the item's contribution files, by file id (the lead's files are absent)."""
    rows = session.execute(select(EvidenceFile.id, ProgressEvent.changes)
                           .join(ProgressEvent, ProgressEvent.id == EvidenceFile.event_id)
                           .where(EvidenceFile.work_item_id == item_id, ProgressEvent.kind == EventKind.UPDATED))
    return {file_id: changes[CHANGE_KEY][1] for file_id, changes in rows if CHANGE_KEY in (changes or {})}
