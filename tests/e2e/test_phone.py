"""A phone (390×844, touch): the unit head's day — sign in, Việc của tôi, report progress, answer an
explanation request, move a card with the one-tap "Chuyển sang…" control — with nothing covering the page."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.conftest import open_tab, screenshot, sign_in, wait_for_app
from tests.item_factories import make_item
from tracker.db import make_engine, session_scope
from tracker.models import ExplanationRequest, Role, Status, WorkItem
from tracker.permissions import Actor
from tracker.services import explanations as explanation_service
from tracker.services.users import create_user

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# A phone's browser says so: Streamlit closes the sidebar after a page is chosen only on a mobile user agent.
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/126.0.0.0 Mobile Safari/537.36")
WAIT = 20_000
LATE = "Thông cáo báo chí tháng 8"
NEXT = "Hội nghị tập huấn phát ngôn"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  user_agent=PHONE_AGENT, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def _no_sideways_scroll(page: Page) -> None:
    """The page itself is no wider than the screen (a wide table or board may scroll inside itself)."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


def _open_sidebar_link(page: Page, name: str) -> None:
    """On a phone the sidebar starts closed: open it with its button, then tap the page's link."""
    page.get_by_test_id("stExpandSidebarButton").click()
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("link", name=name, exact=True).click()
    wait_for_app(page, settle_ms=500)
    expect(sidebar).not_to_be_in_viewport()  # closed again: it would cover the page chosen


def test_the_unit_head_s_day_on_a_phone(app_server, phone):
    server = app_server(env={"TRACKER_TODAY": "2024-08-01"})
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        create_user(s, username="truong.tcbc", password="mat-khau-don-vi", role=Role.UNIT_HEAD,
                    unit_code="VU-TCBC", full_name="Trưởng Vụ Tổ chức - Biên chế")
        office = Actor.of(create_user(s, username="van.phong", password="mat-khau-van-phong",
                                      role=Role.ADMIN))
        late_id = make_item(s, title=LATE, status=Status.IN_PROGRESS, progress=40).id
        next_id = make_item(s, title=NEXT, status=Status.NOT_STARTED, progress=0, start=dt.date(2024, 7, 15),
                            due=dt.date(2024, 8, 20)).id
        explanation_service.request_explanation(s, actor=office, item_id=late_id, today=dt.date(2024, 8, 1),
                                                question="Vì sao thông cáo chưa phát hành đúng hạn?")
    page = phone
    try:
        page.goto(server.url)
        wait_for_app(page)
        # The sidebar starts closed: the sign-in form is on screen and nothing lies over it.
        expect(page.get_by_label("Tên đăng nhập")).to_be_in_viewport()
        expect(page.get_by_test_id("stSidebar")).not_to_be_in_viewport()
        screenshot(page, "phone-1-sign-in.png")
        sign_in(page, "truong.tcbc", "mat-khau-don-vi")

        expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible(timeout=WAIT)
        _no_sideways_scroll(page)
        screenshot(page, "phone-2-my-work.png")

        page.get_by_role("link", name="Mở công việc để giải trình").first.click()
        wait_for_app(page, settle_ms=500)
        expect(page.get_by_text(LATE).first).to_be_visible(timeout=WAIT)
        page.get_by_label("Tiến độ (%)").fill("60")
        page.get_by_role("button", name="Gửi báo cáo").click()
        wait_for_app(page, settle_ms=500)
        expect(page.get_by_text("Đã ghi nhận báo cáo tiến độ.")).to_be_visible(timeout=WAIT)
        _no_sideways_scroll(page)
        screenshot(page, "phone-3-report.png")

        open_tab(page, "Giải trình")
        page.get_by_label("Nội dung giải trình").fill("Chờ ý kiến Lãnh đạo Bộ; phát hành ngày 05/8.")
        page.get_by_role("button", name="Gửi giải trình").click()
        wait_for_app(page, settle_ms=500)
        expect(page.get_by_text("Đã gửi giải trình.")).to_be_visible(timeout=WAIT)
        screenshot(page, "phone-4-explanation.png")

        _open_sidebar_link(page, "Bảng Kanban")
        card = page.locator("[data-testid='kanban-card']", has_text=NEXT)
        expect(card).to_be_visible(timeout=WAIT)
        # The filters are folded: the board starts on the first screen.
        expect(page.locator("[data-testid='kanban-column-head']").first).to_be_in_viewport()
        card.scroll_into_view_if_needed()
        # A column is most of the screen wide: the card and its control are not squeezed.
        assert card.bounding_box()["width"] >= 0.7 * PHONE["width"]
        card.get_by_label(f"Chuyển sang… ({NEXT})").select_option("in_progress")
        card.get_by_test_id("kanban-move-go").tap()
        wait_for_app(page, settle_ms=500)
        expect(page.get_by_text(f"Đã chuyển “{NEXT}” sang “Đang thực hiện”.")).to_be_visible(timeout=WAIT)
        _no_sideways_scroll(page)
        screenshot(page, "phone-5-board.png")
    except Exception:
        screenshot(page, "FAILED-phone.png")
        raise

    with session_scope(engine) as s:
        late = s.get(WorkItem, late_id)
        assert late.progress == 60
        answers = select(ExplanationRequest.answer).where(ExplanationRequest.work_item_id == late_id)
        answer = s.scalars(answers).one()
        assert answer.startswith("Chờ ý kiến")
        assert s.get(WorkItem, next_id).status is Status.IN_PROGRESS
    engine.dispose()


def test_the_leader_reads_tong_quan_on_a_phone(app_server, phone):
    server = app_server(
        setup=[(["demo", "--items", "60", "--seed", "3"], None),
               (["user", "add", "lanhdao", "--role", "leader"], "mat-khau-lanh-dao\n")],
        env={"TRACKER_TODAY": "2024-09-30"},
    )
    page = phone
    try:
        page.goto(server.url)
        wait_for_app(page)
        sign_in(page, "lanhdao", "mat-khau-lanh-dao")
        wait_for_app(page, timeout=120_000, settle_ms=1500)  # Tổng quan is the leader's landing page
        expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT)
        expect(page.get_by_text("Tỷ lệ hoàn thành", exact=True)).to_be_visible(timeout=WAIT)
        # The filters do not fill the first screen: the headline's first figures are in sight at once.
        expect(page.get_by_text("Tổng số công việc", exact=True)).to_be_in_viewport()
        expect(page.get_by_text("Tỷ lệ hoàn thành", exact=True)).to_be_in_viewport()
        _no_sideways_scroll(page)
        screenshot(page, "phone-6-tong-quan.png")
        page.get_by_text("Tỷ lệ quá hạn", exact=True).scroll_into_view_if_needed()
        screenshot(page, "phone-7-tong-quan-headline.png")

        open_tab(page, "Bản đồ nhiệt")
        page.get_by_text("Xem dạng danh sách").click()
        wait_for_app(page, timeout=120_000, settle_ms=1000)
        heat_list = page.locator(".st-key-dashboard_heat_list")
        expect(heat_list).to_be_visible(timeout=WAIT)
        heat_list.scroll_into_view_if_needed()
        _no_sideways_scroll(page)
        screenshot(page, "phone-8-heat-list.png")
    except Exception:
        screenshot(page, "FAILED-phone-leader.png")
        raise
