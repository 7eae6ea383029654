"""Signing in: one message for every failure, a throttle counted before the password is checked
(per account, account and address, address; parallel guesses included), single sign-on onto
existing accounts only."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.factories import PASSWORD, make_user
from tracker.db import session_scope
from tracker.models import LoginThrottle, Role, User
from tracker.services import auth
from tracker.__main__ import main
from tracker.services.auth import (ACCOUNT_LIMIT, ADDRESS_LIMIT, GENERIC_FAILURE, PAIR_LIMIT, SSO_NOT_ALLOWED,
                                   AuthFailed, actor_for_sso, authenticate)

NOW = dt.datetime(2024, 9, 30, 8, 0, tzinfo=dt.timezone.utc)


def _user(session, username):
    return session.scalars(select(User).where(User.username == username)).one()


def _fail(session, username, password="sai-mat-khau", now=NOW, address=""):
    with pytest.raises(AuthFailed) as caught:
        authenticate(session, username=username, password=password, now=now, address=address)
    return str(caught.value)


def test_right_password_signs_in_and_resets_the_counter(session):
    make_user(session, "vanphong", Role.ADMIN)
    _fail(session, "vanphong")
    actor = authenticate(session, username="  VanPhong ", password=PASSWORD, now=NOW)
    user = _user(session, "vanphong")
    assert (actor.user_id, actor.role) == (user.id, Role.ADMIN)
    assert user.failed_logins == 0 and user.locked_until is None
    assert user.last_login_at == NOW


def _counting_verifies(monkeypatch) -> list[str]:
    """Every argon2 verify authenticate() makes from now on (hashes only), thread-safe."""
    checked: list[str] = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checked.append(h) or real_verify(h, p))
    return checked


def test_after_the_free_attempts_each_failure_doubles_the_wait(session, monkeypatch):
    make_user(session, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")
    for _ in range(ACCOUNT_LIMIT.free):
        _fail(session, "tp.hanoi")
    checked = _counting_verifies(monkeypatch)
    # Waiting: even the right password is refused, and not checked.
    assert _fail(session, "tp.hanoi", PASSWORD) == GENERIC_FAILURE
    assert checked == []
    one_second = NOW + dt.timedelta(seconds=1)
    _fail(session, "tp.hanoi", now=one_second)  # allowed again after 1 s: a wrong guess...
    _fail(session, "tp.hanoi", PASSWORD, now=one_second + dt.timedelta(seconds=1))  # ...now 2 s
    assert len(checked) == 1
    actor = authenticate(session, username="tp.hanoi", password=PASSWORD, now=one_second + dt.timedelta(seconds=2))
    assert actor.username == "tp.hanoi"
    user = _user(session, "tp.hanoi")
    assert (user.failed_logins, user.locked_until) == (0, None)
    # The count started afresh: the free attempts are free again.
    for _ in range(ACCOUNT_LIMIT.free - 1):
        _fail(session, "tp.hanoi", now=NOW + dt.timedelta(seconds=10))
    assert authenticate(session, username="tp.hanoi", password=PASSWORD, now=NOW + dt.timedelta(seconds=10))


def test_a_stranger_can_delay_an_account_by_at_most_the_account_cap(session):
    """Failures from ever new addresses push the account's wait up to one minute, never to a lock."""
    make_user(session, "vanphong", Role.ADMIN)
    at = NOW
    for i in range(40):
        at += ACCOUNT_LIMIT.cap + dt.timedelta(seconds=1)
        _fail(session, "vanphong", now=at, address=f"198.51.100.{i}")
    owner_at = at + ACCOUNT_LIMIT.cap + dt.timedelta(seconds=1)
    assert authenticate(session, username="vanphong", password=PASSWORD, now=owner_at, address="10.0.0.5")
    assert ACCOUNT_LIMIT.cap == dt.timedelta(minutes=1) and ACCOUNT_LIMIT.free == 10


def test_one_address_and_one_account_from_it_are_slowed_separately(session, monkeypatch):
    make_user(session, "lanhdao", Role.LEADER)
    for _ in range(PAIR_LIMIT.free):
        _fail(session, "lanhdao", address="203.0.113.7")
    checked = _counting_verifies(monkeypatch)
    _fail(session, "lanhdao", PASSWORD, address="203.0.113.7")  # this address must wait for this account
    assert checked == []
    # The owner, from their own address, is not held up by the stranger's five guesses.
    assert authenticate(session, username="lanhdao", password=PASSWORD, now=NOW, address="10.0.0.5")
    # One address trying many names, known or not, is slowed after ADDRESS_LIMIT.free attempts.
    for i in range(ADDRESS_LIMIT.free):
        _fail(session, f"khong-ton-tai-{i}", address="192.0.2.9")
    checked.clear()
    _fail(session, "lanhdao", PASSWORD, address="192.0.2.9")
    assert checked == []
    assert authenticate(session, username="lanhdao", password=PASSWORD, now=NOW + dt.timedelta(seconds=1),
                        address="192.0.2.9")


