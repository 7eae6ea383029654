"""Demo data: realistic spread over tasks, units, forms and statuses, with a year of history."""

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select

from tracker.db import session_scope
from tracker.errors import ValidationFailed
from tracker.models import EventKind, ProgressEvent, Status, WorkItem
from tracker.services.demo import generate_demo
from tracker.services.plans import find_plan


def test_demo_spreads_over_tasks_units_forms_and_statuses(session):
    plan = find_plan(session, "184/QĐ-BNV")
    result = generate_demo(session, plan=plan, items=400, seed=3)
    items = session.scalars(select(WorkItem)).all()
    assert len(items) == 400 and result.as_of == dt.date(2024, 9, 30)
    statuses = Counter(i.status for i in items)
    assert set(statuses) == set(Status)
    assert len({i.priority_task_id for i in items}) == 15  # every task that has text
    assert len({i.lead_unit_id for i in items}) > 40
    assert len({i.form_id for i in items}) >= 10
    assert any(i.blocked and i.blocked_reason for i in items)
    for item in items:
        assert item.start_date <= item.due_date <= dt.date(2024, 12, 31)
        assert 0 <= item.progress <= 100
        if item.status is Status.DONE:
            assert item.completed_on is not None and item.progress == 100
        if item.status is Status.NOT_STARTED:
            assert item.progress == 0
    done = [i for i in items if i.status is Status.DONE]
    late = [i for i in done if i.completed_on > i.due_date]
    assert 0 < len(late) < len(done)


def test_demo_history_is_consistent_with_items(session):
    plan = find_plan(session, "184/QĐ-BNV")
    result = generate_demo(session, plan=plan, items=200, seed=5)
    events = session.scalars(select(ProgressEvent)).all()
    assert result.events == len(events)
    per_item = Counter(e.work_item_id for e in events)
    started = session.scalars(select(WorkItem.id).where(WorkItem.status != Status.NOT_STARTED)).all()
    assert 6 <= sum(per_item[i] for i in started) / len(started) <= 12  # "about ten events each"
    as_of_end = dt.datetime(2024, 10, 1, tzinfo=dt.timezone.utc)
    assert all(e.at < as_of_end for e in events)
    for item in session.scalars(select(WorkItem)):
        kinds = [e.kind for e in sorted((e for e in events if e.work_item_id == item.id), key=lambda e: e.at)]
        assert kinds[0] is EventKind.CREATED
        if item.status is Status.DONE:
            assert kinds[-1] is EventKind.CONFIRMED
        assert item.version == per_item[item.id]


def test_demo_refuses_a_silly_count(session):
    plan = find_plan(session, "184/QĐ-BNV")
    with pytest.raises(ValidationFailed, match="từ 1 đến"):
        generate_demo(session, plan=plan, items=0, seed=1)


def test_demo_on_2023_plan_uses_units_of_2023(session):
    plan = find_plan(session, "2023")
    generate_demo(session, plan=plan, items=100, seed=1)
    for item in session.scalars(select(WorkItem)):
        assert item.lead_unit.active_on(dt.date(2023, 6, 30))


def test_the_demo_s_last_day_is_the_database_s_today_while_demo_items_remain(session):
    from tracker.services.demo import demo_today

    assert demo_today(session) is None
    plan = find_plan(session, "184/QĐ-BNV")
    generate_demo(session, plan=plan, items=20, seed=1, as_of=dt.date(2024, 8, 15))
    assert demo_today(session) == dt.date(2024, 8, 15)
    generate_demo(session, plan=plan, items=20, seed=1)
    assert demo_today(session) == dt.date(2024, 9, 30)  # the latest demo
    for item in session.scalars(select(WorkItem)):
        session.delete(item)
    session.flush()
    assert demo_today(session) is None  # real data only: the real date


def test_the_app_takes_the_demo_s_last_day_as_today(db_env, engine, monkeypatch):
    """A newcomer on demo data sees the plan as it stood on its last day, not every open item overdue."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from tests.factories import make_user, sign_in
    from tracker.models import Role

    monkeypatch.delenv("TRACKER_TODAY", raising=False)
    with session_scope(engine) as s:
        generate_demo(s, plan=find_plan(s, "184/QĐ-BNV"), items=30, seed=2, as_of=dt.date(2024, 9, 30))
        admin = make_user(s, "van.phong", Role.ADMIN)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=30)
    sign_in(at, admin)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Việc của tôi"
    assert "Hôm nay: 30/09/2024" in [c.value for c in at.caption]
    assert "Dữ liệu mẫu: hôm nay được tính là ngày 30/09/2024." in [c.value for c in at.sidebar.caption]
