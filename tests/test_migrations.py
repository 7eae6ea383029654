"""Migrations: an empty database upgraded to head matches the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tracker.db import Base
from tracker.migrate import current_revision, downgrade, head_revision, upgrade


def _diff(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(ctx, Base.metadata)


def test_upgrade_empty_database_to_head_equals_models(empty_engine):
    assert inspect(empty_engine).get_table_names() == []
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision(empty_engine)
    assert _diff(empty_engine) == []
    tables = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_downgrade_to_base_and_up_again(empty_engine):
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert _diff(empty_engine) == []


def test_the_head_revision_is_read_from_the_migration_files_once_per_process(empty_engine, monkeypatch):
    from alembic.script import ScriptDirectory

    from tracker import migrate

    migrate._scripts_head.cache_clear()
    reads = []
    real = ScriptDirectory.from_config
    monkeypatch.setattr(ScriptDirectory, "from_config", lambda cfg: reads.append(cfg) or real(cfg))
    first = head_revision(empty_engine)
    assert head_revision(empty_engine) == first and first is not None
    assert len(reads) == 1  # every page run asks; the files are not read again


def test_the_staff_role_needs_a_unit_and_a_downgrade_makes_staff_viewers(empty_engine):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    upgrade(empty_engine)
    insert = text("INSERT INTO users (username, role, unit_id, active, auth_version, failed_logins, created_at, "
                  "email_choice) VALUES (:name, 'staff', :unit, true, 1, 0, CURRENT_TIMESTAMP, 'digest')")
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO units (id, code, name, kind, aliases, verified) "
                          "VALUES (1, 'VU-TL', 'Vụ Tiền lương', 'ministry_admin', '[]', true)"))
        conn.execute(insert, {"name": "cv.an", "unit": 1})
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(insert, {"name": "cv.khong.don.vi", "unit": None})
    downgrade(empty_engine, "0011_notifications")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT role FROM users")).scalars().all() == ["viewer"]
    upgrade(empty_engine)
    assert _diff(empty_engine) == []


def test_the_throttle_window_starts_at_each_key_s_last_attempt_and_a_downgrade_drops_it(empty_engine):
    import datetime as dt

    from sqlalchemy import text

    from tracker.db import session_scope
    from tracker.models import LoginThrottle

    upgrade(empty_engine, "0012_staff")
    last = dt.datetime(2024, 9, 30, 7, 59, tzinfo=dt.timezone.utc)
    with empty_engine.begin() as conn:
        conn.execute(LoginThrottle.__table__.insert().values(
            key="addr:203.0.113.50", failures=140, blocked_until=last, updated_at=last))
    upgrade(empty_engine)
    with session_scope(empty_engine) as s:
        row = s.get(LoginThrottle, "addr:203.0.113.50")
        assert (row.failures, row.window_start) == (140, last)
    downgrade(empty_engine, "0012_staff")
    assert "window_start" not in {c["name"] for c in inspect(empty_engine).get_columns("login_throttles")}
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT failures FROM login_throttles")).scalars().all() == [140]
    upgrade(empty_engine)
    assert _diff(empty_engine) == []
