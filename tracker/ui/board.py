"""The Kanban board component (Streamlit Components API v2, our own HTML/CSS/JS) and its move handler.

The JavaScript and CSS live next to this module in board_assets/ and are inlined into the
component: no CDN, no web font, no build step. The component sends explicit events; pages pass
them to `apply_move`, which calls the one move service and says, in Vietnamese, what happened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy.engine import Engine

from tracker.db import session_scope
from tracker.errors import PermissionDenied, TrackerError, ValidationFailed
from tracker.models import Status
from tracker.permissions import Actor
from tracker.services import evidence as evidence_service
from tracker.services import moves as move_service
from tracker.services import progress as progress_service
from tracker.services.progress import parse_urls
from tracker.workflow import STATUS_LABELS

_ASSETS = Path(__file__).with_name("board_assets")
_COMPONENT = st.components.v2.component(
    "tracker_kanban_board",
    html='<div class="kb-root"></div>',
    css=(_ASSETS / "board.css").read_text(encoding="utf-8"),
    js=(_ASSETS / "board.js").read_text(encoding="utf-8"),
)
EVENTS = ("move", "open", "more")


def board(data: dict, *, key: str, on_move, on_open, on_more):
    """Draw the board; each user action calls its callback before the next run (read `event(key, name)`)."""
    return _COMPONENT(key=key, data=data, on_move_change=on_move, on_open_change=on_open,
                      on_more_change=on_more)


def event(key: str, name: str) -> Any:
    """The value of trigger `name` of the board mounted under `key` (inside its callback), or None."""
    state = st.session_state.get(key)
    if state is None:
        return None
    try:
        return state[name]
    except (KeyError, TypeError):
        return getattr(state, name, None)


def event_nonce(payload: object) -> float | None:
    """The nonce the component put on an event (a number that grows with each event), or None."""
    nonce = payload.get("nonce") if isinstance(payload, dict) else None
    if isinstance(nonce, bool) or not isinstance(nonce, int | float) or nonce != nonce or abs(nonce) > 1e15:
        return None
    return nonce


@dataclass(frozen=True)
class MoveRequest:
    """A move asked for on the board, checked for shape only (the service checks everything else)."""

    item_id: int
    from_status: Status
    to_status: Status
    version: int

    @classmethod
    def parse(cls, payload: object) -> MoveRequest | None:
        """The move in a component event, or None if it is malformed (the browser is not trusted)."""
        if not isinstance(payload, dict):
            return None
        try:
            item_id, version = int(payload["id"]), int(payload["version"])
            return cls(item_id=item_id, from_status=Status(payload["from"]), to_status=Status(payload["to"]),
                       version=version)
        except (KeyError, TypeError, ValueError):
            return None

    def as_dict(self) -> dict:
        return {"id": self.item_id, "from": self.from_status.value, "to": self.to_status.value,
                "version": self.version}


@dataclass(frozen=True)
class MoveOutcome:
    ok: bool
    message: str
    needs_reason: bool = False
    needs_evidence: bool = False


def apply_move(engine: Engine, *, actor: Actor | None, request: MoveRequest, today: dt.date,
               reason: str = "", evidence: str = "",
               files: tuple[evidence_service.Upload, ...] = ()) -> MoveOutcome:
    """Try one move through the move service; a refusal comes back as a Vietnamese message.

    `needs_reason` / `needs_evidence` say the move will be accepted once the user gives them
    (the page then asks in a dialog); any other refusal leaves the card where it was. With evidence
    files the move is a progress report with a new status (the item page's way, which stores files).
    """
    try:
        with session_scope(engine) as session:
            if files:
                progress_service.update_progress(
                    session, actor=actor, item_id=request.item_id, expected_version=request.version, today=today,
                    change=progress_service.ProgressInput(status=request.to_status, note=reason or None,
                                                          evidence_urls=parse_urls(evidence or "")),
                    files=files)
                return MoveOutcome(True, f"Đã chuyển công việc sang “{STATUS_LABELS[request.to_status]}”.")
            result = move_service.move_item(
                session, actor=actor, item_id=request.item_id, to_status=request.to_status,
                expected_version=request.version, today=today, reason=reason or None,
                evidence_urls=parse_urls(evidence or ""))
    except move_service.MoveNeedsDetails as exc:
        return MoveOutcome(False, str(exc), needs_reason=exc.needs_reason, needs_evidence=exc.needs_evidence)
    except ValidationFailed as exc:
        return MoveOutcome(False, " ".join(exc.problems))
    except (PermissionDenied, TrackerError) as exc:
        return MoveOutcome(False, str(exc))
    return MoveOutcome(True, result.message)
