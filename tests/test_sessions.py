"""Sign-in sessions in the database: only the token's hash is kept; a session ends on sign-out, idle
timeout, absolute lifetime, password reset, deactivation and role change; the office lists and ends them."""

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tracker.errors import PermissionDenied
from tracker.models import Role, UserSession
from tracker.permissions import Actor
from tracker.services import auth, sessions, users



@pytest.fixture
def now():
    """This test's start: a write re-reads the session against the clock."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@pytest.fixture
def people(session):
    return {"admin": make_user(session, "vanphong", Role.ADMIN),
            "head": make_user(session, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")}


def _begin(session, user, now):
    return auth.begin_session(session, user_id=user.id, client="10.0.0.5 · Chromium", now=now)


def test_the_database_keeps_the_hash_of_the_token_never_the_token(session, people, now):
    actor, token = _begin(session, people["head"], now)
    row = session.get(UserSession, actor.session_id)
    assert len(token) >= 40 and row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.token_hash, row.client}
    assert (row.user_id, row.created_at, row.last_seen_at, row.client) == (
        people["head"].id, now, now, "10.0.0.5 · Chromium")
    assert auth.resume(session, now=now, token=token).actor == actor
    assert auth.resume(session, now=now, token=token + "x").actor is None


def test_sign_out_ends_the_session_for_every_tab_and_for_a_copied_token(session, people, now):
    actor, token = _begin(session, people["head"], now)
    auth.sign_out(session, session_id=actor.session_id, now=now)
    assert auth.resume(session, now=now, session_id=actor.session_id) == auth.Resumed(None, sessions.ENDED)
    assert auth.resume(session, now=now, token=token).actor is None


def test_idle_timeout_and_lifetime(session, people, now, monkeypatch):
    monkeypatch.setenv(sessions.IDLE_ENV, "30")
    monkeypatch.setenv(sessions.LIFETIME_ENV, "12")
    actor, token = _begin(session, people["head"], now)
    # Activity keeps it going...
    for minutes in range(20, 12 * 60, 20):
        assert auth.resume(session, now=now + dt.timedelta(minutes=minutes), token=token).actor == actor
    # ...but not beyond its lifetime.
    late = auth.resume(session, now=now + dt.timedelta(hours=12, minutes=1), token=token)
    assert late == auth.Resumed(None, sessions.LIFETIME)
    assert session.get(UserSession, actor.session_id).end_reason == sessions.LIFETIME

    other, token = _begin(session, people["head"], now)
    assert auth.resume(session, now=now + dt.timedelta(minutes=31), token=token).reason == sessions.IDLE
    assert auth.resume(session, now=now + dt.timedelta(minutes=31), token=token).reason == sessions.ENDED


@pytest.mark.parametrize("change", ["deactivate", "reset_password", "change_role"])
def test_account_changes_end_every_session_of_the_account(session, people, now, change):
    office = Actor.of(people["admin"])
    actor, token = _begin(session, people["head"], now)
    second, _ = _begin(session, people["head"], now)
    calls = {"deactivate": lambda: users.set_active(session, actor=office, user_id=people["head"].id, active=False),
             "reset_password": lambda: users.reset_password(session, actor=office, user_id=people["head"].id,
                                                            new_password="mat-khau-moi-123"),
             "change_role": lambda: users.change_role(session, actor=office, user_id=people["head"].id,
                                                      role=Role.VIEWER, unit_code=None)}
    calls[change]()
    assert auth.resume(session, now=now, token=token) == auth.Resumed(None, sessions.ACCOUNT)
    assert auth.resume(session, now=now, session_id=second.session_id).actor is None
    assert users.list_sessions(session, actor=office, user_id=people["head"].id, now=now) == []


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(session, people, now):
    mine, token = _begin(session, people["head"], now)
    other, other_token = _begin(session, people["head"], now)
    users.change_own_password(session, actor=mine, old_password="mat-khau-dung", new_password="mat-khau-moi-456")
    assert auth.resume(session, now=now, token=token).actor is not None
    assert auth.resume(session, now=now, token=other_token).actor is None


def test_the_office_sees_and_ends_an_accounts_sessions(session, people, now):
    office = Actor.of(people["admin"])
    first, _ = _begin(session, people["head"], now)
    _begin(session, people["head"], now=now + dt.timedelta(minutes=5))
    listed = users.list_sessions(session, actor=office, user_id=people["head"].id, now=now + dt.timedelta(minutes=6))
    assert [r.last_seen_at for r in listed] == [now + dt.timedelta(minutes=5), now]
    assert {r.client for r in listed} == {"10.0.0.5 · Chromium"}
    with pytest.raises(PermissionDenied):
        users.list_sessions(session, actor=first, user_id=people["admin"].id)
    with pytest.raises(PermissionDenied):
        users.end_sessions(session, actor=Actor.of(people["head"]), user_id=people["admin"].id)
    assert users.end_sessions(session, actor=office, user_id=people["head"].id) == 2
    assert auth.resume(session, now=now, session_id=first.session_id).actor is None
    ended = session.scalars(select(UserSession.end_reason).where(UserSession.user_id == people["head"].id)).all()
    assert ended == ["ended_by_office", "ended_by_office"]
