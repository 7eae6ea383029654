"""The item page through AppTest: the head assigns staff; a coordinating unit sends evidence of its part;
a staff member reports on their own item only; the Tài khoản page creates a staff account."""

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, open_item_page, sign_in
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.models import ItemAssignment, ProgressEvent, Role, User
from tracker.services.units import find_unit

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def ctx(db_env, engine):
    with session_scope(engine) as s:
        people = {
            "head": make_user(s, "truong.tl", Role.UNIT_HEAD, "VU-TL"),
            "lan": make_user(s, "cv.lan", Role.STAFF, "VU-TL"),
            "pc": make_user(s, "cv.pc", Role.STAFF, "VU-PC"),
            "admin": make_user(s, "van.phong", Role.ADMIN),
        }
        item = make_item(s, unit_code="VU-TL", title="Chuyên mục tiền lương")
        item.coordinating_units = [find_unit(s, "VU-PC")]
        item_id = item.id
    return people, item_id


def _report_form(at, item_id) -> bool:
    return any(n.key == f"item_progress_{item_id}" for n in at.number_input)


def test_the_head_assigns_and_the_staff_member_then_sees_the_report_form(ctx, engine):
    people, item_id = ctx
    staff = open_item_page(people["lan"], item_id)
    assert not [b for b in staff.button if b.key == f"item_assign_save_{item_id}"]  # staff do not assign
    assert not _report_form(staff, item_id)
    at = open_item_page(people["head"], item_id)
    at.multiselect(key=f"item_assign_{item_id}").select(people["lan"].id)
    at.button(key=f"item_assign_save_{item_id}").click().run()
    assert not at.exception, at.exception
    assert any("Đã lưu phân công" in s.value for s in at.success)
    assert any("**Cán bộ phụ trách:** Người dùng cv.lan" in m.value for m in at.markdown)
    with session_scope(engine) as s:
        assert s.scalars(select(ItemAssignment.user_id)).all() == [people["lan"].id]
    staff = open_item_page(people["lan"], item_id)
    assert _report_form(staff, item_id)


def test_a_coordinating_staff_member_sends_a_link_and_gets_no_report_form(ctx, engine):
    people, item_id = ctx
    at = open_item_page(people["pc"], item_id)
    assert not _report_form(at, item_id)
    [urls] = [t for t in at.text_area if t.key.startswith(f"item_contrib_urls_{item_id}")]
    urls.input("https://moha.gov.vn/bai-phoi-hop")
    at.button(key=f"item_contrib_send_{item_id}").click().run()
    assert not at.exception, at.exception
    assert any(s.value == "Đã gửi minh chứng phần phối hợp." for s in at.success)
    with session_scope(engine) as s:
        event = s.scalars(select(ProgressEvent).order_by(ProgressEvent.id.desc())).first()
        assert event.evidence_urls == ["https://moha.gov.vn/bai-phoi-hop"]
        assert event.changes == {"contribution": [None, "Vụ Pháp chế"]}


def test_the_office_creates_a_staff_account_and_a_unit_is_required(ctx, engine):
    people, _ = ctx
    at = AppTest.from_file(str(APP), default_timeout=30)
    sign_in(at, people["admin"])
    at.run()
    at.switch_page("pages/users.py").run()
    at.text_input(key="users_add_username").input("cv.moi")
    at.text_input(key="users_add_password").input("mat-khau-chuyen-vien")
    at.text_input(key="users_add_password2").input("mat-khau-chuyen-vien")
    at.selectbox(key="users_add_role").select(Role.STAFF)
    at.button(key="users_add_submit").click().run()
    assert [e.value for e in at.error] == ["Tài khoản Chuyên viên phải gắn với một đơn vị."]
    at.selectbox(key="users_add_unit").select("VU-PC")  # a unit of today (Vụ Tiền lương ended in 2025)
    at.button(key="users_add_submit").click().run()
    assert not at.error
    with session_scope(engine) as s:
        user = s.scalars(select(User).where(User.username == "cv.moi")).one()
        assert (user.role, user.unit_id) == (Role.STAFF, find_unit(s, "VU-PC").id)
