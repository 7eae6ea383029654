"""The cumulative flow's summary (tracker/flow_ledger.py): kept right by every write, read by the flow.

Every test that uses the `engine` fixture also checks the summary against the history at teardown
(tests/conftest.py); these tests check the rule itself, the write paths one by one, and the migration.
"""

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from tests import dashboard_fixture
from tests.dashboard_fixture import TODAY
from tests.item_factories import make_item
from tracker import flow_ledger
from tracker.clock import VN_TZ
from tracker.db import session_scope
from tracker.migrate import downgrade, upgrade
from tracker.models import Plan, Role, Status, StatusFlowDay, Unit, UnitKind, WorkItem
from tracker.permissions import Actor
from tracker.services import flow as flow_service
from tracker.services import work_items
from tracker.services.dashboard import Filters
from tracker.services.demo import generate_demo
from tracker.services.moves import move_item
from tracker.services.users import create_user


def _office(session) -> Actor:
    return Actor.of(create_user(session, username="van.phong", password="mat-khau-dai", role=Role.ADMIN,
                                full_name="Văn phòng Bộ"))


def _summary(session, plan_id: int) -> dict:
    return {(k, d, s): n for k, d, s, n in session.execute(
        select(StatusFlowDay.unit_kind, StatusFlowDay.day, StatusFlowDay.status, StatusFlowDay.net_change)
        .where(StatusFlowDay.plan_id == plan_id, StatusFlowDay.net_change != 0))}


def _assert_flows_agree(session, plan_id: int, today: dt.date) -> None:
    for freq in ("M", "W"):
        for kind in (None, *UnitKind):
            filters = Filters(plan_id=plan_id, unit_kind=kind)
            kept = flow_service.flow(session, filters=filters, today=today, year=2024, freq=freq)
            rebuilt = flow_service.flow(session, filters=filters, today=today, year=2024, freq=freq,
                                        from_history=True)
            assert kept.equals(rebuilt), (freq, kind)


def test_the_summary_gives_the_flow_of_the_hand_computed_fixture(session):
    fx = dashboard_fixture.build(session)
    session.commit()
    # A, B, C created 15/02 by Vụ TCBC (ministry); D, E, F 10/04 by SNV Hà Nội (provincial).
    rows = _summary(session, fx["plan"])
    assert sum(n for (k, _, _), n in rows.items() if k is UnitKind.PROVINCIAL) == 3
    assert sum(rows.values()) == 6
    # F went to "awaiting" at 00:30 on 01/08 in Hà Nội (17:30 UTC on 31/07): it counts on 01/08.
    assert rows[(UnitKind.PROVINCIAL, dt.date(2024, 8, 1), Status.AWAITING_CONFIRMATION)] == 1
    assert (UnitKind.PROVINCIAL, dt.date(2024, 7, 31), Status.AWAITING_CONFIRMATION) not in rows
    _assert_flows_agree(session, fx["plan"], TODAY)


def test_a_move_counts_on_its_day_in_hanoi(engine):
    with session_scope(engine) as s:
        actor = _office(s)
        item = make_item(s, status=Status.IN_PROGRESS)
        item.created_at = dt.datetime(2024, 2, 14, 17, 30, tzinfo=dt.timezone.utc)  # 00:30 on 15/02 in Hà Nội
        item_id, plan_id = item.id, item.plan_id
    with session_scope(engine) as s:
        before = _summary(s, plan_id)
        version = s.get(WorkItem, item_id).version
    ministry = UnitKind.MINISTRY_ADMIN
    assert before == {(ministry, dt.date(2024, 2, 15), Status.IN_PROGRESS): 1}
    with session_scope(engine) as s:
        move_item(s, actor=actor, item_id=item_id, to_status=Status.NOT_STARTED, expected_version=version,
                  today=TODAY)
    with session_scope(engine) as s:
        after = _summary(s, plan_id)
    today = dt.datetime.now(VN_TZ).date()
    # Created "in progress" on 15/02 (its status minus its moves), moved to "not started" today.
    assert after == {(ministry, dt.date(2024, 2, 15), Status.IN_PROGRESS): 1,
                     (ministry, today, Status.IN_PROGRESS): -1, (ministry, today, Status.NOT_STARTED): 1}


def test_deleting_restoring_and_reassigning_an_item(engine):
    with session_scope(engine) as s:
        actor = _office(s)
        fx = dashboard_fixture.build(s)
        plan_id = fx["plan"]
        item = s.get(WorkItem, fx["C"])
        version = item.version
    with session_scope(engine) as s:
        work_items.delete_item(s, actor=actor, item_id=fx["C"], expected_version=version)
    with session_scope(engine) as s:
        assert sum(_summary(s, plan_id).values()) == 5
        _assert_flows_agree(s, plan_id, TODAY)
    with session_scope(engine) as s:
        work_items.restore_item(s, actor=actor, item_id=fx["C"])
    with session_scope(engine) as s:
        assert sum(_summary(s, plan_id).values()) == 6
        data, version = work_items.get_input(s, actor=actor, item_id=fx["C"])
        province = s.scalars(select(Unit.id).where(Unit.code == "SNV-HA-NOI")).one()
    with session_scope(engine) as s:  # the office hands item C to a provincial department
        work_items.update_item(s, actor=actor, item_id=fx["C"], expected_version=version,
                               data=data.__class__(**{**data.__dict__, "lead_unit_id": province}))
    with session_scope(engine) as s:
        rows = _summary(s, plan_id)
        assert sum(n for (k, _, _), n in rows.items() if k is UnitKind.PROVINCIAL) == 4
        _assert_flows_agree(s, plan_id, TODAY)
        assert flow_ledger.drift(s) == {}


