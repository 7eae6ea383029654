"""Moves on the board: every transition × role × own/other unit, evidence, reasons, stale versions."""

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import NotFound, PermissionDenied, ValidationFailed
from tracker.models import EventKind, EvidenceFile, ProgressEvent, Role, Status, WorkItem
from tracker.permissions import Actor
from tracker.services.moves import MoveNeedsDetails, StaleMove, move_item, set_blocked
from tracker.services.progress import item_history
from tracker.services.users import create_user

TODAY = dt.date(2024, 8, 1)
OWN, OTHER = "VU-TCBC", "SNV-HA-NOI"
LINK = ("https://moha.gov.vn/tin-tuc/bai-1",)
REASON = "Thiếu số liệu kết quả, đề nghị bổ sung."

WHO = {
    "anonymous": None,
    "viewer": (Role.VIEWER, None),
    "leader": (Role.LEADER, None),
    "head_own_unit": (Role.UNIT_HEAD, OWN),
    "head_other_unit": (Role.UNIT_HEAD, OTHER),
    "admin": (Role.ADMIN, None),
}
NS, IP, AW, DN = Status.NOT_STARTED, Status.IN_PROGRESS, Status.AWAITING_CONFIRMATION, Status.DONE
# What a unit head may do with the unit's own cards; the office may make every move.
HEAD_MOVES = {(NS, IP), (IP, NS), (NS, AW), (IP, AW), (AW, IP)}
PAIRS = [p for p in itertools.permutations(Status, 2)]


def _actor(session, who):
    spec = WHO[who]
    if spec is None:
        return None
    role, unit = spec
    return Actor.of(create_user(session, username=f"u.{who.replace('_', '.')}", password="mat-khau-dai",
                                role=role, unit_code=unit, full_name=f"Người {who}"))


def _item(session, status, **kw):
    return make_item(session, unit_code=OWN, status=status, progress=100 if status is DN else 40,
                     **kw)


@pytest.mark.parametrize("who", list(WHO))
@pytest.mark.parametrize("frm, to", PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_every_transition_for_every_role(engine, who, frm, to):
    with session_scope(engine) as s:
        actor = _actor(s, who)
        item_id = _item(s, frm).id
    if who == "admin":
        expected = "moved"
    elif who == "head_own_unit" and frm is not DN:  # confirmed work is read-only for the unit
        expected = "moved" if (frm, to) in HEAD_MOVES else "refused"
    else:
        expected = "denied"

    with session_scope(engine) as s:
        if expected == "moved":
            result = move_item(s, actor=actor, item_id=item_id, to_status=to, expected_version=1, today=TODAY,
                               reason=REASON, evidence_urls=LINK)
            assert (result.from_status, result.to_status, result.version) == (frm, to, 2)
        else:
            error = PermissionDenied if expected == "denied" else ValidationFailed
            with pytest.raises(error) as exc:
                move_item(s, actor=actor, item_id=item_id, to_status=to, expected_version=1, today=TODAY,
                          reason=REASON, evidence_urls=LINK)
            assert str(exc.value)  # a message the user can read

    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        events = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == item_id)).all()
        if expected == "moved":
            assert item.status is to and item.version == 2
            assert len(events) == 1 and (events[0].from_status, events[0].to_status) == (frm, to)
            kind = (EventKind.CONFIRMED if to is DN else
                    EventKind.RETURNED if frm in (AW, DN) else EventKind.MOVED)
            assert events[0].kind is kind
        else:
            assert item.status is frm and item.version == 1 and events == []


def test_unit_head_is_told_to_send_for_confirmation_instead_of_done(engine):
    with session_scope(engine) as s:
        head = _actor(s, "head_own_unit")
        item_id = _item(s, IP).id
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match="hãy chuyển sang “Chờ xác nhận”"):
        move_item(s, actor=head, item_id=item_id, to_status=DN, expected_version=1, today=TODAY,
                  evidence_urls=LINK)


