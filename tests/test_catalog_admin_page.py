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


def test_office_reads_a_pasted_decision_corrects_the_code_and_saves_the_plan(people, engine):
    users, _ = people
    at = _run(users["admin"])
    text = (Path(__file__).resolve().parent / "fixtures_text" / "decision_184_article.txt").read_text(encoding="utf-8")
    at.text_area(key="plan_from_decision_text").input(text)
    at.button[[b.label for b in at.button].index("Đọc văn bản")].click().run()
    assert not at.exception, at.exception
    assert any("(11)" in w.value for w in at.warning)  # the gap is said, not filled in
    assert at.text_input(key="plan_from_decision_code_1").value == "184/QĐ-BNV"
    # saving under the catalog's own code is refused with the reason; nothing is lost from the form
    at.button[[b.label for b in at.button].index("Lưu kế hoạch")].click().run()
    assert any("Đã có kế hoạch mã “184/QĐ-BNV”" in e.value for e in at.error)
    at.text_input(key="plan_from_decision_code_1").input("184-DAN")
    at.text_input(key="plan_from_decision_title_1").input("Kế hoạch truyền thông năm 2024 (bản dán)")
    at.button[[b.label for b in at.button].index("Lưu kế hoạch")].click().run()
    assert not at.exception, at.exception
    assert any("Đã tạo kế hoạch 184-DAN (năm 2024) với 16 nhiệm vụ; chưa có nội dung: (11)." in s.value
               for s in at.success)
    with session_scope(engine) as s:
        plan = s.scalars(select(Plan).where(Plan.code == "184-DAN")).one()
        assert [t.number for t in plan.tasks if t.text_missing] == [11]
        assert plan.decision_no == "184/QĐ-BNV" and plan.issued_on == dt.date(2024, 3, 18)


def test_office_sets_the_board_s_wip_limits(people, engine):
    from tracker.models import Status
    from tracker.services import settings

    users, _ = people
    at = _run(users["admin"])
    at.number_input(key="catalog_wip_in_progress").set_value(12)
    at.number_input(key="catalog_wip_lane_in_progress").set_value(3)
    at.button[[b.label for b in at.button].index("Lưu giới hạn WIP")].click().run()
    assert not at.exception, at.exception
    assert any("Đã lưu giới hạn WIP của Bảng Kanban." in s.value for s in at.success)
    assert at.number_input(key="catalog_wip_in_progress").value == 12  # the form shows what is now in force
    with session_scope(engine) as s:
        wip = settings.board_wip(s)
    assert wip.columns[Status.IN_PROGRESS] == 12 and wip.lanes == {Status.IN_PROGRESS: 3}


def test_office_sends_an_ended_unit_s_work_to_its_successor_and_moves_the_account(db_env, engine, monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", "2025-07-10")
    with session_scope(engine) as s:
        admin = make_user(s, "van.phong", Role.ADMIN)
        head = make_user(s, "snv.hagiang", Role.UNIT_HEAD, "SNV-HA-GIANG")
        item_id = make_item(s, unit_code="SNV-HA-GIANG", title="Chuyên mục cải cách hành chính",
                            due=dt.date(2025, 3, 31)).id
    # the account is told, on every page, before the office acts
    at = AppTest.from_file(str(APP), default_timeout=30)
    sign_in(at, head)
    at.run()
    assert any("Sở Nội vụ tỉnh Hà Giang đã kết thúc hoạt động ngày 30/06/2025" in w.value
               and "Sở Nội vụ tỉnh Tuyên Quang" in w.value for w in at.sidebar.warning)

    at = _run(admin)
    table = next(d.value for d in at.dataframe if "Kết thúc" in d.value.columns)
    assert list(table["Đơn vị"]) == ["Sở Nội vụ tỉnh Hà Giang"]
    assert list(table["Tài khoản"]) == ["snv.hagiang"]
    at.button(key="catalog_ended_follow").click().run()
    assert any("Chuyển 1 công việc đang mở của 1 đơn vị" in w.value for w in at.warning)  # asked first
    at.button(key="catalog_ended_go").click().run()
    assert not at.exception, at.exception
    assert any("Sở Nội vụ tỉnh Hà Giang → Sở Nội vụ tỉnh Tuyên Quang (1 chủ trì, 0 phối hợp)" in s.value
               for s in at.success)
    at.button(key=f"catalog_ended_account_{head.id}").click().run()
    assert any("Đã chuyển tài khoản snv.hagiang sang Sở Nội vụ tỉnh Tuyên Quang" in s.value for s in at.success)
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).lead_unit.code == "SNV-TUYEN-QUANG"
        assert s.get(type(head), head.id).unit.code == "SNV-TUYEN-QUANG"
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