def test_unknown_usernames_are_throttled_like_real_ones(session, monkeypatch):
    for _ in range(ACCOUNT_LIMIT.free):
        _fail(session, "khong-ton-tai")
    checked = _counting_verifies(monkeypatch)
    _fail(session, "khong-ton-tai")
    assert checked == []  # refused before any (dummy) verify, exactly as a real account would be


def _parallel(engine, attempts: list[tuple[str, str]], *, now, address) -> list[bool]:
    """Run the attempts at once, each in its own transaction (as each browser tab would); True = signed in."""
    barrier = threading.Barrier(len(attempts))

    def attempt(username_password):
        username, password = username_password
        barrier.wait()
        with session_scope(engine) as s:
            try:
                authenticate(s, username=username, password=password, now=now, address=address)
                return True
            except AuthFailed:
                return False

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(attempt, attempts))


def test_twenty_parallel_guesses_get_five_password_checks(engine, monkeypatch):
    with session_scope(engine) as s:
        make_user(s, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")
    checked = _counting_verifies(monkeypatch)
    results = _parallel(engine, [("tp.hanoi", f"doan-sai-{i}") for i in range(20)], now=NOW, address="203.0.113.7")
    assert results == [False] * 20
    assert len(checked) == PAIR_LIMIT.free == 5  # counted before the check: none slipped through
    with session_scope(engine) as s:
        assert _user(s, "tp.hanoi").failed_logins == PAIR_LIMIT.free
    # The right password from that address, at that moment, is refused unchecked.
    checked.clear()
    assert _parallel(engine, [("tp.hanoi", PASSWORD)], now=NOW, address="203.0.113.7") == [False]
    assert checked == []


def test_twenty_parallel_attempts_with_the_right_password_last_do_not_get_in(engine, monkeypatch):
    with session_scope(engine) as s:
        make_user(s, "vanphong", Role.ADMIN)
    for i in range(PAIR_LIMIT.free - 1):
        with session_scope(engine) as s:
            _fail(s, "vanphong", f"doan-sai-{i}", address="203.0.113.7")
    tried: list[str] = []  # passwords actually checked, in the order the checks ran (one at a time)
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: tried.append(p) or real_verify(h, p))
    # One free attempt left for this address: twenty at once, one of them right, get one check,
    # unless that one check was the right password (a success starts the count afresh).
    attempts = [("vanphong", f"doan-sai-x{i}") for i in range(19)] + [("vanphong", PASSWORD)]
    results = _parallel(engine, attempts, now=NOW, address="203.0.113.7")
    if sum(results) == 0:
        assert len(tried) == 1 and tried[0] != PASSWORD
    else:
        assert sum(results) == 1 and tried[0] == PASSWORD


def test_the_office_unlocks_an_account_from_the_command_line(db_env, engine, capsys):
    with session_scope(engine) as s:
        make_user(s, "vanphong", Role.ADMIN)
    for i in range(ACCOUNT_LIMIT.free):
        with session_scope(engine) as s:
            _fail(s, "vanphong", address=f"203.0.113.{i}")
    with session_scope(engine) as s:
        _fail(s, "vanphong", PASSWORD, address="10.0.0.5")  # the account itself is waiting
        assert _user(s, "vanphong").locked_until is not None
    assert main(["user", "unlock", "VanPhong"]) == 0
    assert "Đã mở khóa đăng nhập cho tài khoản “vanphong”" in capsys.readouterr().out
    with session_scope(engine) as s:
        assert authenticate(s, username="vanphong", password=PASSWORD, now=NOW, address="203.0.113.1")
    assert main(["user", "unlock", "khong-ton-tai"]) == 2


