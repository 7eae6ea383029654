"""Engine, declarative base and the unit-of-work helper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import JSON, DateTime, Enum, MetaData, String, event
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from tracker.errors import DatabaseUnavailable
from tracker.text import clean_json, strip_controls

BUSY_MESSAGE = ("Cơ sở dữ liệu đang bận vì nhiều người cùng ghi. Thay đổi của bạn chưa được lưu; "
                "vui lòng thử lại sau ít giây.")
LOST_MESSAGE = ("Mất kết nối tới cơ sở dữ liệu hoặc không ghi được vào đó. Thay đổi của bạn chưa được lưu "
                "(không có gì được ghi dở); vui lòng thử lại hoặc báo quản trị hệ thống.")
_SQLITE_STORAGE = ("readonly database", "disk i/o error", "unable to open database", "database or disk is full")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # SQLite's busy handler retries a locked database until this many ms have passed.
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS, **kwargs) -> Engine:
    """Create an engine; on SQLite turn on foreign keys and WAL, and wait (retry) on locks."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": sqlite_busy_timeout_ms / 1000})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_busy_timeout_ms))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction per user action: commit on success, roll back on any error."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        try:
            session.rollback()
        except DBAPIError:
            pass  # the connection is gone; the server discards the open transaction
        if isinstance(exc, DBAPIError) and _unavailable(exc):
            raise DatabaseUnavailable(BUSY_MESSAGE if _busy(exc) else LOST_MESSAGE) from exc
        raise
    finally:
        session.close()


def _busy(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text or "lock timeout" in text


def _unavailable(exc: DBAPIError) -> bool:
    """Lock waits that ran out and lost connections; not programming errors or constraint violations."""
    if exc.connection_invalidated or _busy(exc):
        return True
    if any(m in str(exc.orig).lower() for m in _SQLITE_STORAGE):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate:  # PostgreSQL: connection exceptions, shutdowns, lock_timeout
        return sqlstate.startswith("08") or sqlstate in {"57P01", "57P02", "57P03", "55P03"}
    # psycopg reports a failed or dropped connection without an SQLSTATE
    return isinstance(exc, OperationalError) and type(exc.orig).__module__.startswith("psycopg")


@event.listens_for(Session, "before_flush")
def _no_control_characters(session: Session, _context, _instances) -> None:
    """Backstop for every service: text and JSON columns never receive NUL, other control characters,
    right-to-left overrides or zero-width characters (tracker.text.strip_controls)."""
    for obj in (*session.new, *session.dirty):
        for column in obj.__mapper__.columns:
            text = isinstance(column.type, String) and not isinstance(column.type, Enum)
            if text or isinstance(column.type, JSON):
                key = obj.__mapper__.get_property_by_column(column).key
                value = obj.__dict__.get(key)
                if value is None or (text and not isinstance(value, str)):
                    continue
                cleaned = strip_controls(value) if text else clean_json(value)
                if cleaned != value:
                    setattr(obj, key, cleaned)


class UTCDateTime(TypeDecorator):
    """Timestamps stored in UTC and always returned timezone-aware (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
