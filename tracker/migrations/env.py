"""Alembic environment: uses the engine handed in by tracker.migrate, or the configured URL."""

from __future__ import annotations

from alembic import context

from tracker import models  # noqa: F401  (registers the tables on Base.metadata)
from tracker.config import database_url
from tracker.db import Base, UTCDateTime, make_engine

config = context.config
target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    """Migrations hold plain SQLAlchemy types, never the app's own (they must outlive it)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**where) -> None:
    """The one configuration of every run: batch mode for SQLite, types compared, plain types rendered."""
    context.configure(target_metadata=target_metadata, render_as_batch=True, compare_type=True,
                      render_item=render_item, **where)


def run_migrations_offline() -> None:
    _configure(url=database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection, *, check_keys: bool = False) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
        if check_keys:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"Di chuyển lược đồ để lại khóa ngoại hỏng: {broken[:5]}")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # the caller's transaction (a restore on PostgreSQL): it commits or rolls back
        _run(connection)
        return
    engine = config.attributes.get("engine") or make_engine(database_url())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table (copy, DROP, rename): with foreign keys on, the DROP would
            # cascade-delete every child row (the items' whole history). Off outside the transaction, checked
            # before commit, on again after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        _run(connection, check_keys=sqlite)
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
