"""Faults: a locked SQLite database is waited on, not a crash; a database lost mid-update writes nothing."""

import datetime as dt
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from tests import pg
from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import BUSY_MESSAGE, LOST_MESSAGE, make_engine, session_scope
from tracker.errors import DatabaseUnavailable
from tracker.models import ProgressEvent, Role, WorkItem
from tracker.permissions import Actor
from tracker.services.progress import ProgressInput, update_progress

TODAY = dt.date(2024, 8, 1)


def _setup(engine):
    with session_scope(engine) as s:
        head = Actor.of(make_user(s, "tp.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        item = make_item(s, unit_code="VU-TCBC", progress=20)
        return head, item.id


def _report(engine, head, item_id, progress=60):
    with session_scope(engine) as s:
        update_progress(s, actor=head, item_id=item_id, expected_version=1,
                        change=ProgressInput(progress=progress, note="Đã đăng 7/12 bài"), today=TODAY)


def _state(engine, item_id):
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        events = s.query(ProgressEvent).filter_by(work_item_id=item_id).count()
        return item.progress, item.version, events


def _hold_write_lock(path, seconds: float, started: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE units SET note = note WHERE id = 1")
    started.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


@pytest.fixture
def sqlite_engine(sqlite_templates, tmp_path):
    import shutil

    path = tmp_path / "khoa.sqlite3"
    shutil.copyfile(sqlite_templates["catalog"], path)
    return path


def test_a_briefly_locked_sqlite_database_is_waited_on(sqlite_engine):
    engine = make_engine(f"sqlite:///{sqlite_engine}")
    head, item_id = _setup(engine)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(sqlite_engine, 0.8, started))
    holder.start()
    started.wait(5)
    _report(engine, head, item_id)  # blocks until the other writer commits, then succeeds
    holder.join()
    assert _state(engine, item_id) == (60, 2, 1)
    engine.dispose()


def test_a_lock_held_too_long_is_a_clear_message_and_nothing_written(sqlite_engine):
    engine = make_engine(f"sqlite:///{sqlite_engine}", sqlite_busy_timeout_ms=200)
    head, item_id = _setup(engine)
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(sqlite_engine, 1.5, started))
    holder.start()
    started.wait(5)
    with pytest.raises(DatabaseUnavailable) as caught:
        _report(engine, head, item_id)
    holder.join()
    assert str(caught.value) == BUSY_MESSAGE
    assert _state(engine, item_id) == (20, 1, 0)
    _report(engine, head, item_id)  # and the same input goes through once the lock is gone
    assert _state(engine, item_id) == (60, 2, 1)
    engine.dispose()


def _lose_connection(session, backend) -> None:
    """Cut the database off under an open, half-written transaction."""
    if backend == "postgresql":
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        admin = make_engine(pg.postgres_admin_url())
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
    else:
        # The database stops accepting writes (as when its disk turns read-only) mid-transaction.
        session.connection().connection.dbapi_connection.execute("PRAGMA query_only=ON")


def test_the_database_lost_mid_update_gives_a_message_and_no_half_change(engine, backend):
    head, item_id = _setup(engine)
    with pytest.raises(DatabaseUnavailable) as caught:
        with session_scope(engine) as s:
            update_progress(s, actor=head, item_id=item_id, expected_version=1,
                            change=ProgressInput(progress=90, note="Gần xong"), today=TODAY)
            s.flush()  # the item row and its history event are written, not yet committed
            _lose_connection(s, backend)
            s.execute(text("UPDATE work_items SET note = 'x' WHERE id = :id"), {"id": item_id})
    assert str(caught.value) == LOST_MESSAGE
    engine.dispose()
    assert _state(engine, item_id) == (20, 1, 0)
