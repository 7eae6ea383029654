"""Sign-in for the app: the login form, sessions that outlive a reload, per-page guards, the user box.

A sign-in is a session row in the database (tracker/services/sessions.py) named by a random
token in the browser's cookie; st.session_state keeps only the row's id. Every run re-reads the
session and the account, so sign-out in another tab, the idle timeout, the absolute lifetime,
a password reset, a deactivation or a role change end it at the next click, and every write
checks it again in its own transaction (tracker/permissions.py).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from tracker import clock
from tracker.config import database_url
from tracker.db import session_scope
from tracker.errors import DatabaseUnavailable, TrackerError
from tracker.models import Role
from tracker.permissions import Actor
from tracker.services import sessions as session_rules
from tracker.services import units as unit_service
from tracker.services.auth import AuthFailed, actor_for_sso, authenticate, begin_session, resume, sign_out
from tracker.services.users import ROLE_LABELS, change_own_password, has_active_admin
from tracker.text import format_date
from tracker.ui import cookie
from tracker.ui.data import catalog_read
from tracker.ui.engine import engine_for, get_engine
from tracker.ui.text import md

SESSION_KEY = "auth"
EXPIRED_MESSAGE = "Phiên làm việc đã hết hạn, vui lòng đăng nhập lại."
NO_ACCESS_MESSAGE = "Bạn không có quyền truy cập trang này."
_EXPIRED_FLAG = "auth_expired"
_LOGIN_ERROR = "auth_login_error"
_SSO_ERROR = "auth_sso_error"
# Reasons a session ends that deserve "your session expired" rather than a plain sign-in form.
_EXPIRY_REASONS = {session_rules.IDLE, session_rules.LIFETIME, session_rules.ACCOUNT}


def session_record(*, user_id: int, session_id: int, sso: bool = False) -> dict:
    """What st.session_state keeps about a sign-in (also how tests sign a user in)."""
    return {"user_id": user_id, "session_id": session_id, "sso": sso}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def client_description() -> str:
    """The browser and address a session was started from, for the accounts page."""
    try:
        agent, address = st.context.headers.get("User-Agent"), st.context.ip_address
    except Exception:  # a bare run has no request
        return ""
    parts = [p for p in (address, agent) if isinstance(p, str) and p]  # AppTest's context is a stand-in
    return " · ".join(parts)[:session_rules.CLIENT_MAX]


def client_address() -> str:
    """The address this browser connects from (the throttle's key), or '' when unknown."""
    try:
        address = st.context.ip_address
    except Exception:
        return ""
    return address if isinstance(address, str) else ""


def _start(session, user_id: int, *, sso: bool = False) -> Actor:
    """Begin a database session for a just-authenticated account and have the cookie written."""
    actor, token = begin_session(session, user_id=user_id, client=client_description(), now=_utcnow())
    st.session_state.pop(_EXPIRED_FLAG, None)
    st.session_state[SESSION_KEY] = session_record(user_id=actor.user_id, session_id=actor.session_id, sso=sso)
    cookie.set_later(token, max_age_seconds=int(session_rules.max_lifetime().total_seconds()))
    return actor


def sso_enabled() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (OpenID Connect)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _end_session(*, expired: bool) -> None:
    record = st.session_state.pop(SESSION_KEY, None) or {}
    cookie.clear_later()
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
            return _start(session, actor.user_id, sso=True)
    except AuthFailed as exc:
        st.session_state[_SSO_ERROR] = str(exc)
        return None


def current_actor() -> Actor | None:
    """The signed-in person: this tab's session, else the cookie's, re-validated; or None."""
    record = st.session_state.get(SESSION_KEY)
    token = None if record is not None else cookie.read()
    if record is None and token is None:
        return _sso_sign_in()
    with session_scope(get_engine()) as session:
        found = resume(session, now=_utcnow(), token=token,
                       session_id=record["session_id"] if record is not None else None)
    if found.actor is None:
        if record is not None or found.reason in _EXPIRY_REASONS:
            _end_session(expired=found.reason in _EXPIRY_REASONS)
        else:
            cookie.clear_later()  # a stale or copied token: forget it quietly
        return None
    if record is None:  # a reload or a new tab: the cookie's session; SSO's identity cookie ends with it
        sso = sso_enabled() and bool(st.user.get("is_logged_in", False))
        st.session_state[SESSION_KEY] = session_record(user_id=found.actor.user_id,
                                                       session_id=found.actor.session_id, sso=sso)
    return found.actor


def _submit_login() -> None:
    """Form callback: check the password before the rerun, and never keep it in the form."""
    username = st.session_state.get("login_username", "")
    password = st.session_state.get("login_password", "")
    st.session_state["login_password"] = ""
    error = None
    # authenticate() commits the attempt counts itself and checks the password outside any write
    # transaction; the session row is this scope's own short commit.
    try:
        with session_scope(get_engine()) as session:
            try:
                actor = authenticate(session, username=username, password=password, now=_utcnow(),
                                     address=client_address())
                _start(session, actor.user_id)
            except AuthFailed as exc:
                error = str(exc)
    except DatabaseUnavailable as exc:  # locked or unreachable: say so, nobody is signed in
        error = str(exc)
    if error is not None:
        st.session_state[_LOGIN_ERROR] = error


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
    from tracker.ui.dashboard_view import preload_charts

    preload_charts()


def require_actor(*roles: Role) -> Actor:
    """The signed-in actor, or stop the page with an access error (wrong role or not signed in)."""
    actor = current_actor()
    if actor is None or (roles and actor.role not in roles):
        st.error(NO_ACCESS_MESSAGE)
        st.stop()
    return actor


@catalog_read()
def _unit_names(url: str) -> dict[int, str]:
    with session_scope(engine_for(url)) as session:
        return {u.id: u.name for u in unit_service.list_units(session)}


@catalog_read()
def _unit_ends(url: str) -> dict[int, tuple[dt.date, str | None]]:
    """Units with an end date: (last day, the successor's name)."""
    with session_scope(engine_for(url)) as session:
        units = unit_service.list_units(session)
    by_code = {u.code: u.name for u in units}
    return {u.id: (u.valid_to, by_code.get(u.successor_code)) for u in units if u.valid_to}


def ended_unit_notice(actor: Actor, today: dt.date) -> str | None:
    """What an account of a unit that has ended is told (Vietnamese), else None."""
    end = _unit_ends(database_url(st.secrets)).get(actor.unit_id) if actor.unit_id else None
    if end is None or end[0] >= today:
        return None
    last, heir = end
    unit = _unit_names(database_url(st.secrets)).get(actor.unit_id, "")
    after = (f"công việc đang mở của đơn vị chuyển sang {heir}. Văn phòng sẽ chuyển tài khoản của bạn sang {heir}."
             if heir else "Văn phòng sẽ quyết định đơn vị nhận công việc đang mở.")
    return f"{unit} đã kết thúc hoạt động ngày {format_date(last)}: {after}"


def _sign_out() -> None:
    """Button callback: end the session in the database (every tab using it), forget this tab's state."""
    record = st.session_state.get(SESSION_KEY) or {}
    if record.get("session_id") is not None:
        with session_scope(get_engine()) as session:
            sign_out(session, session_id=record["session_id"], now=_utcnow())
    st.session_state.clear()
    cookie.clear_later()
    if record.get("sso"):
        st.logout()


def logout_button() -> None:
    """'Đăng xuất' in the sidebar: end this sign-in everywhere and forget what this tab held."""
    st.sidebar.button("Đăng xuất", key="logout", icon=":material/logout:", on_click=_sign_out)


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
                change_own_password(session, actor=actor, old_password=old, new_password=new)
        except TrackerError as exc:
            st.error(md(str(exc)))
            return
        st.success("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.")


def user_box(actor: Actor) -> None:
    """The sidebar block: who is signed in (name, role, unit), change password, sign out."""
    with st.sidebar:
        with st.container(border=True):
            st.markdown(f"**{md(actor.display_name)}**")
            unit = _unit_names(database_url(st.secrets)).get(actor.unit_id) if actor.unit_id else None
            st.caption(" · ".join(filter(None, [ROLE_LABELS[actor.role], unit])))
            if notice := ended_unit_notice(actor, clock.today()):
                st.warning(md(notice), icon=":material/domain_disabled:")
            if not (st.session_state.get(SESSION_KEY) or {}).get("sso"):
                _own_password_form(actor)
    logout_button()
