"""User accounts: creation from the CLI (and, later, the admin page)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import ValidationFailed
from tracker.models import Role, User
from tracker.passwords import hash_password, password_problem
from tracker.services.units import find_unit

ROLE_LABELS = {
    Role.ADMIN: "Quản trị (Văn phòng truyền thông)",
    Role.UNIT_HEAD: "Trưởng đơn vị",
    Role.LEADER: "Lãnh đạo Bộ",
    Role.VIEWER: "Người xem",
}
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")


def parse_role(value: str) -> Role:
    """A Role from its code.

    Raises:
        ValidationFailed: unknown role, with the list of valid ones.
    """
    try:
        return Role(value.strip().lower())
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"Vai trò “{value}” không hợp lệ. Các vai trò: {valid}.") from None


def create_user(session: Session, *, username: str, password: str, role: Role,
                unit_code: str | None = None, full_name: str | None = None) -> User:
    """Create an account with an argon2 hash of its password.

    Raises:
        ValidationFailed: bad username or password, duplicate username, unit rules.
        NotFound: the unit code does not exist.
    """
    username = username.strip().lower()
    problems = []
    if not _USERNAME.match(username):
        problems.append("Tên đăng nhập gồm 3–80 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới.")
    if (problem := password_problem(password)) is not None:
        problems.append(problem)
    if role is Role.UNIT_HEAD and not unit_code:
        problems.append("Tài khoản trưởng đơn vị phải gắn với một đơn vị (--unit).")
    if problems:
        raise ValidationFailed(problems[0], problems)
    if session.scalars(select(User).where(User.username == username)).first():
        raise ValidationFailed(f"Tên đăng nhập “{username}” đã tồn tại.")
    unit = find_unit(session, unit_code) if unit_code else None
    user = User(username=username, password_hash=hash_password(password), role=role,
                unit_id=unit.id if unit else None, full_name=full_name)
    session.add(user)
    session.flush()
    return user
