"""Vietnamese only: every page of every role, and the states that show Streamlit's own texts (a file
uploader, a form hint, an empty search, the table toolbar's tooltip), are scanned for English words.

The scan reads what a person sees or hears: the visible text (icons' ligature names left out) and the
tooltip and label attributes (title, aria-label, placeholder, data-title). It fails on any of
Streamlit's or plotly's known English interface texts, and on any common English word.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import open_tab, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-thu-nghiem"
USERS = {"vanphong": "admin", "lanhdao": "leader", "donvi": "unit_head", "nguoixem": "viewer"}

# Streamlit's and plotly's English interface texts, as they appear.
KNOWN = [
    "Drag and drop", "Browse files", "Upload", "per file", "Press Enter", "No results", "Choose an option",
    "Choose options", "Clear all", "Select all", "Download as CSV", "Fullscreen", "Show/hide columns", "Search",
    "Running", "Download plot", "Zoom", "Autoscale", "Reset axes", "Pan", "Box Select", "Lasso Select",
    "Collapse sidebar", "Expand sidebar", "Skip to main content", "Page not found", "Remove", "Help for",
    "Choose date", "Selected", "Link to heading", "App pages", "Sidebar",
]
# Common English words that are not Vietnamese words (no "to", "an", "in", "do", "con", "tin"...).
ENGLISH = set("""
the and of for with you your this that are is was be not no yes file files upload browse drag drop here press
enter submit form results result search select selected choose option options download clear all show hide view
close open page pages found error loading please wait running stop data zoom pan reset autoscale axes plot chart
table column columns row rows sort ascending descending copy limit per help remove delete sidebar link heading
date day month year app settings print about previous next fullscreen values value add edit save cancel login
password user name none null true false nan undefined today january february march april june july august
september october november december monday tuesday wednesday thursday friday saturday sunday
""".split())

SCAN_JS = """() => {
  const out = [];
  const app = document.querySelector("[data-testid='stApp']").cloneNode(true);
  for (const n of app.querySelectorAll("[data-testid='stIconMaterial'], [data-testid='stExpanderIcon'], noscript"))
    n.remove();
  app.style.position = "absolute"; app.style.left = "-99999px";
  document.body.appendChild(app);
  out.push(app.innerText);
  app.remove();
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder], [data-title]")) {
    if (el.closest("noscript")) continue;
    for (const a of ["title", "aria-label", "placeholder", "data-title"]) {
      const v = el.getAttribute(a);
      if (v) out.push(v);
    }
  }
  for (const t of document.querySelectorAll("[data-testid='stTooltipContent'], [role='tooltip']")) out.push(t.innerText);
  return out.join("\\n");
}"""


def english_in(page: Page) -> list[str]:
    """The English interface texts and words on the page now (empty when it is all Vietnamese)."""
    text = page.evaluate(SCAN_JS)
    found = [k for k in KNOWN if k in text]
    found += sorted({w for w in re.findall(r"[^\W\d_]+", text) if w.isascii() and w.lower() in ENGLISH})
    return found


def _check(page: Page, where: str, problems: dict) -> None:
    found = english_in(page)
    if found:
        problems[where] = found
        screenshot(page, f"english-{re.sub(r'[^A-Za-z0-9]+', '_', where)}.png")


def _users():
    steps = [(["demo", "--items", "80", "--seed", "4"], None)]
    for name, role in USERS.items():
        unit = ["--unit", "VU-CCHC"] if role == "unit_head" else []
        steps.append((["user", "add", name, "--role", role, *unit], f"{PASSWORD}\n"))
    return steps


SLOW = 120_000  # ms: every page of four roles, Tổng quan among them, on a busy test machine


def _open(page: Page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title, exact=True).click()
    wait_for_app(page, timeout=SLOW, settle_ms=300)


def _sign_in(page: Page, user: str) -> None:
    sign_in(page, user, PASSWORD, timeout=SLOW)


def test_every_page_of_every_role_is_in_vietnamese(app_server, browser):
    server = app_server(setup=_users(), env={"TRACKER_TODAY": "2024-09-30"})
    problems: dict[str, list[str]] = {}
    for user in USERS:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        page = context.new_page()
        page.goto(server.url)
        wait_for_app(page)
        _check(page, f"sign-in-{user}", problems)
        _sign_in(page, user)
        page.locator("[data-testid='stSidebarNav'] a").first.wait_for(timeout=SLOW)  # the signed-in run drew it
        titles = [t.strip().split("\n")[-1] for t in
                  page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()]
        assert "Tổng quan" in titles
        for title in titles:
            _open(page, title)
            _check(page, f"{user}-{title}", problems)
        context.close()
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())


def test_streamlit_s_own_texts_are_in_vietnamese(app_server, page):
    """The states where Streamlit speaks: an uploader, a form's hint while typing, a search with no
    match, a table toolbar's tooltip, a chart's toolbar."""
    server = app_server(setup=_users(), env={"TRACKER_TODAY": "2024-09-30"})
    page.goto(server.url)
    wait_for_app(page)
    _sign_in(page, "vanphong")
    problems: dict[str, list[str]] = {}

    _open(page, "Công việc")
    open_tab(page, "Nhập từ Excel")
    uploader = page.locator("[data-testid='stFileUploader']").first
    expect(uploader).to_contain_text("Chọn tệp")
    expect(uploader).to_contain_text("Tối đa 5 MB mỗi tệp")
    _check(page, "import-uploader", problems)

    open_tab(page, "Thêm công việc")
    page.get_by_label("Kênh/Sản phẩm").first.fill("Cổng")
    expect(page.get_by_text("Nhấn phím ↵ để gửi").first).to_be_visible()
    _check(page, "form-hint", problems)

    open_tab(page, "Danh sách")
    page.get_by_label("Đơn vị chủ trì").first.click()
    page.keyboard.type("zzzz")
    expect(page.get_by_text("Không có kết quả")).to_be_visible()
    _check(page, "no-results", problems)
    page.keyboard.press("Escape")

    page.locator("[data-testid='stDataFrame']").first.hover()
    page.get_by_role("button", name="Tải xuống (CSV)").first.hover()
    expect(page.get_by_text("Tải xuống (CSV)").first).to_be_visible()
    _check(page, "table-toolbar", problems)

    _open(page, "Tra cứu công việc")
    page.get_by_role("link").filter(has_text="#").first.click()
    wait_for_app(page, settle_ms=800)
    expect(page.locator("[data-testid='stFileUploader']").first).to_contain_text("Tối đa 10 MB mỗi tệp")
    _check(page, "item-uploader", problems)

    _open(page, "Tổng quan")
    page.locator(".js-plotly-plot").first.hover()
    expect(page.locator(".modebar-btn[data-title='Tải ảnh biểu đồ (PNG)']").first).to_be_attached()
    _check(page, "chart-toolbar", problems)
    screenshot(page, "vietnamese-dashboard.png")
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())