def test_the_office_lifts_an_address_s_wait_from_the_command_line(db_env, engine, capsys, monkeypatch):
    with session_scope(engine) as s:
        make_user(s, "vanphong", Role.ADMIN)
    monkeypatch.setattr(auth, "verify_password", lambda h, p: p == PASSWORD)  # a hundred checks, quickly
    for i in range(ADDRESS_LIMIT.free):
        with session_scope(engine) as s:
            _fail(s, f"khong-ton-tai-{i}", address="203.0.113.50")
    for _ in range(PAIR_LIMIT.free):
        with session_scope(engine) as s:
            _fail(s, "lanhdao", address="203.0.113.50")
    with session_scope(engine) as s:
        _fail(s, "vanphong", PASSWORD, address="203.0.113.50")  # the whole address is waiting
    assert main(["user", "unlock-address", " 203.0.113.50 "]) == 0
    assert "Đã mở khóa đăng nhập cho địa chỉ “203.0.113.50”" in capsys.readouterr().out
    with session_scope(engine) as s:
        assert authenticate(s, username="vanphong", password=PASSWORD, now=NOW, address="203.0.113.50")
        # One account's own wait from that address stays (lifted by `user unlock NAME`).
        assert s.get(LoginThrottle, "pair:lanhdao|203.0.113.50").failures == PAIR_LIMIT.free
    assert main(["user", "unlock-address", "198.51.100.1"]) == 2
    assert "Địa chỉ “198.51.100.1” không có lượt đăng nhập nào đang được đếm." in capsys.readouterr().err


def test_an_outdated_hash_is_upgraded_on_sign_in(session):
    user = make_user(session, "nguoi.cu", Role.VIEWER)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    old = user.password_hash
    authenticate(session, username="nguoi.cu", password=PASSWORD, now=NOW)
    assert user.password_hash != old and user.password_hash.startswith("$argon2")
    assert authenticate(session, username="nguoi.cu", password=PASSWORD, now=NOW).username == "nguoi.cu"


def test_a_hash_of_the_former_default_settings_still_signs_in_and_is_rehashed_with_owasp_s(session):
    from argon2 import extract_parameters

    from tracker import passwords

    user = make_user(session, "nguoi.cu", Role.VIEWER)
    user.password_hash = PasswordHasher(time_cost=3, memory_cost=65_536, parallelism=4).hash(PASSWORD)
    authenticate(session, username="nguoi.cu", password=PASSWORD, now=NOW)
    params = extract_parameters(user.password_hash)
    assert (params.type.name, params.time_cost, params.memory_cost, params.parallelism) == ("ID", 2, 19_456, 1)
    assert passwords.verify_password(user.password_hash, PASSWORD) and not passwords.needs_rehash(user.password_hash)
    assert not passwords.verify_password(user.password_hash, PASSWORD + "x")


def test_naive_now_is_a_programming_error(session):
    with pytest.raises(ValueError):
        authenticate(session, username="x", password="y", now=dt.datetime(2024, 1, 1))


def test_nothing_returned_carries_the_password_or_hash(session):
    user = make_user(session, "vanphong", Role.ADMIN)
    actor = authenticate(session, username="vanphong", password=PASSWORD, now=NOW)
    assert PASSWORD not in repr(actor) and user.password_hash not in repr(actor)
    assert not hasattr(actor, "password_hash")


def test_sso_maps_by_subject_then_by_email_and_remembers_the_subject(session):
    user = make_user(session, "lanhdao", Role.LEADER)
    user.email = "lanh.dao@moha.gov.vn"
    session.flush()
    actor = actor_for_sso(session, subject="oidc|42", email="Lanh.Dao@MOHA.gov.vn", now=NOW)
    assert actor.user_id == user.id and user.sso_subject == "oidc|42" and user.last_login_at == NOW
    # The subject now wins, whatever e-mail the provider sends.
    assert actor_for_sso(session, subject="oidc|42", email="khac@moha.gov.vn").user_id == user.id


@pytest.mark.parametrize("case", ["unknown", "inactive", "shared_email", "linked_elsewhere", "no_subject"])
def test_sso_refuses_anything_but_one_active_account(session, case):
    a = make_user(session, "mot", Role.VIEWER)
    a.email = "chung@moha.gov.vn"
    subject, email = "oidc|7", "chung@moha.gov.vn"
    if case == "unknown":
        email = "la@moha.gov.vn"
    elif case == "inactive":
        a.active = False
    elif case == "shared_email":
        make_user(session, "hai", Role.VIEWER).email = "chung@moha.gov.vn"
    elif case == "linked_elsewhere":
        a.sso_subject = "oidc|khac"
    else:
        subject = " "
    session.flush()
    with pytest.raises(AuthFailed) as caught:
        actor_for_sso(session, subject=subject, email=email)
    assert str(caught.value) == SSO_NOT_ALLOWED == (
        "Tài khoản đăng nhập một lần này chưa được cấp quyền sử dụng hệ thống. Vui lòng liên hệ Văn phòng.")
    if case == "inactive":
        assert a.sso_subject is None
