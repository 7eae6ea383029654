"""Tổng quan: headline figures, charts and year-over-year comparison for a plan; filters in the URL."""

import streamlit as st

from tracker import charts, clock
from tracker.models import Role
from tracker.text import format_date
from tracker.ui import dashboard_data, dashboard_exports, data, saved_views
from tracker.ui import dashboard_view as view
from tracker.ui.auth import require_actor
from tracker.ui.text import md

actor = require_actor(Role.ADMIN, Role.LEADER, Role.VIEWER, Role.UNIT_HEAD, Role.STAFF)
today = clock.today()
dashboard_data.begin_run()  # the figures' data versions are read afresh: a write made anywhere shows now
st.title("Tổng quan")
filters = view.filter_bar(today)
if filters is None:
    st.info("Chưa có kế hoạch nào. Hãy chạy python -m tracker init để nạp danh mục.")
    st.stop()
saved_views.box("dashboard")
board = dashboard_data.dashboard(actor, filters, today)
st.caption(f"{md(board.plan_code)} · {md(board.plan_title)} · số liệu tính đến hết ngày {format_date(board.cutoff)}")
view.metrics(board.headline)

# Only the chart shown is built and sent (each plotly figure costs the browser a second or more to
# draw, hidden or not); the tab chosen is in the address (?view=...), so a link opens that chart.
# A fragment: switching tabs or a choice inside one reruns this part alone, not the filters, the
# headline and the list below (a tab switch used to resend the whole page). It only reads figures:
# a fragment's rerun does not check the sign-in again, and nothing here writes.
@st.fragment
def chart_tabs(actor, board, filters, today) -> None:
    dashboard_data.begin_run()
    tasks, units, heat, gantt, flow, money, years, exports = view.view_tabs()
    if tasks.open:
        with tasks:
            view.chart(charts.task_status(board.by_task, task_label=board.task_label), "dashboard_chart_tasks")
    if units.open:
        with units:
            view.chart(charts.unit_ranking(board.by_unit), "dashboard_chart_units")
    event = None
    if heat.open:
        with heat:
            names = {f"({t.label})": t.display_text for t in data.tasks(filters.plan_id)}
            if st.toggle("Xem dạng danh sách", key="dashboard_heat_as_list", persist_state="session",
                         help="Các ô của bản đồ nhiệt thành danh sách, ô nhiều việc quá hạn nhất ở đầu: dễ đọc trên "
                              "điện thoại."):
                event = view.heat_list(board.heatmap, names)
            else:
                event = view.chart(charts.rag_heatmap(board.heatmap, task_names=names), "dashboard_chart_heatmap",
                                   on_select="rerun", selection_mode="points")
    view.open_clicked_cell(event)
    if gantt.open:
        with gantt:
            group = st.radio("Nhóm theo", ["task", "unit"], horizontal=True, key="dashboard_gantt_group",
                             format_func={"task": "Nhiệm vụ", "unit": "Đơn vị"}.get, persist_state="session")
            view.chart(charts.gantt(board.gantt, group=group, today=board.cutoff, year=board.plan_year),
                       "dashboard_chart_gantt")
    if flow.open:
        with flow:
            freq = st.radio("Theo", ["M", "W"], horizontal=True, key="dashboard_flow_freq",
                            format_func={"M": "Tháng", "W": "Tuần"}.get, persist_state="session")
            view.chart(charts.cumulative_flow(dashboard_data.flow(filters, board.cutoff, board.plan_year, freq)),
                       "dashboard_chart_flow")
    if money.open:
        with money:
            view.chart(charts.targets(board.forms), "dashboard_chart_targets")
            view.chart(charts.budget(board.budget), "dashboard_chart_budget")
    if years.open:
        with years:
            choices = dashboard_data.plan_choices()
            labels = {i: label for i, _, label in choices}
            latest = sorted(choices, key=lambda p: p[1], reverse=True)
            picked = st.multiselect("Kế hoạch so sánh", list(labels), default=[p[0] for p in latest[:2]][::-1],
                                    format_func=labels.get, key="dashboard_compare_plans", max_selections=3,
                                    persist_state="session")
            st.caption("So sánh toàn bộ công việc của từng kế hoạch (không theo bộ lọc ở trên).")
            if picked:
                compare = dashboard_data.compare(tuple(picked), today)
                view.chart(charts.year_over_year(compare), "dashboard_chart_yoy")
                view.compare_table(compare)
    if exports.open:
        with exports:
            dashboard_exports.buttons(actor, board, today)


# Read before the fragment, whose begin_run makes the reads after it ask for the versions again.
attention = dashboard_data.items(filters, today, at_risk=True, limit=50)
attention_total = dashboard_data.count(filters, today, at_risk=True)
chart_tabs(actor, board, filters, today)
cell = view.selected_cell(None)  # the square in the address: its items open over any tab
if cell:
    view.cell_dialog(board.heatmap, cell, dashboard_data.items(filters, today, unit_id=cell[0], task_id=cell[1]))

st.subheader("Công việc cần chú ý", anchor=False)
view.item_list(attention, "dashboard_attention_items", total=attention_total)
