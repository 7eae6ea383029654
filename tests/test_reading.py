"""Reading is open, writing is not: anyone signed in reads every unit's work on every read path.

The ministry works in the open (tracker/permissions.py): a unit head reads another unit's item,
its history, evidence and explanations, finds it in search, in "Công việc" and its export, and
in Tổng quan; writing stays with the lead unit's head and the office. Anonymous reads are refused.
"""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import PermissionDenied
from tracker.models import EvidenceFile, Plan, Role
from tracker.permissions import Action, Actor, can
from tracker.services import dashboard, evidence, explanations, imports, items
from tracker.services.dashboard_filters import Filters
from tracker.services.progress import ProgressInput, item_history, update_progress
from tracker.services.work_item_lists import ItemFilter, list_items

TODAY = dt.date(2024, 8, 1)
TITLE = "Tọa đàm của Sở Nội vụ Hà Nội"
PDF = b"%PDF-1.4\n% minh chung\n"


@pytest.fixture
def other_units_work(engine, tmp_path, monkeypatch):
    """An overdue item of Sở Nội vụ Hà Nội with a report, a file and an explanation request."""
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    with session_scope(engine) as s:
        readers = {
            "head_other_unit": Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC")),
            "viewer": Actor.of(make_user(s, "nguoi.xem", Role.VIEWER)),
            "leader": Actor.of(make_user(s, "lanh.dao", Role.LEADER)),
        }
        owner = Actor.of(make_user(s, "truong.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI"))
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        item = make_item(s, unit_code="SNV-HA-NOI", title=TITLE, due=dt.date(2024, 7, 1))
        item_id, plan_id = item.id, item.plan_id
    with session_scope(engine) as s:
        update_progress(s, actor=owner, item_id=item_id, expected_version=1, today=TODAY,
                        change=ProgressInput(progress=40, note="Đã chuẩn bị"),
                        files=[evidence.Upload("ke-hoach.pdf", PDF)])
        explanations.request_explanation(s, actor=admin, item_id=item_id, question="Vì sao chậm?", today=TODAY)
    with session_scope(engine) as s:
        file_id = s.scalars(select(EvidenceFile.id)).one()
    return engine, readers, item_id, plan_id, file_id


READERS = ["head_other_unit", "viewer", "leader"]


@pytest.mark.parametrize("who", READERS)
def test_any_signed_in_user_reads_another_units_item(other_units_work, who):
    engine, readers, item_id, plan_id, file_id = other_units_work
    actor = readers[who]
    with session_scope(engine) as s:
        assert items.get_item(s, actor=actor, item_id=item_id).title == TITLE
        assert "Đã chuẩn bị" in [h.note for h in item_history(s, actor=actor, item_id=item_id)]
        assert evidence.load_file(s, actor=actor, file_id=file_id)[2] == PDF
        assert [r.question for r in explanations.list_explanations(s, actor=actor, item_id=item_id)] == ["Vì sao chậm?"]
        assert TITLE in [r.title for r in items.search_items(s, actor=actor, text="toa dam", today=TODAY)]
        assert [r.id for r in items.search_items(s, actor=actor, text=str(item_id), today=TODAY)] == [item_id]
        assert TITLE in [r.title for r in list_items(s, actor=actor, filters=ItemFilter(plan_id=plan_id))]
        workbook = load_workbook(io.BytesIO(imports.export_items(s, actor=actor, filters=ItemFilter(plan_id=plan_id))))
        assert TITLE in [c.value for row in workbook.active.iter_rows() for c in row]
        board = dashboard.build(s, actor=actor, filters=Filters(plan_id=plan_id), today=TODAY, include_flow=False)
        assert board.headline.items == 1 and TITLE in list(board.gantt["title"])


@pytest.mark.parametrize("who", READERS)
def test_reading_is_not_writing(other_units_work, who):
    engine, readers, item_id, _, _ = other_units_work
    with session_scope(engine) as s:
        item = items.get_item(s, actor=readers[who], item_id=item_id)
        assert not item.can_update
        with pytest.raises(PermissionDenied):
            update_progress(s, actor=readers[who], item_id=item_id, expected_version=item.version, today=TODAY,
                            change=ProgressInput(progress=90))


def test_anonymous_reads_nothing(other_units_work):
    engine, _, item_id, plan_id, file_id = other_units_work
    assert not can(None, Action.VIEW_ITEM) and not can(None, Action.VIEW_DASHBOARD)
    with session_scope(engine) as s:
        reads = [
            lambda: items.get_item(s, actor=None, item_id=item_id),
            lambda: item_history(s, actor=None, item_id=item_id),
            lambda: evidence.load_file(s, actor=None, file_id=file_id),
            lambda: explanations.list_explanations(s, actor=None, item_id=item_id),
            lambda: items.search_items(s, actor=None, text="", today=TODAY),
            lambda: list_items(s, actor=None, filters=ItemFilter(plan_id=plan_id)),
            lambda: imports.export_items(s, actor=None, filters=ItemFilter(plan_id=plan_id)),
            lambda: dashboard.build(s, actor=None, filters=Filters(plan_id=plan_id), today=TODAY),
        ]
        for read in reads:
            with pytest.raises(PermissionDenied):
                read()
        assert s.scalar(select(Plan.id).where(Plan.id == plan_id)) == plan_id
