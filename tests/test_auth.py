"""Signing in: one message for every failure, per-account throttling that survives the transaction,
sessions that end when the account changes, and single sign-on onto existing accounts only."""

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tests.factories import PASSWORD, make_user
from tracker.db import session_scope
from tracker.models import Role, User
from tracker.services import auth
from tracker.services.auth import (GENERIC_FAILURE, LOCK_MINUTES, MAX_FAILURES, SSO_NOT_ALLOWED, AuthFailed,
                                   actor_for_sso, authenticate, load_actor)
from tracker.services.users import reset_password

NOW = dt.datetime(2024, 9, 30, 8, 0, tzinfo=dt.timezone.utc)


def _user(session, username):
    return session.scalars(select(User).where(User.username == username)).one()


def _fail(session, username, password="sai-mat-khau", now=NOW):
    with pytest.raises(AuthFailed) as caught:
        authenticate(session, username=username, password=password, now=now)
    return str(caught.value)


def test_right_password_signs_in_and_resets_the_counter(session):
    make_user(session, "vanphong", Role.ADMIN)
    _fail(session, "vanphong")
    actor = authenticate(session, username="  VanPhong ", password=PASSWORD, now=NOW)
    user = _user(session, "vanphong")
    assert (actor.user_id, actor.role) == (user.id, Role.ADMIN)
    assert user.failed_logins == 0 and user.locked_until is None
    assert user.last_login_at == NOW


def test_the_throttle_is_five_failures_then_a_quarter_hour():
    assert (MAX_FAILURES, LOCK_MINUTES) == (5, 15)


def test_five_failures_lock_the_account_for_lock_minutes(session):
    make_user(session, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")
    for attempt in range(MAX_FAILURES):
        _fail(session, "tp.hanoi", now=NOW + dt.timedelta(seconds=attempt))
    user = _user(session, "tp.hanoi")
    assert user.locked_until == NOW + dt.timedelta(seconds=MAX_FAILURES - 1, minutes=LOCK_MINUTES)

    # The sixth attempt, with the right password, is refused while the lock lasts...
    during = NOW + dt.timedelta(minutes=LOCK_MINUTES - 1)
    assert _fail(session, "tp.hanoi", PASSWORD, now=during) == GENERIC_FAILURE
    # ...and works once it is over, starting a fresh count.
    later = NOW + dt.timedelta(minutes=LOCK_MINUTES, seconds=MAX_FAILURES)
    assert authenticate(session, username="tp.hanoi", password=PASSWORD, now=later).username == "tp.hanoi"
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_attempts_during_the_lock_neither_check_the_password_nor_extend_it(session, monkeypatch):
    make_user(session, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")
    for _ in range(MAX_FAILURES):
        _fail(session, "tp.hanoi")
    user = _user(session, "tp.hanoi")
    locked_until, real_hash = user.locked_until, user.password_hash
    checked = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checked.append(h) or real_verify(h, p))
    _fail(session, "tp.hanoi", PASSWORD, now=NOW + dt.timedelta(minutes=1))
    assert real_hash not in checked and len(checked) == 1  # one dummy verify, for equal timing
    assert user.locked_until == locked_until and user.failed_logins == MAX_FAILURES


def test_a_lock_expires_and_one_more_failure_does_not_relock(session):
    make_user(session, "lanhdao", Role.LEADER)
    for _ in range(MAX_FAILURES):
        _fail(session, "lanhdao")
    _fail(session, "lanhdao", now=NOW + dt.timedelta(minutes=LOCK_MINUTES + 1))
    user = _user(session, "lanhdao")
    assert (user.failed_logins, user.locked_until) == (1, None)


def _locked(session):
    make_user(session, "bikhoa", Role.VIEWER)
    for _ in range(MAX_FAILURES):
        _fail(session, "bikhoa")
    return "bikhoa", PASSWORD


def _inactive(session):
    make_user(session, "nghiviec", Role.VIEWER).active = False
    return "nghiviec", PASSWORD


def _wrong_password(session):
    make_user(session, "nguoixem", Role.VIEWER)
    return "nguoixem", "khong-phai-mat-khau"


def _unknown(session):
    return "khong-ton-tai", PASSWORD


def _blank(session):
    return "   ", ""


@pytest.mark.parametrize("case", [_unknown, _wrong_password, _inactive, _locked, _blank])
def test_every_failure_has_the_same_generic_message(session, case):
    username, password = case(session)
    message = _fail(session, username, password)
    assert message == GENERIC_FAILURE == (
        "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản tạm thời bị khóa. Vui lòng thử lại.")


def test_unknown_user_still_costs_an_argon2_verify(session, monkeypatch):
    checked = []
    real_verify = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checked.append(h) or real_verify(h, p))
    _fail(session, "khong-ton-tai")
    assert len(checked) == 1 and checked[0].startswith("$argon2")


