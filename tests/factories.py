"""Accounts for tests: make_user(session, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI") -> User."""

from tracker.models import Role, User
from tracker.services.users import create_user

PASSWORD = "mat-khau-dung"


def make_user(session, username: str, role: Role, unit_code: str | None = None,
              password: str = PASSWORD) -> User:
    """An active account with an argon2-hashed password, flushed (so it has an id)."""
    return create_user(session, username=username, password=password, role=role, unit_code=unit_code,
                       full_name=f"Người dùng {username}")


def sign_in(at, user: User) -> None:
    """Make an AppTest run as `user` (as if they had just signed in through the form)."""
    from tracker.ui.auth import SESSION_KEY, session_record

    at.session_state[SESSION_KEY] = session_record(user_id=user.id, auth_version=user.auth_version)