def test_other_unit_head_gets_the_own_unit_message(engine):
    with session_scope(engine) as s:
        other = _actor(s, "head_other_unit")
        item_id = _item(s, NS).id
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="do đơn vị mình chủ trì"):
        move_item(s, actor=other, item_id=item_id, to_status=IP, expected_version=1, today=TODAY)


@pytest.mark.parametrize("who", ["admin", "head_own_unit"])
def test_stale_version_is_refused_and_nothing_changes(engine, who):
    with session_scope(engine) as s:
        actor = _actor(s, who)
        item_id = _item(s, NS).id
    with session_scope(engine) as s:
        move_item(s, actor=actor, item_id=item_id, to_status=IP, expected_version=1, today=TODAY)
    with session_scope(engine) as s, pytest.raises(StaleMove) as exc:
        move_item(s, actor=actor, item_id=item_id, to_status=NS, expected_version=1, today=TODAY)
    assert "vừa được Người " in str(exc.value) and exc.value.current_version == 2
    assert [e.kind_label for e in exc.value.since] == ["Chuyển trạng thái"]
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert (item.status, item.version) == (IP, 2)


def test_a_racing_writer_loses_at_flush(engine):
    """Both read version 1; the first commits, the second's UPDATE ... WHERE version = 1 matches nothing."""
    with session_scope(engine) as s:
        admin = _actor(s, "admin")
        item_id = _item(s, NS).id
    with session_scope(engine) as slow:
        slow_item = slow.get(WorkItem, item_id)
        assert slow_item.version == 1
        with session_scope(engine) as fast:
            move_item(fast, actor=admin, item_id=item_id, to_status=IP, expected_version=1, today=TODAY)
        with pytest.raises(StaleMove):
            move_item(slow, actor=admin, item_id=item_id, to_status=AW, expected_version=1, today=TODAY,
                      evidence_urls=LINK)
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).status is IP


def test_sending_for_confirmation_needs_evidence(engine):
    with session_scope(engine) as s:
        head = _actor(s, "head_own_unit")
        item_id = _item(s, IP).id
    with session_scope(engine) as s, pytest.raises(MoveNeedsDetails, match="cần có minh chứng") as exc:
        move_item(s, actor=head, item_id=item_id, to_status=AW, expected_version=1, today=TODAY)
    assert exc.value.needs_evidence and not exc.value.needs_reason
    with session_scope(engine) as s:
        move_item(s, actor=head, item_id=item_id, to_status=AW, expected_version=1, today=TODAY, evidence_urls=LINK)
        assert s.get(WorkItem, item_id).status is AW


def test_earlier_evidence_link_or_file_counts(engine):
    with session_scope(engine) as s:
        head = _actor(s, "head_own_unit")
        with_link = _item(s, IP, title="Có đường dẫn trước đó").id
        with_file = _item(s, IP, title="Có tệp minh chứng").id
        s.add(ProgressEvent(work_item_id=with_link, kind=EventKind.PROGRESS, evidence_urls=list(LINK)))
        s.add(EvidenceFile(work_item_id=with_file, filename="bao-cao.pdf", content_type="application/pdf",
                           size_bytes=10, sha256="0" * 64))
    for item_id in (with_link, with_file):
        with session_scope(engine) as s:
            move_item(s, actor=head, item_id=item_id, to_status=AW, expected_version=1, today=TODAY)
            assert s.get(WorkItem, item_id).status is AW


@pytest.mark.parametrize("frm, to", [(AW, IP), (AW, NS), (DN, IP), (DN, AW)])
def test_office_returns_need_a_reason(engine, frm, to):
    with session_scope(engine) as s:
        admin = _actor(s, "admin")
        item_id = _item(s, frm).id
    with session_scope(engine) as s, pytest.raises(MoveNeedsDetails, match="lý do") as exc:
        move_item(s, actor=admin, item_id=item_id, to_status=to, expected_version=1, today=TODAY, reason="  ",
                  evidence_urls=LINK)
    assert exc.value.needs_reason
    with session_scope(engine) as s:
        move_item(s, actor=admin, item_id=item_id, to_status=to, expected_version=1, today=TODAY, reason=REASON,
                  evidence_urls=LINK)
        history = item_history(s, actor=admin, item_id=item_id)
    assert history[-1].kind_label == "Trả lại" and history[-1].note == REASON


