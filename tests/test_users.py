"""Account management: only admins, every change audited without a password, the last admin kept,
and every change that matters ends the account's open sessions."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_user
from tracker.errors import NotFound, PermissionDenied, ValidationFailed
from tracker.models import AuditEvent, Role, User
from tracker.permissions import Actor
from tracker.services import users as svc
from tracker.services.auth import ACCOUNT_LIMIT, AuthFailed, authenticate

NOW = dt.datetime(2024, 9, 30, 8, 0, tzinfo=dt.timezone.utc)
NEW_PASSWORD = "Mật khẩu mới của Văn phòng"


@pytest.fixture
def admin(session):
    return Actor.of(make_user(session, "vanphong", Role.ADMIN))


@pytest.fixture
def target(session):
    return make_user(session, "nguoixem", Role.VIEWER)


def _audits(session, action=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return session.scalars(stmt).all()


ACTIONS = {
    "list_users": lambda s, a, t: svc.list_users(s, actor=a),
    "add_user": lambda s, a, t: svc.add_user(s, actor=a, username="moi.tao", password=PASSWORD,
                                             role=Role.VIEWER),
    "deactivate": lambda s, a, t: svc.set_active(s, actor=a, user_id=t.id, active=False),
    "reset_password": lambda s, a, t: svc.reset_password(s, actor=a, user_id=t.id, new_password=NEW_PASSWORD),
    "change_role": lambda s, a, t: svc.change_role(s, actor=a, user_id=t.id, role=Role.LEADER,
                                                   unit_code=None),
}
NON_ADMINS = {
    "anonymous": None,
    "unit_head": (Role.UNIT_HEAD, "VU-TCBC"),
    "leader": (Role.LEADER, None),
    "viewer": (Role.VIEWER, None),
}


@pytest.mark.parametrize("who", NON_ADMINS)
@pytest.mark.parametrize("action", ACTIONS)
def test_only_admins_manage_accounts(session, target, who, action):
    spec = NON_ADMINS[who]
    actor = None if spec is None else Actor.of(make_user(session, f"nguoi.{who}", *spec))
    version = target.auth_version
    with pytest.raises(PermissionDenied) as caught:
        ACTIONS[action](session, actor, target)
    assert str(caught.value) in ("Chỉ quản trị viên được quản lý tài khoản.", "Vui lòng đăng nhập.")
    assert target.active and target.role is Role.VIEWER and target.auth_version == version
    assert _audits(session) == []


@pytest.mark.parametrize("action", ACTIONS)
def test_admin_may_do_every_account_action(session, admin, target, action):
    assert ACTIONS[action](session, admin, target) is not None


def test_list_users_shows_role_unit_and_lock_but_no_hash(session, admin):
    head = make_user(session, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")
    head.email = "tp.hanoi@moha.gov.vn"
    head.locked_until = NOW + dt.timedelta(minutes=5)
    make_user(session, "da.nghi", Role.VIEWER).active = False
    rows = svc.list_users(session, actor=admin, now=NOW)
    assert [r.username for r in rows] == ["tp.hanoi", "vanphong", "da.nghi"]
    row = rows[0]
    assert (row.role, row.role_label, row.unit_code, row.email, row.locked) == (
        Role.UNIT_HEAD, "Trưởng đơn vị", "SNV-HA-NOI", "tp.hanoi@moha.gov.vn", True)
    assert "Hà Nội" in row.unit_name
    assert not rows[1].locked and not rows[2].active
    assert not any(hasattr(r, "password_hash") for r in rows)
    assert "$argon2" not in repr(rows)


def test_add_user_creates_an_account_that_can_sign_in_and_audits_it(session, admin):
    row = svc.add_user(session, actor=admin, username=" TP.DaNang ", password=PASSWORD, role=Role.UNIT_HEAD,
                       unit_code="SNV-DA-NANG", full_name=" Trưởng phòng Đà Nẵng ", email="TP@DaNang.gov.vn")
    assert (row.username, row.full_name, row.email, row.unit_code) == (
        "tp.danang", "Trưởng phòng Đà Nẵng", "tp@danang.gov.vn", "SNV-DA-NANG")
    assert authenticate(session, username="tp.danang", password=PASSWORD, now=NOW).unit_id is not None
    (event,) = _audits(session, "user_created")
    assert (event.actor_id, event.target_type, event.target_id) == (admin.user_id, "user", row.id)
    assert event.details == {"username": "tp.danang", "role": "unit_head", "unit": "SNV-DA-NANG"}


@pytest.mark.parametrize("kwargs, error, message", [
    ({"role": Role.UNIT_HEAD}, ValidationFailed, "Tài khoản Trưởng đơn vị phải gắn với một đơn vị."),
    ({"role": Role.UNIT_HEAD, "unit_code": "SNV-ATLANTIS"}, NotFound,
     "Không tìm thấy đơn vị “SNV-ATLANTIS”."),
    ({"username": "vanphong"}, ValidationFailed, "Tên đăng nhập “vanphong” đã tồn tại."),
    ({"username": "Tên có dấu"}, ValidationFailed, "Tên đăng nhập gồm 3–80 ký tự"),
    ({"password": "ngan"}, ValidationFailed, "Mật khẩu phải có ít nhất 8 ký tự."),
    ({"email": "khong-phai-thu"}, ValidationFailed, "Địa chỉ thư điện tử “khong-phai-thu” không hợp lệ."),
])
def test_add_user_refusals_are_explained(session, admin, kwargs, error, message):
    args = {"username": "moi.tao", "password": PASSWORD, "role": Role.VIEWER, **kwargs}
    with pytest.raises(error) as caught:
        svc.add_user(session, actor=admin, **args)
    assert str(caught.value).startswith(message)
    assert _audits(session) == []


def test_deactivation_ends_sessions_and_is_audited(session, admin, target):
    version = target.auth_version
    row = svc.set_active(session, actor=admin, user_id=target.id, active=False)
    assert not row.active and target.auth_version == version + 1
    with pytest.raises(AuthFailed):
        authenticate(session, username="nguoixem", password=PASSWORD, now=NOW)
    svc.set_active(session, actor=admin, user_id=target.id, active=True)
    assert authenticate(session, username="nguoixem", password=PASSWORD, now=NOW).user_id == target.id
    assert [e.action for e in _audits(session)] == ["user_deactivated", "user_activated"]


def test_an_admin_cannot_deactivate_themselves(session, admin):
    with pytest.raises(ValidationFailed, match="Bạn không thể tự khóa tài khoản của chính mình."):
        svc.set_active(session, actor=admin, user_id=admin.user_id, active=False)
    assert session.get(User, admin.user_id).active


def test_unknown_account_is_not_found(session, admin):
    with pytest.raises(NotFound, match="Không tìm thấy tài khoản số 987654."):
        svc.reset_password(session, actor=admin, user_id=987654, new_password=NEW_PASSWORD)


def test_reset_password_lifts_the_lock_ends_sessions_and_audits_no_password(session, admin, target):
    for _ in range(ACCOUNT_LIMIT.free):
        with pytest.raises(AuthFailed):
            authenticate(session, username="nguoixem", password="sai-mat-khau", now=NOW)
    assert target.locked_until is not None
    version = target.auth_version
    svc.reset_password(session, actor=admin, user_id=target.id, new_password=NEW_PASSWORD)
    assert (target.failed_logins, target.locked_until, target.auth_version) == (0, None, version + 1)
    assert authenticate(session, username="nguoixem", password=NEW_PASSWORD, now=NOW).user_id == target.id
    with pytest.raises(AuthFailed):
        authenticate(session, username="nguoixem", password=PASSWORD, now=NOW + dt.timedelta(minutes=2))
    (event,) = _audits(session, "user_password_reset")
    assert event.details == {"username": "nguoixem"}


def test_reset_password_applies_the_password_rules(session, admin, target):
    with pytest.raises(ValidationFailed, match="ít nhất 8 ký tự"):
        svc.reset_password(session, actor=admin, user_id=target.id, new_password="ngan")


def test_change_role_needs_a_unit_for_unit_heads_and_ends_sessions(session, admin, target):
    version = target.auth_version
    with pytest.raises(ValidationFailed, match="phải gắn với một đơn vị"):
        svc.change_role(session, actor=admin, user_id=target.id, role=Role.UNIT_HEAD, unit_code=" ")
    row = svc.change_role(session, actor=admin, user_id=target.id, role=Role.UNIT_HEAD, unit_code="VU-TCBC")
    assert (row.role, row.unit_code, target.auth_version) == (Role.UNIT_HEAD, "VU-TCBC", version + 1)
    (event,) = _audits(session, "user_role_changed")
    assert event.details == {"username": "nguoixem", "from_role": "viewer", "to_role": "unit_head",
                             "from_unit": None, "to_unit": "VU-TCBC"}
    # Saving the same role and unit again changes nothing and ends no session.
    svc.change_role(session, actor=admin, user_id=target.id, role=Role.UNIT_HEAD, unit_code="VU-TCBC")
    assert target.auth_version == version + 1 and len(_audits(session, "user_role_changed")) == 1


def test_the_last_active_admin_cannot_be_demoted_or_locked(session, admin):
    with pytest.raises(ValidationFailed, match="quản trị viên cuối cùng còn hoạt động"):
        svc.change_role(session, actor=admin, user_id=admin.user_id, role=Role.LEADER, unit_code=None)
    second = make_user(session, "vanphong2", Role.ADMIN)
    second.active = False
    session.flush()
    with pytest.raises(ValidationFailed, match="quản trị viên cuối cùng còn hoạt động"):
        svc.change_role(session, actor=admin, user_id=admin.user_id, role=Role.LEADER, unit_code=None)
    # With a second active admin, either may step down.
    svc.set_active(session, actor=admin, user_id=second.id, active=True)
    svc.change_role(session, actor=admin, user_id=admin.user_id, role=Role.LEADER, unit_code=None)
    assert session.get(User, admin.user_id).role is Role.LEADER


def test_locking_the_other_admin_leaves_one(session, admin):
    second = Actor.of(make_user(session, "vanphong2", Role.ADMIN))
    svc.set_active(session, actor=second, user_id=admin.user_id, active=False)
    with pytest.raises(ValidationFailed, match="tự khóa"):
        svc.set_active(session, actor=second, user_id=second.user_id, active=False)


def test_change_own_password(session, target):
    me = Actor.of(target)
    with pytest.raises(ValidationFailed, match="Mật khẩu hiện tại không đúng."):
        svc.change_own_password(session, actor=me, old_password="sai", new_password=NEW_PASSWORD)
    with pytest.raises(ValidationFailed, match="phải khác"):
        svc.change_own_password(session, actor=me, old_password=PASSWORD, new_password=PASSWORD)
    with pytest.raises(PermissionDenied, match="Vui lòng đăng nhập."):
        svc.change_own_password(session, actor=None, old_password=PASSWORD, new_password=NEW_PASSWORD)
    old_version = target.auth_version
    version = svc.change_own_password(session, actor=me, old_password=PASSWORD, new_password=NEW_PASSWORD)
    assert version == target.auth_version == old_version + 1
    assert authenticate(session, username="nguoixem", password=NEW_PASSWORD, now=NOW).user_id == target.id
    (event,) = _audits(session, "password_changed")
    assert (event.actor_id, event.target_id) == (target.id, target.id)
    assert event.details == {"username": "nguoixem"}


def test_no_audit_event_ever_holds_a_password_or_hash(session, admin, target):
    svc.add_user(session, actor=admin, username="moi.tao", password=PASSWORD, role=Role.VIEWER)
    svc.reset_password(session, actor=admin, user_id=target.id, new_password=NEW_PASSWORD)
    svc.change_role(session, actor=admin, user_id=target.id, role=Role.LEADER, unit_code=None)
    svc.set_active(session, actor=admin, user_id=target.id, active=False)
    svc.change_own_password(session, actor=admin, old_password=PASSWORD, new_password=NEW_PASSWORD + "!")
    events = _audits(session)
    assert len(events) == 5
    dumped = json.dumps([e.details for e in events], ensure_ascii=False)
    assert PASSWORD not in dumped and NEW_PASSWORD not in dumped and "argon2" not in dumped
    assert "password" not in dumped.lower()
