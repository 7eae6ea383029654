"""Pieces of the Tổng quan page: the filter bar kept in the URL, headline metrics, charts, item lists."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import streamlit as st

from tracker.charts import Chart, format_percent
from tracker.figures import GLOSSARY, RATES
from tracker.models import UnitKind
from tracker.services import dashboard_filters
from tracker.services.dashboard import UNIT_KIND_LABELS, Filters, Headline
from tracker.text import format_date, format_number, parse_id, shorten
from tracker.ui import dashboard_data
from tracker.ui.text import md
from tracker.ui.vietnamese import PLOTLY_CONFIG

_KEYS = {"plan": "dashboard_filter_plan", "from": "dashboard_filter_from", "to": "dashboard_filter_to",
         "kind": "dashboard_filter_kind", "unit": "dashboard_filter_unit", "task": "dashboard_filter_task",
         "form": "dashboard_filter_form", "asof": "dashboard_filter_asof"}


VIEWS = ["Nhiệm vụ", "Đơn vị", "Bản đồ nhiệt", "Tiến trình", "Luồng tích lũy", "Chỉ tiêu và kinh phí",
         "So sánh năm", "Xuất báo cáo"]
VIEW_KEY = "view"  # the tab shown, in the address: ?view=Bản đồ nhiệt
_TABS = "dashboard_view"
_LAST_VIEW = "dashboard_last_view"  # plain state, as _LAST: the tab to come back to from another page

_LAST = "dashboard_last_filters"  # plain state: survives the widgets being dropped while on another page


def _link_or_last() -> tuple[dict[str, str], bool]:
    """The filters to start from, and whether they are a new link (an address this page did not write).

    The link's filters; on coming back (Back button, sidebar) with none beyond the same plan, the
    last ones: leaving the page drops its widgets' state, and the address the browser comes back
    with may hold only the plan, so the filters the person set in this session are not lost.
    """
    link = {k: v for k, v in st.query_params.to_dict().items() if k in _KEYS}
    last = st.session_state.get(_LAST) or {}
    if not link or (set(link) == {"plan"} and link["plan"] == last.get("plan")):
        return last or link, False
    return link, link != last


def _seed(url: Filters, *, new_link: bool) -> None:
    """The widgets start from the link's parameters; a new link (e.g. opened while the page was
    already shown) replaces what they held, otherwise they keep the person's choices."""
    values = {"plan": url.plan_id, "from": url.date_from, "to": url.date_to, "kind": url.unit_kind,
              "unit": url.unit_id, "task": url.task_id, "form": url.form_id, "asof": url.as_of}
    for name, key in _KEYS.items():
        if new_link:
            st.session_state[key] = values[name]
        else:
            st.session_state.setdefault(key, values[name])


ALL = 0  # the "Tất cả" choice: None would show Streamlit's own (English) placeholder instead


def _choose(column, label: str, key: str, options: list, labels: dict) -> object:
    """A selectbox with "Tất cả" first; returns None for it."""
    choices = [ALL, *options]
    if st.session_state.get(key) is None or st.session_state[key] not in choices:
        st.session_state[key] = ALL  # nothing chosen, or e.g. a unit of another plan after the plan changed
    value = column.selectbox(label, choices, key=key, format_func=lambda v: "Tất cả" if v == ALL else labels[v])
    return None if value == ALL else value


_PERIOD = "dashboard_filter_period"


def _set_period(year: int, today: dt.date) -> None:
    """A preset chosen: its start, its end and its cut-off go into the date boxes (the person can still edit)."""
    code = st.session_state.get(_PERIOD)
    if not code:
        return
    p = dashboard_data.reporting().presets(year)
    chosen = next((x for x in p if x.code == code), None)
    if chosen is None:
        return
    st.session_state[_KEYS["from"]] = chosen.start
    st.session_state[_KEYS["to"]] = chosen.end
    st.session_state[_KEYS["asof"]] = chosen.end if chosen.end < today else None


