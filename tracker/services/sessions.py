"""Sign-in sessions kept in the database: a random token in the browser's cookie, its SHA-256 here.

A session is live while it is not ended, was seen within the idle timeout, began within the
absolute lifetime, and its account is active with the auth_version the session began with (a
password reset, a deactivation or a role change bumps it, ending every session of the account).
This module decides only that; who may see or end whose sessions is decided in users.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.models import User, UserSession

IDLE_ENV = "TRACKER_SESSION_TIMEOUT_MINUTES"
LIFETIME_ENV = "TRACKER_SESSION_MAX_HOURS"
DEFAULT_IDLE_MINUTES = 30.0
DEFAULT_LIFETIME_HOURS = 12.0
# last_seen_at is written at most this often: a click is not a write to the sessions table.
TOUCH_EVERY = dt.timedelta(seconds=30)
CLIENT_MAX = 300

ENDED = "ended"
IDLE = "idle"
LIFETIME = "lifetime"
ACCOUNT = "account"


def _positive_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def idle_timeout() -> dt.timedelta:
    """Idle time before a session ends: TRACKER_SESSION_TIMEOUT_MINUTES, default 30 minutes."""
    return dt.timedelta(minutes=_positive_env(IDLE_ENV, DEFAULT_IDLE_MINUTES))


def max_lifetime() -> dt.timedelta:
    """A session's absolute lifetime, however active: TRACKER_SESSION_MAX_HOURS, default 12 hours."""
    return dt.timedelta(hours=_positive_env(LIFETIME_ENV, DEFAULT_LIFETIME_HOURS))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def token_hash(token: str) -> str:
    """What the database keeps of a token (the token has 256 random bits: a plain SHA-256 suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, *, user: User, client: str, now: dt.datetime) -> tuple[UserSession, str]:
    """Begin a session for `user`; returns the row and the token (shown once, to go in the cookie)."""
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=token_hash(token), auth_version=user.auth_version,
                      client=(client or "")[:CLIENT_MAX], created_at=now, last_seen_at=now)
    session.add(row)
    session.flush()
    return row, token


def problem(row: UserSession | None, user: User | None, now: dt.datetime) -> str | None:
    """Why a session is no longer live (ENDED, IDLE, LIFETIME, ACCOUNT), or None if it is."""
    if row is None or row.ended_at is not None:
        return ENDED
    if user is None or user.id != row.user_id or not user.active or user.auth_version != row.auth_version:
        return ACCOUNT
    if now - row.last_seen_at > idle_timeout():
        return IDLE
    if now - row.created_at > max_lifetime():
        return LIFETIME
    return None


def touch(row: UserSession, now: dt.datetime) -> None:
    """Record activity on a live session (at most every TOUCH_EVERY)."""
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now


def by_token(session: Session, *, token: str) -> UserSession | None:
    """The session a cookie's token names (live or not), or None."""
    if not token:
        return None
    return session.scalars(select(UserSession).where(UserSession.token_hash == token_hash(token))).first()


def end(session: Session, *, session_id: int, reason: str, now: dt.datetime) -> None:
    """End one session (signing out, or found expired); ending an ended session changes nothing."""
    session.execute(update(UserSession).where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                    .values(ended_at=now, end_reason=reason))


def end_all(session: Session, *, user_id: int, reason: str, now: dt.datetime) -> int:
    """End every open session of an account; returns how many were open."""
    result = session.execute(update(UserSession)
                             .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                             .values(ended_at=now, end_reason=reason))
    return result.rowcount or 0


@dataclass(frozen=True)
class SessionRow:
    """One live session as the accounts page lists it (never the token or its hash)."""

    id: int
    client: str
    created_at: dt.datetime
    last_seen_at: dt.datetime


def live_sessions(session: Session, *, user_id: int, now: dt.datetime) -> list[SessionRow]:
    """The account's live sessions, most recently seen first."""
    user = session.get(User, user_id)
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                     UserSession.ended_at.is_(None))
                           .order_by(UserSession.last_seen_at.desc())).all()
    return [SessionRow(r.id, r.client, r.created_at, r.last_seen_at) for r in rows
            if problem(r, user, now) is None]
