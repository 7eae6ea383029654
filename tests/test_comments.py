"""Comments: who may write, mentions (and their refusals), followers told, the edit window, deletion, follow."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker import clock
from tracker.db import session_scope
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import ItemComment, Notification, NotificationKind, Role, Unit, WorkItem
from tracker.permissions import Actor
from tracker.services import comments as svc

T0 = dt.datetime(2024, 8, 1, 3, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        people = {
            "admin": make_user(s, "van.phong", Role.ADMIN),
            "leader": make_user(s, "lanh.dao", Role.LEADER),
            "viewer": make_user(s, "nguoi.xem", Role.VIEWER),
            "tl": make_user(s, "truong.tl", Role.UNIT_HEAD, "VU-TL"),
            "pc": make_user(s, "truong.pc", Role.UNIT_HEAD, "VU-PC"),  # coordinating
            "tcbc": make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"),  # neither
        }
        locked = make_user(s, "da.nghi", Role.UNIT_HEAD, "VU-TCBC")
        locked.active = False
        item = make_item(s, unit_code="VU-TL", title="Chuyên mục tiền lương")
        item.coordinating_units = [s.scalars(select(Unit).where(Unit.code == "VU-PC")).one()]
        return engine, {k: Actor.of(u) for k, u in people.items()}, item.id


def _told(engine, who: Actor) -> list[tuple[NotificationKind, str]]:
    with session_scope(engine) as s:
        return [(n.kind, n.text) for n in s.scalars(select(Notification).where(Notification.user_id == who.user_id)
                                                   .order_by(Notification.id))]


@pytest.mark.parametrize(("who", "allowed"), [("admin", True), ("leader", True), ("tl", True), ("pc", True),
                                              ("tcbc", False), ("viewer", False)])
def test_who_may_comment(ctx, who, allowed):
    engine, people, item_id = ctx
    with session_scope(engine) as s:
        if allowed:
            svc.add_comment(s, actor=people[who], item_id=item_id, body="Đã có bản thảo.")
        else:
            with pytest.raises(PermissionDenied, match="đơn vị chủ trì hoặc phối hợp"):
                svc.add_comment(s, actor=people[who], item_id=item_id, body="Đã có bản thảo.")
    with session_scope(engine) as s:
        assert len(svc.list_comments(s, actor=people["viewer"], item_id=item_id)) == (1 if allowed else 0)


def test_a_mention_notifies_and_the_lead_unit_follows_by_default(ctx):
    engine, people, item_id = ctx
    with session_scope(engine) as s:
        svc.add_comment(s, actor=people["pc"], item_id=item_id, body="Nhờ @lanh.dao cho ý kiến; @Truong.TL xem giúp.")
    assert _told(engine, people["leader"]) == [
        (NotificationKind.MENTION, "Người dùng truong.pc nhắc tên bạn trong “Chuyên mục tiền lương”: "
                                   "Nhờ @lanh.dao cho ý kiến; @Truong.TL xem giúp.")]
    assert [k for k, _ in _told(engine, people["tl"])] == [NotificationKind.MENTION]  # once, not also as follower
    assert _told(engine, people["pc"]) == []  # not of one's own comment
    with session_scope(engine) as s:  # now the leader follows: the next comment reaches them and the lead unit
        svc.add_comment(s, actor=people["admin"], item_id=item_id, body="Văn phòng đã ghi nhận.")
    assert [k for k, _ in _told(engine, people["leader"])][-1] is NotificationKind.COMMENT
    assert [k for k, _ in _told(engine, people["tl"])][-1] is NotificationKind.COMMENT
    assert [k for k, _ in _told(engine, people["pc"])] == [NotificationKind.COMMENT]  # the commenter follows
    assert _told(engine, people["tcbc"]) == []


@pytest.mark.parametrize(("body", "reason"), [
    ("Nhờ @khong.ai xem", "Không có tài khoản “@khong.ai”"),
    ("Nhờ @da.nghi xem", "tài khoản đã bị khóa"),
])
def test_a_mention_of_someone_who_may_not_see_the_item_is_refused_with_the_reason(ctx, body, reason):
    engine, people, item_id = ctx
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match=reason):
        svc.add_comment(s, actor=people["tl"], item_id=item_id, body=body)
    with session_scope(engine) as s:
        assert s.scalars(select(ItemComment)).all() == []


def test_an_e_mail_address_is_not_a_mention():
    assert svc.mentioned_names("Gửi a.b@moha.gov.vn và @lanh.dao, @lanh.dao.") == ["lanh.dao"]


def test_empty_and_too_long_comments_are_refused_in_vietnamese(ctx):
    engine, people, item_id = ctx
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match="Vui lòng nhập nội dung bình luận"):
        svc.add_comment(s, actor=people["tl"], item_id=item_id, body="  \n ")
    with session_scope(engine) as s, pytest.raises(
            ValidationFailed, match="Nội dung bình luận không được dài quá 4.000 ký tự \\(đang có 4.001 ký tự\\)"):
        svc.add_comment(s, actor=people["tl"], item_id=item_id, body="x" * 4001)


def test_edit_within_15_minutes_by_the_author_only(ctx):
    engine, people, item_id = ctx
    with clock.frozen(T0), session_scope(engine) as s:
        comment_id = svc.add_comment(s, actor=people["tl"], item_id=item_id, body="Bản nháp").id
    with clock.frozen(T0 + dt.timedelta(minutes=14)), session_scope(engine) as s:
        with pytest.raises(PermissionDenied, match="bình luận của mình"):
            svc.edit_comment(s, actor=people["admin"], comment_id=comment_id, body="Sửa hộ")
    with clock.frozen(T0 + dt.timedelta(minutes=14)), session_scope(engine) as s:
        svc.edit_comment(s, actor=people["tl"], comment_id=comment_id, body="Bản chính, nhờ @lanh.dao xem")
        row = svc.list_comments(s, actor=people["tl"], item_id=item_id)[0]
        assert (row.body, row.edited, row.can_edit) == ("Bản chính, nhờ @lanh.dao xem", True, True)
    assert [k for k, _ in _told(engine, people["leader"])] == [NotificationKind.MENTION]  # newly mentioned
    with clock.frozen(T0 + dt.timedelta(minutes=16)), session_scope(engine) as s:
        assert not svc.list_comments(s, actor=people["tl"], item_id=item_id)[0].can_edit
        with pytest.raises(ValidationFailed, match="trong 15 phút"):
            svc.edit_comment(s, actor=people["tl"], comment_id=comment_id, body="Quá muộn")


def test_deletion_leaves_a_mark_and_only_the_author_or_the_office_deletes(ctx):
    engine, people, item_id = ctx
    with session_scope(engine) as s:
        first = svc.add_comment(s, actor=people["tl"], item_id=item_id, body="Nội dung cần xóa").id
        second = svc.add_comment(s, actor=people["pc"], item_id=item_id, body="Góp ý").id
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="Văn phòng được xóa"):
        svc.delete_comment(s, actor=people["pc"], comment_id=first)
    with session_scope(engine) as s:
        svc.delete_comment(s, actor=people["tl"], comment_id=first)
        svc.delete_comment(s, actor=people["admin"], comment_id=second)
    with session_scope(engine) as s:
        rows = svc.list_comments(s, actor=people["leader"], item_id=item_id)
        assert [(r.body, r.deleted, r.can_delete) for r in rows] == [("Bình luận đã xóa.", True, False)] * 2
        assert s.get(ItemComment, first).body == ""  # the text is gone, not hidden
        with pytest.raises(PermissionDenied):
            svc.edit_comment(s, actor=people["tl"], comment_id=first, body="Khôi phục")


def test_follow_and_unfollow(ctx):
    engine, people, item_id = ctx
    with session_scope(engine) as s:
        assert svc.is_following(s, actor=people["tl"], item_id=item_id)  # the lead unit, by default
        assert not svc.is_following(s, actor=people["viewer"], item_id=item_id)
        svc.set_following(s, actor=people["tl"], item_id=item_id, following=False)
        svc.set_following(s, actor=people["viewer"], item_id=item_id, following=True)  # anyone who may see it
    with session_scope(engine) as s:
        svc.add_comment(s, actor=people["admin"], item_id=item_id, body="Nhắc tiến độ.")
    assert _told(engine, people["tl"]) == []
    assert [k for k, _ in _told(engine, people["viewer"])] == [NotificationKind.COMMENT]


def test_comments_appear_in_the_items_history(ctx):
    from tracker.services.progress import item_history
    engine, people, item_id = ctx
    with session_scope(engine) as s:
        comment_id = svc.add_comment(s, actor=people["tl"], item_id=item_id, body="Đã gửi bản thảo.").id
        svc.add_comment(s, actor=people["pc"], item_id=item_id, body="Sẽ xóa")
    with session_scope(engine) as s:
        svc.delete_comment(s, actor=people["admin"], comment_id=comment_id + 1)
    with session_scope(engine) as s:
        entries = [(e.kind_label, e.note) for e in item_history(s, actor=people["leader"], item_id=item_id)
                   if e.kind == "comment"]
    assert entries == [("Bình luận", "Đã gửi bản thảo."), ("Bình luận", "Bình luận đã xóa.")]
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).version == 1  # a comment is not a new version of the work
