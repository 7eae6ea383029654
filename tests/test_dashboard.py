"""Dashboard figures on the dated fixture (tests/dashboard_fixture.py), each against a hand-computed value."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests import dashboard_fixture
from tests.dashboard_fixture import TODAY
from tracker import figures
from tracker.errors import NotFound, PermissionDenied
from tracker.models import Role, UnitKind, WorkItem
from tracker.permissions import Actor
from tracker.services import dashboard
from tracker.services import flow as flow_service
from tracker.services.dashboard import Filters
from tracker.workflow import is_done_late

LEADER = Actor(user_id=1, username="lanh.dao", role=Role.LEADER)


@pytest.fixture
def fx(session):
    return dashboard_fixture.build(session)


def test_headline_classes_every_item_once(session, fx):
    h = dashboard.headline(session, filters=Filters(plan_id=fx["plan"]), today=TODAY)
    assert (h.items, h.done, h.done_on_time, h.done_late, h.in_progress, h.overdue, h.blocked) == (6, 2, 1, 1, 3, 1, 1)
    assert h.done_on_time + h.done_late + h.in_progress + h.overdue == h.items
    assert h.average_progress == 63.3  # (100 + 100 + 40 + 50 + 0 + 90) / 6
    assert h.completion_rate == 33.3  # 2 done / 6 items, not the average progress
    assert (h.due_passed, h.overdue_rate) == (3, 33.3)  # A, B, C due before 01/08; C overdue
    assert (h.round_name, h.units_reported, h.units_expected) == ("Báo cáo 6 tháng 2024", 1, 2)


def test_the_classes_in_sql_agree_with_the_python_rule(session, fx):
    for cutoff in (dt.date(2024, 5, 31), dt.date(2024, 6, 10), TODAY, dt.date(2024, 12, 31)):
        rows = session.execute(select(WorkItem, figures.standing_case(cutoff))
                               .where(WorkItem.plan_id == fx["plan"])).all()
        for item, sql in rows:
            python = figures.standing(status=item.status, due=item.due_date, completed_on=item.completed_on,
                                      submitted_on=item.submitted_on, cutoff=cutoff)
            assert python.value == sql, (item.title, cutoff)
    late = {item.id for item, c in rows if c == "done_late"}
    assert late == {fx["B"]} and all(is_done_late(i.due_date, i.completed_on) for i, c in rows if c == "done_late")


def test_by_task_lists_every_task_with_counts(session, fx):
    frame = dashboard.by_task(session, filters=Filters(plan_id=fx["plan"]), today=TODAY).set_index("number")
    assert len(frame) == 16 and frame.loc[11, "items"] == 0 and frame.loc[11, "completion_rate"] == 0.0
    t2, t5 = frame.loc[2], frame.loc[5]
    assert (t2["items"], t2["done"], t2["in_progress"], t2["done_late"], t2["overdue"]) == (3, 2, 1, 1, 0)
    assert (t2["completion_rate"], t2["average_progress"]) == (66.7, 83.3)
    assert (t5["not_started"], t5["in_progress"], t5["awaiting_confirmation"], t5["overdue"], t5["blocked"]) == (1, 1, 1, 1, 1)
    assert (t5["completion_rate"], t5["average_progress"], t5["task"]) == (0.0, 43.3, "(5)")


def test_by_unit_ranks_lowest_completion_rate_first(session, fx):
    frame = dashboard.by_unit(session, filters=Filters(plan_id=fx["plan"]), today=TODAY)
    assert list(frame["unit"]) == ["Sở Nội vụ thành phố Hà Nội", "Vụ Tổ chức - Biên chế"]
    assert list(frame["completion_rate"]) == [0.0, 66.7] and list(frame["overdue"]) == [0, 1]
    assert list(frame["average_progress"]) == [46.7, 80.0]
    assert list(frame["kind"]) == ["provincial", "ministry_admin"]


def test_heatmap_uses_the_rag_rule_per_cell(session, fx):
    frame = dashboard.heatmap(session, filters=Filters(plan_id=fx["plan"]), today=TODAY)
    cells = {(r.unit_id, r.number): (r.items, r.red, r.amber, r.green, r.worst) for r in frame.itertuples()}
    assert cells == {
        (fx["tcbc"], 2): (2, 0, 0, 2, "green"),
        (fx["tcbc"], 5): (1, 1, 0, 0, "red"),
        (fx["hanoi"], 2): (1, 0, 0, 1, "green"),
        (fx["hanoi"], 5): (2, 0, 1, 1, "amber"),
    }


def test_items_behind_a_heatmap_cell(session, fx):
    rows = dashboard.items(session, filters=Filters(plan_id=fx["plan"]), today=TODAY, unit_id=fx["hanoi"],
                           task_id=fx["task5"])
    assert list(rows["id"]) == [fx["E"], fx["F"]]  # amber before green
    assert list(rows["rag_label"]) == ["Có nguy cơ chậm", "Đúng tiến độ"]
    red = dashboard.items(session, filters=Filters(plan_id=fx["plan"]), today=TODAY, rag=dashboard.Rag.RED)
    assert list(red["id"]) == [fx["C"]]
    watch = dashboard.items(session, filters=Filters(plan_id=fx["plan"]), today=TODAY, at_risk=True)
    assert list(watch["id"]) == [fx["C"], fx["E"]]
    problems = dashboard.items(session, filters=Filters(plan_id=fx["plan"]), today=TODAY, problems_only=True)
    assert list(problems["id"]) == [fx["C"], fx["E"]]  # overdue C; E blocked
    assert dashboard.count_items(session, filters=Filters(plan_id=fx["plan"]), today=TODAY, problems_only=True) == 2


def test_targets_and_budget(session, fx):
    forms = dashboard.forms(session, filters=Filters(plan_id=fx["plan"]), today=TODAY).set_index("form_id")
    assert (forms.loc[fx["form1"], "target"], forms.loc[fx["form1"], "achieved"]) == (36, 26)
    assert (forms.loc[fx["form2"], "target"], forms.loc[fx["form2"], "achieved"]) == (36, 17)
    money = dashboard.budget(session, filters=Filters(plan_id=fx["plan"]), today=TODAY).set_index("number")
    assert (money.loc[2, "planned"], money.loc[2, "spent"]) == (60_000_000, 45_000_000)
    assert (money.loc[5, "planned"], money.loc[5, "spent"]) == (20_000_000, 5_000_000)


@pytest.mark.parametrize("change, expected", [
    ({"unit_kind": UnitKind.PROVINCIAL}, {"D", "E", "F"}),
    ({"unit_kind": UnitKind.MINISTRY_ADMIN}, {"A", "B", "C"}),
    ({"task": "task5"}, {"C", "E", "F"}),
    ({"unit": "tcbc"}, {"A", "B", "C"}),
    ({"form": "form2"}, {"D", "E", "F"}),
    ({"date_from": dt.date(2024, 7, 1), "date_to": dt.date(2024, 7, 31)}, {"C", "D", "E", "F"}),
    ({"date_to": dt.date(2024, 6, 30)}, {"A", "B", "C", "E", "F"}),
])
def test_filters_choose_items(session, fx, change, expected):
    kw = {"plan_id": fx["plan"]}
    for key, value in change.items():
        kw[{"task": "task_id", "unit": "unit_id", "form": "form_id"}.get(key, key)] = fx[value] if key in ("task", "unit", "form") else value
    rows = dashboard.items(session, filters=Filters(**kw), today=TODAY)
    assert set(rows["id"]) == {fx[n] for n in expected}
    assert dashboard.headline(session, filters=Filters(**kw), today=TODAY).items == len(expected)


def test_reporting_round_counts_follow_unit_filter(session, fx):
    h = dashboard.headline(session, filters=Filters(plan_id=fx["plan"], unit_kind=UnitKind.PROVINCIAL), today=TODAY)
    assert (h.units_reported, h.units_expected) == (0, 1)


def test_cumulative_flow_is_rebuilt_from_history(session, fx):
    frame = flow_service.flow(session, filters=Filters(plan_id=fx["plan"]), today=TODAY, year=2024, freq="M")
    got = {r.period_end: (r.not_started, r.in_progress, r.awaiting_confirmation, r.done) for r in frame.itertuples()}
    assert got == {
        dt.date(2024, 1, 31): (0, 0, 0, 0),
        dt.date(2024, 2, 29): (3, 0, 0, 0),
        dt.date(2024, 3, 31): (1, 2, 0, 0),
        dt.date(2024, 4, 30): (2, 4, 0, 0),
        dt.date(2024, 5, 31): (1, 5, 0, 0),
        dt.date(2024, 6, 30): (1, 3, 0, 2),
        dt.date(2024, 7, 31): (1, 3, 0, 2),  # F's hand-in at 00:30 on 01/08 in Hà Nội is not July's
        dt.date(2024, 8, 1): (1, 2, 1, 2),   # the last point equals today's state
    }
    assert list(frame["total"]) == [0, 3, 3, 6, 6, 6, 6, 6]


def test_weekly_flow_and_filters(session, fx):
    frame = flow_service.flow(session, filters=Filters(plan_id=fx["plan"], unit_id=fx["tcbc"]), today=TODAY,
                           year=2024, freq="W")
    assert frame["period_end"].iloc[0] == dt.date(2024, 1, 7) and frame["period_end"].iloc[-1] == TODAY
    assert all(d.weekday() == 6 for d in frame["period_end"].iloc[:-1])
    row = frame.set_index("period_end").loc[dt.date(2024, 6, 16)]  # B done 10/06, A handed in 18/06
    assert (row["not_started"], row["in_progress"], row["done"]) == (0, 2, 1)


def test_compare_plans_side_by_side(session, fx):
    frame = dashboard.compare_plans(session, plan_ids=[fx["plan_2023"], fx["plan"]], today=TODAY)
    assert list(frame["year"]) == [2023, 2024]
    assert list(frame["items"]) == [1, 6] and list(frame["done"]) == [1, 2] and list(frame["completion_rate"]) == [100.0, 33.3]
    assert list(frame["average_progress"]) == [100.0, 63.3]


def test_build_requires_sign_in_and_a_plan(session, fx):
    with pytest.raises(PermissionDenied):
        dashboard.build(session, actor=None, filters=Filters(plan_id=fx["plan"]), today=TODAY)
    with pytest.raises(NotFound):
        dashboard.build(session, actor=LEADER, filters=Filters(plan_id=999_999), today=TODAY)
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=fx["plan"]), today=TODAY)
    assert board.headline.items == 6 and len(board.gantt) == 6 and board.flow["total"].iloc[-1] == 6
    assert board.plan_year == 2024 and list(board.gantt["id"])[0] in {fx[n] for n in "ABCEF"}


def test_a_view_without_items_gives_zeros_and_empty_tables(session, fx):
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=fx["plan"], form_id=999_999), today=TODAY)
    assert board.headline.items == 0 and board.headline.completion_rate == 0.0
    assert board.headline.average_progress == 0.0 and board.headline.overdue_rate == 0.0
    assert len(board.by_task) == 16 and board.by_task["items"].sum() == 0
    assert board.by_unit.empty and board.heatmap.empty and board.forms.empty and board.budget.empty
    assert board.flow["total"].sum() == 0 and board.gantt.empty
