"""Tổng quan in a real browser: a leader opens it, changes a filter, the URL and the figures follow."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import choose, open_tab, screenshot, sign_in, unfold, wait_for_app

pytestmark = pytest.mark.e2e


def _metric(page: Page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label)
    return box.locator("[data-testid='stMetricValue']").inner_text()


def test_leader_filters_the_dashboard_and_the_url_follows(app_server, page, outside_requests):
    server = app_server(
        setup=[(["demo", "--items", "300", "--seed", "5"], None),
               (["demo", "--items", "120", "--seed", "6", "--plan", "KH-2023"], None),
               (["user", "add", "lanhdao", "--role", "leader", "--full-name", "Lãnh đạo Bộ"], "mat-khau-lanh-dao\n")],
        env={"TRACKER_TODAY": "2024-09-30"},
    )
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "lanhdao", "mat-khau-lanh-dao")  # a leader lands on Tổng quan
    wait_for_app(page, settle_ms=1500)
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    assert re.search(r"/\?plan=\d+", page.url)
    total = _metric(page, "Tổng số công việc")
    assert total == "300"
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=20_000)
    screenshot(page, "dashboard-leader.png")

    # All filters but the plan and the period fold away (closed while none is used); opened, they stay
    # open after a choice, and the fold's label counts the filters in use.
    expect(page.get_by_label("Loại đơn vị")).not_to_be_visible()
    unfold(page, "Lọc theo thời gian, đơn vị, nhiệm vụ, hình thức")
    expect(page.get_by_label("Loại đơn vị")).to_be_visible()
    choose(page, "Loại đơn vị", "Sở Nội vụ các tỉnh, thành phố")
    wait_for_app(page, settle_ms=1500)
    assert "kind=provincial" in page.url
    expect(page.get_by_text("Lọc theo thời gian, đơn vị, nhiệm vụ, hình thức · 1 bộ lọc đang dùng")).to_be_visible()
    expect(page.get_by_label("Loại đơn vị")).to_be_visible()
    provincial = int(_metric(page, "Tổng số công việc"))
    assert 0 < provincial < 300

    open_tab(page, "Bản đồ nhiệt")
    page.wait_for_timeout(1000)
    heat = page.locator("[data-testid='stPlotlyChart']").filter(visible=True).first
    expect(heat).to_be_visible()
    # Plotly's drag layer takes the pointer: click where the first square is drawn, as a person would.
    point = heat.locator(".scatterlayer .point").first
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_role("heading", name=re.compile(r"^Công việc: Sở Nội vụ"))).to_be_visible(timeout=15_000)
    wait_for_app(page, settle_ms=500)
    assert re.search(r"cell=\d+-\d+", page.url)
    screenshot(page, "dashboard-heatmap.png")
    # The square's items open in a dialog over the map (not under a map some 2.000 px tall).
    link = page.get_by_role("dialog").get_by_role("link", name=re.compile(r"^#\d+ · ")).first
    title = link.inner_text().split(" · ", 1)[1].strip()
    link.click()
    # The item's page drawn (its run over) before going back: a Back during that run races it.
    expect(page).to_have_url(re.compile(r"/cong-viec\?id=\d+"), timeout=20_000)
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=30_000)
    wait_for_app(page, settle_ms=500)
    page.go_back()
    wait_for_app(page, settle_ms=1500)
    expect(page).to_have_url(re.compile(r"kind=provincial.*cell=\d+-\d+"), timeout=15_000)
    # Back where they were: the square's list again (drawn after the charts of the tabs before it,
    # some seconds on a loaded two-core machine); closing it forgets the square.
    expect(page.get_by_role("dialog")).to_be_visible(timeout=20_000)
    page.keyboard.press("Escape")
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"cell="))
    open_tab(page, "So sánh năm")
    wait_for_app(page, settle_ms=1000)
    # Only the chart shown is built and drawn, and the address names the tab: a link opens it.
    expect(page).to_have_url(re.compile(r"view=So(\+|%20)s%C3%A1nh(\+|%20)n%C4%83m"), timeout=15_000)
    expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(1)
    screenshot(page, "dashboard-yoy.png")
    assert outside_requests == []