@pytest.mark.parametrize("due, late, label", [
    (dt.date(2024, 8, 1), False, "Đúng hạn"),
    (dt.date(2024, 7, 31), True, "Muộn hạn"),
])
def test_confirmation_records_done_on_time_or_late(engine, due, late, label):
    with session_scope(engine) as s:
        admin = _actor(s, "admin")
        item_id = _item(s, AW, due=due).id
    with session_scope(engine) as s:
        result = move_item(s, actor=admin, item_id=item_id, to_status=DN, expected_version=1, today=TODAY,
                           evidence_urls=LINK)
        assert result.done_late is late
        item = s.get(WorkItem, item_id)
        assert (item.completed_on, item.progress) == (TODAY, 100)
        entry = item_history(s, actor=admin, item_id=item_id)[-1]
    assert entry.kind_label == "Xác nhận hoàn thành"
    assert ("Kết quả so với hạn", "—", label) in entry.changes
    assert ("Ngày hoàn thành", "—", "01/08/2024") in entry.changes


def test_returning_done_work_clears_the_completion_date(engine):
    with session_scope(engine) as s:
        admin = _actor(s, "admin")
        item = _item(s, DN)
        item.completed_on = dt.date(2024, 7, 20)
        s.flush()
        item_id, version = item.id, item.version
    with session_scope(engine) as s:
        move_item(s, actor=admin, item_id=item_id, to_status=IP, expected_version=version, today=TODAY, reason=REASON)
        assert s.get(WorkItem, item_id).completed_on is None


def test_moving_to_the_same_column_or_a_missing_item_is_refused(engine):
    with session_scope(engine) as s:
        admin = _actor(s, "admin")
        item_id = _item(s, IP).id
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match="đã ở cột “Đang thực hiện”"):
        move_item(s, actor=admin, item_id=item_id, to_status=IP, expected_version=1, today=TODAY)
    with session_scope(engine) as s, pytest.raises(NotFound):
        move_item(s, actor=admin, item_id=item_id + 999, to_status=IP, expected_version=1, today=TODAY)


def test_blocked_flag_set_and_cleared_with_history(engine):
    with session_scope(engine) as s:
        head = _actor(s, "head_own_unit")
        item_id = _item(s, IP).id
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match="lý do"):
        set_blocked(s, actor=head, item_id=item_id, blocked=True, expected_version=1, today=TODAY, reason=" ")
    with session_scope(engine) as s:
        set_blocked(s, actor=head, item_id=item_id, blocked=True, expected_version=1, today=TODAY,
                    reason="Chưa được bố trí kinh phí.")
        item = s.get(WorkItem, item_id)
        assert (item.blocked, item.blocked_reason) == (True, "Chưa được bố trí kinh phí.")
    with session_scope(engine) as s:
        set_blocked(s, actor=head, item_id=item_id, blocked=False, expected_version=2, today=TODAY,
                    reason="Đã được cấp kinh phí.")
        item = s.get(WorkItem, item_id)
        assert (item.blocked, item.blocked_reason) == (False, None)
        kinds = [e.kind for e in s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == item_id)
                                           .order_by(ProgressEvent.id))]
    assert kinds == [EventKind.BLOCKED, EventKind.UNBLOCKED]


@pytest.mark.parametrize("who", ["anonymous", "viewer", "leader", "head_other_unit"])
def test_blocked_flag_only_by_lead_unit_or_office(engine, who):
    with session_scope(engine) as s:
        actor = _actor(s, who)
        item_id = _item(s, IP).id
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        set_blocked(s, actor=actor, item_id=item_id, blocked=True, expected_version=1, today=TODAY,
                    reason="Vướng mắc")
