"""Sign-in for the app: the login form, the idle timeout, per-page guards and the sidebar user box.

Only plain data is kept in st.session_state (user id, auth_version, last activity, SSO flag);
the account is re-read on every run, so a password reset, a deactivation or a role change
ends open sessions at the next click.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import streamlit as st

from tracker.config import database_url
from tracker.db import session_scope
from tracker.errors import DatabaseUnavailable, TrackerError
from tracker.models import Role
from tracker.permissions import Actor
from tracker.services import units as unit_service
from tracker.services.auth import AuthFailed, actor_for_sso, auth_version_of, authenticate, load_actor
from tracker.services.users import ROLE_LABELS, change_own_password, has_active_admin
from tracker.ui.engine import engine_for, get_engine
from tracker.ui.text import md

SESSION_KEY = "auth"
TIMEOUT_ENV = "TRACKER_SESSION_TIMEOUT_MINUTES"
DEFAULT_TIMEOUT_MINUTES = 30
EXPIRED_MESSAGE = "Phiên làm việc đã hết hạn, vui lòng đăng nhập lại."
NO_ACCESS_MESSAGE = "Bạn không có quyền truy cập trang này."
_EXPIRED_FLAG = "auth_expired"
_LOGIN_ERROR = "auth_login_error"
_SSO_ERROR = "auth_sso_error"


def timeout_minutes() -> float:
    """Idle minutes before a session ends: TRACKER_SESSION_TIMEOUT_MINUTES, default 30."""
    try:
        value = float(os.environ.get(TIMEOUT_ENV, "") or DEFAULT_TIMEOUT_MINUTES)
    except ValueError:
        return DEFAULT_TIMEOUT_MINUTES
    return value if value > 0 else DEFAULT_TIMEOUT_MINUTES


def session_record(*, user_id: int, auth_version: int, sso: bool = False,
                   last_seen: float | None = None) -> dict:
    """What st.session_state keeps about a sign-in (also how tests sign a user in)."""
    return {"user_id": user_id, "auth_version": auth_version, "sso": sso,
            "last_seen": time.time() if last_seen is None else last_seen}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def sso_enabled() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (OpenID Connect)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _end_session(*, expired: bool) -> None:
    record = st.session_state.pop(SESSION_KEY, None) or {}
    if expired:
        st.session_state[_EXPIRED_FLAG] = True
    if record.get("sso"):
        # The identity cookie would sign the person straight back in: end it too.
        st.logout()


def _sso_sign_in() -> Actor | None:
    """Map a signed-in OpenID Connect identity onto an account, once per browser session."""
    if not sso_enabled() or not st.user.get("is_logged_in", False) or _SSO_ERROR in st.session_state:
        return None
    try:
        with session_scope(get_engine()) as session:
            actor = actor_for_sso(session, subject=str(st.user.get("sub") or ""),
                                  email=st.user.get("email"), now=_utcnow())
            version = auth_version_of(session, user_id=actor.user_id)
    except AuthFailed as exc:
        st.session_state[_SSO_ERROR] = str(exc)
        return None
    st.session_state[SESSION_KEY] = session_record(user_id=actor.user_id, auth_version=version, sso=True)
    return actor


def current_actor() -> Actor | None:
    """The signed-in person, re-validated against the database, or None (idle timeout enforced)."""
    record = st.session_state.get(SESSION_KEY)
    if record is None:
        return _sso_sign_in()
    now = time.time()
    if now - record["last_seen"] > timeout_minutes() * 60:
        _end_session(expired=True)
        return None
    with session_scope(get_engine()) as session:
        actor = load_actor(session, user_id=record["user_id"], auth_version=record["auth_version"])
    if actor is None:
        _end_session(expired=True)
        return None
    st.session_state[SESSION_KEY] = {**record, "last_seen": now}
    return actor


def _submit_login() -> None:
    """Form callback: check the password before the rerun, and never keep it in the form."""
    username = st.session_state.get("login_username", "")
    password = st.session_state.get("login_password", "")
    st.session_state["login_password"] = ""
    error = None
    # AuthFailed is caught inside the scope so the failure counter (the throttle) commits.
    try:
        with session_scope(get_engine()) as session:
            try:
                actor = authenticate(session, username=username, password=password, now=_utcnow())
                version = auth_version_of(session, user_id=actor.user_id)
            except AuthFailed as exc:
                error = str(exc)
    except DatabaseUnavailable as exc:  # locked or unreachable: say so, nobody is signed in
        error = str(exc)
    if error is not None:
        st.session_state[_LOGIN_ERROR] = error
        return
    st.session_state.pop(_EXPIRED_FLAG, None)
    st.session_state[SESSION_KEY] = session_record(user_id=actor.user_id, auth_version=version)


def login_form() -> None:
    """The sign-in page: username and password, plus single sign-on when configured."""
    st.title("Đăng nhập", anchor=False)
    if st.session_state.pop(_EXPIRED_FLAG, False):
        st.warning(EXPIRED_MESSAGE)
    with st.form("login_form"):
        st.text_input("Tên đăng nhập", key="login_username", autocomplete="username")
        st.text_input("Mật khẩu", type="password", key="login_password", autocomplete="current-password")
        st.form_submit_button("Đăng nhập", type="primary", key="login_submit", on_click=_submit_login)
    if error := st.session_state.pop(_LOGIN_ERROR, None):
        st.error(error)
    with session_scope(get_engine()) as session:
        first_run = not has_active_admin(session)
    if first_run:
        st.info("Hệ thống chưa có tài khoản quản trị. Trên máy chủ, tạo tài khoản đầu tiên bằng lệnh  \n"
                "`.venv/bin/python -m tracker user add TEN_DANG_NHAP --role admin`  \n"
                "(mật khẩu được hỏi khi chạy lệnh), rồi đăng nhập tại đây.", icon=":material/info:")
    if sso_enabled():
        if sso_error := st.session_state.get(_SSO_ERROR):
            st.error(sso_error)
            if st.button("Đăng xuất khỏi đăng nhập một lần", key="login_sso_logout"):
                st.session_state.pop(_SSO_ERROR, None)
                st.logout()
        elif st.button("Đăng nhập một lần (SSO)", key="login_sso"):
            st.login()


def require_actor(*roles: Role) -> Actor:
    """The signed-in actor, or stop the page with an access error (wrong role or not signed in)."""
    actor = current_actor()
    if actor is None or (roles and actor.role not in roles):
        st.error(NO_ACCESS_MESSAGE)
        st.stop()
    return actor


@st.cache_data(ttl=600, show_spinner=False)
def _unit_names(url: str) -> dict[int, str]:
    with session_scope(engine_for(url)) as session:
        return {u.id: u.name for u in unit_service.list_units(session)}


def logout_button() -> None:
    """'Đăng xuất' in the sidebar: forget the sign-in and everything this browser session held."""
    if st.sidebar.button("Đăng xuất", key="logout", icon=":material/logout:"):
        sso = (st.session_state.get(SESSION_KEY) or {}).get("sso", False)
        st.session_state.clear()
        if sso:
            st.logout()
        st.rerun()


def _own_password_form(actor: Actor) -> None:
    with st.popover("Đổi mật khẩu", icon=":material/key:"):
        with st.form("account_password_form", clear_on_submit=True):
            old = st.text_input("Mật khẩu hiện tại", type="password", key="account_old_password")
            new = st.text_input("Mật khẩu mới", type="password", key="account_new_password")
            again = st.text_input("Nhập lại mật khẩu mới", type="password", key="account_new_password2")
            if not st.form_submit_button("Lưu mật khẩu mới", key="account_password_submit"):
                return
        if new != again:
            st.error("Hai lần nhập mật khẩu mới không khớp.")
            return
        try:
            with session_scope(get_engine()) as session:
                version = change_own_password(session, actor=actor, old_password=old, new_password=new)
        except TrackerError as exc:
            st.error(md(str(exc)))
            return
        st.session_state[SESSION_KEY] = {**st.session_state[SESSION_KEY], "auth_version": version}
        st.success("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.")


def user_box(actor: Actor) -> None:
    """The sidebar block: who is signed in (name, role, unit), change password, sign out."""
    with st.sidebar:
        with st.container(border=True):
            st.markdown(f"**{md(actor.display_name)}**")
            unit = _unit_names(database_url(st.secrets)).get(actor.unit_id) if actor.unit_id else None
            st.caption(" · ".join(filter(None, [ROLE_LABELS[actor.role], unit])))
            if not (st.session_state.get(SESSION_KEY) or {}).get("sso"):
                _own_password_form(actor)
    logout_button()
