"""Checklists in the Excel layout: the export writes "Các bước" (one step per line, "[x] " for a done one), the
import gives new items their steps and only adds missing steps to existing items (never removes or re-ticks)."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.test_imports import ctx, row, xlsx  # noqa: F401 (ctx is a fixture)
from tracker.db import session_scope
from tracker.models import EventKind, ProgressEvent, WorkItem, WorkItemStep
from tracker.services import checklists, imports
from tracker.services.excel_template import HEADERS, SHEET
from tracker.services.imports import ImportFailed
from tracker.services.work_item_lists import ItemFilter

STEPS_CELL = "Gửi giấy mời\n[x] Thông cáo báo chí\n\n[ ] Bố trí hội trường"


def _steps(engine, title):
    with session_scope(engine) as s:
        item = s.scalars(select(WorkItem).where(WorkItem.title == title)).one()
        steps = s.scalars(select(WorkItemStep).where(WorkItemStep.work_item_id == item.id)
                          .order_by(WorkItemStep.position)).all()
        return item.id, [(st.text, st.done, st.done_by_id) for st in steps]


def _steps_cell(data: bytes) -> list:
    ws = load_workbook(BytesIO(data))[SHEET]
    col = HEADERS.index("Các bước")
    return [r[col] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]


def test_a_new_item_gets_the_file_s_steps_in_order_with_one_history_entry(ctx):
    engine, admin, _, plans = ctx
    with session_scope(engine) as s:
        imports.import_items(s, actor=admin, plan_id=plans["184/QĐ-BNV"], data=xlsx([row() + [STEPS_CELL]]))
    item_id, steps = _steps(engine, "Chuyên mục tiền lương")
    assert steps == [("Gửi giấy mời", False, None), ("Thông cáo báo chí", True, admin.user_id),
                     ("Bố trí hội trường", False, None)]
    with session_scope(engine) as s:
        changes = s.scalars(select(ProgressEvent.changes).where(ProgressEvent.work_item_id == item_id,
                                                                ProgressEvent.kind == EventKind.PROGRESS)).all()
    assert changes == [{"steps": ["0/0", "1/3"]}]


def test_the_export_writes_the_steps_and_reimporting_it_changes_nothing(ctx):
    engine, admin, _, plans = ctx
    plan_id = plans["184/QĐ-BNV"]
    with session_scope(engine) as s:
        imports.import_items(s, actor=admin, plan_id=plan_id, data=xlsx([row() + [STEPS_CELL]]))
    with session_scope(engine) as s:
        exported = imports.export_items(s, actor=admin, filters=ItemFilter(plan_id=plan_id))
    assert _steps_cell(exported) == ["Gửi giấy mời\n[x] Thông cáo báo chí\nBố trí hội trường"]
    with session_scope(engine) as s:
        result = imports.import_items(s, actor=admin, plan_id=plan_id, data=exported)
    assert result.updated == [] and len(result.unchanged) == 1
    assert len(_steps(engine, "Chuyên mục tiền lương")[1]) == 3


def test_an_existing_item_only_gains_the_steps_it_lacks(ctx):
    """Its steps are the units' work: a re-import neither removes a step missing from the file nor unticks one."""
    engine, admin, head, plans = ctx
    plan_id = plans["184/QĐ-BNV"]
    with session_scope(engine) as s:
        imports.import_items(s, actor=admin, plan_id=plan_id, data=xlsx([row() + ["[x] Gửi giấy mời\nBố trí xe"]]))
    with session_scope(engine) as s:
        preview = imports.import_items(s, actor=admin, plan_id=plan_id, dry_run=True,
                                       data=xlsx([row() + ["Gửi giấy mời\nĐăng tải kết quả"]]))
    assert preview.would == {2: "cập nhật"}
    with session_scope(engine) as s:
        result = imports.import_items(s, actor=admin, plan_id=plan_id,
                                      data=xlsx([row() + ["Gửi giấy mời\nĐăng tải kết quả"]]))
    item_id, steps = _steps(engine, "Chuyên mục tiền lương")
    assert result.updated == [item_id]
    assert [(t, d) for t, d, _ in steps] == [("Gửi giấy mời", True), ("Bố trí xe", False), ("Đăng tải kết quả", False)]


def test_a_step_too_long_is_named_by_row_and_column_and_nothing_is_imported(ctx):
    engine, admin, _, plans = ctx
    with pytest.raises(ImportFailed) as err:
        with session_scope(engine) as s:
            imports.import_items(s, actor=admin, plan_id=plans["184/QĐ-BNV"],
                                 data=xlsx([row() + ["Gửi giấy mời\n" + "x" * 501]]))
    assert [(e.row, e.column) for e in err.value.errors] == [(2, "Các bước")]
    assert "dài quá 500 ký tự" in err.value.errors[0].reason
    with session_scope(engine) as s:
        assert s.scalar(select(WorkItem.id)) is None


def test_a_cell_reads_as_steps_and_back():
    steps = checklists.from_lines(" [X]  Gửi   giấy mời \r\n\n- Bố trí xe\n[ ] Đăng tải")
    assert steps == [("Gửi giấy mời", True), ("- Bố trí xe", False), ("Đăng tải", False)]
    assert checklists.as_lines(steps) == "[x] Gửi giấy mời\n- Bố trí xe\nĐăng tải"
    assert checklists.from_lines(None) == []
