"""Dashboard filters as URL parameters: a round trip, and hand-edited links that still open."""

import datetime as dt

from tracker.models import UnitKind
from tracker.services.dashboard import Filters
from tracker.services.dashboard_filters import default_plan_id, from_params, to_params


def test_round_trip():
    f = Filters(plan_id=2, date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 6, 30),
                unit_kind=UnitKind.PROVINCIAL, unit_id=7, task_id=3, form_id=4)
    params = to_params(f)
    assert params == {"plan": "2", "from": "2024-01-01", "to": "2024-06-30", "kind": "provincial", "unit": "7",
                      "task": "3", "form": "4"}
    assert from_params(params, plan_ids={1, 2}, default_plan=1) == f


def test_unreadable_values_are_dropped_and_a_reversed_period_swapped():
    f = from_params({"plan": "99", "from": "2024-06-30", "to": "2024-01-01", "kind": "tỉnh", "unit": "abc",
                     "task": "-1"}, plan_ids={1, 2}, default_plan=1)
    assert f == Filters(plan_id=1, date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 6, 30))
    assert from_params({"from": "30/06/2024"}, plan_ids={1}, default_plan=1).date_from is None


def test_default_plan_is_this_years_else_the_newest():
    assert default_plan_id([(1, 2023), (2, 2024)], dt.date(2024, 8, 1)) == 2
    assert default_plan_id([(1, 2023), (2, 2024)], dt.date(2023, 8, 1)) == 1
    assert default_plan_id([(1, 2023), (2, 2024)], dt.date(2026, 1, 1)) == 2
    assert default_plan_id([], dt.date(2026, 1, 1)) is None