def test_a_rolled_back_write_leaves_the_summary_as_it_was(engine):
    with session_scope(engine) as s:
        actor = _office(s)
        item = make_item(s, status=Status.IN_PROGRESS)
        item_id, plan_id, version = item.id, item.plan_id, item.version
    with session_scope(engine) as s:
        before = _summary(s, plan_id)
    with pytest.raises(RuntimeError):
        with session_scope(engine) as s:
            move_item(s, actor=actor, item_id=item_id, to_status=Status.NOT_STARTED, expected_version=version,
                      today=TODAY)
            s.flush()
            raise RuntimeError("the page failed after the move")
    with session_scope(engine) as s:
        assert _summary(s, plan_id) == before
        # and a later write in a session that saw the rollback counts only what it did
        move_item(s, actor=actor, item_id=item_id, to_status=Status.AWAITING_CONFIRMATION,
                  expected_version=version, today=TODAY, evidence_urls=("https://moha.gov.vn/tin-tuc/bai-1",))
    with session_scope(engine) as s:
        assert flow_ledger.drift(s) == {}


def test_the_flow_read_in_the_same_transaction_sees_its_own_writes(engine):
    with session_scope(engine) as s:
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
        make_item(s, status=Status.AWAITING_CONFIRMATION)
        today = dt.datetime.now(VN_TZ).date()
        frame = flow_service.flow(s, filters=Filters(plan_id=plan_id), today=today, year=today.year)
        assert frame["awaiting_confirmation"].iloc[-1] == 1 and frame["total"].iloc[-1] == 1


def test_drift_is_found_and_rebuild_mends_it(engine):
    with session_scope(engine) as s:
        plan = s.scalars(select(Plan).where(Plan.code == "184/QĐ-BNV")).one()
        generate_demo(s, plan=plan, items=60, seed=7)
    with session_scope(engine) as s:
        assert flow_ledger.drift(s) == {}
        total = s.scalar(select(func.sum(StatusFlowDay.net_change)).where(StatusFlowDay.plan_id == plan.id))
        assert total == 60
        s.execute(delete(StatusFlowDay).where(StatusFlowDay.status == Status.DONE))
        assert flow_ledger.drift(s) != {}
        assert flow_ledger.rebuild(s, [plan.id]) > 0
        assert flow_ledger.drift(s) == {}


def test_the_migration_fills_the_summary_from_the_history(engine):
    with session_scope(engine) as s:
        plan = s.scalars(select(Plan).where(Plan.code == "184/QĐ-BNV")).one()
        generate_demo(s, plan=plan, items=80, seed=3)
        deleted = s.scalars(select(WorkItem).where(WorkItem.plan_id == plan.id).limit(5)).all()
        for item in deleted:
            item.deleted_at = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    with session_scope(engine) as s:
        kept = _summary(s, plan.id)
        assert sum(kept.values()) == 75
    downgrade(engine, "0003_dashboard_indexes")
    upgrade(engine)
    with session_scope(engine) as s:
        assert _summary(s, plan.id) == kept
        assert flow_ledger.drift(s) == {}


@pytest.mark.parametrize("date_from, date_to, from_summary", [
    (dt.date(2024, 7, 1), None, True),  # keeps C, D, E, F: the summary minus A and B's history
    (None, dt.date(2024, 6, 30), True),  # keeps all but D
    (dt.date(2024, 8, 1), dt.date(2024, 12, 31), False),  # keeps D, E, F: half, read from their history
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31), True),  # keeps every item
])
def test_a_period_filter_gives_the_flow_of_its_items(session, monkeypatch, date_from, date_to, from_summary):
    fx = dashboard_fixture.build(session)
    session.commit()
    calls = []
    summary = flow_service._summary_changes
    monkeypatch.setattr(flow_service, "_summary_changes", lambda *a: calls.append(a) or summary(*a))
    for kind in (None, UnitKind.PROVINCIAL):  # D, E, F are provincial: every period keeps most of them
        filters = Filters(plan_id=fx["plan"], date_from=date_from, date_to=date_to, unit_kind=kind)
        for freq in ("M", "W"):
            got = flow_service.flow(session, filters=filters, today=TODAY, year=2024, freq=freq)
            want = flow_service.flow(session, filters=filters, today=TODAY, year=2024, freq=freq,
                                     from_history=True)
            assert got.equals(want), (kind, freq)
        if kind is None:
            assert bool(calls) is from_summary
