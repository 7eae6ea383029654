"""Signing in: password check behind a throttle, database sessions (begin, resume, sign out), SSO mapping.

Nothing here logs or returns a password or a hash. Every password failure has the same message
and (as far as argon2 allows) the same cost, so a caller learns nothing about which accounts exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.errors import TrackerError
from tracker.models import LoginThrottle, User, UserSession
from tracker.passwords import hash_password, needs_rehash, verify_password
from tracker.permissions import Actor
from tracker.services import sessions

# Sign-in throttle: per key, the first FREE attempts in a row are free; each later failure doubles
# the wait before the next attempt, up to CAP. Keys: the account (however many addresses try it),
# the account from one address, and one address (whatever accounts it tries); unknown accounts too.
# A key with a WINDOW counts only the attempts since its window began: the first attempt once the
# window has run out starts a new one at 1. Without a window, a key counts until a right password
# (or FORGET_AFTER without any attempt) clears it.
@dataclass(frozen=True)
class Limit:
    free: int
    cap: dt.timedelta
    window: dt.timedelta | None = None


# The account's keys need no window: the owner's right password clears them, so typos never pile
# up there; only guesses do, as they should.
ACCOUNT_LIMIT = Limit(free=10, cap=dt.timedelta(minutes=1))
PAIR_LIMIT = Limit(free=5, cap=dt.timedelta(minutes=15))
# An address counts attempts in flight (given back when right) and failures: one ministry behind
# one NAT address has a hundred people signing in at 8:00, each attempt counted until its password
# is checked; a guesser trying many accounts from one address still waits after this many.
# A right password gives back only its own attempt, and that NAT address is never quiet for
# FORGET_AFTER: without a window every typo of the whole ministry would stay counted, and after a
# few weeks of them every attempt from there, right ones too, would wait up to 15 min. So its
# failures count for one hour. Long enough to bind a guesser: the 100 free tries, then waits of
# 1 s doubling to the cap (some 17 min in all), fit in it, some 110 tries an hour (one account from
# there stays held by PAIR_LIMIT, which has no window). Short enough for honest people: a few
# hundred signing in make a few dozen typos in their busiest hour, far below 100, and each hour
# starts afresh, so the typos of days never add up.
ADDRESS_LIMIT = Limit(free=100, cap=dt.timedelta(minutes=15), window=dt.timedelta(hours=1))
# A key with no attempt for this long starts counting afresh.
FORGET_AFTER = dt.timedelta(days=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
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


def _delay(failures: int, limit: Limit) -> dt.timedelta:
    if failures < limit.free:
        return dt.timedelta(0)
    return min(dt.timedelta(seconds=2 ** min(failures - limit.free, 20)), limit.cap)


def _take(session: Session, key: str, limit: Limit, now: dt.datetime) -> bool:
    """Count one attempt on `key` unless it is waiting out a delay; False when it is.

    One conditional UPDATE ... RETURNING, before any password is checked: the row stays locked
    (PostgreSQL) or the database reserved (SQLite) until authenticate() commits the count (before
    the check), so parallel attempts are counted one after another and none slips through on a
    stale count. The same UPDATE starts the count afresh (at this attempt, in a new window) when
    the key's window has run out or it had no attempt for FORGET_AFTER.
    """
    table = LoginThrottle.__table__
    at = literal(now, table.c.window_start.type)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(table).values(key=key, failures=0, blocked_until=_EPOCH, updated_at=now,
                                         window_start=now)
                    .on_conflict_do_nothing(index_elements=["key"]))
    afresh = table.c.updated_at < now - FORGET_AFTER
    if limit.window is not None:
        afresh = or_(afresh, table.c.window_start <= now - limit.window)
    # SET reads the row as it was, on both databases: `afresh` is judged once, before either change.
    failures = session.execute(
        update(table).where(table.c.key == key, table.c.blocked_until <= now)
        .values(failures=case((afresh, 1), else_=table.c.failures + 1),
                window_start=case((afresh, at), else_=table.c.window_start),
                updated_at=now)
        .returning(table.c.failures)).scalar()
    if failures is None:
        return False
    if (wait := _delay(failures, limit)) > dt.timedelta(0):
        session.execute(update(table).where(table.c.key == key).values(blocked_until=now + wait))
    return True


def _throttle_keys(name: str, address: str) -> list[tuple[str, Limit]]:
    """The keys an attempt counts against, always in this order (so parallel attempts never deadlock)."""
    name, address = name[:150], address[:100]
    account = (f"acct:{name}", ACCOUNT_LIMIT)
    if not address:
        return [account]
    # The narrowest key first: guesses from one address held up there no longer count on the account.
    return [(f"pair:{name}|{address}", PAIR_LIMIT), account, (f"addr:{address}", ADDRESS_LIMIT)]


def _forgive(session: Session, name: str, address: str, now: dt.datetime) -> None:
    """A right password: the account's counts start afresh; the address's loses this attempt only
    (unless its window began after the attempt was counted: that window never counted it)."""
    table = LoginThrottle.__table__
    for key, _limit in _throttle_keys(name, address):
        if key.startswith("addr:"):
            session.execute(update(table).where(table.c.key == key, table.c.window_start <= now)
                            .values(failures=case((table.c.failures > 0, table.c.failures - 1), else_=0)))
        else:
            session.execute(update(table).where(table.c.key == key).values(failures=0, blocked_until=_EPOCH))


def _show_on_account(session: Session, user: User, name: str, now: dt.datetime) -> None:
    """Copy the account's count and wait onto the user (the accounts page shows "Tạm khóa")."""
    table = LoginThrottle.__table__
    failures, until = session.execute(select(table.c.failures, table.c.blocked_until)
                                      .where(table.c.key == f"acct:{name[:150]}")).one()
    user.failed_logins = failures
    user.locked_until = until if until > now else None
    session.flush()


