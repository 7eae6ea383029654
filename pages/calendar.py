"""Lịch: work items on their due dates (and starts), a month or a week; overdue in red; a click opens the item.

Filters live in the URL (a link shows the same calendar). The .ics of the plan and unit chosen downloads
here; a personal feed address for Outlook is served by `python -m tracker ics-serve` (docs/calendar.md).
"""

import streamlit as st

from tracker import clock, config
from tracker.db import session_scope
from tracker.models import Status
from tracker.services import calendar as cal
from tracker.services import calendar_feed as feed
from tracker.text import format_date, format_datetime, format_number
from tracker.ui import calendar_view, saved_views
from tracker.ui.auth import require_actor
from tracker.ui.engine import get_engine
from tracker.ui.writes import attempt
from tracker.workflow import STATUS_LABELS

ALL = "all"

actor = require_actor()
today = clock.today()
st.title("Lịch")
engine = get_engine()
params = cal.CalendarFilter.from_params(st.query_params.to_dict())
if not st.query_params.to_dict():
    params = cal.CalendarFilter(unit=cal.unit_choice_default(actor))
with session_scope(engine) as session:
    options = cal.filter_options(session, actor=actor, plan_id=params.plan)


def _choice(label: str, pairs: list, key: str, current, container):
    """A selectbox whose first choice is "Tất cả" (None); it starts from the URL's value."""
    names = dict(pairs)
    values = [ALL, *names]
    if key not in st.session_state or st.session_state[key] not in values:
        st.session_state[key] = current if current in names else ALL
    value = container.selectbox(label, values, key=key, format_func=lambda v: "Tất cả" if v == ALL else names[v])
    return None if value == ALL else value


cols = st.columns([1.2, 2, 1.6, 1])
plan = _choice("Kế hoạch", options.plans, "calendar_filter_plan", params.plan, cols[0])
if plan != params.plan:
    with session_scope(engine) as session:
        options = cal.filter_options(session, actor=actor, plan_id=plan)
task = _choice("Nhiệm vụ trọng tâm", options.tasks, "calendar_filter_task", params.task, cols[1])
unit = _choice("Đơn vị chủ trì", options.units, "calendar_filter_unit", params.unit, cols[2])
status = _choice("Trạng thái", [(s, STATUS_LABELS[s]) for s in Status], "calendar_filter_status", params.status,
                 cols[3])

nav = st.columns([1.4, 0.6, 0.8, 0.6, 3], vertical_alignment="bottom")
st.session_state.setdefault("calendar_filter_view", params.view)
view = nav[0].segmented_control("Xem theo", list(cal.View), key="calendar_filter_view",
                                format_func=cal.VIEW_LABELS.get) or cal.View.MONTH
st.session_state.setdefault("calendar_filter_day", params.day or today)
shown = st.session_state["calendar_filter_day"]
if nav[1].button("‹ Trước", key="calendar_prev"):
    shown = cal.step(view, shown, -1)
if nav[2].button("Hôm nay", key="calendar_today"):
    shown = today
if nav[3].button("Sau ›", key="calendar_next"):
    shown = cal.step(view, shown, 1)
st.session_state["calendar_filter_day"] = shown

filters = cal.CalendarFilter(plan=plan, task=task, unit=unit, status=status, view=view,
                             day=None if shown == today else shown)
if st.query_params.to_dict() != filters.to_params():
    st.query_params.from_dict(filters.to_params())
saved_views.box("calendar")

with session_scope(engine) as session:
    month = cal.read_calendar(session, actor=actor, filters=filters, today=today)
period = (f"tháng {shown.month}/{shown.year}" if view is cal.View.MONTH
          else f"tuần {format_date(month.first)} – {format_date(month.last)}")
nav[4].markdown(f"**{period.capitalize()}** · {format_number(month.items)} công việc"
                + (f" · :red[{format_number(month.overdue)} quá hạn]" if month.overdue else ""))
st.html(calendar_view.grid(month, view=view, shown=shown, today=today))
st.caption(f"Hôm nay: {format_date(today)}. Màu đỏ: quá hạn (chưa hoàn thành và đã qua hạn, như số liệu "
           "“Quá hạn” ở Tổng quan). “Bắt đầu” là ngày bắt đầu. Bấm vào một công việc để mở.")


def _ics() -> bytes:
    with session_scope(engine) as session:
        item_url = f"{config.app_url()}/{calendar_view.ITEM_PAGE}" if config.app_url() else None
        return feed.download(session, actor=actor, plan_id=plan, unit_id=unit, today=today, item_url=item_url)


plan_code = next((n.split(" · ")[0] for i, n in options.plans if i == plan), None)
unit_name = dict(options.units).get(unit) if unit else None
st.download_button("Tải lịch (.ics) của kế hoạch và đơn vị đã chọn", data=_ics, mime="text/calendar",
                   file_name=feed.file_name(plan_code, unit_name),
                   key="calendar_download", icon=":material/download:")

with st.expander("Đăng ký lịch trong Outlook (địa chỉ lịch riêng của bạn)", icon=":material/event:"):
    st.caption("Địa chỉ này chứa một mã bí mật: ai có nó xem được lịch hạn công việc của kế hoạch và đơn vị đã "
               "chọn ở trên. Tạo địa chỉ mới hoặc thu hồi sẽ làm địa chỉ cũ hết hiệu lực ngay.")
    with session_scope(engine) as session:
        current = feed.current_feed(session, actor=actor)
    if current:
        st.write(f"Bạn đang có một địa chỉ lịch, tạo lúc {format_datetime(current.created_at)}.")
    if token := st.session_state.pop("calendar_new_token", None):
        st.success("Địa chỉ lịch mới (chỉ hiện một lần; hãy sao chép vào Outlook: Thêm lịch → Từ Internet):")
        st.code(f"{config.ics_url()}/lich/{token}.ics", language=None)
    c1, c2 = st.columns(2)
    if c1.button("Tạo địa chỉ lịch mới", key="calendar_feed_make", icon=":material/link:"):
        ok, new = attempt(lambda s: feed.make_feed(s, actor=actor, plan_id=plan, unit_id=unit))
        if ok:
            st.session_state["calendar_new_token"] = new
            st.rerun()
    if current and c2.button("Thu hồi địa chỉ lịch", key="calendar_feed_revoke", icon=":material/link_off:"):
        ok, _ = attempt(lambda s: feed.revoke(s, actor=actor))
        if ok:
            st.rerun()
