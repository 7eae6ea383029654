"""A hostile item title in a real browser: shown as typed on the item page, in search and in the Gantt,
never as an image, a link or markup, and no request leaves the machine."""

import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.e2e.conftest import open_tab, screenshot, sign_in, wait_for_app
from tracker.services.excel_template import HEADERS
from tracker.ui.text import WORD_JOINER

pytestmark = pytest.mark.e2e
LOAD = 90_000  # ms: the dashboard's first run on a busy machine
TITLE = '![x](http://example.com/x.png) <a href="http://example.com/">bấm</a> **đậm** $x^2$'


def _workbook(path) -> str:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append([1, 9, TITLE, "VU-TCBC", None, "Họp báo", None, "01/04/2024", "30/09/2024", None, None, None])
    wb.save(path)
    return str(path)


def _no_live_markup(page) -> None:
    assert page.locator("img[src*='example.com']").count() == 0
    assert page.locator("a[href*='example.com']").count() == 0
    assert page.locator(".katex").count() == 0


def test_a_hostile_title_is_plain_text_everywhere(app_server, page, outside_requests, tmp_path):
    server = app_server(
        setup=[(["import", _workbook(tmp_path / "ke-hoach.xlsx"), "--plan", "184/QĐ-BNV"], None),
               (["user", "add", "lanhdao", "--role", "leader", "--full-name", "Lãnh đạo Bộ"], "mat-khau-lanh-dao\n")],
        env={"TRACKER_TODAY": "2024-09-30"},
    )
    page.goto(server.url)
    wait_for_app(page, timeout=LOAD)
    sign_in(page, "lanhdao", "mat-khau-lanh-dao")
    wait_for_app(page, timeout=LOAD, settle_ms=1500)

    open_tab(page, "Tiến trình")
    gantt = page.locator("[data-testid='stPlotlyChart']").filter(visible=True).first
    expect(gantt).to_be_visible(timeout=20_000)
    # the axis label is the title cut at a word (text.shorten), shown as typed
    expect(gantt.locator(".ytick text").first).to_contain_text('![x](http://example.com/x.png) <a')
    bar = gantt.locator(".barlayer .point").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(gantt.locator(".hoverlayer")).to_contain_text('<a href="http://example.com/">bấm</a>', timeout=10_000)
    screenshot(page, "plain-text-gantt-hover.png")
    _no_live_markup(page)

    # Move through the app as a person would: the search is its own page in the sidebar.
    page.get_by_test_id("stSidebar").get_by_role("link", name="Tra cứu công việc", exact=True).click()
    wait_for_app(page, timeout=LOAD)
    page.get_by_label("Tìm theo số hoặc tên công việc").fill("bấm")
    page.keyboard.press("Enter")
    wait_for_app(page, timeout=LOAD, settle_ms=800)
    link = page.get_by_role("link", name=re.compile(r"^#1 · !\[x\]"))
    expect(link).to_be_visible()
    _no_live_markup(page)
    link.click()
    wait_for_app(page, timeout=LOAD, settle_ms=1000)
    expect(page.locator("h1").first).to_contain_text("**đậm** $x^2$")
    assert page.locator("h1").first.inner_text().replace(WORD_JOINER, "") == TITLE
    screenshot(page, "plain-text-item.png")
    _no_live_markup(page)
    assert outside_requests == []
