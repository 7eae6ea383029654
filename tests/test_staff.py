"""Named staff (chuyên viên): assignment by the unit head, what it lets staff do, and when it stops."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import NotFound, PermissionDenied, ValidationFailed
from tracker.models import ItemAssignment, ItemFollow, Notification, NotificationKind, Role, Status, User, WorkItem
from tracker.permissions import SESSION_OVER, Actor
from tracker.services import assignments as svc
from tracker.services.board import BoardFilters, read_board
from tracker.services.comments import followers
from tracker.services.contributions import add_contribution
from tracker.services.evidence import Upload
from tracker.services.items import get_item, my_work
from tracker.services.progress import ProgressInput, item_history, update_progress
from tracker.services.units import find_unit
from tracker.services.users import change_role, set_active

TODAY = dt.date(2024, 6, 20)
LEAD, OTHER, COORD = "VU-TL", "VU-TCBC", "VU-PC"


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        people = {
            "admin": Actor.of(make_user(s, "vanphong", Role.ADMIN)),
            "head": Actor.of(make_user(s, "truong.tl", Role.UNIT_HEAD, LEAD)),
            "an": Actor.of(make_user(s, "cv.an", Role.STAFF, LEAD)),
            "binh": Actor.of(make_user(s, "cv.binh", Role.STAFF, LEAD)),
            "other_head": Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, OTHER)),
            "other_staff": Actor.of(make_user(s, "cv.tcbc", Role.STAFF, OTHER)),
            "coord_staff": Actor.of(make_user(s, "cv.pc", Role.STAFF, COORD)),
        }
        item = make_item(s, unit_code=LEAD, title="Tọa đàm cải cách tiền lương", due=dt.date(2024, 6, 25))
        item.coordinating_units = [find_unit(s, COORD)]
        other = make_item(s, unit_code=LEAD, title="Bài viết về bảo hiểm xã hội", due=dt.date(2024, 6, 26))
        ids = (item.id, other.id)
    return engine, people, ids


def _report(engine, actor, item_id, pct=50):
    with session_scope(engine) as s:
        version = get_item(s, actor=actor, item_id=item_id).version
        update_progress(s, actor=actor, item_id=item_id, expected_version=version,
                        change=ProgressInput(progress=pct, note="Đã có bản thảo."), today=TODAY)


def test_the_head_assigns_history_notification_and_follow_in_one_transaction(ctx):
    engine, people, (item_id, _) = ctx
    with session_scope(engine) as s:
        svc.assign_staff(s, actor=people["head"], item_id=item_id,
                         user_ids=[people["an"].user_id, people["binh"].user_id])
    with session_scope(engine) as s:
        assert [m.username for m in svc.assigned_staff(s, item_id=item_id)] == ["cv.an", "cv.binh"]
        last = item_history(s, actor=people["admin"], item_id=item_id)[-1]
        assert last.kind_label == "Giao cán bộ phụ trách"
        assert last.changes == [("Cán bộ phụ trách", "—", "Người dùng cv.an, Người dùng cv.binh")]
        told = s.execute(select(Notification.user_id, Notification.kind, Notification.text)
                         .where(Notification.work_item_id == item_id)).all()
        assert sorted(u for u, _, _ in told) == sorted([people["an"].user_id, people["binh"].user_id])
        assert {k for _, k, _ in told} == {NotificationKind.ASSIGNED}
        assert "Người dùng truong.tl giao cho bạn công việc “Tọa đàm cải cách tiền lương”." in {t for *_, t in told}
        assert {people["an"].user_id, people["binh"].user_id} <= followers(s, s.get(WorkItem, item_id))
    with session_scope(engine) as s:  # removing one: history says so, nobody is told twice
        svc.assign_staff(s, actor=people["head"], item_id=item_id, user_ids=[people["binh"].user_id])
        assert item_history(s, actor=people["admin"], item_id=item_id)[-1].changes == [
            ("Cán bộ phụ trách", "Người dùng cv.an, Người dùng cv.binh", "Người dùng cv.binh")]
        assert s.scalar(select(ItemAssignment.user_id).where(ItemAssignment.work_item_id == item_id)) == \
            people["binh"].user_id
        with pytest.raises(ValidationFailed, match="không thay đổi"):
            svc.assign_staff(s, actor=people["head"], item_id=item_id, user_ids=[people["binh"].user_id])


@pytest.mark.parametrize("who", ["other_staff", "coord_staff", "head"])
def test_only_active_staff_of_the_lead_unit_can_be_assigned(ctx, who):
    engine, people, (item_id, _) = ctx
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match="không phải chuyên viên"):
        svc.assign_staff(s, actor=people["head"], item_id=item_id, user_ids=[people[who].user_id])
    with session_scope(engine) as s:
        assert s.scalars(select(ItemAssignment)).all() == []
        assert s.scalars(select(Notification)).all() == []


@pytest.mark.parametrize("who", ["an", "other_head", "other_staff", "coord_staff"])
def test_nobody_but_the_lead_head_or_the_office_assigns(ctx, who):
    engine, people, (item_id, _) = ctx
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="Trưởng đơn vị chủ trì"):
        svc.assign_staff(s, actor=people[who], item_id=item_id, user_ids=[people["an"].user_id])


def test_an_unknown_account_or_item_is_not_found(ctx):
    engine, people, (item_id, _) = ctx
    with session_scope(engine) as s, pytest.raises(NotFound):
        svc.assign_staff(s, actor=people["head"], item_id=item_id, user_ids=[99999])
    with session_scope(engine) as s, pytest.raises(NotFound):
        svc.assign_staff(s, actor=people["head"], item_id=99999, user_ids=[people["an"].user_id])


def test_staff_report_and_move_their_items_only_and_see_them_in_my_work(ctx):
    engine, people, (item_id, other_id) = ctx
    with session_scope(engine) as s:
        svc.assign_staff(s, actor=people["head"], item_id=item_id, user_ids=[people["an"].user_id])
    _report(engine, people["an"], item_id)
    with pytest.raises(PermissionDenied, match="Chuyên viên chỉ được cập nhật tiến độ công việc của đơn vị mình được giao cho mình."):
        _report(engine, people["an"], other_id)
    with pytest.raises(PermissionDenied):
        _report(engine, people["binh"], item_id)
    with session_scope(engine) as s:
        assert get_item(s, actor=people["an"], item_id=item_id).can_update
        assert not get_item(s, actor=people["an"], item_id=other_id).can_update  # readable, not writable
        mine = my_work(s, actor=people["an"], today=TODAY)
        assert [r.id for r in mine.assigned.rows] == [item_id]
        assert [r.id for r in mine.due_soon.rows] == [item_id]
        head = my_work(s, actor=people["head"], today=TODAY)  # the head keeps the whole unit's view
        assert sorted(r.id for r in head.due_soon.rows) == sorted([item_id, other_id])
        # The unit's board, read-only but for the staff member's own card.
        board = read_board(s, actor=people["an"], filters=BoardFilters(), today=TODAY)
        cards = {c.id: c for lane in board.lanes for cell in lane.cards.values() for c in cell}
        assert set(cards) == {item_id, other_id}
        assert cards[item_id].targets and not cards[other_id].targets


def test_deactivating_or_moving_a_staff_member_ends_the_write_at_the_write(ctx):
    engine, people, (item_id, _) = ctx
    with session_scope(engine) as s:
        svc.assign_staff(s, actor=people["head"], item_id=item_id,
                         user_ids=[people["an"].user_id, people["binh"].user_id])
    with session_scope(engine) as s:
        set_active(s, actor=people["admin"], user_id=people["an"].user_id, active=False)
        change_role(s, actor=people["admin"], user_id=people["binh"].user_id, role=Role.STAFF, unit_code=OTHER)
    for who in ("an", "binh"):  # the page's Actor is stale: the account is re-read in the write
        with pytest.raises(PermissionDenied, match="Phiên đăng nhập đã kết thúc"):
            _report(engine, people[who], item_id)
    with session_scope(engine) as s:  # signed in again in the new unit: still assigned, no right left
        moved = Actor.of(s.get(User, people["binh"].user_id))
        assert [m.current for m in svc.assigned_staff(s, item_id=item_id)] == [False, False]
    with pytest.raises(PermissionDenied) as err:
        _report(engine, moved, item_id)
    assert str(err.value) != SESSION_OVER


def test_a_coordinating_unit_attaches_evidence_shown_as_theirs_but_cannot_report(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    engine, people, (item_id, _) = ctx
    with session_scope(engine) as s:
        add_contribution(s, actor=people["coord_staff"], item_id=item_id, note="Bài đăng trên trang của Vụ.",
                         evidence_urls=("https://moha.gov.vn/phoi-hop",),
                         files=[Upload("phoi-hop.pdf", "%PDF-1.4 phần phối hợp".encode())])
    with session_scope(engine) as s:
        detail = get_item(s, actor=people["head"], item_id=item_id)
        assert [(f[1], f[3]) for f in detail.files] == [("phoi-hop.pdf", "Vụ Pháp chế")]
        entry = item_history(s, actor=people["head"], item_id=item_id)[-1]
        assert entry.kind_label == "Minh chứng của đơn vị phối hợp"
        assert entry.changes == [("Đơn vị phối hợp gửi minh chứng", "—", "Vụ Pháp chế")]
        assert entry.files == ["phoi-hop.pdf"] and entry.evidence_urls == ["https://moha.gov.vn/phoi-hop"]
        assert not detail.can_contribute and get_item(s, actor=people["coord_staff"], item_id=item_id).can_contribute
    with pytest.raises(PermissionDenied):
        _report(engine, people["coord_staff"], item_id)
    with session_scope(engine) as s, pytest.raises(ValidationFailed) as err:
        add_contribution(s, actor=people["coord_staff"], item_id=item_id, evidence_urls=("ftp://x",),
                         files=[Upload("a.exe", b"MZ"), Upload("lon.pdf", b"%PDF-" + b"0" * (11 * 1048576))])
    assert any("không hợp lệ" in p for p in err.value.problems)
    assert any("loại tệp không được phép" in p for p in err.value.problems)
    assert any("quá lớn" in p for p in err.value.problems)
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match="ít nhất một đường dẫn"):
        add_contribution(s, actor=people["coord_staff"], item_id=item_id, note="Chỉ ghi chú")


def test_confirmed_work_takes_no_contribution(ctx):
    engine, people, (item_id, _) = ctx
    with session_scope(engine) as s:
        s.get(WorkItem, item_id).status = Status.DONE
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        add_contribution(s, actor=people["coord_staff"], item_id=item_id, evidence_urls=("https://moha.gov.vn/x",))


def test_staff_index_matches_username_or_name_without_accents(ctx):
    engine, people, _ = ctx
    with session_scope(engine) as s:
        lead = find_unit(s, LEAD).id
        index = svc.StaffIndex(s)
        assert index.find(lead, "@CV.AN").username == "cv.an"
        assert index.find(lead, "  người dùng cv.binh ").username == "cv.binh"
        assert index.find(lead, "NGUOI DUNG CV.BINH").username == "cv.binh"
        assert index.find(lead, "cv.tcbc") is None  # staff of another unit
        assert s.scalars(select(ItemFollow)).all() == []


def test_the_assigned_staff_are_told_when_the_office_returns_the_item(ctx):
    engine, people, (item_id, _) = ctx
    with session_scope(engine) as s:
        svc.assign_staff(s, actor=people["head"], item_id=item_id, user_ids=[people["an"].user_id])
    with session_scope(engine) as s:
        version = get_item(s, actor=people["an"], item_id=item_id).version
        update_progress(s, actor=people["an"], item_id=item_id, expected_version=version, today=TODAY,
                        change=ProgressInput(status=Status.AWAITING_CONFIRMATION, progress=100,
                                             evidence_urls=("https://moha.gov.vn/bai-viet",)))
    with session_scope(engine) as s:
        version = get_item(s, actor=people["admin"], item_id=item_id).version
        update_progress(s, actor=people["admin"], item_id=item_id, expected_version=version, today=TODAY,
                        change=ProgressInput(status=Status.IN_PROGRESS, note="Thiếu ảnh minh họa."))
    with session_scope(engine) as s:
        told = s.execute(select(Notification.user_id, Notification.text).where(
            Notification.kind == NotificationKind.RETURNED)).all()
    assert sorted(u for u, _ in told) == sorted([people["head"].user_id, people["an"].user_id])
    assert all(t.endswith("Lý do: Thiếu ảnh minh họa.") for _, t in told)
