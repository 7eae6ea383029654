"""Quản trị danh mục through AppTest: the office fills in task (11) and merges a unit; others are kept out."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, sign_in
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.models import Plan, PriorityTask, Role, WorkItem
from tracker.services import settings
from tracker.ui.auth import NO_ACCESS_MESSAGE
from tracker.ui.nav import PAGES

APP = Path(__file__).resolve().parent.parent / "app.py"
PAGE = "pages/catalog_admin.py"


@pytest.fixture
def people(db_env, engine, monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", "2024-08-01")
    with session_scope(engine) as s:
        users = {"admin": make_user(s, "van.phong", Role.ADMIN), "leader": make_user(s, "lanh.dao", Role.LEADER)}
        item_id = make_item(s, unit_code="VU-CQDP", title="Tin bài về chính quyền địa phương",
                            due=dt.date(2024, 12, 1)).id
    return users, item_id


def _run(user):
    at = AppTest.from_file(str(APP), default_timeout=30)
    sign_in(at, user)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_office_fills_in_task_11(people, engine):
    users, _ = people
    at = _run(users["admin"])
    assert at.title[0].value == "Quản trị danh mục"
    task = next(o for o in at.selectbox(key="catalog_task").options if o.startswith("(11)"))
    at.selectbox(key="catalog_task").set_value(task).run()
    key = next(t.key for t in at.text_area if t.key and t.key.startswith("catalog_task_text_"))
    at.text_area(key=key).input("Truyền thông về công tác thi đua, khen thưởng")
    at.button[[b.label for b in at.button].index("Lưu nội dung")].click().run()
    assert any("Đã lưu nội dung nhiệm vụ (11)" in s.value for s in at.success)
    with session_scope(engine) as s:
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
        task = s.scalars(select(PriorityTask).where(PriorityTask.plan_id == plan_id, PriorityTask.number == 11)).one()
        assert (task.text, task.text_missing) == ("Truyền thông về công tác thi đua, khen thưởng", False)


def test_office_merges_a_unit_and_its_work_moves(people, engine):
    users, item_id = people
    at = _run(users["admin"])
    at.selectbox(key="catalog_merge_old").set_value("Vụ Chính quyền địa phương (VU-CQDP)")
    at.selectbox(key="catalog_merge_new").set_value("Vụ Tổ chức - Biên chế (VU-TCBC)")
    at.button[[b.label for b in at.button].index("Sáp nhập")].click().run()
    assert any("đánh dấu xác nhận" in e.value for e in at.error)  # nothing without the confirmation
    at.checkbox(key="catalog_merge_sure").check()
    at.button[[b.label for b in at.button].index("Sáp nhập")].click().run()
    assert any("chuyển 1 công việc chủ trì" in s.value for s in at.success), [e.value for e in at.error]
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).lead_unit.code == "VU-TCBC"


def test_only_the_office_enters(people):
    users, _ = people
    assert "Quản trị danh mục" not in [p.title for p in PAGES if Role.LEADER in p.roles]
    at = AppTest.from_file(str(APP.parent / PAGE), default_timeout=30)  # the page itself, opened directly
    sign_in(at, users["leader"])
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [NO_ACCESS_MESSAGE]
    assert not at.tabs


def test_office_sets_who_signs_the_report(people, engine):
    users, _ = people
    at = _run(users["admin"])
    at.selectbox(key="catalog_report_authority").set_value("TL.")
    at.text_input(key="catalog_report_title").input("Chánh Văn phòng")
    at.text_input(key="catalog_report_name").input("Nguyễn Văn A")
    at.text_area(key="catalog_report_recipients").input("Bộ trưởng (để báo cáo)\nVăn phòng Chính phủ")
    at.button[[b.label for b in at.button].index("Lưu thông tin báo cáo")].click().run()
    assert any("Đã lưu thông tin báo cáo" in s.value for s in at.success), [e.value for e in at.error]
    with session_scope(engine) as s:
        office = settings.office(s)
    assert (office.authority, office.signer_title, office.signer_name) == ("TL.", "CHÁNH VĂN PHÒNG", "Nguyễn Văn A")
    assert office.recipients == ("Bộ trưởng (để báo cáo)", "Văn phòng Chính phủ")
