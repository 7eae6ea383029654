"""Fixtures: a fresh, migrated database per test, on SQLite and (when configured) PostgreSQL.

Each backend migrates and loads the catalog once per session into a template; every test
gets a copy (a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL). Without
TRACKER_TEST_POSTGRES_URL the PostgreSQL variants are not generated; in CI its absence is
an error, so those tests can never be silently dropped there.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from tests import pg
from tracker import flow_ledger, item_states
from tracker.services import dashboard
from tracker.catalog import load_catalog
from tracker.db import make_engine, session_scope
from tracker.migrate import upgrade

BACKENDS = ["sqlite"] + (["postgresql"] if pg.postgres_admin_url() else [])
_counter = itertools.count()


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS)


def pytest_report_header(config):
    return f"database backends: {', '.join(BACKENDS)}"


def _prepare(engine: Engine, *, catalog: bool) -> None:
    upgrade(engine)
    if catalog:
        with session_scope(engine) as session:
            load_catalog(session)


@pytest.fixture(scope="session", autouse=True)
def backup_key_file(tmp_path_factory):
    """Backups signed with a key made on first use in a temporary folder, never data/backup.key."""
    key_file = tmp_path_factory.mktemp("backup-key") / "backup.key"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TRACKER_BACKUP_KEY", raising=False)
        mp.setenv("TRACKER_BACKUP_KEY_FILE", str(key_file))
        yield key_file


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("templates")
    paths = {}
    for name, catalog in (("migrated", False), ("catalog", True)):
        path = root / f"{name}.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        _prepare(engine, catalog=catalog)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        paths[name] = path
    return paths


@pytest.fixture(scope="session")
def pg_templates():
    admin = pg.postgres_admin_url()
    if not admin:
        yield {}
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    names = {}
    for name, catalog in (("migrated", False), ("catalog", True)):
        db = f"tpl_{name}_{worker}_{os.getpid()}"
        pg.drop_database(admin, db)
        pg.create_database(admin, db)
        engine = make_engine(pg.database_url(admin, db))
        _prepare(engine, catalog=catalog)
        engine.dispose()
        names[name] = db
    yield names
    for db in names.values():
        pg.drop_database(admin, db)


def _make_db(request, backend: str, kind: str | None, tmp_path: Path):
    """A fresh database: kind None (empty), 'migrated' or 'catalog'."""
    if backend == "sqlite":
        path = tmp_path / f"test-{next(_counter)}.sqlite3"
        if kind:
            shutil.copyfile(request.getfixturevalue("sqlite_templates")[kind], path)
        return f"sqlite:///{path}", None
    admin = pg.postgres_admin_url()
    db = f"t_{os.getpid()}_{next(_counter)}"
    template = request.getfixturevalue("pg_templates")[kind] if kind else None
    pg.create_database(admin, db, template=template)
    return pg.database_url(admin, db), db


def _check_flow_summary(engine: Engine) -> None:
    """Every test that writes through the services also checks the flow's summary against the history and
    each item's open state row against the item."""
    if "status_flow_days" not in inspect(engine).get_table_names():
        return
    with session_scope(engine) as s:
        wrong = flow_ledger.drift(s)
        tables = inspect(engine).get_table_names()
        states = item_states.drift(s) if "work_item_states" in tables else []
        stale = dashboard.stale_cutoffs(s) if "cutoff_figures" in tables else []
    assert not wrong, f"status_flow_days differs from the history (stored, recomputed): {wrong}"
    assert not states, f"work_item_states: the open row differs from the item for items {states[:20]}"
    assert not stale, f"cutoff_figures kept for a past cut-off differ from the states: {stale}"


@pytest.fixture
def db_factory(request, backend, tmp_path):
    """Make more fresh databases of the test's backend: db_factory('catalog') -> Engine."""
    made: list[tuple[Engine, str | None]] = []

    def factory(kind: str | None = "catalog") -> Engine:
        url, pg_name = _make_db(request, backend, kind, tmp_path)
        engine = make_engine(url)
        made.append((engine, pg_name))
        return engine

    yield factory
    for engine, pg_name in made:
        _check_flow_summary(engine)
        engine.dispose()
        if pg_name:
            pg.drop_database(pg.postgres_admin_url(), pg_name)


@pytest.fixture
def engine(db_factory) -> Engine:
    """A migrated database with the built-in catalog loaded."""
    return db_factory("catalog")


@pytest.fixture
def empty_engine(db_factory) -> Engine:
    """A database with no tables at all."""
    return db_factory(None)


@pytest.fixture
def session(engine):
    with session_scope(engine) as s:
        yield s


@pytest.fixture
def db_env(engine, monkeypatch) -> str:
    """Point TRACKER_DATABASE_URL at the test database (for the CLI and AppTest)."""
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    return url


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say how many PostgreSQL and browser tests ran; in CI, none of either is a failure."""
    passed = terminalreporter.stats.get("passed", [])
    on_pg = sum(1 for r in passed if "postgresql" in r.nodeid and r.when == "call")
    in_browser = sum(1 for r in passed if r.nodeid.startswith("tests/e2e/") and r.when == "call")
    terminalreporter.write_line(f"PostgreSQL tests passed: {on_pg}; browser tests passed: {in_browser}")
    selected_all = not config.args or config.args == ["tests"] or config.args == [str(config.rootpath / "tests")]
    if os.environ.get("CI") == "true" and selected_all and (on_pg == 0 or in_browser == 0):
        terminalreporter.write_line("CI: PostgreSQL and browser tests must run, not be left out.", red=True)
        terminalreporter._session.exitstatus = 1
