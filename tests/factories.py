"""Accounts for tests: make_user(session, "tp.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI") -> User."""

from tracker.models import Role, User
from tracker.services.users import create_user

PASSWORD = "mat-khau-dung"


def make_user(session, username: str, role: Role, unit_code: str | None = None,
              password: str = PASSWORD) -> User:
    """An active account with an argon2-hashed password, flushed (so it has an id)."""
    return create_user(session, username=username, password=password, role=role, unit_code=unit_code,
                       full_name=f"Người dùng {username}")


def sign_in(at, user: User) -> int:
    """Make an AppTest run as `user` (as if they had just signed in through the form); returns the
    id of the session started in the database TRACKER_DATABASE_URL names."""
    import datetime as dt
    import os

    from tracker.db import make_engine, session_scope
    from tracker.services import sessions
    from tracker.ui.auth import SESSION_KEY, session_record

    engine = make_engine(os.environ["TRACKER_DATABASE_URL"])
    try:
        with session_scope(engine) as s:
            row, _token = sessions.start(s, user=s.get(User, user.id), client="AppTest",
                                         now=dt.datetime.now(dt.timezone.utc))
    finally:
        engine.dispose()
    at.session_state[SESSION_KEY] = session_record(user_id=user.id, session_id=row.id)
    return row.id


def open_item_page(user: User, item_id: int):
    """An AppTest of the app signed in as `user`, on the item's page (pages/item.py?id=...), no exception."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=30)
    sign_in(at, user)
    at.run()
    at.query_params["id"] = str(item_id)
    at.switch_page("pages/item.py").run()
    assert not at.exception, at.exception
    return at
