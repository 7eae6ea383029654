"""The "Công việc" page through AppTest: filters in the URL, the office's forms, read-only for others."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, sign_in
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.models import EventKind, Form, ProgressEvent, Role, Status, Unit, WorkItem

TIMEOUT = 30
APP = Path(__file__).resolve().parent.parent / "app.py"
PAGE = "pages/work_items.py"


@pytest.fixture
def people(db_env, engine, monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", "2024-08-01")
    with session_scope(engine) as s:
        users = {
            "admin": make_user(s, "van.phong", Role.ADMIN),
            "leader": make_user(s, "lanh.dao", Role.LEADER),
            "tcbc": make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"),
        }
        make_item(s, unit_code="VU-TCBC", title="Chuyên mục cải cách tiền lương", due=dt.date(2024, 7, 15))
        make_item(s, unit_code="SNV-HA-NOI", title="Tọa đàm của Sở Nội vụ Hà Nội", due=dt.date(2024, 9, 1),
                  task_number=9)
    return users


def _run(user, query=None):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    sign_in(at, user)
    at.run()
    if query:
        at.query_params.update(query)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _titles(at):
    frame = next(df.value for df in at.dataframe if "Nội dung công việc" in df.value.columns)
    return list(frame["Nội dung công việc"])


def test_admin_sees_every_item_and_the_management_tabs(people):
    at = _run(people["admin"])
    assert at.title[0].value == "Công việc"
    assert [t.label for t in at.tabs] == ["Danh sách", "Thêm công việc", "Giao đồng loạt", "Sửa đồng loạt",
                                        "Nhập từ Excel", "Chuyển sang năm sau"]
    assert sorted(_titles(at)) == ["Chuyên mục cải cách tiền lương", "Tọa đàm của Sở Nội vụ Hà Nội"]
    assert at.query_params["ke_hoach"] == "184/QĐ-BNV"


def test_unit_head_reads_every_unit_but_manages_nothing(people):
    at = _run(people["tcbc"])
    assert [t.label for t in at.tabs] == ["Danh sách"]
    assert sorted(_titles(at)) == ["Chuyên mục cải cách tiền lương", "Tọa đàm của Sở Nội vụ Hà Nội"]


def test_filters_come_from_and_go_to_the_url(people):
    at = _run(people["leader"], {"dv": "SNV-HA-NOI"})
    assert _titles(at) == ["Tọa đàm của Sở Nội vụ Hà Nội"]
    at.selectbox(key="work_items_unit").set_value(None).run()
    task = next(s for s in at.selectbox if s.label == "Nhiệm vụ")
    task.set_value(next(o for o in task.options if o.startswith("(2)"))).run()
    assert _titles(at) == ["Chuyên mục cải cách tiền lương"]
    assert at.query_params["nv"] == "2" and "dv" not in at.query_params


def test_admin_creates_an_item_through_the_form(people, engine):
    at = _run(people["admin"])
    key = "work_items_new"
    at.selectbox(key=f"{key}_task").set_value(next(o for o in at.selectbox(key=f"{key}_task").options
                                                   if o.startswith("(5)")))
    at.text_area(key=f"{key}_title").input("Họp báo quý III")
    at.selectbox(key=f"{key}_lead").set_value("Văn phòng Bộ")
    at.selectbox(key=f"{key}_form").set_value("Họp báo")
    at.date_input(key=f"{key}_start").set_value(dt.date(2024, 7, 1))
    at.date_input(key=f"{key}_due").set_value(dt.date(2024, 6, 1))
    at.button(key="FormSubmitter:work_items_new-Thêm công việc").click().run()
    assert any("không được trước ngày bắt đầu" in e.value for e in at.error)  # rule shown, nothing written
    at.date_input(key=f"{key}_due").set_value(dt.date(2024, 9, 30))
    at.button(key="FormSubmitter:work_items_new-Thêm công việc").click().run()
    assert not at.exception
    assert any("Đã thêm công việc số" in s.value for s in at.success)
    with session_scope(engine) as s:
        item = s.scalars(select(WorkItem).where(WorkItem.title == "Họp báo quý III")).one()
        assert item.lead_unit.code == "VP-BO" or item.lead_unit.name == "Văn phòng Bộ"
        assert item.form_id == s.scalars(select(Form.id).where(Form.code == "HOP-BAO")).one()


def test_admin_fans_out_to_all_provincial_departments(people, engine):
    at = _run(people["admin"])
    key = "work_items_fan"
    at.selectbox(key=f"{key}_task").set_value(next(o for o in at.selectbox(key=f"{key}_task").options
                                                   if o.startswith("(9)")))
    at.text_area(key=f"{key}_title").input("Chuyên mục nhiệm vụ 9")
    at.radio(key=f"{key}_scope").set_value("provincial")
    at.selectbox(key=f"{key}_form").set_value("Chuyên trang, chuyên mục, chuyên đề, bài viết")
    at.date_input(key=f"{key}_start").set_value(dt.date(2024, 7, 1))
    at.date_input(key=f"{key}_due").set_value(dt.date(2024, 9, 30))
    at.button(key="FormSubmitter:work_items_fan-Giao việc").click().run()
    assert not at.exception
    assert any("Đã giao 63 công việc cho 63 đơn vị" in s.value for s in at.success)
    with session_scope(engine) as s:
        units = s.scalars(select(Unit.kind).join(WorkItem, WorkItem.lead_unit_id == Unit.id)
                          .where(WorkItem.title == "Chuyên mục nhiệm vụ 9")).all()
        assert len(units) == 63
    # The form comes back empty: a second click must not send the same fan-out again.
    assert at.text_area(key="work_items_fan_1_title").value == ""
    assert at.selectbox(key="work_items_fan_1_task").value is None


def _select_the_salary_item(at, engine) -> int:
    """Select the first row (the only item of Vụ TCBC); returns its id."""
    with session_scope(engine) as s:
        item_id = s.scalars(select(WorkItem.id).where(WorkItem.title == "Chuyên mục cải cách tiền lương")).one()
    # Selecting a dataframe row is not available in AppTest: the selection is set in session state.
    at.session_state["work_items_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    return item_id


def test_admin_edits_and_deletes_a_selected_item(people, engine):
    at = _run(people["admin"], {"dv": "VU-TCBC"})
    item_id = _select_the_salary_item(at, engine)
    key = f"work_items_edit_{item_id}_1"
    at.text_input(key=f"{key}_channel").input("Cổng TTĐT Bộ")
    at.button(key=f"FormSubmitter:{key}-Lưu thay đổi").click().run()
    assert any(f"Đã lưu công việc số {item_id}" in s.value for s in at.success), [e.value for e in at.error]
    at.session_state["work_items_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="work_items_delete").click().run()
    at.text_input(key="work_items_delete_reason").input("Giao nhầm")
    at.button(key="work_items_delete_confirm").click().run()
    assert not at.exception
    assert any(f"Đã xóa công việc số {item_id}" in s.value for s in at.success)
    with session_scope(engine) as s:
        kinds = s.scalars(select(ProgressEvent.kind).where(ProgressEvent.work_item_id == item_id)
                          .order_by(ProgressEvent.id)).all()
        assert kinds[-2:] == [EventKind.UPDATED, EventKind.DELETED]
        assert s.get(WorkItem, item_id).channel_text == "Cổng TTĐT Bộ"


def test_admin_previews_and_confirms_the_rollover(people, engine):
    with session_scope(engine) as s:
        item = s.scalars(select(WorkItem).where(WorkItem.title == "Chuyên mục cải cách tiền lương")).one()
        item.recurring = True
        item.lead_unit_id = s.scalars(select(Unit.id).where(Unit.code == "VU-TL")).one()
    at = _run(people["admin"])
    assert not any(m.label.startswith("Công việc chuyển sang") for m in at.multiselect)  # built only when shown
    at.session_state["work_items_tabs"] = "Chuyển sang năm sau"  # AppTest cannot click a tab
    at.run()
    assert next(m for m in at.multiselect if m.label.startswith("Công việc chuyển sang")).value == [item.id]
    frame = next(df.value for df in at.dataframe if "Thay bằng" in df.value.columns)
    assert list(frame["Đơn vị cũ"]) == ["Vụ Tiền lương"]
    assert list(frame["Thay bằng"]) == ["Cục Tiền lương và Bảo hiểm xã hội"]
    with session_scope(engine) as s:
        from tracker.models import Plan
        assert s.scalar(select(Plan.id).where(Plan.code == "KH-2025")) is None  # the preview wrote nothing
    at.button(key="work_items_roll_go").click().run()
    assert not at.exception
    assert any("Đã tạo kế hoạch KH-2025 với 1 công việc" in s.value for s in at.success)


def test_an_edit_made_on_a_stale_copy_is_refused_and_kept(people, engine):
    from tracker.permissions import Actor
    from tracker.services import work_items as svc

    at = _run(people["admin"], {"dv": "VU-TCBC"})
    item_id = _select_the_salary_item(at, engine)
    key = f"work_items_edit_{item_id}_1"
    with session_scope(engine) as s:  # someone else saves first
        data, version = svc.get_input(s, actor=Actor.of(people["admin"]), item_id=item_id)
        svc.update_item(s, actor=Actor.of(people["admin"]), item_id=item_id, expected_version=version,
                        data=dataclasses.replace(data, note="Sửa bởi người khác"))
    at.text_input(key=f"{key}_channel").input("Báo Dân trí")
    at.button(key=f"FormSubmitter:{key}-Lưu thay đổi").click().run()
    assert not at.exception
    assert any("cập nhật sau khi bạn mở ra" in e.value for e in at.error)
    assert at.text_input(key=f"{key}_channel").value == "Báo Dân trí"  # what was typed is still there
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert (item.note, item.channel_text, item.version) == ("Sửa bởi người khác", None, 2)


def test_deleted_items_show_their_history_and_can_be_restored(people, engine):
    from tracker.permissions import Actor
    from tracker.services import work_items as svc

    with session_scope(engine) as s:
        item = s.scalars(select(WorkItem).where(WorkItem.title == "Chuyên mục cải cách tiền lương")).one()
        svc.delete_item(s, actor=Actor.of(people["admin"]), item_id=item.id, expected_version=item.version,
                        reason="Giao nhầm")
        item_id = item.id
    at = _run(people["admin"], {"dv": "VU-TCBC"})
    assert "Không có công việc nào" in at.info[0].value
    at.toggle(key="work_items_deleted").set_value(True).run()
    assert _titles(at) == ["Chuyên mục cải cách tiền lương"] and at.query_params["da_xoa"] == "1"
    at.session_state["work_items_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any("(đã xóa)" in h.value for h in at.subheader)
    assert "Giao nhầm" in "\n".join(m.value for m in at.markdown)
    at.button(key="work_items_restore").click().run()
    assert any(f"Đã khôi phục công việc số {item_id}" in s.value for s in at.success)
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).deleted_at is None


def test_others_cannot_list_deleted_items(people):
    at = _run(people["leader"], {"da_xoa": "1"})
    assert not at.toggle
    assert sorted(_titles(at)) == ["Chuyên mục cải cách tiền lương", "Tọa đàm của Sở Nội vụ Hà Nội"]


def test_roman_numbered_plan_shows_task_labels(people, engine):
    with session_scope(engine) as s:
        make_item(s, unit_code="VU-TCBC", title="Việc của kế hoạch 2023", plan_code="KH-2023", task_number=3,
                  start=dt.date(2023, 3, 1), due=dt.date(2023, 6, 30))
    at = _run(people["admin"], {"ke_hoach": "KH-2023"})
    frame = next(df.value for df in at.dataframe if "Nội dung công việc" in df.value.columns)
    assert list(frame["Nhiệm vụ"]) == ["(iii)"]


def test_the_list_searches_words_without_accents_and_the_url_keeps_them(people):
    at = _run(people["leader"], {"q": "toa dam"})
    assert _titles(at) == ["Tọa đàm của Sở Nội vụ Hà Nội"]
    at.text_input(key="work_items_text").input("TIEN LUONG").run()
    assert _titles(at) == ["Chuyên mục cải cách tiền lương"]
    assert at.query_params["q"] == "TIEN LUONG"
    at.text_input(key="work_items_text").input("").run()
    assert len(_titles(at)) == 2 and "q" not in at.query_params


def test_the_sidebar_search_opens_tra_cuu_with_the_words_from_any_page(people):
    at = _run(people["tcbc"])
    at.sidebar.text_input(key="sidebar_search").input("cai cach tien luong").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Tra cứu công việc"
    assert at.text_input(key="item_search").value == "cai cach tien luong"
    assert at.query_params["q"] == "cai cach tien luong"
    assert [link.label.split(" — ")[0] for link in at.get("page_link")][-1].endswith("Chuyên mục cải cách tiền lương")
    assert at.sidebar.text_input(key="sidebar_search").value == ""  # the box is ready for the next search


def test_the_office_shifts_the_filtered_items_deadlines_after_a_preview(people, engine):
    at = _run(people["admin"], {"dv": "VU-TCBC"})
    assert _titles(at) == ["Chuyên mục cải cách tiền lương"]
    at.session_state["work_items_tabs"] = "Sửa đồng loạt"  # AppTest cannot click a tab
    at.run()
    at.number_input(key="bulk_shift").set_value(14).run()
    at.button(key="bulk_edit_preview").click().run()
    assert not at.exception, at.exception
    assert any("1 công việc sẽ thay đổi" in c.value for c in at.caption)
    preview = next(d.value for d in at.dataframe if "Thay đổi" in d.value.columns)
    assert list(preview["Thay đổi"]) == ["Bắt đầu", "Hạn"]  # the start moves with the deadline
    assert list(preview["Trước"]) == ["01/03/2024", "15/07/2024"]
    assert list(preview["Sau"]) == ["15/03/2024", "29/07/2024"]
    with session_scope(engine) as s:  # nothing written by the preview
        assert s.scalars(select(WorkItem.due_date).where(WorkItem.title == "Chuyên mục cải cách tiền lương")).one() \
            == dt.date(2024, 7, 15)
    at.button(key="bulk_edit_apply").click().run()
    assert any("Đã sửa 1 công việc." in s.value for s in at.success)
    with session_scope(engine) as s:
        assert s.scalars(select(WorkItem.due_date).where(WorkItem.title == "Chuyên mục cải cách tiền lương")).one() \
            == dt.date(2024, 7, 29)
        assert s.scalars(select(WorkItem.due_date).where(WorkItem.title == "Tọa đàm của Sở Nội vụ Hà Nội")).one() \
            == dt.date(2024, 9, 1)  # not in the filtered list: untouched


def test_a_unit_head_moves_only_their_unit_s_items_at_once(people, engine):
    at = _run(people["tcbc"])
    assert any("Tất cả 1 công việc theo bộ lọc" in o for o in at.radio(key="bulk_move_scope").options)
    at.selectbox(key="bulk_move_to").set_value(Status.AWAITING_CONFIRMATION).run()
    at.button(key="bulk_move_preview").click().run()
    assert not at.exception, at.exception
    assert at.error  # sending for confirmation needs evidence: refused, with the reason, before anything is written
