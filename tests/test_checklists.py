"""Checklists: steps edited and ticked by who may report progress, who ticked and when kept, each change in the
item's history; the item's progress follows the steps when the office chooses so."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import EventKind, ProgressEvent, Role, Status, WorkItem
from tracker.permissions import Actor
from tracker.services import checklists

TODAY = dt.date(2024, 8, 1)
STEPS = ["Gửi giấy mời", "Thông cáo báo chí", "Bố trí hội trường", "Đăng tải kết quả"]


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        other = Actor.of(make_user(s, "truong.hn", Role.UNIT_HEAD, "SNV-HA-NOI"))
        item_id = make_item(s, unit_code="VU-TCBC", title="Họp báo quý III", status=Status.NOT_STARTED,
                            progress=0, due=dt.date(2024, 9, 30)).id
    return engine, admin, head, other, item_id


def test_the_unit_head_builds_and_ticks_steps_and_the_history_says_so(ctx):
    engine, _, head, other, item_id = ctx
    with session_scope(engine) as s:
        ids = [checklists.add_step(s, actor=head, item_id=item_id, text=t, today=TODAY).id for t in STEPS]
    with pytest.raises(PermissionDenied):
        with session_scope(engine) as s:
            checklists.tick(s, actor=other, step_id=ids[0], done=True, today=TODAY)
    with pytest.raises(ValidationFailed, match="không được để trống"):
        with session_scope(engine) as s:
            checklists.add_step(s, actor=head, item_id=item_id, text="  ", today=TODAY)
    with session_scope(engine) as s:
        checklists.tick(s, actor=head, step_id=ids[0], done=True, today=TODAY)
    with session_scope(engine) as s:
        got = checklists.read(s, actor=other, item_id=item_id)  # reading is open
        assert [(x.text, x.done) for x in got.steps] == [(t, i == 0) for i, t in enumerate(STEPS)]
        assert got.steps[0].done_by == "Người dùng truong.tcbc" and got.steps[0].done_at is not None
        assert (got.done_count, got.percent, got.progress_follows) == (1, 25, False)
        events = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == item_id)
                           .order_by(ProgressEvent.id)).all()
        last = events[-1]
        assert last.changes == {"steps": ["0/4", "1/4"]} and last.note == "Xong bước: Gửi giấy mời"
        assert s.get(WorkItem, item_id).progress == 0  # the office has not chosen to follow the steps


def test_progress_follows_the_steps_when_the_office_chooses_so(ctx):
    engine, admin, head, _, item_id = ctx
    with session_scope(engine) as s:
        ids = [checklists.add_step(s, actor=head, item_id=item_id, text=t, today=TODAY).id for t in STEPS]
        checklists.tick(s, actor=head, step_id=ids[0], done=True, today=TODAY)
    with pytest.raises(PermissionDenied):
        with session_scope(engine) as s:
            checklists.set_progress_follows(s, actor=head, item_id=item_id, follows=True, today=TODAY)
    with session_scope(engine) as s:
        checklists.set_progress_follows(s, actor=admin, item_id=item_id, follows=True, today=TODAY)
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert (item.progress, item.status) == (25, Status.IN_PROGRESS)  # progress on work not started starts it
    with session_scope(engine) as s:
        checklists.tick(s, actor=head, step_id=ids[1], done=True, today=TODAY)
        checklists.tick(s, actor=head, step_id=ids[2], done=True, today=TODAY)
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).progress == 75
        event = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == item_id)
                          .order_by(ProgressEvent.id.desc()).limit(1)).one()
        assert event.kind is EventKind.PROGRESS and event.changes["steps"] == ["2/4", "3/4"]
        assert event.changes["progress"] == [50, 75] or event.changes["progress"] == ["50", "75"]
    with session_scope(engine) as s:
        checklists.remove_step(s, actor=head, step_id=ids[3], today=TODAY)  # 3 of 3 done
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).progress == 100
