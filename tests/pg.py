"""PostgreSQL helpers for the test suite: where the server is, and throwaway databases on it.

Plain functions, no fixtures: tests/conftest.py decides when to call them. The admin URL
comes from TRACKER_TEST_POSTGRES_URL (a superuser, e.g. the cluster scripts/pg-throwaway
starts); every test database is created from it and dropped again.
"""

from __future__ import annotations

import os
import re

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

ENV_VAR = "TRACKER_TEST_POSTGRES_URL"
_NAME = re.compile(r"^[a-z0-9_]+$")


def postgres_admin_url() -> str | None:
    """The superuser URL from TRACKER_TEST_POSTGRES_URL, or None when PostgreSQL tests are off.

    Raises:
        RuntimeError: the variable is unset in CI (CI=true), where the PostgreSQL half of the
            suite must never be dropped silently.
    """
    url = os.environ.get(ENV_VAR, "").strip()
    if url:
        return url
    if os.environ.get("CI") == "true":
        raise RuntimeError(
            f"{ENV_VAR} is not set, but CI=true: the PostgreSQL tests must run in CI. "
            "Start a cluster with `scripts/pg-throwaway start DIR` (as .ci/run does) and export "
            f"{ENV_VAR}=postgresql+psycopg://postgres@127.0.0.1:PORT/postgres"
        )
    return None


def _checked(name: str) -> str:
    """The name itself, if it is safe to splice into DDL (identifiers cannot be bound)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid database name {name!r}: use only a-z, 0-9 and _")
    return name


def database_url(admin_url: str, name: str) -> str:
    """The admin URL pointed at database `name` instead (password kept)."""
    url = make_url(admin_url).set(database=_checked(name))
    return url.render_as_string(hide_password=False)


def _connect(admin_url: str) -> Connection:
    # CREATE/DROP DATABASE cannot run inside a transaction block, hence AUTOCOMMIT; NullPool so
    # no idle connection outlives the call and blocks a later DROP or TEMPLATE copy.
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    return engine.connect()


def _terminate(conn: Connection, name: str) -> None:
    conn.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"
        ),
        {"name": name},
    )


def create_database(admin_url: str, name: str, template: str | None = None) -> None:
    """CREATE DATABASE name, copied from `template` when given.

    Raises:
        ValueError: a name outside ^[a-z0-9_]+$.
    """
    sql = f'CREATE DATABASE "{_checked(name)}"'
    with _connect(admin_url) as conn:
        if template is not None:
            sql += f' TEMPLATE "{_checked(template)}"'
            # A template cannot be copied while anyone (a leftover pool) is connected to it.
            _terminate(conn, template)
        conn.execute(text(sql))


def drop_database(admin_url: str, name: str) -> None:
    """DROP DATABASE IF EXISTS name, first disconnecting anyone still using it.

    Raises:
        ValueError: a name outside ^[a-z0-9_]+$.
    """
    sql = f'DROP DATABASE IF EXISTS "{_checked(name)}"'
    with _connect(admin_url) as conn:
        _terminate(conn, name)
        if conn.dialect.server_version_info >= (13,):
            # A terminated backend may take a moment to exit; FORCE waits it out.
            sql += " WITH (FORCE)"
        conn.execute(text(sql))
