"""Signing in from one address (a ministry behind one NAT): many honest people at once all get in,
no lock is held while a password is checked, and a guesser from that address is still throttled."""

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_user
from tracker.db import make_engine, session_scope
from tracker.models import Role, User
from tracker.passwords import hash_password
from tracker.services import auth, users
from tracker.services.auth import ADDRESS_LIMIT, AuthFailed, authenticate

NOW = dt.datetime(2024, 9, 30, 8, 0, tzinfo=dt.timezone.utc)
NAT = "203.0.113.50"


def _people(engine, count: int, monkeypatch) -> list[str]:
    """`count` unit heads sharing one password hash (computed once: argon2 is slow on purpose)."""
    known = hash_password(PASSWORD)
    monkeypatch.setattr(users, "hash_password", lambda _p: known)
    names = [f"can.bo.{i:02d}" for i in range(count)]
    with session_scope(engine) as s:
        for name in names:
            make_user(s, name, Role.UNIT_HEAD, "SNV-HA-NOI")
    return names


def _slow_checks(monkeypatch, seconds: float) -> dict[str, int]:
    """Replace argon2's verify with one taking `seconds`; counts the checks and how many ran at once."""
    seen = {"checks": 0, "now": 0, "most": 0}
    lock = threading.Lock()

    def verify(_hash, password):
        with lock:
            seen["checks"] += 1
            seen["now"] += 1
            seen["most"] = max(seen["most"], seen["now"])
        time.sleep(seconds)
        with lock:
            seen["now"] -= 1
        return password == PASSWORD

    monkeypatch.setattr(auth, "verify_password", verify)
    return seen


def _at_once(engine, names: list[str], *, password=PASSWORD, start=NOW, spread=dt.timedelta(0)) -> list[str]:
    """Everyone signs in at once, each in their own transaction; what each got ('ok' or the message)."""
    barrier = threading.Barrier(len(names))

    def attempt(i_name):
        i, name = i_name
        barrier.wait()
        try:
            with session_scope(engine) as s:
                authenticate(s, username=name, password=password, now=start + spread * i, address=NAT)
            return "ok"
        except Exception as exc:  # AuthFailed, or the database busy: both are a failed sign-in
            return str(exc)

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(attempt, enumerate(names)))


def test_sixty_people_behind_one_address_all_sign_in_within_a_minute(engine, monkeypatch):
    names = _people(engine, 60, monkeypatch)
    _slow_checks(monkeypatch, 0.05)
    results = _at_once(engine, names, spread=dt.timedelta(seconds=1))
    assert results == ["ok"] * 60
    with session_scope(engine) as s:
        assert all(u.last_login_at is not None for u in s.scalars(select(User).where(User.username.in_(names))))
    # The same address guessing: after ADDRESS_LIMIT.free failures it waits, and during the wait even
    # a right password is refused unchecked.
    later = NOW + dt.timedelta(minutes=1)
    for i in range(ADDRESS_LIMIT.free):
        with session_scope(engine) as s, pytest.raises(AuthFailed):
            authenticate(s, username=f"doan-{i}", password="sai", now=later, address=NAT)
    seen = _slow_checks(monkeypatch, 0)
    with session_scope(engine) as s, pytest.raises(AuthFailed):
        authenticate(s, username=names[0], password=PASSWORD, now=later, address=NAT)
    assert seen["checks"] == 0
    # Another address is not held up by that one.
    with session_scope(engine) as s:
        assert authenticate(s, username=names[0], password=PASSWORD, now=later, address="198.51.100.9")


def test_parallel_sign_ins_check_passwords_side_by_side_and_none_times_out(engine, monkeypatch):
    names = _people(engine, 12, monkeypatch)
    url = engine.url.render_as_string(hide_password=False)
    # A short wait for SQLite's write lock: sign-ins holding it through a 0,3 s check would time out.
    impatient = make_engine(url, sqlite_busy_timeout_ms=1000)
    try:
        seen = _slow_checks(monkeypatch, 0.3)
        results = _at_once(impatient, names)
    finally:
        impatient.dispose()
    assert results == ["ok"] * 12
    assert seen["most"] > 1  # no lock (SQLite's write lock, the address's row) held through a check


def test_a_password_reset_during_the_check_refuses_the_old_password(engine, monkeypatch):
    names = _people(engine, 1, monkeypatch)

    def verify_while_the_office_resets(_hash, password):
        with session_scope(engine) as other:
            other.scalars(select(User).where(User.username == names[0])).one().password_hash = "đã-đặt-lại"
        return password == PASSWORD

    monkeypatch.setattr(auth, "verify_password", verify_while_the_office_resets)
    with session_scope(engine) as s, pytest.raises(AuthFailed):
        authenticate(s, username=names[0], password=PASSWORD, now=NOW, address=NAT)
    with session_scope(engine) as s:
        assert s.scalars(select(User).where(User.username == names[0])).one().last_login_at is None
