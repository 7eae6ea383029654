"""User accounts: creation (CLI and the admin page), listing, activation, passwords, roles.

Every change made through the admin page is authorized with MANAGE_USERS and written to the
audit log; no audit entry, return value or message ever carries a password or a hash.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, PermissionDenied, ValidationFailed
from tracker.limits import too_long
from tracker.models import AuditEvent, Role, Unit, User, UserSession
from tracker.passwords import hash_password, password_problem, verify_password
from tracker.permissions import SIGNED_OUT, Action, Actor, check_live, require
from tracker.services import sessions as session_rules
from tracker.services.auth import unlock
from tracker.services.units import find_unit
from tracker.text import nfc

ROLE_LABELS = {
    Role.ADMIN: "Quản trị (Văn phòng truyền thông)",
    Role.UNIT_HEAD: "Trưởng đơn vị",
    Role.LEADER: "Lãnh đạo Bộ",
    Role.VIEWER: "Người xem",
    Role.STAFF: "Chuyên viên",
}
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNIT_HEAD_NEEDS_UNIT = "Tài khoản Trưởng đơn vị phải gắn với một đơn vị."
STAFF_NEEDS_UNIT = "Tài khoản Chuyên viên phải gắn với một đơn vị."


def _unit_problem(role: Role, unit_code: str | None) -> str | None:
    """Why this role needs a unit it was not given (a unit head's, a staff member's), or None."""
    if unit_code:
        return None
    return {Role.UNIT_HEAD: UNIT_HEAD_NEEDS_UNIT, Role.STAFF: STAFF_NEEDS_UNIT}.get(role)


@dataclass(frozen=True)
class UserRow:
    """One account as the admin page shows it (never its hash)."""

    id: int
    username: str
    full_name: str | None
    email: str | None
    role: Role
    role_label: str
    unit_code: str | None
    unit_name: str | None
    active: bool
    last_login_at: dt.datetime | None
    locked: bool

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


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


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def has_active_admin(session: Session) -> bool:
    """True once someone can administer the app (the first admin is made on the command line)."""
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.active.is_(True))) > 0


def create_user(session: Session, *, username: str, password: str, role: Role,
                unit_code: str | None = None, full_name: str | None = None,
                email: str | None = None) -> User:
    """Create an account with an argon2 hash of its password (no permission check: CLI and add_user).

    Raises:
        ValidationFailed: bad username, password or e-mail, duplicate username, unit rules.
        NotFound: the unit code does not exist.
    """
    username = username.strip().lower()
    email, full_name = _clean(email), nfc(full_name or "") or None
    problems = [p for p in (too_long("full_name", full_name), too_long("email", email)) if p]
    if not _USERNAME.match(username):
        problems.append("Tên đăng nhập gồm 3–80 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới.")
    if (problem := password_problem(password)) is not None:
        problems.append(problem)
    if (problem := _unit_problem(role, unit_code)) is not None:
        problems.append(problem.rstrip(".") + " (--unit).")
    if email is not None and not too_long("email", email) and not _EMAIL.match(email):
        problems.append(f"Địa chỉ thư điện tử “{email}” không hợp lệ.")
    if problems:
        raise ValidationFailed(problems[0], problems)
    if session.scalars(select(User).where(User.username == username)).first():
        raise ValidationFailed(f"Tên đăng nhập “{username}” đã tồn tại.")
    unit = find_unit(session, unit_code) if unit_code else None
    user = User(username=username, password_hash=hash_password(password), role=role,
                unit_id=unit.id if unit else None, full_name=full_name,
                email=email.lower() if email else None)
    session.add(user)
    session.flush()
    return user


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _row(user: User, unit: Unit | None, now: dt.datetime) -> UserRow:
    return UserRow(
        id=user.id, username=user.username, full_name=user.full_name, email=user.email, role=user.role,
        role_label=ROLE_LABELS[user.role], unit_code=unit.code if unit else None,
        unit_name=unit.name if unit else None, active=user.active, last_login_at=user.last_login_at,
        locked=user.locked_until is not None and user.locked_until > now,
    )


def list_users(session: Session, *, actor: Actor | None, now: dt.datetime | None = None) -> list[UserRow]:
    """Every account, active ones first, then by username.

    Raises:
        PermissionDenied: the actor may not manage accounts.
    """
    require(actor, Action.MANAGE_USERS, session=session)
    now = now or _now()
    rows = session.execute(
        select(User, Unit).outerjoin(Unit, User.unit_id == Unit.id)
        .order_by(User.active.desc(), User.username)
    ).all()
    return [_row(user, unit, now) for user, unit in rows]


def _audit(session: Session, actor: Actor, action: str, user: User, details: dict[str, Any]) -> None:
    session.add(AuditEvent(actor_id=actor.user_id, action=action, target_type="user", target_id=user.id,
                           details={"username": user.username, **details}))


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"Không tìm thấy tài khoản số {user_id}.")
    return user


def _unit(session: Session, unit_code: str | None) -> Unit | None:
    if not _clean(unit_code):
        return None
    try:
        return find_unit(session, unit_code.strip())
    except NotFound:
        raise NotFound(f"Không tìm thấy đơn vị “{unit_code}”.") from None


def _bump(user: User) -> None:
    user.auth_version = (user.auth_version or 0) + 1


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)) or 0


def add_user(session: Session, *, actor: Actor | None, username: str, password: str, role: Role,
             unit_code: str | None = None, full_name: str | None = None,
             email: str | None = None) -> UserRow:
    """Create an account from the admin page.

    Raises:
        PermissionDenied: the actor may not manage accounts.
        ValidationFailed: see create_user; a Trưởng đơn vị without a unit.
        NotFound: the unit does not exist.
    """
    require(actor, Action.MANAGE_USERS, session=session)
    unit_code = _clean(unit_code)
    if (problem := _unit_problem(role, unit_code)) is not None:
        raise ValidationFailed(problem)
    unit = _unit(session, unit_code)
    user = create_user(session, username=username, password=password, role=role,
                       unit_code=unit.code if unit else None, full_name=full_name, email=email)
    _audit(session, actor, "user_created", user, {"role": role.value, "unit": unit.code if unit else None})
    session.flush()
    return _row(user, unit, _now())


def set_active(session: Session, *, actor: Actor | None, user_id: int, active: bool) -> UserRow:
    """Deactivate (ending the account's open sessions) or reactivate an account.

    Raises:
        PermissionDenied: the actor may not manage accounts.
        ValidationFailed: an admin deactivating their own account, or the last active admin.
        NotFound: no such account.
    """
    require(actor, Action.MANAGE_USERS, session=session)
    user = _get(session, user_id)
    if not active and user.id == actor.user_id:
        raise ValidationFailed("Bạn không thể tự khóa tài khoản của chính mình.")
    if not active and user.role is Role.ADMIN and user.active and _other_active_admins(session, user) == 0:
        raise ValidationFailed("Không thể khóa quản trị viên cuối cùng còn hoạt động.")
    if user.active != active:
        user.active = active
        if active:
            unlock(session, username=user.username)
        _bump(user)
        _audit(session, actor, "user_activated" if active else "user_deactivated", user, {})
        session.flush()
    return _row(user, user.unit, _now())


def reset_password(session: Session, *, actor: Actor | None, user_id: int, new_password: str) -> UserRow:
    """Give an account a new password, lift any lock and end its open sessions.

    Raises:
        PermissionDenied: the actor may not manage accounts.
        ValidationFailed: the new password breaks the password rules.
        NotFound: no such account.
    """
    require(actor, Action.MANAGE_USERS, session=session)
    user = _get(session, user_id)
    if (problem := password_problem(new_password)) is not None:
        raise ValidationFailed(problem)
    user.password_hash = hash_password(new_password)
    unlock(session, username=user.username)
    _bump(user)
    _audit(session, actor, "user_password_reset", user, {})
    session.flush()
    return _row(user, user.unit, _now())


def change_role(session: Session, *, actor: Actor | None, user_id: int, role: Role,
                unit_code: str | None) -> UserRow:
    """Change an account's role and unit; its open sessions end.

    Raises:
        PermissionDenied: the actor may not manage accounts.
        ValidationFailed: a Trưởng đơn vị without a unit; demoting the last active admin.
        NotFound: no such account or unit.
    """
    require(actor, Action.MANAGE_USERS, session=session)
    user = _get(session, user_id)
    unit_code = _clean(unit_code)
    if (problem := _unit_problem(role, unit_code)) is not None:
        raise ValidationFailed(problem)
    unit = _unit(session, unit_code)
    if (user.role is Role.ADMIN and role is not Role.ADMIN and user.active
            and _other_active_admins(session, user) == 0):
        raise ValidationFailed("Không thể đổi vai trò của quản trị viên cuối cùng còn hoạt động.")
    old_role, old_unit = user.role, user.unit.code if user.unit else None
    if (old_role, user.unit_id) != (role, unit.id if unit else None):
        user.role = role
        user.unit = unit
        _bump(user)
        _audit(session, actor, "user_role_changed", user, {
            "from_role": old_role.value, "to_role": role.value,
            "from_unit": old_unit, "to_unit": unit.code if unit else None,
        })
        session.flush()
    return _row(user, unit, _now())


def change_own_password(session: Session, *, actor: Actor | None, old_password: str,
                        new_password: str) -> int:
    """Change the signed-in person's own password; returns the new auth_version.

    Other open sessions of the account end; the actor's own session carries on.

    Raises:
        PermissionDenied: nobody is signed in.
        ValidationFailed: wrong current password, or the new one breaks the rules or is unchanged.
        NotFound: the account no longer exists.
    """
    if actor is None:
        raise PermissionDenied(SIGNED_OUT)
    check_live(session, actor)
    user = _get(session, actor.user_id)
    if not verify_password(user.password_hash, old_password):
        raise ValidationFailed("Mật khẩu hiện tại không đúng.")
    if (problem := password_problem(new_password)) is not None:
        raise ValidationFailed(problem)
    if new_password == old_password:
        raise ValidationFailed("Mật khẩu mới phải khác mật khẩu hiện tại.")
    user.password_hash = hash_password(new_password)
    _bump(user)
    if actor.session_id is not None:  # this browser's session carries on; every other one ends
        session.get(UserSession, actor.session_id).auth_version = user.auth_version
    _audit(session, actor, "password_changed", user, {})
    session.flush()
    return user.auth_version


def list_sessions(session: Session, *, actor: Actor | None, user_id: int,
                  now: dt.datetime | None = None) -> list[session_rules.SessionRow]:
    """An account's live sign-in sessions (browser and address, started, last seen), for the office.

    Raises:
        PermissionDenied: the actor may not manage accounts.
        NotFound: no such account.
    """
    require(actor, Action.MANAGE_USERS, session=session)
    _get(session, user_id)
    return session_rules.live_sessions(session, user_id=user_id, now=now or _now())


def end_sessions(session: Session, *, actor: Actor | None, user_id: int) -> int:
    """End every open session of an account (the person is signed out everywhere); returns how many.

    Raises:
        PermissionDenied: the actor may not manage accounts.
        NotFound: no such account.
    """
    require(actor, Action.MANAGE_USERS, session=session)
    user = _get(session, user_id)
    count = session_rules.end_all(session, user_id=user_id, reason="ended_by_office", now=_now())
    _audit(session, actor, "user_sessions_ended", user, {"sessions": count})
    session.flush()
    return count
