"""Tổng quan through AppTest: headline metrics, filters kept in the URL, click-through from the heat map."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import dashboard_fixture
from tests.factories import make_user, sign_in
from tracker.db import session_scope
from tracker.models import Role, UnitKind

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def setup(db_env, engine, monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", "2024-08-01")
    with session_scope(engine) as s:
        ids = dashboard_fixture.build(s)
        users = {role: make_user(s, f"user.{role.value}", role,
                                 "VU-TCBC" if role in (Role.UNIT_HEAD, Role.STAFF) else None)
                 for role in Role}
    return users, ids


def _open(user, query=None):
    at = AppTest.from_file(str(APP), default_timeout=60)
    sign_in(at, user)
    at.run()
    if query:
        at.query_params.update(query)
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception, at.exception
    return at


def _metrics(at):
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_headline_figures(setup, role):
    users, ids = setup
    at = _open(users[role], {"plan": str(ids["plan"])})
    assert at.title[0].value == "Tổng quan"
    assert _metrics(at) == {"Tổng số công việc": "6", "Hoàn thành đúng hạn": "1", "Hoàn thành quá hạn": "1",
                            "Đang thực hiện trong hạn": "3", "Quá hạn": "1", "Tỷ lệ hoàn thành": "33,3%",
                            "Tiến độ bình quân": "63,3%", "Tỷ lệ quá hạn": "33,3%"}
    captions = " ".join(c.value for c in at.caption)
    assert "2/6 việc hoàn thành" in captions and "1/3 việc đã đến hạn" in captions
    assert "Đang vướng mắc: 1 việc · Đơn vị đã báo cáo (Báo cáo 6 tháng 2024): 1/2" in captions
    assert "Nhiệm vụ (5) chậm nhất: 1 việc quá hạn." in captions


def test_a_link_with_filters_opens_that_view(setup):
    users, ids = setup
    at = _open(users[Role.LEADER], {"plan": str(ids["plan"]), "kind": "provincial", "task": str(ids["task5"])})
    assert _metrics(at)["Tổng số công việc"] == "2"  # E, F
    assert at.selectbox(key="dashboard_filter_kind").value is UnitKind.PROVINCIAL
    assert at.selectbox(key="dashboard_filter_unit").value == 0  # "Tất cả"
    assert at.selectbox(key="dashboard_filter_unit").options[0] == "Tất cả"


def test_changing_a_filter_updates_the_url_and_figures(setup):
    users, ids = setup
    at = _open(users[Role.LEADER], {"plan": str(ids["plan"])})
    at.selectbox(key="dashboard_filter_unit").set_value(ids["tcbc"]).run()
    assert not at.exception
    assert at.query_params["unit"] == str(ids["tcbc"]) and at.query_params["plan"] == str(ids["plan"])
    assert _metrics(at)["Tổng số công việc"] == "3" and _metrics(at)["Tỷ lệ hoàn thành"] == "66,7%"
    assert _metrics(at)["Tiến độ bình quân"] == "80,0%"
    at.selectbox(key="dashboard_filter_unit").set_value(0).run()
    assert "unit" not in at.query_params and _metrics(at)["Tổng số công việc"] == "6"


def test_coming_back_with_only_the_plan_in_the_address_keeps_the_filters(setup):
    users, ids = setup
    at = _open(users[Role.LEADER], {"plan": str(ids["plan"])})
    at.selectbox(key="dashboard_filter_unit").set_value(ids["tcbc"]).run()
    at.switch_page("pages/plans.py").run()
    at.switch_page("pages/plans.py").run()  # a second run on another page drops the dashboard's widgets
    at.query_params.clear()
    at.query_params["plan"] = str(ids["plan"])
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception
    assert at.selectbox(key="dashboard_filter_unit").value == ids["tcbc"]
    assert at.query_params["unit"] == str(ids["tcbc"]) and _metrics(at)["Tổng số công việc"] == "3"


def _descendants(node):
    for child in (getattr(node, "children", None) or {}).values():
        yield child
        yield from _descendants(child)


def test_heatmap_cell_in_the_url_lists_its_items_with_links(setup):
    users, ids = setup
    at = _open(users[Role.LEADER], {"plan": str(ids["plan"]), "cell": f"{ids['hanoi']}-{ids['task5']}"})
    assert any(s.value == "Công việc: Sở Nội vụ thành phố Hà Nội · nhiệm vụ (5)" for s in at.subheader)
    # In a dialog, drawn over the map where the square was clicked, not some 2.000 px under it.
    dialog = next(b for root in at._tree.children.values() for b in root.children.values() if b.type == "dialog")
    assert [e.value for e in _descendants(dialog) if e.type == "subheader"] == [
        "Công việc: Sở Nội vụ thành phố Hà Nội · nhiệm vụ (5)"]
    cell = at.dataframe(key="dashboard_cell_items").value
    assert list(cell["Công việc"]) == ["Công việc E", "Công việc F"]
    assert list(cell["Đánh giá"]) == ["Đang thực hiện trong hạn", "Đang thực hiện trong hạn"]
    assert list(cell["Mức độ"]) == ["Có nguy cơ chậm", "Đúng tiến độ"]
    attention = at.dataframe(key="dashboard_attention_items").value
    assert list(attention["Công việc"]) == ["Công việc C", "Công việc E"]  # red, then amber


def test_cumulative_flow_by_month_or_week(setup):
    users, ids = setup
    at = _open(users[Role.VIEWER], {"plan": str(ids["plan"]), "view": "Luồng tích lũy"})
    captions = [c.value for c in at.caption]
    assert "Đến 01/08/2024: 2/6 việc hoàn thành (33,3%), thêm 0 việc so với 31/07/2024." in captions
    at.radio(key="dashboard_flow_freq").set_value("W").run()
    captions = [c.value for c in at.caption]
    assert "Đến 01/08/2024: 2/6 việc hoàn thành (33,3%), thêm 0 việc so với 28/07/2024." in captions


def test_the_heat_map_as_a_list_worst_squares_first(setup):
    """On a phone the map is unreadable: the same squares as a list, the most overdue first, tasks named."""
    users, ids = setup
    at = _open(users[Role.LEADER], {"plan": str(ids["plan"]), "view": "Bản đồ nhiệt"})
    at.toggle(key="dashboard_heat_as_list").set_value(True).run()
    assert not at.exception, at.exception
    table = at.dataframe(key="dashboard_heat_list").value
    assert list(table.columns) == ["Đơn vị", "Quá hạn", "Có nguy cơ chậm", "Đúng tiến độ", "Nhiệm vụ"]
    assert list(table["Quá hạn"]) == sorted(table["Quá hạn"], reverse=True) and table["Quá hạn"].iloc[0] > 0
    assert all(t.startswith("(") and len(t) > 4 for t in table["Nhiệm vụ"])


def _chart_titles(at):
    import json

    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_only_the_chart_shown_is_built_and_the_address_names_it(setup):
    """Each plotly figure costs the browser a second or more to draw, hidden or not (docs/benchmarks.md)."""
    users, ids = setup
    at = _open(users[Role.LEADER], {"plan": str(ids["plan"])})
    assert len(_chart_titles(at)) == 1 and "view" not in at.query_params  # the first tab: a clean address
    at = _open(users[Role.LEADER], {"plan": str(ids["plan"]), "view": "Tiến trình"})
    assert len(_chart_titles(at)) == 1 and at.radio(key="dashboard_gantt_group").value == "task"
    at.radio(key="dashboard_gantt_group").set_value("unit").run()
    at.selectbox(key="dashboard_filter_kind").set_value(UnitKind.PROVINCIAL).run()
    assert at.query_params["view"] == "Tiến trình" and at.query_params["kind"] == "provincial"  # a filter keeps it
    at.query_params["view"] = "Chỉ tiêu và kinh phí"  # AppTest cannot click a tab: the address changes instead
    at.run()
    titles = _chart_titles(at)
    assert len(titles) == 2 and titles[0].startswith("Chỉ tiêu và kết quả") and titles[1].startswith("Kinh phí")
    assert "dashboard_gantt_group" not in [r.key for r in at.radio]
    at.query_params["view"] = "Tiến trình"
    at.run()
    assert at.radio(key="dashboard_gantt_group").value == "unit"  # the choice made in the tab survives a switch


def test_coming_back_to_an_address_without_the_square_reopens_its_list(setup):
    """Streamlit may push the item link's query onto Tổng quan's address first ("/?id=..."), so Back from
    the item can land on an address without ?cell=: the square still open is shown again."""
    users, ids = setup
    square = f"{ids['hanoi']}-{ids['task5']}"
    at = _open(users[Role.LEADER], {"plan": str(ids["plan"]), "cell": square})
    at.switch_page("pages/item.py").run()
    at.query_params.clear()
    at.query_params["id"] = "1"  # the extra history entry: the item's query on Tổng quan's address
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception
    assert at.query_params["cell"] == square
    assert list(at.dataframe(key="dashboard_cell_items").value["Công việc"]) == ["Công việc E", "Công việc F"]
    assert "id" not in at.query_params
