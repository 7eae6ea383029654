"""The Thông báo page through AppTest: the list, the sidebar's unread count, marking read, opening the item."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, sign_in
from tracker.db import session_scope
from tracker.models import Form, Plan, PriorityTask, Role, Unit
from tracker.permissions import Actor
from tracker.services import notifications as notification_service
from tracker.services import work_items
from tracker.services.work_items import ItemInput
from tracker.ui import nav

TIMEOUT = 30
APP = Path(__file__).resolve().parent.parent / "app.py"


def _id(session, model, **by):
    return session.scalars(select(model.id).filter_by(**by)).one()


@pytest.fixture
def assigned(db_env, engine):
    """Two items created by the office for Vụ Tiền lương; its head is told of each."""
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = make_user(s, "truong.tl", Role.UNIT_HEAD, "VU-TL")
        plan_id = _id(s, Plan, code="184/QĐ-BNV")
        ids = []
        for title in ("Chuyên mục về cải cách tiền lương", "Tọa đàm <b>tiền lương</b> [x](http://a.vn)"):
            data = ItemInput(priority_task_id=_id(s, PriorityTask, plan_id=plan_id, number=9), title=title,
                             lead_unit_id=_id(s, Unit, code="VU-TL"), form_id=_id(s, Form, code="CHUYEN-MUC"),
                             start_date=dt.date(2024, 4, 1), due_date=dt.date(2024, 9, 30))
            ids.append(work_items.create_item(s, actor=admin, plan_id=plan_id, data=data).id)
    return head, ids


def _page(user) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    sign_in(at, user)
    at.run()
    at.switch_page("pages/notifications.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Thông báo"
    return at


def test_the_sidebar_title_counts_the_unread(assigned):
    head, _ = assigned
    spec = next(p for p in nav.PAGES if p.path == "pages/notifications.py")
    assert nav._title(spec, Actor.of(head)) == "Thông báo (2)"


def test_the_list_shows_user_text_as_text_and_marks_read(assigned, engine):
    head, ids = assigned
    at = _page(head)
    assert at.caption[1].value == "2 chưa đọc · 2 thông báo"
    assert [t.value for t in at.text] == [
        "Công việc mới giao cho đơn vị: “Tọa đàm <b>tiền lương</b> [x](http://a.vn)”.",
        "Công việc mới giao cho đơn vị: “Chuyên mục về cải cách tiền lương”."]
    with session_scope(engine) as s:
        newest = notification_service.list_notifications(s, actor=Actor.of(head)).rows[0].id
    at.button(key=f"notifications_read_{newest}").click().run()
    assert at.caption[1].value == "1 chưa đọc · 2 thông báo"
    at.toggle(key="notifications_unread_only").set_value(True).run()
    assert len(at.text) == 1
    at.button(key="notifications_read_all").click().run()
    assert not at.exception
    assert at.info[0].value == "Chưa có thông báo chưa đọc."
    with session_scope(engine) as s:
        assert notification_service.unread_count(s, user_id=head.id) == 0


def test_opening_a_notification_marks_it_read_and_shows_its_item(assigned, engine):
    head, ids = assigned
    at = _page(head)
    with session_scope(engine) as s:
        oldest = notification_service.list_notifications(s, actor=Actor.of(head)).rows[-1].id
    at.button(key=f"notifications_open_{oldest}").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Chuyên mục về cải cách tiền lương"
    assert at.query_params["id"] == str(ids[0])
    with session_scope(engine) as s:
        assert notification_service.unread_count(s, user_id=head.id) == 1


def test_someone_else_sees_nothing_of_it(assigned, engine):
    with session_scope(engine) as s:
        other = make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC")
    at = _page(other)
    assert at.info[0].value == "Chưa có thông báo nào."


def test_each_person_chooses_how_e_mail_reaches_them(assigned, engine):
    from tracker.models import EmailChoice, User

    head, _ = assigned
    at = _page(head)
    radio = at.radio(key="notifications_email_choice")
    assert radio.value is EmailChoice.DIGEST
    radio.set_value(EmailChoice.NONE).run()
    assert not at.exception, at.exception
    with session_scope(engine) as s:
        assert s.get(User, head.id).email_choice is EmailChoice.NONE


def test_the_search_box_finds_by_words_without_accents_only_among_one_s_own(assigned, engine):
    head, ids = assigned
    with session_scope(engine) as s:  # another unit's notification with the same words stays theirs
        make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC")
        plan_id = _id(s, Plan, code="184/QĐ-BNV")
        work_items.create_item(s, actor=Actor.of(make_user(s, "vp2", Role.ADMIN)), plan_id=plan_id, data=ItemInput(
            priority_task_id=_id(s, PriorityTask, plan_id=plan_id, number=9), title="Chuyên mục cải cách tiền lương",
            lead_unit_id=_id(s, Unit, code="VU-TCBC"), form_id=_id(s, Form, code="CHUYEN-MUC")))
    at = _page(head)
    at.text_input(key="notifications_search").input("CHUYEN muc  TIEN luong").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.text] == ["Công việc mới giao cho đơn vị: “Chuyên mục về cải cách tiền lương”."]
    assert at.caption[1].value == "2 chưa đọc · 1 thông báo khớp “CHUYEN muc  TIEN luong”"
    at.text_input(key="notifications_search").input("hop bao").run()
    assert len(at.text) == 0 and at.info[0].value == "Không có thông báo nào khớp “hop bao”."
    at.text_input(key="notifications_search").input("moi GIAO").run()  # words in any order
    assert len(at.text) == 2
    assert at.query_params["q"] == "moi GIAO"  # the search is a link
    at.text_input(key="notifications_search").input("").run()
    assert "q" not in at.query_params


def test_a_link_with_words_opens_the_notifications_searched(assigned):
    head, _ = assigned
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    sign_in(at, head)
    at.run()
    at.query_params["q"] = "CHUYEN muc TIEN luong"
    at.switch_page("pages/notifications.py").run()
    assert not at.exception, at.exception
    assert at.text_input(key="notifications_search").value == "CHUYEN muc TIEN luong"
    assert [t.value for t in at.text] == ["Công việc mới giao cho đơn vị: “Chuyên mục về cải cách tiền lương”."]
