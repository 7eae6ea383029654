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
from tracker.models import LoginThrottle, Role, User
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


def _attempt(engine, name: str, password: str, at: dt.datetime, address: str = NAT) -> str:
    try:
        with session_scope(engine) as s:
            authenticate(s, username=name, password=password, now=at, address=address)
        return "ok"
    except AuthFailed:
        return "refused"


def test_a_ministrys_typos_of_a_whole_day_do_not_hold_up_the_next_morning(engine, monkeypatch):
    """One NAT address, a working day: a typo every five minutes between right sign-ins, a hundred
    in all. Each hour forgets the one before, so the morning crowd all get in at once."""
    names = _people(engine, 5, monkeypatch)
    _slow_checks(monkeypatch, 0)
    typos = ADDRESS_LIMIT.free
    day = dt.datetime(2024, 9, 30, 8, 0, tzinfo=dt.timezone.utc)
    results = []
    for i in range(typos):
        at = day + dt.timedelta(minutes=5 * i)
        results.append(_attempt(engine, f"go.nham.{i}", "sai", at))
        results.append(_attempt(engine, names[i % 5], PASSWORD, at + dt.timedelta(minutes=2)))
    assert results == ["refused", "ok"] * typos  # 8:00 to 16:17: a dozen typos in any one hour
    next_morning = day + dt.timedelta(hours=24) - dt.timedelta(minutes=1)  # not FORGET_AFTER: never quiet a day
    assert [_attempt(engine, name, PASSWORD, next_morning) for name in names] == ["ok"] * 5


def test_a_hundred_failures_within_the_window_still_hold_the_address(engine, monkeypatch):
    """The window is fixed from its first attempt (not moved by each one): a hundred failures over
    fifty minutes make the address wait, doubling; only when the hour is over does it count afresh."""
    names = _people(engine, 1, monkeypatch)
    seen = _slow_checks(monkeypatch, 0)
    at = NOW
    for i in range(ADDRESS_LIMIT.free):
        at = NOW + dt.timedelta(seconds=30 * i)
        assert _attempt(engine, f"doan-{i}", "sai", at) == "refused"
    seen["checks"] = 0
    assert _attempt(engine, names[0], PASSWORD, at) == "refused"  # waiting 1 s: refused unchecked
    assert seen["checks"] == 0
    at += dt.timedelta(seconds=1)
    assert _attempt(engine, "doan-x", "sai", at) == "refused"  # the 101st failure: now 2 s
    assert _attempt(engine, names[0], PASSWORD, at + dt.timedelta(seconds=1)) == "refused"
    assert seen["checks"] == 1
    assert _attempt(engine, names[0], PASSWORD, at + dt.timedelta(seconds=2)) == "ok"
    # The right password gave back its own attempt only (counted in flight, it set a wait of 4 s):
    # the failures of this hour still stand, and the next one makes the address wait 4 s again.
    assert _attempt(engine, "doan-y", "sai", at + dt.timedelta(seconds=6)) == "refused"
    assert _attempt(engine, names[0], PASSWORD, at + dt.timedelta(seconds=9)) == "refused"
    assert seen["checks"] == 3
    # An hour after the window began, the count starts afresh at this attempt: two at once get in.
    assert [_attempt(engine, names[0], PASSWORD, NOW + ADDRESS_LIMIT.window) for _ in range(2)] == ["ok"] * 2
    assert ADDRESS_LIMIT.window == dt.timedelta(hours=1)


def test_one_account_from_one_address_has_no_window(engine, monkeypatch):
    """Guesses at one account from one address are not forgotten after an hour (only a right
    password, or a whole day without any attempt, clears them)."""
    names = _people(engine, 1, monkeypatch)
    seen = _slow_checks(monkeypatch, 0)
    for i in range(auth.PAIR_LIMIT.free):
        assert _attempt(engine, names[0], f"doan-{i}", NOW) == "refused"
    later = NOW + dt.timedelta(hours=2)
    assert _attempt(engine, names[0], "doan-x", later) == "refused"  # the sixth: 2 s
    seen["checks"] = 0
    assert _attempt(engine, names[0], PASSWORD, later + dt.timedelta(seconds=1)) == "refused"
    assert seen["checks"] == 0
    assert auth.PAIR_LIMIT.window is None and auth.ACCOUNT_LIMIT.window is None


def test_a_right_password_checked_across_the_hour_gives_back_nothing_to_the_new_window(engine, monkeypatch):
    """Counted in the old window, a right password does not take a failure off the new one."""
    names = _people(engine, 1, monkeypatch)
    turned = []

    def verify_while_the_hour_turns(_hash, password):
        if not turned:  # once: the failure's own (dummy) check comes back here
            turned.append("turning")
            turned[0] = _attempt(engine, "doan", "sai", NOW + ADDRESS_LIMIT.window)  # a new window: 1
        return password == PASSWORD

    with session_scope(engine) as s:
        assert authenticate(s, username=names[0], password=PASSWORD, now=NOW, address=NAT)  # the window begins
    monkeypatch.setattr(auth, "verify_password", verify_while_the_hour_turns)
    with session_scope(engine) as s:
        authenticate(s, username=names[0], password=PASSWORD, now=NOW + dt.timedelta(minutes=59), address=NAT)
    with session_scope(engine) as s:
        row = s.get(LoginThrottle, f"addr:{NAT}")
        assert (row.failures, row.window_start) == (1, NOW + ADDRESS_LIMIT.window)
    assert turned == ["refused"]