def _period_picker(column, year: int, today: dt.date) -> None:
    """Month, quarter, 6 or 9 months, year of the plan's year, cut off by the office's rule (Nghị định 09/2019)."""
    presets = {p.code: p for p in dashboard_data.reporting().presets(year)}
    if st.session_state.get(_PERIOD) not in (None, *presets):
        st.session_state[_PERIOD] = None
    column.selectbox("Kỳ báo cáo", [None, *presets], key=_PERIOD, on_change=_set_period, args=(year, today),
                     format_func=lambda c: "Tự chọn ngày" if c is None else presets[c].label,
                     help="Chọn kỳ để điền sẵn ngày đầu kỳ, cuối kỳ và ngày chốt số liệu theo cách tính "
                          "Văn phòng đã chọn ở “Quản trị danh mục”.")


def filter_bar(today: dt.date) -> Filters | None:
    """Plan, period, unit kind, unit, task and form; the chosen values are written back to the URL."""
    plans = dashboard_data.plan_choices()
    if not plans:
        return None
    plan_labels = {i: label for i, _, label in plans}
    default = dashboard_filters.default_plan_id([(i, y) for i, y, _ in plans], today)
    start, new_link = _link_or_last()
    _seed(dashboard_filters.from_params(start, plan_ids=set(plan_labels), default_plan=default), new_link=new_link)
    if st.session_state[_KEYS["plan"]] not in plan_labels:
        st.session_state[_KEYS["plan"]] = default
    c = st.columns(2)
    plan_id = c[0].selectbox("Kế hoạch", list(plan_labels), key=_KEYS["plan"], format_func=plan_labels.get)
    year = next(y for i, y, _ in plans if i == plan_id)
    _period_picker(c[1], year, today)
    # The other filters fold away: on a phone nine filters filled the first screen and hid the headline.
    # The label counts those in use, and a link that sets one opens the fold, so no filter is hidden unseen.
    chosen = sum(1 for name in ("from", "to", "asof", "kind", "unit", "task", "form")
                 if st.session_state.get(_KEYS[name]) not in (None, ALL))
    label = "Lọc theo thời gian, đơn vị, nhiệm vụ, hình thức" + (f" · {chosen} bộ lọc đang dùng" if chosen else "")
    with st.expander(label, expanded=bool(chosen), key="dashboard_more_filters", icon=":material/filter_list:"):
        c = st.columns([1, 1, 1, 2])
        date_from = c[0].date_input("Từ ngày", key=_KEYS["from"], format="DD/MM/YYYY")
        date_to = c[1].date_input("Đến ngày", key=_KEYS["to"], format="DD/MM/YYYY")
        as_of = c[2].date_input("Số liệu tính đến ngày", key=_KEYS["asof"], format="DD/MM/YYYY", max_value=today,
                                help="Mọi số liệu là tình trạng cuối ngày này (giờ Hà Nội), dựng lại từ lịch sử. "
                                     "Để trống: hôm nay.")
        kind = _choose(c[3], "Loại đơn vị", _KEYS["kind"], list(UnitKind), UNIT_KIND_LABELS)
        opts = dashboard_data.options(plan_id, kind)
        c = st.columns(3)
        unit = _choose(c[0], "Đơn vị chủ trì", _KEYS["unit"], [o.id for o in opts.units],
                       {o.id: o.label for o in opts.units})
        task = _choose(c[1], "Nhiệm vụ", _KEYS["task"], [o.id for o in opts.tasks],
                       {o.id: o.label for o in opts.tasks})
        form = _choose(c[2], "Hình thức", _KEYS["form"], [o.id for o in opts.forms],
                       {o.id: o.label for o in opts.forms})
    filters = dashboard_filters.from_params(
        {"plan": str(plan_id), "from": date_from.isoformat() if date_from else "",
         "to": date_to.isoformat() if date_to else "", "kind": kind.value if kind else "",
         "unit": str(unit or ""), "task": str(task or ""), "form": str(form or ""),
         "asof": as_of.isoformat() if as_of and as_of < today else ""},
        plan_ids=set(plan_labels), default_plan=default)
    _write_params(dashboard_filters.to_params(filters))
    st.session_state[_LAST] = dashboard_filters.to_params(filters)
    return filters


