"""Lịch and the sidebar's saved views through AppTest: the month from the address, overdue in red, links to
items, titles escaped, the .ics download, feed addresses made and revoked, a view saved and reopened."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, sign_in
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.models import CalendarToken, Plan, Role, SavedView, Unit

TIMEOUT = 30
APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def people(db_env, engine, monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", "2024-06-12")
    with session_scope(engine) as s:
        users = {"admin": make_user(s, "van.phong", Role.ADMIN),
                 "tcbc": make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC")}
        late = make_item(s, title="Họp báo <b>quý II</b>", due=dt.date(2024, 6, 10))
        other = make_item(s, title="Tọa đàm của Sở Nội vụ Hà Nội", unit_code="SNV-HA-NOI", due=dt.date(2024, 6, 20))
        ids = {"late": late.id, "other": other.id,
               "plan": s.scalar(select(Plan.id).where(Plan.code == "184/QĐ-BNV")),
               "tcbc": s.scalar(select(Unit.id).where(Unit.code == "VU-TCBC"))}
    return users, ids, engine


def _open(user, query=None):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    sign_in(at, user)
    at.run()
    at.query_params.clear()
    at.query_params.update(query or {})
    at.switch_page("pages/calendar.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _grid(at) -> str:
    return "\n".join(h.proto.body for h in at.get("html"))


def test_a_unit_head_opens_on_their_units_month_with_the_overdue_item_in_red(people):
    users, ids, _ = people
    at = _open(users["tcbc"])
    assert at.title[0].value == "Lịch"
    assert at.selectbox(key="calendar_filter_unit").value == ids["tcbc"]
    html = _grid(at)
    assert f"href='cong-viec?id={ids['late']}'" in html and "class='qua-han'" in html
    assert "Họp báo &lt;b&gt;quý II&lt;/b&gt;" in html and "<b>quý II</b>" not in html
    assert "Tọa đàm" not in html  # another unit's item: not in the unit's calendar
    assert at.query_params["unit"] == str(ids["tcbc"])


def test_the_address_picks_the_week_and_filters(people):
    users, ids, _ = people
    at = _open(users["admin"], {"view": "week", "day": "2024-06-18", "plan": str(ids["plan"])})
    html = _grid(at)
    assert "data-day='2024-06-17'" in html and "data-day='2024-06-24'" not in html
    assert "Tọa đàm của Sở Nội vụ Hà Nội" in html and "quý II" not in html
    at.button(key="calendar_prev").click().run()
    assert at.query_params["day"] == "2024-06-11"
    assert "quý II" in _grid(at)


def test_feed_address_is_made_once_and_revoked(people):
    users, ids, engine = people
    at = _open(users["tcbc"])
    at.button(key="calendar_feed_make").click().run()
    assert not at.exception, at.exception
    (code,) = [c.value for c in at.code]
    assert "/lich/" in code and code.endswith(".ics")
    with session_scope(engine) as s:
        (row,) = s.scalars(select(CalendarToken)).all()
        assert row.unit_id == ids["tcbc"] and row.revoked_at is None and row.token_hash not in code
    at.button(key="calendar_feed_revoke").click().run()
    with session_scope(engine) as s:
        assert s.scalars(select(CalendarToken)).one().revoked_at is not None


def test_a_view_is_saved_from_the_address_and_reopened(people):
    users, ids, engine = people
    at = _open(users["admin"], {"view": "week", "day": "2024-06-18"})
    at.text_input(key="saved_view_name_calendar").input("Tuần họp giao ban")
    at.button(key="FormSubmitter:saved_view_form_calendar-Lưu").click().run()
    assert not at.exception, at.exception
    with session_scope(engine) as s:
        (view,) = s.scalars(select(SavedView)).all()
        assert (view.page, view.name, view.params) == ("calendar", "Tuần họp giao ban",
                                                       {"view": "week", "day": "2024-06-18"})
    # Elsewhere in the calendar, then the saved view: its filters come back.
    at.button(key="calendar_next").click().run()
    assert at.query_params["day"] == "2024-06-25"
    at.button(key=f"saved_view_{view.id}").click().run()
    assert at.query_params["day"] == "2024-06-18" and at.query_params["view"] == "week"
    assert "data-day='2024-06-17'" in _grid(at)


def test_a_saved_views_name_is_shown_as_written_never_as_markdown(people):
    users, _, engine = people
    at = _open(users["admin"])
    at.text_input(key="saved_view_name_calendar").input("**Gấp** [xem](http://x.vn)")
    at.button(key="FormSubmitter:saved_view_form_calendar-Lưu").click().run()
    with session_scope(engine) as s:
        view_id = s.scalars(select(SavedView.id)).one()
    label = at.button(key=f"saved_view_{view_id}").label
    assert label.startswith("\\*\\*Gấp\\*\\* \\[xem\\]")


@pytest.mark.parametrize("page, params, key, expected", [
    ("board", {"rag": "red", "due": "30"}, "board_filter_due", 30),
    ("work_items", {"ke_hoach": "184/QĐ-BNV", "tt": "in_progress"}, "work_items_status", "in_progress"),
])
def test_a_saved_view_on_another_page_brings_its_filters_back(people, page, params, key, expected):
    from tracker.models import ViewVisibility
    from tracker.permissions import Actor
    from tracker.services import saved_views

    users, _, engine = people
    with session_scope(engine) as s:
        view = saved_views.save_view(s, actor=Actor.of(users["tcbc"]), page=page, name="Thứ Hai",
                                     params=params, visibility=ViewVisibility.PRIVATE)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    sign_in(at, users["tcbc"])
    at.run()
    at.switch_page({"board": "pages/board.py", "work_items": "pages/work_items.py"}[page]).run()
    assert at.selectbox(key=key).value != expected
    at.button(key=f"saved_view_{view.id}").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key=key).value == expected
    assert all(at.query_params[k] == v for k, v in params.items())


def test_one_s_own_view_is_renamed_and_deleted_only_after_confirming(people):
    users, _, engine = people
    at = _open(users["tcbc"], {"view": "week", "day": "2024-06-18"})
    at.text_input(key="saved_view_name_calendar").input("Tuần họp")
    at.button(key="FormSubmitter:saved_view_form_calendar-Lưu").click().run()
    with session_scope(engine) as s:
        view_id = s.scalars(select(SavedView.id)).one()
    at.text_input(key="saved_view_new_name_calendar").input("Tuần họp giao ban <b>Vụ</b>")
    at.button(key="saved_view_rename_calendar").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast] == ["Đã đổi tên bộ lọc “Tuần họp” thành “Tuần họp giao ban \\<b\\>Vụ\\</b\\>”."]
    assert at.button(key=f"saved_view_{view_id}").label.startswith("Tuần họp giao ban")
    with session_scope(engine) as s:
        assert s.get(SavedView, view_id).params == {"view": "week", "day": "2024-06-18"}

    at.button(key="saved_view_delete_calendar").click().run()
    assert [w.value for w in at.warning] == ["Xóa bộ lọc “Tuần họp giao ban \\<b\\>Vụ\\</b\\>”? Những người được "
                                             "chia sẻ cũng sẽ không thấy bộ lọc này nữa."]
    at.button(key="saved_view_delete_cancel_calendar").click().run()
    assert not at.warning
    with session_scope(engine) as s:
        assert s.get(SavedView, view_id) is not None  # asked, not deleted
    at.button(key="saved_view_delete_calendar").click().run()
    at.button(key="saved_view_delete_confirm_calendar").click().run()
    assert not at.exception, at.exception
    with session_scope(engine) as s:
        assert s.get(SavedView, view_id) is None
    assert f"saved_view_{view_id}" not in {b.key for b in at.button}
