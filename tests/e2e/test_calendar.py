"""Lịch in a real browser: the month view with overdue items in red, a view saved and reopened from the
sidebar, and a click that opens the item."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.e2e

SETUP = [(["demo", "--items", "60", "--seed", "4"], None),
         (["user", "add", "vanphong", "--role", "admin", "--full-name", "Văn phòng Bộ"], "mat-khau-van-phong\n")]


def _open_calendar(page: Page, server) -> None:
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "vanphong", "mat-khau-van-phong")
    page.get_by_role("link", name="Lịch", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Lịch", exact=True)).to_be_visible()


def test_month_view_overdue_in_red_a_saved_view_reopens_and_a_click_opens_the_item(app_server, page,
                                                                                      outside_requests):
    server = app_server(setup=SETUP, env={"TRACKER_TODAY": "2024-09-30"})
    _open_calendar(page, server)
    grid = page.locator("table.lich")
    expect(grid).to_be_visible()
    expect(grid.locator("tbody tr")).to_have_count(6)  # September 2024: six weeks, Monday 26/08 to Sunday 06/10
    late = grid.locator("a.qua-han").first
    expect(late).to_be_visible()
    assert late.evaluate("e => getComputedStyle(e).color") == "rgb(198, 40, 40)"
    grid.scroll_into_view_if_needed()
    screenshot(page, "calendar_month.png")

    page.get_by_text("Tuần", exact=True).click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"[?&]view=week\b"))
    expect(grid.locator("tbody tr")).to_have_count(1)
    page.get_by_role("button", name="Lưu bộ lọc hiện tại").click()
    page.get_by_label("Tên bộ lọc").fill("Tuần giao ban")
    page.get_by_text("Mọi người", exact=True).click()
    page.get_by_role("button", name="Lưu", exact=True).click()
    wait_for_app(page)
    saved = page.locator("[data-testid='stSidebar']").get_by_role("button", name="Tuần giao ban")
    expect(saved).to_be_visible()

    page.get_by_text("Tháng", exact=True).click()
    wait_for_app(page)
    expect(grid.locator("tbody tr")).to_have_count(6)
    saved.click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"[?&]view=week\b"))
    expect(grid.locator("tbody tr")).to_have_count(1)
    screenshot(page, "calendar_saved_view.png")

    link = grid.locator("a[href^='cong-viec?id=']").first
    item_id = re.search(r"id=(\d+)", link.get_attribute("href")).group(1)
    link.click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(rf"/cong-viec\?id={item_id}$"))
    expect(page.get_by_text(f"Công việc số {item_id}", exact=False).first).to_be_visible()
    assert outside_requests == []