def _write_params(params: dict[str, str]) -> None:
    """The filters into the address; the square (?cell=) and the tab shown (?view=, the tabs' own) stay."""
    for name in [k for k in st.query_params if k not in params and k not in ("cell", VIEW_KEY)]:
        del st.query_params[name]
    changed = {k: v for k, v in params.items() if st.query_params.get(k) != v}
    if changed:
        st.query_params.update(changed)


def view_tabs() -> list:
    """The eight tabs; only the one shown has `.open` true, so only its chart is built and sent.

    The tab is in the address so a link opens it. Not Streamlit's bind="query-params": with it, a
    link to another page first rewrites this page's address (one more Back to get here again).
    A new address (a link, Back) chooses the tab; coming back from another page, the last one.
    """
    url = st.query_params.get(VIEW_KEY)
    url = url if url in VIEWS else None
    last = st.session_state.get(_LAST_VIEW)
    if _TABS in st.session_state:
        if (url or VIEWS[0]) != (last or VIEWS[0]):
            st.session_state[_TABS] = url or VIEWS[0]
    else:
        st.session_state[_TABS] = url or last or VIEWS[0]
    tabs = st.tabs(VIEWS, key=_TABS, on_change="rerun")
    shown = st.session_state[_TABS]
    if shown == VIEWS[0]:
        st.query_params.pop(VIEW_KEY, None)
    elif st.query_params.get(VIEW_KEY) != shown:
        st.query_params[VIEW_KEY] = shown
    st.session_state[_LAST_VIEW] = shown
    return tabs


PRELOAD_KEY = "plotly_preload"


def preload_charts() -> None:
    """Tổng quan's components, drawn empty where nobody sees them on the sign-in page: the browser
    fetches and compiles their scripts while the person types, not after the click on "Đăng nhập".
    Streamlit loads each kind of element's script with its first element: plotly's (some 4,7 MB),
    the table's (st.dataframe, the grid and Arrow's formatting, some 1,2 MB: it was the biggest module
    evaluated after the click), the filters' (select box, date box) and the metric's
    (docs/benchmarks.md). Hidden with display: none, so out of the accessibility tree too."""
    import plotly.graph_objects as go

    with st.container(key=PRELOAD_KEY):
        st.html(f"<style>.st-key-{PRELOAD_KEY} {{display: none}}</style>")
        st.plotly_chart(go.Figure(layout={"height": 10}), key=f"{PRELOAD_KEY}_chart", config=PLOTLY_CONFIG)
        st.dataframe(pd.DataFrame({"Số": [1]}), key=f"{PRELOAD_KEY}_table", hide_index=True, height=40)
        st.metric("Tổng số công việc", "0")
        st.selectbox("Kế hoạch", ["Tất cả"], key=f"{PRELOAD_KEY}_select", label_visibility="collapsed")
        st.date_input("Từ ngày", value=None, key=f"{PRELOAD_KEY}_date", format="DD/MM/YYYY",
                      label_visibility="collapsed")


