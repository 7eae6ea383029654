"""Charts from the dashboard's frames: each has a Vietnamese reading of what it shows and renders offline."""

import pandas as pd
import pytest

from tests import dashboard_fixture
from tests.dashboard_fixture import TODAY
from tracker import charts
from tracker.models import Role
from tracker.permissions import Actor
from tracker.services import dashboard
from tracker.services.dashboard import Filters


@pytest.fixture
def board(session):
    fx = dashboard_fixture.build(session)
    leader = Actor(user_id=1, username="lanh.dao", role=Role.LEADER)
    compare = dashboard.compare_plans(session, plan_ids=[fx["plan_2023"], fx["plan"]], today=TODAY)
    return dashboard.build(session, actor=leader, filters=Filters(plan_id=fx["plan"]), today=TODAY), compare


def test_readings_say_what_each_chart_shows(board):
    b, compare = board
    assert charts.task_status(b.by_task).reading == "Nhiệm vụ (5) chậm nhất: 1 việc quá hạn."
    assert charts.unit_ranking(b.by_unit).reading == (
        "Tỷ lệ hoàn thành thấp nhất: Sở Nội vụ thành phố Hà Nội (0,0%, tiến độ bình quân 46,7%); "
        "nhiều việc quá hạn nhất: Vụ Tổ chức - Biên chế (1 việc).")
    assert charts.rag_heatmap(b.heatmap).reading == "1 ô có việc quá hạn (đỏ); Vụ Tổ chức - Biên chế quá hạn ở 1 nhiệm vụ."
    assert charts.gantt(b.gantt, today=TODAY).reading == "6 công việc trên trục thời gian; 1 việc quá hạn (màu đỏ)."
    assert charts.cumulative_flow(b.flow).reading == (
        "Đến 01/08/2024: 2/6 việc hoàn thành (33,3%), thêm 0 việc so với 31/07/2024.")
    assert charts.budget(b.budget).reading == "Đã chi 50.000.000 đ trên 80.000.000 đ kế hoạch (62,5%)."
    assert charts.targets(b.forms).reading.endswith("(17/36).")
    assert charts.year_over_year(compare).reading == (
        "Tỷ lệ hoàn thành năm 2023: 100,0% (1/1 việc hoàn thành); năm 2024: 33,3% (2/6 việc hoàn thành).")


def test_figures_use_a_system_font_and_nothing_from_the_internet(board):
    b, compare = board
    made = [charts.task_status(b.by_task), charts.unit_ranking(b.by_unit), charts.rag_heatmap(b.heatmap),
            charts.gantt(b.gantt, group="unit"), charts.cumulative_flow(b.flow), charts.targets(b.forms),
            charts.budget(b.budget), charts.year_over_year(compare)]
    for chart in made:
        assert chart.figure.layout.font.family == charts.FONT
        text = chart.figure.to_json()
        assert "mapbox" not in chart.figure.layout.to_plotly_json() and "http" not in text


def test_gantt_shows_at_most_the_limit_and_says_so(board):
    b, _ = board
    chart = charts.gantt(b.gantt, group="unit", limit=2)
    assert sum(len(t.y) for t in chart.figure.data) == 2
    assert chart.reading.startswith("2/6 công việc trên trục thời gian;")
    assert all(str(y).startswith("Sở Nội vụ thành phố Hà Nội · #") for t in chart.figure.data for y in t.y)


def test_heatmap_points_carry_unit_and_task_for_click_through(board):
    b, _ = board
    fig = charts.rag_heatmap(b.heatmap).figure
    red = next(t for t in fig.data if t.name == "Quá hạn")
    unit_id, task_id = red.customdata[0][:2]
    row = b.heatmap[(b.heatmap["unit_id"] == unit_id) & (b.heatmap["task_id"] == task_id)].iloc[0]
    assert row["worst"] == "red" and list(red.text) == ["1"]


def test_empty_frames_give_an_empty_chart_with_a_reading():
    chart = charts.unit_ranking(pd.DataFrame(columns=["unit", "completion_rate", "overdue", "unit_id"]))
    assert chart.reading == "Không có công việc nào theo bộ lọc đang chọn."


def test_the_monthly_flow_is_labelled_at_each_period_end(board):
    b, _ = board
    ticks = [pd.Timestamp(t).strftime("%d/%m/%Y") for t in charts.cumulative_flow(b.flow).figure.layout.xaxis.tickvals]
    # 31/07 is left out: its label would overlap today's (01/08), the last point
    assert ticks == ["31/01/2024", "29/02/2024", "31/03/2024", "30/04/2024", "31/05/2024", "30/06/2024",
                     "01/08/2024"]


def test_the_timeline_spans_the_plan_s_year_not_today(board):
    """A 2024 plan seen in 2026: the axis ends with 2024 (the bars fill the width), today's line is left out."""
    b, _ = board
    fig = charts.gantt(b.gantt, today=pd.Timestamp(2026, 12, 1).date(), year=2024).figure
    first, last = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
    assert first == pd.Timestamp(2024, 1, 1) and last == pd.Timestamp(2025, 1, 1)
    assert not fig.layout.shapes


def test_the_heat_map_columns_carry_the_task_names_cut_at_a_word(board):
    b, _ = board
    names = {t: "<i>Tuyên truyền</i> về chính sách cải cách tiền lương theo Nghị quyết số 27-NQ/TW"
             for t in b.heatmap["task"]}
    ticks = charts.rag_heatmap(b.heatmap, task_names=names).figure.layout.xaxis.ticktext
    assert ticks and all(t.startswith("<b>(") for t in ticks)
    assert ticks[0].endswith("</b> &lt;i&gt;Tuyên truyền&lt;/i&gt; về chính…")


def _heat(units: int, tasks: int) -> pd.DataFrame:
    return pd.DataFrame([{"unit": f"Sở Nội vụ số {i}", "unit_id": i, "task": f"({j})", "task_id": j, "number": j,
                          "worst": "red" if (i + j) % 2 else "green", "red": (i + j) % 2, "amber": 0, "green": 1,
                          "items": 2} for i in range(units) for j in range(1, tasks + 1)])


def test_a_heat_map_of_many_squares_is_read_by_its_colours_and_says_where_the_numbers_are():
    small, large = charts.rag_heatmap(_heat(20, 16)), charts.rag_heatmap(_heat(83, 16))  # 320 and 1.328 squares
    assert {t.mode for t in small.figure.data} == {"markers+text"} and all(t.text for t in small.figure.data)
    assert {t.mode for t in large.figure.data} == {"markers"}
    assert "di chuột lên ô, chọn “Xem dạng danh sách”, hoặc lọc còn tối đa 600 ô" in large.reading
    assert "di chuột" not in small.reading
    # The counts are still on every square's hover.
    assert all("Quá hạn: %{customdata[2]}" in t.hovertemplate for t in large.figure.data)
