"""Which pages each role sees. Hiding a page is convenience only: every page checks access itself."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from tracker.db import session_scope
from tracker.models import Role
from tracker.permissions import Actor
from tracker.services import notifications as notification_service
from tracker.text import format_number
from tracker.ui.auth import NO_ACCESS_MESSAGE
from tracker.ui.engine import get_engine

ALL = frozenset(Role)


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str
    roles: frozenset[Role]
    section: str
    visible: bool = True  # hidden pages are reached by links (an item's page, from the search and lists)


PAGES = [
    PageSpec("pages/my_work.py", "Việc của tôi", ":material/inbox:", "viec-cua-toi", ALL, "Công việc"),
    PageSpec("pages/notifications.py", "Thông báo", ":material/notifications:", "thong-bao", ALL, "Công việc"),
    PageSpec("pages/item_search.py", "Tra cứu công việc", ":material/search:", "tra-cuu-cong-viec", ALL, "Công việc"),
    PageSpec("pages/item.py", "Chi tiết công việc", ":material/description:", "cong-viec", ALL, "Công việc",
             visible=False),
    PageSpec("pages/board.py", "Bảng Kanban", ":material/view_kanban:", "bang-kanban", ALL, "Công việc"),
    PageSpec("pages/work_items.py", "Công việc", ":material/list_alt:", "danh-sach-cong-viec", ALL, "Công việc"),
    PageSpec("pages/rounds.py", "Kỳ báo cáo", ":material/event_note:", "ky-bao-cao",
             frozenset({Role.ADMIN, Role.LEADER, Role.UNIT_HEAD}), "Công việc"),
    PageSpec("pages/calendar.py", "Lịch", ":material/calendar_month:", "lich", ALL, "Công việc"),
    PageSpec("pages/dashboard.py", "Tổng quan", ":material/monitoring:", "tong-quan", ALL, "Công việc"),
    PageSpec("pages/plans.py", "Kế hoạch", ":material/menu_book:", "ke-hoach", ALL, "Danh mục"),
    PageSpec("pages/catalog_admin.py", "Quản trị danh mục", ":material/tune:", "quan-tri-danh-muc",
             frozenset({Role.ADMIN}), "Quản trị"),
    PageSpec("pages/users.py", "Tài khoản", ":material/manage_accounts:", "tai-khoan", frozenset({Role.ADMIN}), "Quản trị"),
]


# Leadership and read-only users read the dashboard first; the others start from their own work.
LANDING = {Role.LEADER: "pages/dashboard.py", Role.VIEWER: "pages/dashboard.py"}


def _refused() -> None:
    st.error(NO_ACCESS_MESSAGE)


def _title(spec: PageSpec, actor: Actor) -> str:
    """The page's title in the sidebar; "Thông báo (3)" while three notifications are unread."""
    if spec.path != "pages/notifications.py":
        return spec.title
    with session_scope(get_engine()) as session:
        unread = notification_service.unread_count(session, user_id=actor.user_id)
    return f"{spec.title} ({format_number(unread)})" if unread else spec.title


def pages_for(actor: Actor) -> dict[str, list]:
    """st.Page objects grouped by section for this role; the landing page is LANDING's or the first.

    A page the role may not see keeps its address as a hidden page that says so in Vietnamese,
    so a link to it does not end on Streamlit's English "Page not found".
    """
    sections: dict[str, list] = {}
    landing = LANDING.get(actor.role) or next(p.path for p in PAGES if actor.role in p.roles)
    refused = []
    for spec in PAGES:
        if actor.role not in spec.roles:
            refused.append(st.Page(_refused, title=spec.title, url_path=spec.url_path, visibility="hidden"))
            continue
        page = st.Page(spec.path, title=_title(spec, actor), icon=spec.icon, url_path=spec.url_path,
                       default=spec.path == landing, visibility="visible" if spec.visible else "hidden")
        sections.setdefault(spec.section, []).append(page)
    sections[next(s.section for s in PAGES if s.path == landing)].extend(refused)
    return sections


def signed_out_pages(login_form) -> list:
    """The sign-in form at the landing address and, hidden, at every page's address: a link opened
    signed-out shows the form and keeps its address (path and query), so signing in lands there."""
    pages = [st.Page(login_form, title="Đăng nhập", icon="🔐", default=True)]
    pages += [st.Page(login_form, title="Đăng nhập", url_path=spec.url_path, visibility="hidden")
              for spec in PAGES]
    return pages
