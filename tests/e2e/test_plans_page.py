"""The plans page in a real browser, on a freshly initialised database, with no outside request."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.e2e

TASK_1 = "Đẩy mạnh công tác truyền thông về các sự kiện chính trị"


def _task(page: Page, label: str):
    """The markdown block of priority task `(label)` in the open plan tab."""
    return page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(rf"^\({label}\)"))


def test_plans_page_shows_the_2024_plan_offline(app_server, page, outside_requests):
    server = app_server(setup=[(["user", "add", "xem", "--role", "viewer"], "mat-khau-xem\n")])

    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "xem", "mat-khau-xem")
    page.get_by_role("link", name="Kế hoạch").click()
    wait_for_app(page)

    expect(page.get_by_role("heading", name="Kế hoạch", exact=True)).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile("2024"))).to_have_attribute("aria-selected", "true")
    expect(_task(page, "1")).to_contain_text(TASK_1)
    expect(_task(page, "11")).to_contain_text("Chưa có nội dung")
    assert screenshot(page, "plans_page.png").stat().st_size > 0
    assert outside_requests == []
    task_11 = _task(page, "11")
    task_11.scroll_into_view_if_needed()
    assert screenshot(page, "plans_page_task_11.png").stat().st_size > 0
