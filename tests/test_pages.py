"""Pages through AppTest: plans, Việc của tôi and the item page, each as a signed-in role."""

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, sign_in
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.migrate import downgrade
from tracker.models import Role
from tracker.permissions import Actor
from tracker.services.explanations import request_explanation

TIMEOUT = 30
ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"


def _markdown(at):
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture
def people(db_env, engine, monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", "2024-08-01")
    with session_scope(engine) as s:
        users = {
            "admin": make_user(s, "van.phong", Role.ADMIN),
            "leader": make_user(s, "lanh.dao", Role.LEADER),
            "tcbc": make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"),
        }
        own = make_item(s, unit_code="VU-TCBC", title="Chuyên mục cải cách tiền lương", due=dt.date(2024, 7, 15))
        soon = make_item(s, unit_code="VU-TCBC", title="Thông cáo báo chí tháng 8", due=dt.date(2024, 8, 5))
        other = make_item(s, unit_code="SNV-HA-NOI", title="Tọa đàm của Sở Nội vụ Hà Nội", due=dt.date(2024, 7, 1))
        request_explanation(s, actor=Actor.of(users["leader"]), item_id=own.id, question="Vì sao chậm tiến độ?",
                            today=dt.date(2024, 8, 1))
        ids = {"own": own.id, "soon": soon.id, "other": other.id}
    return users, ids


def _run(user, page=None, query=None):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    sign_in(at, user)
    at.run()  # the role's landing page, which may rewrite the address (Tổng quan puts its filters there)
    if query:
        at.query_params.clear()
        at.query_params.update(query)
    if page:
        at.switch_page(page)
    if page or query:
        at.run()
    assert not at.exception, at.exception
    return at


def test_plans_page_shows_tasks_and_missing_marker(people):
    users, _ = people
    at = _run(users["leader"], "pages/plans.py")
    assert at.title[0].value == "Kế hoạch"
    assert [t.label for t in at.tabs] == ["184/QĐ-BNV · năm 2024", "KH-2023 · năm 2023"]
    text = _markdown(at)
    assert "Đẩy mạnh công tác truyền thông về các sự kiện chính trị" in text.replace("\\", "")
    assert "**(11)** :orange-badge[:material/warning: Chưa có nội dung trong văn bản nguồn]" in text
    assert "**(viii)**" in text
    assert any("chưa được kiểm chứng" in w.value for w in at.warning)


def test_unit_head_lands_on_my_work_with_own_unit_only(people):
    users, ids = people
    at = _run(users["tcbc"])
    assert at.title[0].value == "Việc của tôi"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Quá hạn"] == "1" and metrics["Đến hạn trong 7 ngày"] == "1"
    assert metrics["Yêu cầu giải trình đang chờ"] == "1"
    frames = [df.value for df in at.dataframe]
    titles = {t for f in frames for t in f["Công việc"]}
    assert titles == {"Chuyên mục cải cách tiền lương", "Thông cáo báo chí tháng 8"}
    assert "Vì sao chậm tiến độ" in _markdown(at)


def test_my_work_tables_show_no_empty_cells_as_none(people):
    users, _ = people
    at = _run(users["tcbc"])
    overdue, due_soon = (df.value for df in at.dataframe)
    assert list(overdue["Quá hạn (ngày)"]) == ["17"]  # 15/07 -> 01/08
    assert "Quá hạn (ngày)" not in due_soon.columns  # no overdue row: no column of blanks
    assert not overdue.isna().any().any() and not due_soon.isna().any().any()


def test_admin_sees_every_unit_in_my_work(people):
    users, _ = people
    at = _run(users["admin"])
    titles = {t for df in at.dataframe for t in df.value["Công việc"]}
    assert "Tọa đàm của Sở Nội vụ Hà Nội" in titles


def test_item_page_offers_the_form_to_the_lead_unit_only(people):
    users, ids = people
    at = _run(users["tcbc"], "pages/item.py", {"id": str(ids["own"])})
    assert at.title[0].value == "Chuyên mục cải cách tiền lương"
    assert any(b.label == "Gửi báo cáo" for b in at.button)
    assert any("Quá hạn 17 ngày" in e.value for e in at.error)

    at = _run(users["tcbc"], "pages/item.py", {"id": str(ids["other"])})
    assert not any(b.label == "Gửi báo cáo" for b in at.button)
    assert any("chỉ xem" in i.value for i in at.info)


def test_item_page_report_through_the_form(people, engine):
    users, ids = people
    at = _run(users["tcbc"], "pages/item.py", {"id": str(ids["soon"])})
    at.number_input(key=f"item_progress_{ids['soon']}").set_value(60)
    at.text_area(key=f"item_note_{ids['soon']}").input("Đã xong 7/12 bài")
    at.button[[b.label for b in at.button].index("Gửi báo cáo")].click().run()
    assert not at.exception
    assert any("Đã ghi nhận" in s.value for s in at.success)
    with session_scope(engine) as s:
        from tracker.models import WorkItem
        item = s.get(WorkItem, ids["soon"])
        assert item.progress == 60 and item.budget_spent is None  # untouched fields are not reported


def test_item_page_unknown_item(people):
    users, _ = people
    at = _run(users["leader"], "pages/item.py", {"id": "999999"})
    assert "Không tìm thấy công việc số 999999" in at.error[0].value


def test_unmigrated_database_shows_how_to_initialise(db_env, engine):
    downgrade(engine, "base")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "python -m tracker init" in at.error[0].value


def test_my_work_says_how_many_of_a_long_list_it_shows(people, engine):
    users, _ = people
    with session_scope(engine) as s:
        for n in range(203):
            make_item(s, unit_code="SNV-HA-NOI", title=f"Việc quá hạn số {n}", due=dt.date(2024, 6, 30))
    at = _run(users["admin"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Quá hạn"] == "205"  # the full count, not the 200 rows shown
    assert any(s.value == "Quá hạn (205)" for s in at.subheader)
    assert any("Hiện 200/205 việc" in c.value for c in at.caption)
    assert len(at.dataframe(key="my_work_overdue").value) == 200


def test_a_unit_head_ticks_a_step_of_their_item_and_others_only_read(people, engine):
    users, ids = people
    at = _run(users["tcbc"], "pages/item.py", {"id": str(ids["soon"])})
    at.text_input(key=f"checklist_new_{ids['soon']}").input("Gửi giấy mời")
    at.button[[b.label for b in at.button].index("Thêm bước")].click().run()
    assert any("Đã thêm bước “Gửi giấy mời”." in s.value for s in at.success)
    step = next(c for c in at.checkbox if c.label == "Gửi giấy mời")
    step.check().run()
    assert not at.exception, at.exception
    assert any("Đã ghi bước “Gửi giấy mời”: đã xong." in s.value for s in at.success)
    assert any("Đã xong 1/1 bước (100%)." in c.value for c in at.caption)
    # a leader (not the lead unit) sees the step, ticked, and cannot change it
    at = _run(users["leader"], "pages/item.py", {"id": str(ids["soon"])})
    step = next(c for c in at.checkbox if c.label == "Gửi giấy mời")
    assert step.value and step.disabled
def test_my_work_lists_the_work_the_unit_coordinates_under_phoi_hop(people, engine):
    from sqlalchemy import select

    from tracker.models import Unit, WorkItem

    users, ids = people
    with session_scope(engine) as s:
        tcbc = s.scalars(select(Unit).where(Unit.code == "VU-TCBC")).one()
        s.get(WorkItem, ids["other"]).coordinating_units = [tcbc]
    at = _run(users["tcbc"])
    assert "Phối hợp (1)" in [h.value for h in at.subheader]
    coordinating = at.dataframe(key="my_work_coordinating").value
    assert list(coordinating["Công việc"]) == ["Tọa đàm của Sở Nội vụ Hà Nội"]
    assert list(coordinating["Đơn vị chủ trì"]) == ["Sở Nội vụ thành phố Hà Nội"]
    assert "Phối hợp (0)" not in [h.value for h in _run(users["leader"], "pages/my_work.py").subheader]
