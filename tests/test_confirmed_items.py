"""Confirmed work ("Hoàn thành") is read-only for the unit: only the office reopens it, with a reason."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import PermissionDenied
from tracker.models import EventKind, ProgressEvent, Role, Status, WorkItem
from tracker.permissions import Action, Actor, can
from tracker.services.moves import move_item, set_blocked
from tracker.services.progress import ProgressInput, update_progress
from tracker.services.users import create_user

TODAY = dt.date(2024, 8, 1)


@pytest.fixture
def done(engine):
    with session_scope(engine) as s:
        head = Actor.of(create_user(s, username="truong.tcbc", password="mat-khau-dai", role=Role.UNIT_HEAD,
                                    unit_code="VU-TCBC", full_name="Nguyễn Văn An"))
        admin = Actor.of(create_user(s, username="vanphong", password="mat-khau-dai", role=Role.ADMIN))
        item = make_item(s, unit_code="VU-TCBC", status=Status.DONE, progress=100)
        item.achieved_qty, item.budget_spent = 42, 123_456_789
        s.flush()
        item_id = item.id
    return engine, head, admin, item_id


V = 2  # the confirmed item's version: created, then given its results


@pytest.mark.parametrize("change", [
    ProgressInput(achieved_qty=0),
    ProgressInput(budget_spent=0),
    ProgressInput(progress=50),
    ProgressInput(blocked=True, blocked_reason="Thiếu kinh phí"),
    ProgressInput(note="Bổ sung minh chứng", evidence_urls=("https://moha.gov.vn/a",)),
], ids=["quantity", "budget", "progress", "blocked", "note"])
def test_unit_head_cannot_change_confirmed_work(done, change):
    engine, head, _, item_id = done
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="trả lại công việc"):
        update_progress(s, actor=head, item_id=item_id, expected_version=V, change=change, today=TODAY)
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert (item.achieved_qty, item.budget_spent, item.version) == (42, 123_456_789, V)


def test_unit_head_cannot_flag_or_move_confirmed_work(done):
    engine, head, _, item_id = done
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="Hoàn thành"):
        set_blocked(s, actor=head, item_id=item_id, blocked=True, expected_version=V, today=TODAY, reason="x")
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="Hoàn thành"):
        move_item(s, actor=head, item_id=item_id, to_status=Status.IN_PROGRESS, expected_version=V,
                  today=TODAY, reason="Cần sửa số liệu")


def test_pages_hide_the_forms_of_confirmed_work(done):
    engine, head, admin, item_id = done
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert not can(head, Action.UPDATE_PROGRESS, item) and not can(head, Action.MOVE_ITEM, item)
        assert can(admin, Action.UPDATE_PROGRESS, item) and can(head, Action.VIEW_ITEM, item)


def test_office_reopens_with_a_reason_then_the_unit_may_change_it(done):
    engine, head, admin, item_id = done
    with session_scope(engine) as s:
        move_item(s, actor=admin, item_id=item_id, to_status=Status.IN_PROGRESS, expected_version=V,
                  today=TODAY, reason="Số liệu kết quả chưa đúng, đề nghị đơn vị sửa.")
    with session_scope(engine) as s:
        update_progress(s, actor=head, item_id=item_id, expected_version=V + 1,
                        change=ProgressInput(achieved_qty=40), today=TODAY)
    with session_scope(engine) as s:
        events = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == item_id)
                           .order_by(ProgressEvent.id)).all()
        assert [e.kind for e in events] == [EventKind.RETURNED, EventKind.PROGRESS]
        assert events[0].note == "Số liệu kết quả chưa đúng, đề nghị đơn vị sửa."
        assert s.get(WorkItem, item_id).achieved_qty == 40