def unlock(session: Session, *, username: str) -> int:
    """Lift every sign-in delay on an account (from any address); returns how many keys were waiting.

    For the office: `python -m tracker user unlock NAME`, a password reset, a reactivation.
    """
    name = username.strip().lower()
    table = LoginThrottle.__table__
    result = session.execute(delete(table).where(or_(table.c.key == f"acct:{name}",
                                                     table.c.key.startswith(f"pair:{name}|", autoescape=True))))
    user = session.scalars(select(User).where(User.username == name)).first()
    if user is not None:
        user.failed_logins = 0
        user.locked_until = None
    session.flush()
    return result.rowcount or 0


def unlock_address(session: Session, *, address: str) -> int:
    """Lift the wait on one address (all its attempts forgotten); returns how many keys it had (0 or 1).

    For the office: `python -m tracker user unlock-address ADDRESS`, when a ministry's NAT address
    waits. The keys of one account from that address stay: `user unlock NAME` lifts those.
    """
    table = LoginThrottle.__table__
    result = session.execute(delete(table).where(table.c.key == f"addr:{address.strip()[:100]}"))
    session.flush()
    return result.rowcount or 0


def authenticate(session: Session, *, username: str, password: str, now: dt.datetime,
                 address: str = "") -> Actor:
    """The actor for a correct username and password.

    In three steps, so that no lock is held while the password is checked (one argon2 check is
    some 0,16 s of CPU; sixty people signing in at once from one ministry's address would queue
    behind it, and SQLite's writers time out):

    1. The attempt is counted (per account, per account and address, per address, whether the
       account exists or not) and **committed**; while any of these keys is waiting out its
       delay, the attempt is refused without checking the password. Parallel attempts are
       counted one after another, so none slips through on a stale count.
    2. The password is checked outside any write transaction.
    3. A right password: a short write re-reads the account (still active, still that password
       hash: a reset or deactivation in between refuses), clears the account's counts, gives the
       address its attempt back, stamps last_login_at and upgrades an outdated hash.

    So `session` is committed during the call (the counts hold even if AuthFailed escapes the
    caller's scope); what the caller adds afterwards (begin_session) is its own commit.

    Raises:
        AuthFailed: with GENERIC_FAILURE, whatever the reason.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    name = username.strip().lower()
    allowed = all(_take(session, key, limit, now) for key, limit in _throttle_keys(name, address))
    session.commit()  # the counts stand, and the locks go, before the password is checked
    user = session.scalars(select(User).where(User.username == name)).first() if name else None
    checked = user.password_hash if user is not None and user.active else None
    if allowed and checked is None:
        _burn_verify(password)
    if not (allowed and checked is not None and verify_password(checked, password)):
        if user is not None:
            _show_on_account(session, user, name, now)
        raise AuthFailed(GENERIC_FAILURE)

    upgraded = hash_password(password) if needs_rehash(checked) else checked
    # The write re-reads the account: only the account as checked (active, same hash) signs in.
    stamped = session.execute(
        update(User).where(User.id == user.id, User.active.is_(True), User.password_hash == checked)
        .values(failed_logins=0, locked_until=None, last_login_at=now, password_hash=upgraded)
        .execution_options(synchronize_session=False)).rowcount
    if stamped != 1:
        session.rollback()
        raise AuthFailed(GENERIC_FAILURE)
    _forgive(session, name, address, now)
    session.refresh(user)
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
