"""Signing in: password check with per-account throttling, session re-validation, SSO mapping.

Nothing here logs or returns a password or a hash. Every password failure has the same message
and (as far as argon2 allows) the same cost, so a caller learns nothing about which accounts exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import TrackerError
from tracker.models import User, UserSession
from tracker.passwords import hash_password, needs_rehash, verify_password
from tracker.permissions import Actor
from tracker.services import sessions

MAX_FAILURES = 5
LOCK_MINUTES = 15
GENERIC_FAILURE = ("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản tạm thời bị khóa. "
                   "Vui lòng thử lại.")
SSO_NOT_ALLOWED = ("Tài khoản đăng nhập một lần này chưa được cấp quyền sử dụng hệ thống. "
                   "Vui lòng liên hệ Văn phòng.")


class AuthFailed(TrackerError):
    """Sign-in refused; the message never says why (unknown account, wrong password, locked...)."""


@cache
def _dummy_hash() -> str:
    # Built lazily with the live hasher settings, so a verify against it costs what a real one does.
    return hash_password("tai-khoan-khong-ton-tai")


def _burn_verify(password: str) -> None:
    """Spend one argon2 verify, for accounts whose own hash must not (or cannot) be checked."""
    verify_password(_dummy_hash(), password)


def authenticate(session: Session, *, username: str, password: str, now: dt.datetime) -> Actor:
    """The actor for a correct username and password, recording the attempt on the account.

    After MAX_FAILURES consecutive failures the account is locked for LOCK_MINUTES; while locked
    every attempt is refused without checking the password. Success resets the counter, stamps
    last_login_at and upgrades an outdated hash.

    The counters are written to `session` (flushed) *before* AuthFailed is raised, so the caller
    must catch AuthFailed inside its transaction and let it commit, as tracker/ui/auth.py does::

        with session_scope(engine) as s:
            try:
                actor = authenticate(s, ...)
            except AuthFailed as exc:
                ...   # the scope still commits the failure count

    Letting AuthFailed escape `session_scope` rolls the count back and defeats the throttle.

    Raises:
        AuthFailed: with GENERIC_FAILURE, whatever the reason.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    name = username.strip().lower()
    user = session.scalars(select(User).where(User.username == name)).first() if name else None
    if user is None or not user.active or user.password_hash is None:
        _burn_verify(password)
        raise AuthFailed(GENERIC_FAILURE)

    if user.locked_until is not None:
        if now < user.locked_until:
            _burn_verify(password)
            raise AuthFailed(GENERIC_FAILURE)
        user.locked_until = None
        user.failed_logins = 0
        session.flush()

    if not verify_password(user.password_hash, password):
        # Incremented in SQL, not in Python: parallel guesses must not overwrite each other's count.
        user.failed_logins = User.failed_logins + 1
        session.flush()
        session.refresh(user, ["failed_logins"])
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        session.flush()
        raise AuthFailed(GENERIC_FAILURE)

    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return Actor.of(user)


def begin_session(session: Session, *, user_id: int, client: str, now: dt.datetime) -> tuple[Actor, str]:
    """Start a sign-in session for an account just authenticated; returns its actor and the
    token for the browser's cookie (the database keeps only the token's hash).

    Raises:
        AuthFailed: the account is gone or inactive.
    """
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise AuthFailed(GENERIC_FAILURE)
    row, token = sessions.start(session, user=user, client=client, now=now)
    return Actor.of(user, session_id=row.id), token


@dataclass(frozen=True)
class Resumed:
    """What resume() found: the actor of a live session, or why there is none (sessions.IDLE...)."""

    actor: Actor | None
    reason: str | None = None


def resume(session: Session, *, now: dt.datetime, session_id: int | None = None,
           token: str | None = None) -> Resumed:
    """The actor of a live session, found by id (this browser tab) or by its cookie's token.

    A session found no longer live is ended (its reason recorded); a live one is marked as seen.
    """
    if session_id is not None:
        row = session.get(UserSession, session_id)
    else:
        row = sessions.by_token(session, token=token or "")
    user = session.get(User, row.user_id) if row is not None else None
    reason = sessions.problem(row, user, now)
    if reason is not None:
        if row is not None and row.ended_at is None:
            sessions.end(session, session_id=row.id, reason=reason, now=now)
        return Resumed(None, reason)
    sessions.touch(row, now)
    return Resumed(Actor.of(user, session_id=row.id))


def sign_out(session: Session, *, session_id: int, now: dt.datetime) -> None:
    """End a session: every tab (and a copy of the cookie) using it is signed out."""
    sessions.end(session, session_id=session_id, reason="signed_out", now=now)


def load_actor(session: Session, *, user_id: int, auth_version: int) -> Actor | None:
    """The actor of a stored sign-in, or None when the account is gone, inactive or its
    auth_version moved on (password reset, deactivation or role change ends open sessions)."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.auth_version != auth_version:
        return None
    return Actor.of(user)


def auth_version_of(session: Session, *, user_id: int) -> int:
    """The current auth_version of an account, to remember alongside a new sign-in.

    Raises:
        AuthFailed: the account no longer exists.
    """
    version = session.scalar(select(User.auth_version).where(User.id == user_id))
    if version is None:
        raise AuthFailed(GENERIC_FAILURE)
    return version


def actor_for_sso(session: Session, *, subject: str, email: str | None,
                  now: dt.datetime | None = None) -> Actor:
    """Map an OpenID Connect identity onto an existing active account.

    Looks up the account by its stored sso_subject, else by e-mail (ignoring case) among accounts
    not yet linked to another identity, and links it by storing the subject. Only an unambiguous
    match counts: two accounts sharing one e-mail are refused rather than guessed.

    Raises:
        AuthFailed: with SSO_NOT_ALLOWED when no single active account matches.
    """
    subject = (subject or "").strip()
    if not subject:
        raise AuthFailed(SSO_NOT_ALLOWED)
    user = session.scalars(select(User).where(User.sso_subject == subject)).first()
    if user is None and email and email.strip():
        matches = session.scalars(
            select(User).where(func.lower(User.email) == email.strip().lower(), User.sso_subject.is_(None))
        ).all()
        if len(matches) == 1:
            user = matches[0]
            if user.active:
                user.sso_subject = subject
    if user is None or not user.active:
        raise AuthFailed(SSO_NOT_ALLOWED)
    if now is not None:
        user.last_login_at = now
    session.flush()
    return Actor.of(user)
