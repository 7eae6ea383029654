"""The import never silently overwrites an edit made after the export or the preview."""

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tests.test_imports import _import, ctx, row, xlsx  # noqa: F401  (ctx is a fixture)
from tracker.db import session_scope
from tracker.models import Role, WorkItem
from tracker.permissions import Actor
from tracker.services import imports
from tracker.services import work_items as items
from tracker.services.imports import KEEP, OVERWRITE, ImportConflict
from tracker.services.work_item_lists import ItemFilter


def _edit(engine, actor, title, **changes):
    with session_scope(engine) as s:
        item = s.scalars(select(WorkItem).where(WorkItem.title == title)).one()
        items.update_item(s, actor=actor, item_id=item.id, expected_version=item.version,
                          data=replace(items.item_input(item), **changes))


def _item(engine, title):
    with session_scope(engine) as s:
        return s.scalars(select(WorkItem).where(WorkItem.title == title)).one()


@pytest.fixture
def exported(ctx):  # noqa: F811
    """Two items imported, then exported; then another admin moves one item's deadline."""
    engine, admin, _, plans = ctx
    plan_id = plans["184/QĐ-BNV"]
    _import(engine, admin, plan_id, xlsx([row(title="Việc A", due="30/09/2024"), row(title="Việc B")]))
    with session_scope(engine) as s:
        data = imports.export_items(s, actor=admin, filters=ItemFilter(plan_id=plan_id))
        other = Actor.of(make_user(s, "chi.lan", Role.ADMIN))
    _edit(engine, other, "Việc A", due_date=dt.date(2024, 11, 30), note="Lùi hạn theo chỉ đạo")
    return engine, admin, plan_id, data


def test_an_item_changed_since_the_export_is_a_conflict_in_the_preview(exported):
    engine, admin, plan_id, data = exported
    preview = _import(engine, admin, plan_id, data, dry_run=True)
    [conflict] = preview.conflicts
    assert conflict.row == 2 and conflict.title == "Việc A" and preview.would == {2: "xung đột", 3: "giữ nguyên"}
    assert "Người dùng chi.lan" in conflict.who()
    assert "30/09/2024 → 30/11/2024" in conflict.describe()
    assert "1 xung đột" in preview.summary()


def test_without_a_choice_nothing_is_overwritten(exported):
    engine, admin, plan_id, data = exported
    with pytest.raises(ImportConflict, match="dòng 2.*sau khi tệp được xuất"):
        _import(engine, admin, plan_id, data)
    assert _item(engine, "Việc A").due_date == dt.date(2024, 11, 30)


def test_keep_leaves_the_edit_and_overwrite_takes_the_file(exported):
    engine, admin, plan_id, data = exported
    kept = _import(engine, admin, plan_id, data, on_conflict=KEEP)
    assert kept.skipped == [_item(engine, "Việc A").id] and kept.updated == []
    assert _item(engine, "Việc A").due_date == dt.date(2024, 11, 30)
    _import(engine, admin, plan_id, data, on_conflict=OVERWRITE)
    assert _item(engine, "Việc A").due_date == dt.date(2024, 9, 30)


def test_an_edit_between_preview_and_confirm_stops_the_import(ctx):  # noqa: F811
    engine, admin, _, plans = ctx
    plan_id = plans["184/QĐ-BNV"]
    _import(engine, admin, plan_id, xlsx([row(title="Việc A", budget="10.000.000")]))
    hand_made = xlsx([row(title="Việc A", budget="20.000.000")])  # no version column: not from an export
    preview = _import(engine, admin, plan_id, hand_made, dry_run=True)
    assert preview.would == {2: "cập nhật"} and preview.conflicts == []
    with session_scope(engine) as s:
        other = Actor.of(make_user(s, "chi.lan", Role.ADMIN))
    _edit(engine, other, "Việc A", channel_text="Báo Nhân Dân")
    for choice in (None, OVERWRITE):
        with pytest.raises(ImportConflict, match="sau khi bạn xem trước"):
            _import(engine, admin, plan_id, hand_made, seen_versions=preview.versions, on_conflict=choice)
    item = _item(engine, "Việc A")
    assert (item.channel_text, item.budget_planned) == ("Báo Nhân Dân", 10_000_000)


def test_cli_lists_conflicts_and_needs_a_choice(exported, tmp_path, monkeypatch, capsys):
    from tracker.__main__ import main

    engine, _, _, data = exported
    monkeypatch.setenv("TRACKER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    path = tmp_path / "xuat.xlsx"
    path.write_bytes(data)
    assert main(["import", str(path), "--plan", "184/QĐ-BNV", "--dry-run"]) == 0
    assert "Dòng 2: công việc" in capsys.readouterr().out
    assert main(["import", str(path), "--plan", "184/QĐ-BNV"]) == 1
    err = capsys.readouterr().err
    assert "--on-conflict" in err and "30/09/2024 → 30/11/2024" in err
    assert _item(engine, "Việc A").due_date == dt.date(2024, 11, 30)
    assert main(["import", str(path), "--plan", "184/QĐ-BNV", "--on-conflict", "keep"]) == 0
    assert _item(engine, "Việc A").due_date == dt.date(2024, 11, 30)


def test_the_page_lists_conflicts_and_asks_for_a_choice():
    from streamlit.testing.v1 import AppTest

    def page():
        import datetime as dt

        import streamlit as st

        from tracker.services.imports import ImportConflictRow
        from tracker.services.progress import HistoryEntry
        from tracker.ui.work_items_view import conflict_choice

        entry = HistoryEntry(id=1, at=dt.datetime(2024, 8, 1, tzinfo=dt.timezone.utc), actor="Trần Thị Bình",
                             kind="updated", kind_label="Sửa", changes=[("Hạn", "30/09/2024", "30/11/2024")],
                             note=None, evidence_urls=[])
        st.session_state["choice"] = conflict_choice([ImportConflictRow(row=2, item_id=7, title="Việc A",
                                                                        since=[entry])])

    at = AppTest.from_function(page, default_timeout=30).run()
    assert not at.exception
    assert "1 dòng trong tệp" in at.warning[0].value
    shown = at.dataframe[0].value
    assert shown.iloc[0].to_dict() == {"Dòng": 2, "Công việc": "#7 Việc A", "Đã sửa sau khi xuất": "Hạn: 30/09/2024 → "
                                       "30/11/2024", "Người sửa": "Trần Thị Bình"}
    assert at.session_state["choice"] is None  # nothing chosen for the user
    at.radio(key="work_items_import_conflict_choice").set_value("keep").run()
    assert at.session_state["choice"] == "keep"
