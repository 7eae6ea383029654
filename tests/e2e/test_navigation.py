"""Moving around in a real browser: Back, the way between the search and an item, tabs that stay put."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.e2e.conftest import open_tab, screenshot, sign_in, wait_for_app
from tracker.db import make_engine, session_scope

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-van-phong"
SETUP = [(["demo", "--items", "40", "--seed", "3"], None),
         (["user", "add", "vanphong", "--role", "admin"], f"{PASSWORD}\n")]


def _go(page: Page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title, exact=True).click()
    wait_for_app(page, settle_ms=500)


def _heading(page: Page, name: str) -> None:
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def _selected_tab(page: Page):
    return page.get_by_role("tab", selected=True)


def test_back_search_item_and_tabs(app_server, page, outside_requests):
    server = app_server(setup=SETUP, env={"TRACKER_TODAY": "2024-09-30"})
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        overdue = s.execute(text("SELECT id FROM work_items WHERE status <> 'done' AND due_date < '2024-09-30' "
                                 "AND NOT blocked ORDER BY id LIMIT 1")).scalar_one()
    engine.dispose()
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "vanphong", PASSWORD)

    # Back from "Công việc" goes back to the page before, at the first press.
    _go(page, "Bảng Kanban")
    _go(page, "Công việc")
    expect(page).to_have_url(re.compile(r"/danh-sach-cong-viec\?ke_hoach="))
    page.go_back()
    wait_for_app(page, settle_ms=500)
    _heading(page, "Bảng Kanban")

    # From an item, the sidebar's "Tra cứu công việc" and the item's own link lead back to the search.
    _go(page, "Tra cứu công việc")
    page.get_by_label("Tìm theo số hoặc tên công việc").fill(str(overdue))
    page.get_by_label("Tìm theo số hoặc tên công việc").press("Enter")
    wait_for_app(page)
    page.get_by_role("link", name=re.compile(rf"^#{overdue} ·")).click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(rf"/cong-viec\?id={overdue}$"))
    _go(page, "Tra cứu công việc")
    _heading(page, "Tra cứu công việc")
    page.go_back()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(rf"/cong-viec\?id={overdue}$"))
    page.get_by_test_id("stPageLink-NavLink").filter(has_text="Tra cứu công việc").click()
    wait_for_app(page)
    _heading(page, "Tra cứu công việc")
    page.go_back()
    wait_for_app(page)

    # A form in the "Giải trình" tab: after the save the person is still on that tab.
    open_tab(page, "Giải trình")
    page.get_by_label("Nội dung yêu cầu đơn vị giải trình").fill("Đề nghị nêu rõ lý do chậm.")
    page.get_by_role("button", name="Yêu cầu giải trình").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã gửi yêu cầu giải trình.")).to_be_visible()
    expect(_selected_tab(page)).to_have_text("Giải trình")
    expect(page.get_by_role("tabpanel")).to_contain_text("Đề nghị nêu rõ lý do chậm.")
    screenshot(page, "navigation-item-explanation-tab.png")

    # A refused fan-out keeps its tab, and its reasons are in sight.
    _go(page, "Công việc")
    open_tab(page, "Giao đồng loạt")
    page.get_by_role("button", name="Giao việc").click()
    wait_for_app(page, settle_ms=500)
    expect(_selected_tab(page)).to_have_text("Giao đồng loạt")
    expect(page.get_by_role("tabpanel").locator("[data-testid='stAlertContentError']").first).to_be_visible()
    screenshot(page, "navigation-fan-out-refused.png")
    assert outside_requests == []


def test_the_sidebar_search_finds_an_item_by_words_without_accents(app_server, page, outside_requests):
    server = app_server(setup=SETUP, env={"TRACKER_TODAY": "2024-09-30"})
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        item_id, title = s.execute(text("SELECT id, title FROM work_items ORDER BY id LIMIT 1")).one()
    engine.dispose()
    from tracker.text import fold

    words = " ".join(fold(title).split()[-3:])  # the title's last three words, without accents or capitals
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "vanphong", PASSWORD)
    _go(page, "Bảng Kanban")
    box = page.locator("[data-testid='stSidebar']").get_by_label("Tìm công việc")
    box.fill(words)
    box.press("Enter")
    wait_for_app(page, settle_ms=500)
    _heading(page, "Tra cứu công việc")
    expect(page).to_have_url(re.compile(r"/tra-cuu[^?]*\?q="))
    expect(page.get_by_role("link", name=re.compile(rf"^#{item_id} ·"))).to_be_visible()
    screenshot(page, "sidebar-search.png")
    assert outside_requests == []


_COUNT_RUNS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    window.__tabRuns = 0;
    new MutationObserver(() => {
        if (app.getAttribute("data-test-script-state") === "running") window.__tabRuns += 1;
    }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""


def test_text_typed_right_after_an_item_tab_click_is_kept(app_server, page, outside_requests):
    """A tab of the item page starts no rerun when clicked, so a person may type at once: nothing is lost."""
    server = app_server(setup=SETUP, env={"TRACKER_TODAY": "2024-09-30"})
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        item_id = s.execute(text("SELECT id FROM work_items ORDER BY id LIMIT 1")).scalar_one()
    engine.dispose()
    page.goto(f"{server.url}/cong-viec?id={item_id}")
    wait_for_app(page)
    sign_in(page, "vanphong", PASSWORD)
    expect(page).to_have_url(re.compile(rf"/cong-viec\?id={item_id}$"))

    page.evaluate(_COUNT_RUNS)
    for tab in ("Trao đổi", "Lịch sử", "Giải trình", "Các bước", "Trao đổi"):
        page.get_by_role("tab", name=tab).click()
        expect(_selected_tab(page)).to_have_text(tab)
    # Typed at once, with no wait for the app: there is no rerun to wait for.
    page.get_by_label(re.compile("^Bình luận")).fill("Gõ ngay sau khi bấm thẻ.")
    assert page.evaluate("window.__tabRuns") == 0, "a tab click reran the page"
    page.get_by_role("button", name="Gửi bình luận").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã gửi bình luận.")).to_be_visible()
    expect(_selected_tab(page)).to_have_text("Trao đổi")  # the save keeps the tab
    expect(page.get_by_role("tabpanel")).to_contain_text("Gõ ngay sau khi bấm thẻ.")
    screenshot(page, "item-tab-typed-at-once.png")
    assert outside_requests == []