def metrics(h: Headline) -> None:
    """The headline: the four official classes, the three rates, each labelled with its rule."""
    help_of = dict(GLOSSARY)
    c = st.columns(4)
    c[0].metric("Tổng số công việc", format_number(h.items))
    c[1].metric("Tỷ lệ hoàn thành", format_percent(h.completion_rate), help=help_of["Tỷ lệ hoàn thành"])
    c[1].caption(f"{format_number(h.done)}/{format_number(h.items)} việc hoàn thành")
    c[2].metric("Tỷ lệ quá hạn", format_percent(h.overdue_rate), help=help_of["Tỷ lệ quá hạn"])
    c[2].caption(f"{format_number(h.overdue)}/{format_number(h.due_passed)} việc đã đến hạn")
    c[3].metric("Tiến độ bình quân", format_percent(h.average_progress), help=help_of["Tiến độ bình quân"])
    c = st.columns(4)
    c[0].metric("Hoàn thành đúng hạn", format_number(h.done_on_time), help=help_of["Hoàn thành đúng hạn"])
    c[1].metric("Hoàn thành quá hạn", format_number(h.done_late), help=help_of["Hoàn thành quá hạn"])
    c[2].metric("Đang thực hiện trong hạn", format_number(h.in_progress), help=help_of["Đang thực hiện trong hạn"])
    c[3].metric("Quá hạn", format_number(h.overdue), help=help_of["Quá hạn"])
    reported = f"{h.units_reported}/{h.units_expected}" if h.round_name else "chưa có kỳ báo cáo"
    st.caption(f"Đang vướng mắc: {format_number(h.blocked)} việc · Đơn vị đã báo cáo"
               f"{' (' + h.round_name + ')' if h.round_name else ''}: {reported}")


def chart(item: Chart, key: str, **kw):
    """A chart with its one-line reading under it; returns the selection event when on_select is set."""
    event = st.plotly_chart(item.figure, key=key, config=PLOTLY_CONFIG, width="stretch", **kw)
    st.caption(md(item.reading))
    return event


def item_list(rows: pd.DataFrame, key: str, total: int | None = None) -> None:
    """Matching items; choosing a row opens the item page. `total`: how many match (the list may show fewer)."""
    if rows.empty:
        st.caption("Không có công việc nào.")
        return
    if total is not None and total > len(rows):
        st.caption(f"Hiện {format_number(len(rows))}/{format_number(total)} việc (sắp xếp theo mức độ cần chú ý); "
                   "xem đủ trong tệp Excel ở thẻ “Xuất báo cáo” hoặc thu hẹp bộ lọc.")
    frame = pd.DataFrame({
        "Số": rows["id"], "Công việc": rows["title"], "Nhiệm vụ": rows["task"], "Đơn vị chủ trì": rows["unit"],
        "Hạn": [format_date(d) for d in rows["due_date"]], "Trạng thái": rows["status_label"],
        "Tiến độ": rows["progress"], "Đánh giá": rows["standing_label"], "Mức độ": rows["rag_label"],
    })
    event = st.dataframe(frame, key=key, hide_index=True, on_select="rerun", selection_mode="single-row",
                         width="stretch", column_config={"Tiến độ": st.column_config.ProgressColumn(
                             "Tiến độ", min_value=0, max_value=100, format="%d%%")})
    for r in rows.head(10).itertuples():
        st.page_link("pages/item.py", label=md(f"#{r.id} · {r.title}"), query_params={"id": str(r.id)})
    if event.selection.rows:
        st.switch_page("pages/item.py", query_params={"id": str(int(rows.iloc[event.selection.rows[0]]["id"]))})


_CLOSED = "dashboard_cell_closed"  # the square whose dialog was closed: its selection stays in the chart
# The square whose dialog is open. Kept beside the address: Streamlit may put the item link's query
# on this page's address first (one more history entry, "/?id=..."), so Back can land on an address
# without ?cell=. Coming back without a square in the address reopens it, as the tab and filters are.
_OPEN = "dashboard_cell_open"


def heat_list(heat: pd.DataFrame, task_names: dict[str, str]):
    """The heat map as a list, worst squares first (readable on a phone); returns the table's selection."""
    frame = heat.sort_values(["red", "amber", "unit"], ascending=[False, False, True]).reset_index(drop=True)
    shown = pd.DataFrame({  # the counts next to the unit: on a phone the task's name is what runs off screen
        "Đơn vị": frame["unit"], "Quá hạn": frame["red"], "Có nguy cơ chậm": frame["amber"],
        "Đúng tiến độ": frame["green"],
        "Nhiệm vụ": [f"{t} {shorten(task_names.get(t, ''), 50)}".strip() for t in frame["task"]],
    })
    event = st.dataframe(shown, key="dashboard_heat_list", hide_index=True, on_select="rerun",
                         selection_mode="single-row", width="stretch")
    rows = event.selection.rows
    # The same shape as a chart's selection, so `selected_cell` reads both.
    points = [{"customdata": [int(frame.iloc[rows[0]]["unit_id"]), int(frame.iloc[rows[0]]["task_id"])]}] if rows else []
    return SimpleNamespace(selection=SimpleNamespace(points=points))


