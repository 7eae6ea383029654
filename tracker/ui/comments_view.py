"""The item page's "Trao đổi" tab: the comment thread (plain text), mentions picked from a list, follow."""

from __future__ import annotations

import streamlit as st

from tracker.db import session_scope
from tracker.limits import max_chars
from tracker.permissions import Actor
from tracker.services import comments as comment_service
from tracker.text import format_datetime
from tracker.ui.engine import get_engine
from tracker.ui.text import md
from tracker.ui.writes import attempt


def _plain(text: str) -> str:
    """A comment for st.markdown: escaped, its line breaks kept."""
    return md(text).replace("\n", "  \n")


def _done(message: str) -> None:
    st.session_state["item_flash"] = message
    st.rerun()


def thread(actor: Actor, item_id: int) -> None:
    with session_scope(get_engine()) as session:
        t = comment_service.thread(session, actor=actor, item_id=item_id)
    # The stored choice is in the key: when it changes elsewhere (commenting makes the author follow), a
    # fresh toggle shows it, instead of the old one's value reading as the person switching it back off.
    following = st.toggle("Theo dõi công việc này (nhận thông báo khi có bình luận)", value=t.following,
                          key=f"item_follow_{item_id}_{t.following}")
    if following != t.following and attempt(lambda s: comment_service.set_following(
            s, actor=actor, item_id=item_id, following=following))[0]:
        _done("Đã theo dõi công việc." if following else "Đã bỏ theo dõi công việc.")
    st.caption(f"{len(t.comments)} bình luận, cũ nhất ở trên." if t.comments else "Chưa có bình luận nào.")
    for c in t.comments:
        with st.container(border=True, key=f"item_comment_{c.id}"):
            edited = " · (đã sửa)" if c.edited else ""
            st.markdown(f"**{md(c.author)}** · {format_datetime(c.created_at)}{edited}")
            if c.deleted:
                st.caption(c.body)
            else:
                st.markdown(_plain(c.body))
            if c.can_edit:
                with st.popover("Sửa", icon=":material/edit:"):
                    with st.form(f"item_comment_edit_{c.id}"):
                        body = st.text_area("Nội dung bình luận", value=c.body, max_chars=max_chars("comment"),
                                            key=f"item_comment_edit_text_{c.id}")
                        if st.form_submit_button("Lưu") and attempt(lambda s, i=c.id, b=body: (
                                comment_service.edit_comment(s, actor=actor, comment_id=i, body=b)))[0]:
                            _done("Đã sửa bình luận.")
            if c.can_delete and st.button("Xóa", key=f"item_comment_delete_{c.id}", icon=":material/delete:"):
                if attempt(lambda s, i=c.id: comment_service.delete_comment(s, actor=actor, comment_id=i))[0]:
                    _done("Đã xóa bình luận.")
    if not t.can_comment:
        return
    people = {p.username: p for p in t.people if p.user_id != actor.user_id}
    with st.form(f"item_comment_new_{item_id}", clear_on_submit=True):
        named = st.multiselect("Nhắc tên (người được nhắc sẽ nhận thông báo)", list(people),
                               format_func=lambda u: f"{people[u].name} (@{u})", key=f"item_comment_mention_{item_id}",
                               placeholder="Chọn người cần nhắc")
        body = st.text_area("Bình luận (văn bản thường; gõ @tên_đăng_nhập để nhắc tên)",
                            max_chars=max_chars("comment"), key=f"item_comment_text_{item_id}")
        if st.form_submit_button("Gửi bình luận", key=f"item_comment_send_{item_id}"):
            text = " ".join([*(f"@{u}" for u in named), body or ""]).strip() if (body or "").strip() else body
            if attempt(lambda s: comment_service.add_comment(s, actor=actor, item_id=item_id, body=text))[0]:
                _done("Đã gửi bình luận.")