def test_failed_attempts_are_committed_although_auth_failed_is_raised(engine):
    with session_scope(engine) as s:
        make_user(s, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")
    for attempt in range(MAX_FAILURES):
        # The pattern tracker/ui/auth.py uses: catch inside the scope, so the scope commits.
        with session_scope(engine) as s:
            try:
                authenticate(s, username="tp.hanoi", password="sai", now=NOW + dt.timedelta(seconds=attempt))
            except AuthFailed:
                pass
        with session_scope(engine) as s:
            assert _user(s, "tp.hanoi").failed_logins == attempt + 1
    with session_scope(engine) as s:
        assert _user(s, "tp.hanoi").locked_until is not None
        with pytest.raises(AuthFailed):
            authenticate(s, username="tp.hanoi", password=PASSWORD, now=NOW + dt.timedelta(minutes=1))


def test_parallel_failures_are_all_counted(engine):
    with session_scope(engine) as s:
        make_user(s, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")
    with session_scope(engine) as slow:
        assert _user(slow, "tp.hanoi").failed_logins == 0  # read before the other attempt lands
        with session_scope(engine) as fast:
            _fail(fast, "tp.hanoi")
        _fail(slow, "tp.hanoi")
    with session_scope(engine) as s:
        assert _user(s, "tp.hanoi").failed_logins == 2


def test_an_outdated_hash_is_upgraded_on_sign_in(session):
    user = make_user(session, "nguoi.cu", Role.VIEWER)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    old = user.password_hash
    authenticate(session, username="nguoi.cu", password=PASSWORD, now=NOW)
    assert user.password_hash != old and user.password_hash.startswith("$argon2")
    assert authenticate(session, username="nguoi.cu", password=PASSWORD, now=NOW).username == "nguoi.cu"


def test_naive_now_is_a_programming_error(session):
    with pytest.raises(ValueError):
        authenticate(session, username="x", password="y", now=dt.datetime(2024, 1, 1))


def test_nothing_returned_carries_the_password_or_hash(session):
    user = make_user(session, "vanphong", Role.ADMIN)
    actor = authenticate(session, username="vanphong", password=PASSWORD, now=NOW)
    assert PASSWORD not in repr(actor) and user.password_hash not in repr(actor)
    assert not hasattr(actor, "password_hash")


def test_load_actor_ends_sessions_when_the_account_changes(session):
    admin = make_user(session, "vanphong", Role.ADMIN)
    user = make_user(session, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")
    version = user.auth_version
    assert load_actor(session, user_id=user.id, auth_version=version).unit_id == user.unit_id

    reset_password(session, actor=load_actor(session, user_id=admin.id, auth_version=admin.auth_version),
                   user_id=user.id, new_password="mat-khau-moi-123")
    assert load_actor(session, user_id=user.id, auth_version=version) is None
    assert load_actor(session, user_id=user.id, auth_version=user.auth_version) is not None

    user.active = False
    session.flush()
    assert load_actor(session, user_id=user.id, auth_version=user.auth_version) is None
    assert load_actor(session, user_id=987654, auth_version=1) is None


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