def selected_cell(event) -> tuple[int, int] | None:
    """(unit id, task id) of the heat-map cell clicked now, else the one in the URL (?cell=unit-task)."""
    points = event.selection.points if event is not None else []
    data = points[0].get("customdata") if points else None
    # The browser sends a point's customdata array as an object keyed "0", "1"...
    values = [data[k] for k in sorted(data, key=int)] if isinstance(data, dict) else list(data or [])
    if len(values) >= 2 and (int(values[0]), int(values[1])) != st.session_state.get(_CLOSED):
        unit_id, task_id = int(values[0]), int(values[1])
        st.query_params["cell"] = f"{unit_id}-{task_id}"
        st.session_state[_OPEN] = (unit_id, task_id)
        return unit_id, task_id
    if "cell" not in st.query_params and _OPEN in st.session_state:  # back from another page
        unit_id, task_id = st.session_state[_OPEN]
        st.query_params["cell"] = f"{unit_id}-{task_id}"
        return unit_id, task_id
    raw = st.query_params.get("cell", "")
    parts = [parse_id(p) for p in raw.split("-")]
    if len(parts) == 2 and None not in parts:
        st.session_state[_OPEN] = (parts[0], parts[1])
        return parts[0], parts[1]
    return None


def open_clicked_cell(event) -> None:
    """In the charts' fragment: a square clicked now goes into the address (?cell=) and the whole page
    reruns, where the square's items open (the dialog belongs to the page run, so Back reopens it)."""
    before = st.query_params.get("cell")
    if event is not None and selected_cell(event) and st.query_params.get("cell") != before:
        st.rerun(scope="app")


def _forget_cell() -> None:
    st.session_state.pop(_OPEN, None)
    raw = st.query_params.pop("cell", "")
    parts = raw.split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        st.session_state[_CLOSED] = (int(parts[0]), int(parts[1]))


@st.dialog("Công việc của ô đã chọn", width="large", on_dismiss=_forget_cell)
def cell_dialog(heat: pd.DataFrame, cell: tuple[int, int], rows: pd.DataFrame) -> None:
    """The items of one heat-map square, over the map where it was clicked (a list under a map of
    60 units would open some 2.000 px below the square); closing it forgets the square."""
    names = heat[(heat["unit_id"] == cell[0]) & (heat["task_id"] == cell[1])]
    if not names.empty:
        st.subheader(md(f"Công việc: {names.iloc[0]['unit']} · nhiệm vụ {names.iloc[0]['task']}"), anchor=False)
    item_list(rows, "dashboard_cell_items", total=int(names.iloc[0]["items"]) if not names.empty else None)


def compare_table(compare: pd.DataFrame) -> None:
    """The year-over-year figures as a table, one column per plan."""
    measures = [("items", "Tổng số công việc"), ("done_on_time", "Hoàn thành đúng hạn"),
                ("done_late", "Hoàn thành quá hạn"), ("in_progress_on_time", "Đang thực hiện trong hạn"),
                ("overdue", "Quá hạn"), ("completion_rate", "Tỷ lệ hoàn thành"),
                ("average_progress", "Tiến độ bình quân"), ("overdue_rate", "Tỷ lệ quá hạn")]
    table = pd.DataFrame({
        f"{r['code']} ({int(r['year'])})": [format_percent(r[m]) if m in RATES else format_number(int(r[m]))
                                            for m, _ in measures]
        for r in compare.to_dict("records")
    }, index=[label for _, label in measures])
    st.dataframe(table, width="stretch")
