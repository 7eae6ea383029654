"""The login gate and the Tài khoản page through AppTest."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.factories import PASSWORD, make_user, sign_in
from tracker.db import session_scope
from tracker.models import AuditEvent, Role, User, UserSession
from tracker.permissions import Actor
from tracker.services.auth import GENERIC_FAILURE, SSO_NOT_ALLOWED
from tracker.services.users import reset_password
from tracker.ui.auth import EXPIRED_MESSAGE, NO_ACCESS_MESSAGE, SESSION_KEY

TIMEOUT = 30
ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
USERS_PAGE = ROOT / "pages" / "users.py"
SSO_SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                        "client_id": "tracker", "client_secret": "s",
                        "server_metadata_url": "https://sso.example/.well-known/openid-configuration"}}


def _age_session(engine, session_id: int, *, minutes: int) -> None:
    """Pretend the browser's session was last seen `minutes` ago."""
    with session_scope(engine) as s:
        row = s.get(UserSession, session_id)
        row.last_seen_at = row.last_seen_at - dt.timedelta(minutes=minutes)


@pytest.fixture
def accounts(db_env, engine):
    with session_scope(engine) as s:
        return {
            "admin": make_user(s, "vanphong", Role.ADMIN),
            "head": make_user(s, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI"),
            "viewer": make_user(s, "nguoixem", Role.VIEWER),
        }


def _user(engine, username):
    with session_scope(engine) as s:
        return s.scalars(select(User).where(User.username == username)).one()


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def _login(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return at.button(key="login_submit").click().run()


def _sidebar_buttons(at):
    return [b.label for b in at.sidebar.button]


def _errors(at):
    return [e.value for e in at.error]


def _shows_login_form(at) -> bool:
    labels = [t.label for t in at.text_input]
    submit = at.button(key="login_submit")
    return "Tên đăng nhập" in labels and "Mật khẩu" in labels and submit.label == "Đăng nhập"


def test_without_a_session_only_the_login_form_shows(accounts):
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "Đăng nhập"
    assert _shows_login_form(at)
    password = at.text_input(key="login_password").proto
    assert password.type == password.PASSWORD
    assert "Đăng xuất" not in _sidebar_buttons(at)
    assert not any(b.label == "Đăng nhập một lần (SSO)" for b in at.button)
    assert not any("chưa có tài khoản quản trị" in i.value for i in at.info)


def test_a_fresh_install_tells_how_to_make_the_first_admin(db_env):
    at = _app().run()
    assert _shows_login_form(at)
    hint = [i.value for i in at.info if "chưa có tài khoản quản trị" in i.value]
    assert hint and "python -m tracker user add" in hint[0] and "--role admin" in hint[0]


def test_wrong_password_shows_the_generic_error_and_is_counted(accounts, engine):
    at = _login(_app().run(), "tp.hanoi", "sai-mat-khau")
    assert not at.exception
    assert _errors(at) == [GENERIC_FAILURE]
    assert _shows_login_form(at) and at.text_input(key="login_password").value == ""
    assert _user(engine, "tp.hanoi").failed_logins == 1
    at = _login(at, "khong-ton-tai", "sai-mat-khau")
    assert _errors(at) == [GENERIC_FAILURE]


def test_read_only_users_land_on_the_dashboard(accounts):
    at = _login(_app().run(), "nguoixem", PASSWORD)
    assert not at.exception, at.exception
    assert at.title[0].value == "Tổng quan"


def test_admin_signs_in_lands_on_a_page_and_signs_out(accounts, engine):
    at = _login(_app().run(), "VanPhong", PASSWORD)
    assert not at.exception, at.exception
    assert not _errors(at)
    assert "Đăng xuất" in _sidebar_buttons(at)
    assert at.title[0].value == "Việc của tôi"
    sidebar = " ".join(m.value for m in at.sidebar.markdown) + " ".join(c.value for c in at.sidebar.caption)
    assert "Người dùng vanphong" in sidebar and "Quản trị (Văn phòng truyền thông)" in sidebar
    assert _user(engine, "vanphong").last_login_at is not None

    at.sidebar.button(key="logout").click().run()
    assert not at.exception
    assert _shows_login_form(at) and SESSION_KEY not in at.session_state


def test_sidebar_shows_the_unit_of_a_unit_head(accounts):
    at = _app()
    sign_in(at, accounts["head"])
    at.run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Trưởng đơn vị" in captions and "Hà Nội" in captions


def test_a_user_changes_their_own_password_and_stays_signed_in(accounts, engine):
    at = _app()
    sign_in(at, accounts["viewer"])
    at.run()
    at.sidebar.text_input(key="account_old_password").input("sai-mat-khau")
    at.sidebar.text_input(key="account_new_password").input("mat-khau-moi-123")
    at.sidebar.text_input(key="account_new_password2").input("mat-khau-moi-123")
    at.sidebar.button(key="account_password_submit").click().run()
    assert _errors(at) == ["Mật khẩu hiện tại không đúng."]

    at.sidebar.text_input(key="account_old_password").input(PASSWORD)
    at.sidebar.text_input(key="account_new_password").input("mat-khau-moi-123")
    at.sidebar.text_input(key="account_new_password2").input("mat-khau-moi-123")
    at.sidebar.button(key="account_password_submit").click().run()
    assert not at.exception and not _errors(at)
    assert [s.value for s in at.success] == ["Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."]
    assert _user(engine, "nguoixem").auth_version == accounts["viewer"].auth_version + 1
    at.run()
    assert "Đăng xuất" in _sidebar_buttons(at)  # this session carries on


def test_an_idle_session_expires_with_one_message(accounts, engine, monkeypatch):
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "30")
    at = _app()
    user = accounts["admin"]
    session_id = sign_in(at, user)
    _age_session(engine, session_id, minutes=31)
    at.run()
    assert not at.exception
    assert _shows_login_form(at)
    assert [w.value for w in at.warning] == [EXPIRED_MESSAGE]
    at.run()
    assert not at.warning  # shown once


def test_a_password_reset_ends_the_open_session(accounts, engine):
    at = _app()
    sign_in(at, accounts["head"])
    at.run()
    assert "Đăng xuất" in _sidebar_buttons(at)
    with session_scope(engine) as s:
        reset_password(s, actor=Actor.of(accounts["admin"]), user_id=accounts["head"].id,
                       new_password="mat-khau-moi-123")
    at.run()
    assert _shows_login_form(at) and "Đăng xuất" not in _sidebar_buttons(at)


def _users_page(user=None) -> AppTest:
    at = AppTest.from_file(str(USERS_PAGE), default_timeout=TIMEOUT)
    if user is not None:
        sign_in(at, user)
    return at.run()


@pytest.mark.parametrize("who", [None, "head", "viewer"])
def test_users_page_refuses_everyone_but_admins(accounts, who):
    at = _users_page(accounts[who] if who else None)
    assert not at.exception
    assert _errors(at) == [NO_ACCESS_MESSAGE] == ["Bạn không có quyền truy cập trang này."]
    assert not at.dataframe


def test_admin_sees_accounts_in_the_menu_and_the_table(accounts):
    at = _app()
    sign_in(at, accounts["admin"])
    at.run()
    at.switch_page("pages/users.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Tài khoản"
    table = at.dataframe[0].value
    assert sorted(table["Tên đăng nhập"]) == ["nguoixem", "tp.hanoi", "vanphong"]
    assert not any("argon2" in str(v) for v in table.to_numpy().ravel())


def test_admin_adds_a_unit_head(accounts, engine):
    at = _users_page(accounts["admin"])
    at.text_input(key="users_add_username").input("tp.danang")
    at.text_input(key="users_add_full_name").input("Trưởng phòng Đà Nẵng")
    at.selectbox(key="users_add_role").select(Role.UNIT_HEAD)
    at.text_input(key="users_add_password").input("mat-khau-da-nang")
    at.text_input(key="users_add_password2").input("mat-khau-da-nang")
    at.button(key="users_add_submit").click().run()
    assert _errors(at) == ["Tài khoản Trưởng đơn vị phải gắn với một đơn vị."]

    at.selectbox(key="users_add_unit").select("SNV-DA-NANG")
    at.text_input(key="users_add_password").input("mat-khau-da-nang")
    at.text_input(key="users_add_password2").input("mat-khau-da-nang")
    at.button(key="users_add_submit").click().run()
    assert not at.exception and not _errors(at)
    assert [s.value for s in at.success] == ["Đã tạo tài khoản “tp.danang”."]
    assert "tp.danang" in list(at.dataframe[0].value["Tên đăng nhập"])
    assert _user(engine, "tp.danang").unit_id is not None


def test_mismatched_passwords_are_refused_on_the_page(accounts, engine):
    at = _users_page(accounts["admin"])
    at.text_input(key="users_add_username").input("nguoi.moi")
    at.text_input(key="users_add_password").input("mat-khau-mot")
    at.text_input(key="users_add_password2").input("mat-khau-hai")
    at.button(key="users_add_submit").click().run()
    assert _errors(at) == ["Hai lần nhập mật khẩu không khớp."]
    with session_scope(engine) as s:
        assert s.scalars(select(User).where(User.username == "nguoi.moi")).first() is None


def test_deactivation_needs_a_confirmation(accounts, engine):
    at = _users_page(accounts["admin"])
    at.selectbox(key="users_pick").select(accounts["viewer"].id).run()
    assert at.button(key="users_deactivate").disabled
    at.checkbox(key="users_confirm_deactivate").check().run()
    at.button(key="users_deactivate").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Đã khóa tài khoản “nguoixem”."]
    assert not _user(engine, "nguoixem").active
    assert at.button(key="users_activate").label == "Mở khóa tài khoản"


def test_self_deactivation_shows_the_service_error(accounts, engine):
    at = _users_page(accounts["admin"])
    at.selectbox(key="users_pick").select(accounts["admin"].id).run()
    at.checkbox(key="users_confirm_deactivate").check().run()
    at.button(key="users_deactivate").click().run()
    assert _errors(at) == ["Bạn không thể tự khóa tài khoản của chính mình."]
    assert _user(engine, "vanphong").active


def test_admin_resets_a_password_and_changes_a_role(accounts, engine):
    at = _users_page(accounts["admin"])
    head = accounts["head"]
    at.selectbox(key="users_pick").select(head.id).run()
    at.text_input(key="users_reset_password").input("mat-khau-moi-123")
    at.text_input(key="users_reset_password2").input("mat-khau-moi-123")
    at.button(key="users_reset_submit").click().run()
    assert not _errors(at) and "Đã đặt lại mật khẩu cho “tp.hanoi”" in at.success[0].value

    at.selectbox(key=f"users_role_{head.id}").select(Role.LEADER)
    at.selectbox(key=f"users_role_unit_{head.id}").select_index(0)  # — Không gắn đơn vị —
    at.button(key="users_role_submit").click().run()
    assert not at.exception and not _errors(at)
    assert [s.value for s in at.success] == ["Đã cập nhật vai trò của “tp.hanoi”."]
    user = _user(engine, "tp.hanoi")
    assert (user.role, user.unit_id, user.auth_version) == (Role.LEADER, None, head.auth_version + 2)
    with session_scope(engine) as s:
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user_password_reset", "user_role_changed"]


def test_sso_signs_in_a_known_account(accounts, engine):
    with session_scope(engine) as s:
        s.get(User, accounts["viewer"].id).email = "nguoi.xem@moha.gov.vn"
    at = _app()
    at.secrets = SSO_SECRETS
    at.user = {"is_logged_in": True, "sub": "oidc|99", "email": "Nguoi.Xem@moha.gov.vn"}
    at.run()
    assert not at.exception, at.exception
    assert "Đăng xuất" in _sidebar_buttons(at)
    assert _user(engine, "nguoixem").sso_subject == "oidc|99"
    assert not [t for t in at.sidebar.text_input if t.key == "account_old_password"]  # no password to change


def test_sso_refuses_an_unknown_identity_and_offers_the_sso_button_otherwise(accounts):
    at = _app()
    at.secrets = SSO_SECRETS
    at.user = {"is_logged_in": True, "sub": "oidc|la", "email": "la@example.com"}
    at.run()
    assert not at.exception
    assert _shows_login_form(at) and _errors(at) == [SSO_NOT_ALLOWED]

    at = _app()
    at.secrets = SSO_SECRETS
    at.user = {"is_logged_in": False}
    at.run()
    assert at.button(key="login_sso").label == "Đăng nhập một lần (SSO)"


def test_an_idle_sso_session_also_ends_the_identity_cookie(accounts, engine):
    with session_scope(engine) as s:
        s.get(User, accounts["viewer"].id).sso_subject = "oidc|99"
    at = _app()
    at.secrets = SSO_SECRETS
    at.user = {"is_logged_in": True, "sub": "oidc|99"}
    at.run()
    assert "Đăng xuất" in _sidebar_buttons(at)
    _age_session(engine, at.session_state[SESSION_KEY]["session_id"], minutes=31)
    at.run()
    assert not at.exception
    assert at.user == {"is_logged_in": False}  # st.logout(): a reload does not sign straight back in
    assert _shows_login_form(at) and "Đăng xuất" not in _sidebar_buttons(at)


def test_admin_sees_a_users_sessions_and_ends_them(accounts, engine):
    head_tab = _app()
    head_session = sign_in(head_tab, accounts["head"])
    head_tab.run()
    assert "Đăng xuất" in _sidebar_buttons(head_tab)

    at = _users_page(accounts["admin"])
    at.selectbox(key="users_pick").select(accounts["head"].id).run()
    assert not at.exception, at.exception
    table = at.dataframe[1].value  # after the accounts table
    assert list(table.columns) == ["Máy và trình duyệt", "Bắt đầu", "Hoạt động gần nhất"]
    assert len(table) == 1 and table.iloc[0]["Máy và trình duyệt"] == "AppTest"
    at.button(key="users_end_sessions").click().run()
    assert not at.exception and not _errors(at)
    assert [s.value for s in at.success] == ["Đã kết thúc các phiên đăng nhập của “tp.hanoi”."]
    with session_scope(engine) as s:
        assert s.get(UserSession, head_session).end_reason == "ended_by_office"
    head_tab.run()  # the person's next click
    assert _shows_login_form(head_tab)
