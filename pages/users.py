"""Tài khoản: the office's list of accounts; add one, lock or unlock, reset a password, change a role."""

import pandas as pd
import streamlit as st

from tracker import clock
from tracker.db import session_scope
from tracker.errors import TrackerError
from tracker.limits import max_chars
from tracker.models import Role
from tracker.services import units as unit_service
from tracker.services import users as user_service
from tracker.text import format_datetime
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.text import md

actor = require_actor(Role.ADMIN)
st.title("Tài khoản")
if flash := st.session_state.pop("users_flash", None):
    st.success(md(flash))

with session_scope(get_engine()) as session:
    users = user_service.list_users(session, actor=actor)
    units = unit_service.list_units(session, active_on=clock.today())

ROLES = list(Role)
UNIT_CODES = [None] + [u.code for u in units]
unit_label = {u.code: f"{u.code} — {u.name}" for u in units}


def unit_option(code: str | None) -> str:
    return "— Không gắn đơn vị —" if code is None else unit_label.get(code, code)


def run(action, success: str) -> None:
    """Run one service call in its own transaction; flash its result or show its error."""
    try:
        with session_scope(get_engine()) as session:
            action(session)
    except TrackerError as exc:
        st.error(md(str(exc)))
        return
    st.session_state["users_flash"] = success
    st.rerun()


st.dataframe(pd.DataFrame([{
    "Tên đăng nhập": u.username, "Họ và tên": u.full_name or "", "Thư điện tử": u.email or "",
    "Vai trò": u.role_label, "Đơn vị": u.unit_name or "",
    "Trạng thái": "Đang hoạt động" if u.active else "Đã khóa",
    "Tạm khóa do sai mật khẩu": "Có" if u.locked else "",
    "Đăng nhập gần nhất": format_datetime(u.last_login_at),
} for u in users]), hide_index=True, width="stretch", key="users_table")

with st.expander("Thêm tài khoản", icon=":material/person_add:"):
    with st.form("users_add_form"):
        username = st.text_input("Tên đăng nhập", key="users_add_username",
                                 help="Chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới.")
        full_name = st.text_input("Họ và tên", key="users_add_full_name", max_chars=max_chars("full_name"))
        email = st.text_input("Thư điện tử", key="users_add_email", max_chars=max_chars("email"))
        role = st.selectbox("Vai trò", ROLES, format_func=user_service.ROLE_LABELS.get, key="users_add_role")
        unit = st.selectbox("Đơn vị", UNIT_CODES, format_func=unit_option, key="users_add_unit",
                            help="Bắt buộc với Trưởng đơn vị và Chuyên viên.")
        password = st.text_input("Mật khẩu", type="password", key="users_add_password")
        again = st.text_input("Nhập lại mật khẩu", type="password", key="users_add_password2")
        if st.form_submit_button("Tạo tài khoản", type="primary", key="users_add_submit"):
            if password != again:
                st.error("Hai lần nhập mật khẩu không khớp.")
            else:
                run(lambda s: user_service.add_user(s, actor=actor, username=username, password=password,
                                                    role=role, unit_code=unit, full_name=full_name,
                                                    email=email),
                    f"Đã tạo tài khoản “{username.strip().lower()}”.")

st.subheader("Cập nhật tài khoản", anchor=False)
by_id = {u.id: u for u in users}
user_id = st.selectbox("Chọn tài khoản", list(by_id), key="users_pick",
                       format_func=lambda i: f"{by_id[i].username} — {by_id[i].display_name} "
                                             f"({by_id[i].role_label})")
picked = by_id[user_id]
tab_active, tab_password, tab_role, tab_sessions = st.tabs(
    ["Khóa / mở khóa", "Đặt lại mật khẩu", "Vai trò và đơn vị", "Phiên đăng nhập"])

with tab_active:
    if picked.active:
        st.caption("Khóa tài khoản sẽ đăng xuất người dùng ngay và không cho đăng nhập lại.")
        confirm = st.checkbox(f"Tôi xác nhận khóa tài khoản “{picked.username}”",
                              key="users_confirm_deactivate")
        if st.button("Khóa tài khoản", key="users_deactivate", disabled=not confirm):
            run(lambda s: user_service.set_active(s, actor=actor, user_id=picked.id, active=False),
                f"Đã khóa tài khoản “{picked.username}”.")
    elif st.button("Mở khóa tài khoản", key="users_activate"):
        run(lambda s: user_service.set_active(s, actor=actor, user_id=picked.id, active=True),
            f"Đã mở khóa tài khoản “{picked.username}”.")

with tab_password:
    with st.form("users_reset_form", clear_on_submit=True):
        new = st.text_input("Mật khẩu mới", type="password", key="users_reset_password")
        new_again = st.text_input("Nhập lại mật khẩu mới", type="password", key="users_reset_password2")
        if st.form_submit_button("Đặt lại mật khẩu", key="users_reset_submit"):
            if new != new_again:
                st.error("Hai lần nhập mật khẩu không khớp.")
            else:
                run(lambda s: user_service.reset_password(s, actor=actor, user_id=picked.id,
                                                          new_password=new),
                    f"Đã đặt lại mật khẩu cho “{picked.username}”; "
                    "các phiên đăng nhập của tài khoản đã kết thúc.")

with tab_role:
    # A unit that has since been merged away still shows, so saving a role does not drop it silently.
    role_units = UNIT_CODES + ([picked.unit_code] if picked.unit_code not in UNIT_CODES else [])
    if picked.unit_code is not None:
        unit_label.setdefault(picked.unit_code, f"{picked.unit_code} — {picked.unit_name}")
    with st.form("users_role_form"):
        new_role = st.selectbox("Vai trò", ROLES, index=ROLES.index(picked.role),
                                format_func=user_service.ROLE_LABELS.get, key=f"users_role_{picked.id}")
        new_unit = st.selectbox("Đơn vị", role_units, index=role_units.index(picked.unit_code),
                                format_func=unit_option, key=f"users_role_unit_{picked.id}",
                                help="Bắt buộc với Trưởng đơn vị và Chuyên viên.")
        if st.form_submit_button("Lưu vai trò", key="users_role_submit"):
            run(lambda s: user_service.change_role(s, actor=actor, user_id=picked.id, role=new_role,
                                                   unit_code=new_unit),
                f"Đã cập nhật vai trò của “{picked.username}”.")

with tab_sessions:
    with session_scope(get_engine()) as session:
        live = user_service.list_sessions(session, actor=actor, user_id=picked.id)
    if not live:
        st.caption(f"“{picked.username}” không có phiên đăng nhập nào đang mở.")
    else:
        st.dataframe(pd.DataFrame([{
            "Máy và trình duyệt": r.client or "—", "Bắt đầu": format_datetime(r.created_at),
            "Hoạt động gần nhất": format_datetime(r.last_seen_at),
        } for r in live]), hide_index=True, width="stretch", key="users_sessions_table")
        if st.button(f"Kết thúc {len(live)} phiên đăng nhập", key="users_end_sessions",
                     icon=":material/logout:"):
            run(lambda s: user_service.end_sessions(s, actor=actor, user_id=picked.id),
                f"Đã kết thúc các phiên đăng nhập của “{picked.username}”.")
