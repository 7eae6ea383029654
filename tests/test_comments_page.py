"""The item page's "Trao đổi" tab through AppTest: post with a mention, plain text, follow, who sees the form."""

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, open_item_page
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.models import ItemComment, Notification, NotificationKind, Role, User
from tracker.permissions import Actor
from tracker.services import comments


@pytest.fixture
def ctx(db_env, engine):
    with session_scope(engine) as s:
        head = make_user(s, "truong.tl", Role.UNIT_HEAD, "VU-TL")
        leader = make_user(s, "lanh.dao", Role.LEADER)
        viewer = make_user(s, "nguoi.xem", Role.VIEWER)
        item_id = make_item(s, unit_code="VU-TL", title="Chuyên mục tiền lương").id
    return {"head": head, "leader": leader, "viewer": viewer}, item_id


def test_a_comment_with_a_picked_mention_is_posted_shown_as_text_and_notifies(ctx, engine):
    people, item_id = ctx
    at = open_item_page(people["head"], item_id)
    assert "Trao đổi" in [t.label for t in at.tabs]
    at.multiselect(key=f"item_comment_mention_{item_id}").select("lanh.dao")
    at.text_area(key=f"item_comment_text_{item_id}").input("Đã đạt **50%** <script>x</script>")
    at.button(key=f"item_comment_send_{item_id}").click().run()
    assert not at.exception, at.exception
    assert any(s.value == "Đã gửi bình luận." for s in at.success)
    shown = [m.value for m in at.markdown]
    assert "\u2060" r"@lanh.dao Đã đạt \*\*50%\*\* \<script\>x\</script\>" in shown
    with session_scope(engine) as s:
        assert s.scalars(select(ItemComment.body)).one() == "@lanh.dao Đã đạt **50%** <script>x</script>"
        assert s.scalars(select(Notification.kind).where(Notification.user_id == people["leader"].id)).all() == [
            NotificationKind.MENTION]


def test_a_viewer_reads_the_thread_and_may_follow_but_not_comment(ctx):
    people, item_id = ctx
    at = open_item_page(people["viewer"], item_id)
    assert not [f for f in at.text_area if f.key == f"item_comment_text_{item_id}"]
    follow = at.toggle(key=f"item_follow_{item_id}_False")
    assert follow.value is False
    follow.set_value(True).run()
    assert not at.exception
    assert at.toggle(key=f"item_follow_{item_id}_True").value is True


def _follow_toggle(at: AppTest):
    (toggle,) = [t for t in at.toggle if t.label.startswith("Theo dõi công việc này")]
    return toggle


def test_commenting_makes_the_author_follow_and_the_toggle_shows_it(ctx, engine):
    """Found in the browser: the toggle's old value (off) read as the person switching it off after their comment."""
    people, item_id = ctx
    at = open_item_page(people["leader"], item_id)
    assert _follow_toggle(at).value is False
    at.text_area(key=f"item_comment_text_{item_id}").input("Đề nghị đẩy nhanh tiến độ.")
    at.button(key=f"item_comment_send_{item_id}").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Đã gửi bình luận."]
    assert _follow_toggle(at).value is True
    at.run()  # and it stays so on the next run
    assert _follow_toggle(at).value is True
    with session_scope(engine) as s:
        assert comments.is_following(s, actor=Actor.of(s.get(User, people["leader"].id)), item_id=item_id)
