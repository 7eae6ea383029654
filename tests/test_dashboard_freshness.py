"""Tổng quan's cached figures: a write made by another process shows at the next run; a write to one plan
leaves another plan's figures cached; a run reads the data versions once (AppTest). A write clears this
process's catalog reads."""

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests import dashboard_fixture
from tests.factories import make_user, sign_in
from tracker.db import session_scope
from tracker.models import Role, Unit, WorkItem
from tracker.permissions import Actor
from tracker.services import catalog_admin, data_versions
from tracker.services import dashboard as dashboard_service
from tracker.services import work_items as items_service
from tracker.ui import data

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def setup(db_env, engine, monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", "2024-08-01")
    with session_scope(engine) as s:
        ids = dashboard_fixture.build(s)
        leader = make_user(s, "lanh.dao", Role.LEADER)
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
    built = []
    real = dashboard_service.build

    def counted(session, *, filters, **kw):
        built.append(filters.plan_id)
        return real(session, filters=filters, **kw)

    monkeypatch.setattr(dashboard_service, "build", counted)
    return engine, leader, admin, ids, built


def _open(user, plan_id):
    at = AppTest.from_file(str(APP), default_timeout=60)
    sign_in(at, user)
    at.run()
    at.query_params["plan"] = str(plan_id)
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception, at.exception
    return at


def _total(at):
    return {m.label: m.value for m in at.metric}["Tổng số công việc"]


def _delete_elsewhere(engine, admin, item_id):
    """A write through a service with a session of its own, straight into the database, as the other app
    process or the CLI makes it: nothing in this process is told."""
    with session_scope(engine) as s:
        items_service.delete_item(s, actor=admin, item_id=item_id, expected_version=s.get(WorkItem, item_id).version,
                                  reason="Trùng kế hoạch")


def test_a_write_made_by_another_process_shows_at_the_next_run(setup):
    engine, leader, admin, ids, _ = setup
    at = _open(leader, ids["plan"])
    assert _total(at) == "6"
    _delete_elsewhere(engine, admin, ids["C"])
    at.run()
    assert not at.exception, at.exception
    assert _total(at) == "5"


def test_a_write_to_one_plan_leaves_the_other_plan_s_figures_cached(setup):
    engine, leader, admin, ids, built = setup
    other = _open(leader, ids["plan_2023"])
    assert _total(other) == "1"
    this = _open(leader, ids["plan"])
    assert _total(this) == "6" and set(built) == {ids["plan_2023"], ids["plan"]}
    built.clear()
    _delete_elsewhere(engine, admin, ids["C"])
    data.clear_after_write()  # what every page's write calls after it (writes.attempt, the board, the item page)
    other.run()
    assert _total(other) == "1" and built == []  # 2023's figures from the cache
    this.run()
    assert _total(this) == "5" and built == [ids["plan"]]


def test_a_run_reads_the_versions_once_not_once_per_figure(setup, monkeypatch):
    _, leader, _, ids, _ = setup
    reads = []
    real = data_versions.read

    def counted(session, plan_ids=()):
        reads.append(tuple(plan_ids))
        return real(session, plan_ids)

    monkeypatch.setattr(data_versions, "read", counted)
    at = _open(leader, ids["plan"])
    reads.clear()
    at.run()
    assert reads == [(), (ids["plan"],)]  # the catalog's (plan list, reporting rule), then the plan's


def test_a_write_clears_this_process_s_catalog_reads(setup):
    engine, _, admin, ids, _ = setup
    codes = {p.code for p in data.plans()}
    with session_scope(engine) as s:
        ha_noi = s.scalars(select(Unit.id).where(Unit.code == "SNV-HA-NOI")).one()
        catalog_admin.create_provincial_plan(s, actor=admin, parent_plan_id=ids["plan"], unit_id=ha_noi,
                                             code="KH-SNV-HN-2024")
    assert {p.code for p in data.plans()} == codes  # cached: no write went through this process
    data.clear_after_write()
    assert {p.code for p in data.plans()} == codes | {"KH-SNV-HN-2024"}
