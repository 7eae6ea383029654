"""Dashboard charts: pure functions from the dashboard's DataFrames to plotly Figures.

Each returns a `Chart`: the figure and one line of Vietnamese that says what it shows
("Nhiệm vụ (9) chậm nhất: 3 việc quá hạn"). Figures use a system font and no map tiles, so they
render offline; Streamlit serves its own copy of plotly.js.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from tracker.models import Status
from tracker.rag import RAG_COLORS, RAG_LABELS, Rag
from tracker.text import fold, format_date, format_money, format_number, shorten
from tracker.workflow import STATUS_LABELS, STATUS_ORDER

FONT = "DejaVu Sans, Arial, sans-serif"
STATUS_COLORS = {
    Status.NOT_STARTED: "#9e9e9e",
    Status.IN_PROGRESS: "#1565c0",
    Status.AWAITING_CONFIRMATION: "#f9a825",
    Status.DONE: "#2e7d32",
}
UNIT_LIMIT = 25
GANTT_ROWS = 80


@dataclass(frozen=True)
class Chart:
    figure: go.Figure
    reading: str


def format_percent(value: float) -> str:
    """63.3 -> '63,3%' (Vietnamese decimal comma)."""
    return f"{value:.1f}".replace(".", ",") + "%"


def plain(values) -> list[str]:
    """Text as plotly must receive it: its pseudo-HTML (<a href>, <b>, <br>) escaped, so it shows as typed.

    Plotly renders a subset of HTML in titles, tick labels, legends and hover labels and turns
    entities back into characters: escaping keeps a title's `<a href=...>` from becoming a live link.
    """
    return [html.escape(str(v), quote=False) for v in values]


def _layout(fig: go.Figure, *, title: str, height: int = 420, **kw) -> go.Figure:
    defaults = {"margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "legend": {"orientation": "h", "y": -0.15}}
    fig.update_layout(
        title={"text": plain([title])[0], "font": {"size": 16}}, height=height, font={"family": FONT, "size": 13},
        plot_bgcolor="white", **{**defaults, **kw},
    )
    return fig


def _empty(title: str) -> Chart:
    fig = _layout(go.Figure(), title=title, height=200)
    fig.add_annotation(text="Không có dữ liệu", showarrow=False, font={"size": 14})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return Chart(fig, "Không có công việc nào theo bộ lọc đang chọn.")


def task_status(by_task: pd.DataFrame, *, task_label: str = "Nhiệm vụ trọng tâm") -> Chart:
    """Stacked status bars per priority task, the completion rate (done ÷ items) written at the end of each bar."""
    title = f"{task_label}: trạng thái và tỷ lệ hoàn thành"
    if by_task.empty or by_task["items"].sum() == 0:
        return _empty(title)
    frame = by_task.sort_values("number", ascending=False)
    fig = go.Figure()
    for status in STATUS_ORDER:
        fig.add_bar(y=plain(frame["task"]), x=frame[status.value], name=STATUS_LABELS[status], orientation="h",
                    marker_color=STATUS_COLORS[status],
                    hovertemplate="%{y}: %{x} việc " + STATUS_LABELS[status].lower() + "<extra></extra>")
    fig.add_scatter(y=plain(frame["task"]), x=frame["items"], mode="text", showlegend=False, hoverinfo="skip",
                    text=[f"  {format_percent(p)}" if n else "" for p, n in zip(frame["completion_rate"], frame["items"])],
                    textposition="middle right")
    _layout(fig, title=title, height=max(300, 28 * len(frame) + 120), barmode="stack",
            xaxis={"title": "Số công việc", "range": [0, frame["items"].max() * 1.15]})
    worst = by_task.sort_values(["overdue", "completion_rate"], ascending=[False, True]).iloc[0]
    if worst["overdue"] > 0:
        reading = f"Nhiệm vụ {worst['task']} chậm nhất: {int(worst['overdue'])} việc quá hạn."
    else:
        with_items = by_task[by_task["items"] > 0].sort_values("completion_rate")
        low = with_items.iloc[0]
        reading = (f"Không nhiệm vụ nào có việc quá hạn; nhiệm vụ {low['task']} có tỷ lệ hoàn thành thấp nhất "
                   f"({format_percent(low['completion_rate'])}).")
    return Chart(fig, reading)


def unit_ranking(by_unit: pd.DataFrame, *, limit: int = UNIT_LIMIT) -> Chart:
    """Units by completion rate (lowest first, at most `limit`), average progress and overdue beside each bar."""
    title = "Đơn vị: tỷ lệ hoàn thành (việc hoàn thành/tổng số việc) và số việc quá hạn"
    if by_unit.empty:
        return _empty(title)
    frame = by_unit.head(limit).iloc[::-1]
    colors = [RAG_COLORS[Rag.RED] if o else "#1565c0" for o in frame["overdue"]]
    fig = go.Figure(go.Bar(
        y=plain(frame["unit"]), x=frame["completion_rate"], orientation="h", marker_color=colors,
        text=[f"{format_percent(p)} ({d}/{n})" + (f" · {o} quá hạn" if o else "")
              for p, d, n, o in zip(frame["completion_rate"], frame["done"], frame["items"], frame["overdue"])],
        textposition="outside", cliponaxis=False, customdata=frame["unit_id"],
        hovertemplate="%{y}: %{text}<extra></extra>"))
    shown = "" if len(by_unit) <= limit else f" ({limit}/{len(by_unit)} đơn vị thấp nhất)"
    _layout(fig, title=title + shown, height=max(300, 26 * len(frame) + 120),
            xaxis={"range": [0, 135], "title": "Tỷ lệ hoàn thành (%)", "tickvals": [0, 20, 40, 60, 80, 100]})
    low = by_unit.iloc[0]
    most = by_unit.sort_values(["overdue", "completion_rate"], ascending=[False, True]).iloc[0]
    reading = (f"Tỷ lệ hoàn thành thấp nhất: {low['unit']} ({format_percent(low['completion_rate'])}, "
               f"tiến độ bình quân {format_percent(low['average_progress'])})")
    reading += (f"; nhiều việc quá hạn nhất: {most['unit']} ({int(most['overdue'])} việc)." if most["overdue"]
                else "; không đơn vị nào có việc quá hạn.")
    return Chart(fig, reading)


HEATMAP_ROW_PX = 28
# Above this many squares the map is read by its colours and the numbers are left out of the squares (on
# hover, in the list view, and back once the filters narrow it): the numbers are most of the drawing's cost,
# and Streamlit draws every chart twice (0,14 → 0,05 s a drawing for 1.219 squares; docs/benchmarks.md).
HEATMAP_NUMBERS_MAX = 600
_UNIT_CHAR_PX, _TICK_CHAR_PX = 7.0, 6.4  # a little over DejaVu Sans' mean width at 13 px and 10 px


def _heatmap_margin(units: list[str], ticks: list[str]) -> dict[str, int]:
    """Margins that already hold the unit names (left) and the task names slanted at 40° (top, and right for
    the last one). Plotly's automargin stays on, but finding nothing to push it does not draw the thousand
    squares and their numbers a second time: 0,38 → 0,14 s in Chromium at 10.000 items (docs/benchmarks.md).
    A longer label than estimated is still pushed (one more drawing, nothing cut)."""
    longest = max(len(t) for t in ticks) * _TICK_CHAR_PX
    return {"l": round(16 + _UNIT_CHAR_PX * max(len(u) for u in units)),
            "r": round(12 + 0.7 * len(ticks[-1]) * _TICK_CHAR_PX),
            "t": round(48 + 0.65 * longest + 10), "b": 84}  # b: the legend, on two lines in a narrow window


def rag_heatmap(heat: pd.DataFrame, task_names: Mapping[str, str] | None = None) -> Chart:
    """Units × priority tasks, each cell coloured by its worst RAG class and labelled with its counts.

    `task_names` (the task's text by its column, "(1)") name the columns, shortened at a word boundary.

    Drawn as square markers rather than a heatmap trace: a click selects one point, which the page
    turns into the list of the cell's items (heatmap traces do not report single clicks).
    """
    title = "Bản đồ nhiệt đỏ / vàng / xanh: đơn vị × nhiệm vụ (bấm vào ô để xem công việc)"
    if heat.empty:
        return _empty(title)
    tasks = plain(heat.sort_values("number")["task"].drop_duplicates())
    units = plain(sorted(heat["unit"].unique(), key=fold, reverse=True))
    numbered = len(heat) <= HEATMAP_NUMBERS_MAX
    fig = go.Figure()
    for rag in (Rag.RED, Rag.AMBER, Rag.GREEN):
        part = heat[heat["worst"] == rag.value]
        if part.empty:
            continue
        fig.add_scatter(
            x=plain(part["task"]), y=plain(part["unit"]), mode="markers+text" if numbered else "markers",
            name=RAG_LABELS[rag],
            marker={"symbol": "square", "size": 26, "color": RAG_COLORS[rag]},
            text=[str(r) if r else str(n) for r, n in zip(part["red"], part["items"])],
            textfont={"color": "white", "size": 11},
            customdata=part[["unit_id", "task_id", "red", "amber", "green"]].to_numpy(),
            hovertemplate="%{y} · nhiệm vụ %{x}<br>Quá hạn: %{customdata[2]} · Có nguy cơ chậm: "
                          "%{customdata[3]} · Đúng tiến độ: %{customdata[4]}<extra></extra>")
    names = task_names or {}
    # Catalog text, editable by the office: escaped, as plotly reads tick labels as HTML.
    shown = [f"{t} {shorten(names[t], 30)}" if names.get(t) else t for t in tasks]
    ticks = [f"<b>{t}</b> {html.escape(shorten(names[t], 30))}" if names.get(t) else t for t in tasks]
    margin = _heatmap_margin(units, shown)
    _layout(fig, title=title, height=max(320, HEATMAP_ROW_PX * len(units) + margin["t"] + margin["b"]),
            # Ranges fixed to the squares: plotly's own padding for a thousand labelled points left about
            # five rows' height empty above and below them.
            xaxis={"categoryorder": "array", "categoryarray": tasks, "side": "top", "showgrid": False,
                   "tickvals": tasks, "ticktext": ticks, "tickangle": -40, "tickfont": {"size": 10},
                   "automargin": True, "range": [-0.6, len(tasks) - 0.4]},
            yaxis={"categoryorder": "array", "categoryarray": units, "showgrid": False,
                   "range": [-0.6, len(units) - 0.4], "automargin": True},
            clickmode="event+select", dragmode=False, margin=margin,
            # Right under the squares (the default, 15 % of the height below, left 370 px empty here).
            legend={"orientation": "h", "yref": "paper", "y": 0, "yanchor": "top"})
    # The title on the chart's top edge, above the slanted task names (which push the squares down).
    fig.update_layout(title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 8}})
    red = heat[heat["red"] > 0]
    if red.empty:
        reading = "Không ô nào có việc quá hạn."
    else:
        per_unit = red.groupby("unit").size().sort_values(ascending=False)
        reading = (f"{len(red)} ô có việc quá hạn (đỏ); {per_unit.index[0]} quá hạn ở "
                   f"{int(per_unit.iloc[0])} nhiệm vụ.")
    if not numbered:
        reading += (f" Số việc trong từng ô: di chuột lên ô, chọn “Xem dạng danh sách”, hoặc lọc còn tối đa "
                    f"{format_number(HEATMAP_NUMBERS_MAX)} ô.")
    return Chart(fig, reading)


def gantt(rows: pd.DataFrame, *, group: str = "task", today: dt.date | None = None, limit: int = GANTT_ROWS,
          year: int | None = None) -> Chart:
    """Timeline of items (start → due), grouped by task or unit, coloured by RAG; at most `limit` rows.

    The time axis spans the plan's `year` and the items' dates, not today: a past plan's bars fill the
    width (today's line is drawn only when it falls inside).
    """
    title = "Tiến trình công việc theo " + ("nhiệm vụ" if group == "task" else "đơn vị")
    frame = rows.dropna(subset=["due_date"]).copy()
    if frame.empty:
        return _empty(title)
    key = "task" if group == "task" else "unit"
    frame["start"] = pd.to_datetime(frame["start_date"].fillna(frame["due_date"]))
    frame["end"] = pd.to_datetime(frame["due_date"]) + pd.Timedelta(days=1)
    frame["order"] = frame["number"] if key == "task" else frame["unit"].map(fold)
    frame = frame.sort_values(["order", "start", "id"]).head(limit)
    frame["row"] = plain(f"{k} · #{i} {shorten(t, 40)}" for k, i, t in zip(frame[key], frame["id"], frame["title"]))
    frame["title"], frame["unit"] = plain(frame["title"]), plain(frame["unit"])
    fig = go.Figure()
    for rag in (Rag.RED, Rag.AMBER, Rag.GREEN):
        part = frame[frame["rag"] == rag.value]
        if part.empty:
            continue
        fig.add_bar(
            y=part["row"], base=part["start"], x=(part["end"] - part["start"]).dt.total_seconds() * 1000,
            orientation="h", marker_color=RAG_COLORS[rag], name=RAG_LABELS[rag],
            customdata=part[["id", "title", "unit"]].to_numpy(),
            hovertemplate="#%{customdata[0]} %{customdata[1]}<br>%{customdata[2]}<extra></extra>")
    height = max(320, 22 * len(frame) + 160)
    first, last = frame["start"].min(), frame["end"].max()
    if year is not None:
        first, last = min(first, pd.Timestamp(year, 1, 1)), max(last, pd.Timestamp(year + 1, 1, 1))
    _layout(fig, title=title, height=height, barmode="overlay",
            xaxis={"type": "date", "tickformat": "%d/%m/%Y", "side": "top", "range": [first, last]},
            yaxis={"categoryorder": "array", "categoryarray": list(frame["row"])[::-1], "automargin": True})
    # Dates on top (visible without scrolling a long chart), legend just under the bars.
    fig.update_layout(margin={"t": 90, "b": 40}, legend={"orientation": "h", "y": -10 / height, "yanchor": "top"})
    if today is not None and first <= pd.Timestamp(today) <= last:
        fig.add_vline(x=pd.Timestamp(today).timestamp() * 1000, line_dash="dot", line_color="#555")
    late = int((frame["rag"] == Rag.RED.value).sum())
    reading = f"{len(frame)} công việc trên trục thời gian; {late} việc quá hạn (màu đỏ)."
    if len(rows) > len(frame):
        reading = (f"{len(frame)}/{len(rows)} công việc trên trục thời gian; {late} việc quá hạn (màu đỏ). "
                   "Chọn một nhiệm vụ hoặc đơn vị ở bộ lọc để xem đầy đủ.")
    return Chart(fig, reading)


def cumulative_flow(flow: pd.DataFrame) -> Chart:
    """Stacked areas: items in each status at the end of each period (from history), done first."""
    title = "Luồng tích lũy: trạng thái công việc cuối mỗi kỳ (theo lịch sử cập nhật)"
    if flow.empty or flow["total"].max() == 0:
        return _empty(title)
    x = [pd.Timestamp(d) for d in flow["period_end"]]
    fig = go.Figure()
    for status in reversed(STATUS_ORDER):
        fig.add_scatter(x=x, y=flow[status.value], name=STATUS_LABELS[status], stackgroup="flow", mode="lines",
                        line={"width": 0.5, "color": STATUS_COLORS[status]},
                        hovertemplate="%{x|%d/%m/%Y}: %{y} việc " + STATUS_LABELS[status].lower() + "<extra></extra>")
    # Ticks on the period ends themselves (31/01, 29/02…), not on plotly's month starts; weeks are too many.
    shown = x[:-2] + x[-1:] if len(x) > 1 and (x[-1] - x[-2]).days < 10 else x  # today's label would overlap
    ticks = {"tickvals": shown} if len(x) <= 13 else {}
    _layout(fig, title=title, xaxis={"tickformat": "%d/%m/%Y", **ticks}, yaxis_title="Số công việc")
    last = flow.iloc[-1]
    done, total = int(last["done"]), int(last["total"])
    share = format_percent(100 * done / total) if total else format_percent(0)
    reading = f"Đến {format_date(last['period_end'])}: {done}/{total} việc hoàn thành ({share})"
    if len(flow) > 1:
        gained = done - int(flow.iloc[-2]["done"])
        reading += f", thêm {gained} việc so với {format_date(flow.iloc[-2]['period_end'])}."
    else:
        reading += "."
    return Chart(fig, reading)


def targets(forms: pd.DataFrame) -> Chart:
    """Targets against achieved outputs by communication form."""
    title = "Chỉ tiêu và kết quả theo hình thức truyền thông"
    frame = forms[forms["target"] > 0]
    if frame.empty:
        return _empty(title)
    frame = frame.iloc[::-1]
    fig = go.Figure()
    fig.add_bar(y=plain(frame["form"]), x=frame["target"], name="Chỉ tiêu", marker_color="#90a4ae", orientation="h")
    fig.add_bar(y=plain(frame["form"]), x=frame["achieved"], name="Đã đạt", marker_color="#1565c0", orientation="h")
    _layout(fig, title=title, barmode="group", xaxis_title="Số sản phẩm", height=max(320, 44 * len(frame) + 140))
    ratio = frame.assign(r=frame["achieved"] / frame["target"]).sort_values("r").iloc[0]
    reading = (f"Hình thức đạt thấp nhất so với chỉ tiêu: {ratio['form']} "
               f"({int(ratio['achieved'])}/{int(ratio['target'])}).")
    return Chart(fig, reading)


def budget(money: pd.DataFrame) -> Chart:
    """Budget planned against spent per priority task."""
    title = "Kinh phí kế hoạch và đã chi theo nhiệm vụ"
    frame = money[(money["planned"] > 0) | (money["spent"] > 0)]
    if frame.empty:
        return _empty(title)
    fig = go.Figure()
    for col, name, color in (("planned", "Kế hoạch", "#90a4ae"), ("spent", "Đã chi", "#6a1b9a")):
        fig.add_bar(x=plain(frame["task"]), y=frame[col] / 1_000_000, name=name, marker_color=color,
                    customdata=[format_money(int(v)) for v in frame[col]], hovertemplate="%{x}: %{customdata}")
    _layout(fig, title=title, barmode="group", separators=",.",
            yaxis={"title": "Triệu đồng", "tickformat": ",.0f"})
    planned, spent = int(frame["planned"].sum()), int(frame["spent"].sum())
    share = f" ({format_percent(100 * spent / planned)})" if planned else ""
    return Chart(fig, f"Đã chi {format_money(spent)} trên {format_money(planned)} kế hoạch{share}.")


def year_over_year(compare: pd.DataFrame) -> Chart:
    """Two or more plans side by side: items, done on time, done late, overdue, and the completion rate."""
    title = "So sánh giữa các năm"
    if compare.empty:
        return _empty(title)
    measures = [("items", "Tổng số việc"), ("done_on_time", "Hoàn thành đúng hạn"),
                ("done_late", "Hoàn thành quá hạn"), ("overdue", "Quá hạn")]
    fig = go.Figure()
    for row in compare.itertuples():
        fig.add_bar(x=[label for _, label in measures], y=[getattr(row, m) for m, _ in measures],
                    name=plain([f"{row.code} ({row.year}) · {format_percent(row.completion_rate)}"])[0])
    _layout(fig, title=title, barmode="group", yaxis_title="Số công việc")
    parts = [f"năm {int(r.year)}: {format_percent(r.completion_rate)} ({int(r.done)}/{int(r.items)} việc hoàn thành)"
             for r in compare.itertuples()]
    return Chart(fig, "Tỷ lệ hoàn thành " + "; ".join(parts) + ".")
