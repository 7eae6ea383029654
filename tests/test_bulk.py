"""Changes to many items at once: the preview equals the result, one history entry per item, all or nothing,
an item changed since it was read is named, a unit head moves only their own unit's cards."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import EventKind, ProgressEvent, Role, Status, Unit, WorkItem
from tracker.permissions import Actor
from tracker.services import bulk

TODAY = dt.date(2024, 8, 1)


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        ids = [make_item(s, unit_code="SNV-HA-NOI" if n % 2 else "VU-TCBC", title=f"Chuyên mục số {n}",
                         status=Status.NOT_STARTED, progress=0,
                         due=dt.date(2024, 9, 1) + dt.timedelta(days=n)).id for n in range(40)]
    return engine, admin, head, ids


def _versions(s, ids):
    return [(i, s.get(WorkItem, i).version) for i in ids]


def _events(s, kind):
    return s.scalar(select(func.count(ProgressEvent.id)).where(ProgressEvent.kind == kind))


def test_shifting_forty_deadlines_by_two_weeks_previews_then_writes_one_entry_each(ctx):
    engine, admin, _, ids = ctx
    edit = bulk.BulkEdit(shift_days=14)
    with session_scope(engine) as s:
        preview = bulk.preview_edit(s, actor=admin, items=_versions(s, ids), edit=edit)
    assert preview.problems == [] and len(preview.changed) == 40
    assert preview.rows[0].changes["due_date"] == ["01/09/2024", "15/09/2024"]
    with session_scope(engine) as s:  # the preview wrote nothing
        assert s.get(WorkItem, ids[0]).due_date == dt.date(2024, 9, 1) and _events(s, EventKind.UPDATED) == 0
        result = bulk.apply_edit(s, actor=admin, items=_versions(s, ids), edit=edit)
    assert [r.changes for r in result.rows] == [r.changes for r in preview.rows]  # the preview is the result
    with session_scope(engine) as s:
        assert [s.get(WorkItem, i).due_date for i in ids[:2]] == [dt.date(2024, 9, 15), dt.date(2024, 9, 16)]
        assert _events(s, EventKind.UPDATED) == 40


def test_an_item_changed_since_the_preview_is_named_and_nothing_is_written(ctx):
    engine, admin, _, ids = ctx
    with session_scope(engine) as s:
        read = _versions(s, ids)
        tcbc = s.scalars(select(Unit.id).where(Unit.code == "VU-PC")).one()
    with session_scope(engine) as s:  # someone edits item 3 meanwhile
        bulk.apply_edit(s, actor=admin, items=[read[3]], edit=bulk.BulkEdit(shift_days=1))
    with pytest.raises(ValidationFailed) as err:  # outside the transaction: the refusal rolls it back
        with session_scope(engine) as s:
            bulk.apply_edit(s, actor=admin, items=read, edit=bulk.BulkEdit(lead_unit_id=tcbc))
    assert err.value.problems == [f"#{ids[3]} “Chuyên mục số 3”: đã được Người dùng van.phong cập nhật sau khi "
                                  "bạn xem trước; hãy xem trước lại."]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(WorkItem.id)).where(WorkItem.lead_unit_id == tcbc)) == 0


def test_a_rule_broken_by_one_item_stops_all(ctx):
    engine, admin, _, ids = ctx
    with session_scope(engine) as s:
        s.get(WorkItem, ids[5]).start_date = dt.date(2024, 9, 1)
    with session_scope(engine) as s:
        preview = bulk.preview_edit(s, actor=admin, items=_versions(s, ids), edit=bulk.BulkEdit(
            due_date=dt.date(2024, 8, 20)))
    assert len(preview.problems) == 1 and preview.problems[0].startswith(f"#{ids[5]} “Chuyên mục số 5”:")
    with pytest.raises(ValidationFailed, match="chưa công việc nào được thay đổi"):
        with session_scope(engine) as s:
            bulk.apply_edit(s, actor=admin, items=_versions(s, ids), edit=bulk.BulkEdit(due_date=dt.date(2024, 8, 20)))
    with session_scope(engine) as s:
        assert _events(s, EventKind.UPDATED) == 0


def test_delete_and_restore_many(ctx):
    engine, admin, head, ids = ctx
    with pytest.raises(PermissionDenied):
        with session_scope(engine) as s:
            bulk.apply_delete(s, actor=head, items=_versions(s, ids[:3]))
    with session_scope(engine) as s:
        bulk.apply_delete(s, actor=admin, items=_versions(s, ids[:3]), reason="Trùng kế hoạch")
    with session_scope(engine) as s:
        assert _events(s, EventKind.DELETED) == 3
        assert s.scalar(select(func.count(WorkItem.id)).where(WorkItem.deleted_at.is_not(None))) == 3
        bulk.apply_delete(s, actor=admin, items=_versions(s, ids[:3]), restore=True)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(WorkItem.id)).where(WorkItem.deleted_at.is_not(None))) == 0


def test_a_unit_head_moves_their_own_cards_and_no_other_unit_s(ctx):
    engine, _, head, ids = ctx
    own, other = ids[0::2], ids[1::2]
    with session_scope(engine) as s:
        result = bulk.preview_move(s, actor=head, items=_versions(s, own[:3] + other[:1]), to_status=Status.IN_PROGRESS,
                                   today=TODAY)
    assert len(result.changed) == 3 and len(result.problems) == 1
    with pytest.raises(ValidationFailed):
        with session_scope(engine) as s:
            bulk.apply_move(s, actor=head, items=_versions(s, own[:3] + other[:1]), to_status=Status.IN_PROGRESS,
                            today=TODAY)
    with session_scope(engine) as s:
        assert _events(s, EventKind.MOVED) == 0
        bulk.apply_move(s, actor=head, items=_versions(s, own[:3]), to_status=Status.IN_PROGRESS, today=TODAY)
    with session_scope(engine) as s:
        assert [s.get(WorkItem, i).status for i in own[:4]] == [Status.IN_PROGRESS] * 3 + [Status.NOT_STARTED]
        assert _events(s, EventKind.MOVED) == 3
