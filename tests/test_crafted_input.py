"""Crafted input gets a Vietnamese message or is ignored, never an exception: "²" or a huge number in an
address or a search box, malformed XML inside an import file, a sign-in while the database is locked."""

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.factories import PASSWORD, make_user, sign_in
from tests.item_factories import make_item
from tracker.db import BUSY_MESSAGE, session_scope
from tracker.errors import DatabaseUnavailable
from tracker.models import Plan, Role
from tracker.permissions import Actor
from tracker.services import board, dashboard_filters, imports, items
from tracker.services.excel_template import HEADERS
from tracker.services.imports import ImportFailed

TODAY = dt.date(2024, 8, 1)
ROOT = Path(__file__).resolve().parent.parent
CRAFTED = ["²", "١٢", "9" * 30, "99999999999", "-1", "1e9", "0x10", "%00"]


@pytest.mark.parametrize("value", CRAFTED)
def test_crafted_numbers_in_search_boxes_are_searched_as_text(engine, value):
    with session_scope(engine) as s:
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        make_item(s, unit_code="VU-TCBC")
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
    with session_scope(engine) as s:
        assert items.search_items(s, actor=head, text=value, today=TODAY) == []
        found = board.read_board(s, actor=head, filters=board.BoardFilters(plan=plan_id, q=value), today=TODAY)
        assert sum(found.totals.values()) == 0


@pytest.mark.parametrize("value", CRAFTED)
def test_crafted_numbers_in_address_parameters_are_ignored(value):
    params = {name: value for name in ("plan", "task", "unit", "form", "due")}
    assert board.BoardFilters.from_params(params) == board.BoardFilters.from_params({})
    filters = dashboard_filters.from_params(params, plan_ids={1}, default_plan=1)
    assert (filters.plan_id, filters.unit_id, filters.task_id, filters.form_id) == (1, None, None, None)


@pytest.mark.parametrize("value", ["²", "9" * 30, "12abc"])
def test_the_item_page_with_a_crafted_id_shows_the_search(db_env, engine, value):
    with session_scope(engine) as s:
        user = make_user(s, "lanh.dao", Role.LEADER)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    sign_in(at, user)
    at.run()
    at.query_params["id"] = value
    at.switch_page("pages/item.py").run()
    assert not at.exception
    assert at.title[0].value == "Tra cứu công việc"


def _good_workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append([1, 9, "Chuyên mục tiền lương", "VU-TCBC", None, "Họp báo", None, "01/04/2024", "30/09/2024"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


PARTS = ["xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
         "[Content_Types].xml", "docProps/core.xml"]


@pytest.mark.parametrize("part", PARTS)
def test_malformed_xml_in_an_import_file_is_a_vietnamese_message(engine, part):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_good_workbook())) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, data[: len(data) // 2] + b"<<&&" if name == part else data)
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
    with session_scope(engine) as s, pytest.raises(ImportFailed) as err:
        imports.import_items(s, actor=admin, plan_id=plan_id, data=out.getvalue(), dry_run=True)
    assert "Không đọc được tệp" in err.value.errors[0].reason


def test_sign_in_while_the_database_is_locked_is_a_message(db_env, engine, monkeypatch):
    with session_scope(engine) as s:
        make_user(s, "van.phong", Role.ADMIN)

    def locked(*_args, **_kwargs):
        raise DatabaseUnavailable(BUSY_MESSAGE)

    monkeypatch.setattr("tracker.ui.auth.authenticate", locked)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.text_input(key="login_username").input("van.phong")
    at.text_input(key="login_password").input(PASSWORD)
    at.button(key="login_submit").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [BUSY_MESSAGE]
    assert at.title[0].value == "Đăng nhập"
