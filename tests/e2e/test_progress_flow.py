"""Sign-in and progress reporting in a real browser: unit head reports, leader reads the history."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.e2e.conftest import open_tab, screenshot, sign_in, wait_for_app
from tracker.db import make_engine, session_scope
from tracker.models import Role
from tracker.services.users import create_user

pytestmark = pytest.mark.e2e

GENERIC = "Tên đăng nhập hoặc mật khẩu không đúng"
NOTE = "Đã đăng 6/12 tin bài trên Cổng TTĐT <b>Bộ</b>"
LINK = "https://moha.gov.vn/tin-tuc/bai-viet-so-6"


def _open_item(page: Page, item_id: int) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name="Tra cứu công việc", exact=True).click()
    wait_for_app(page)
    search = page.get_by_label("Tìm theo số hoặc tên công việc")
    search.fill(str(item_id))
    search.press("Enter")
    wait_for_app(page)
    page.get_by_role("link", name=re.compile(rf"^#{item_id} ·")).click()
    wait_for_app(page)


def test_unit_head_reports_and_leader_sees_it_in_history(app_server, page, outside_requests):
    server = app_server(
        setup=[(["demo", "--items", "40", "--seed", "3"], None),
               (["user", "add", "lanhdao", "--role", "leader", "--full-name", "Lãnh đạo Bộ"], "mat-khau-lanh-dao\n")],
        env={"TRACKER_TODAY": "2024-09-30"},
    )
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        item_id, unit_code = s.execute(text(
            "SELECT w.id, u.code FROM work_items w JOIN units u ON u.id = w.lead_unit_id "
            "WHERE w.status = 'in_progress' AND w.progress <> 50 AND NOT w.blocked ORDER BY w.id LIMIT 1")).one()
        create_user(s, username="truongdonvi", password="mat-khau-don-vi", role=Role.UNIT_HEAD,
                    unit_code=unit_code, full_name="Trưởng đơn vị thử")
    engine.dispose()

    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "truongdonvi", "sai-mat-khau")
    expect(page.get_by_text(GENERIC)).to_be_visible()
    sign_in(page, "khong-ton-tai", "sai-mat-khau")
    expect(page.get_by_text(GENERIC)).to_be_visible()  # same words: nothing says the account is unknown

    sign_in(page, "truongdonvi", "mat-khau-don-vi")
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    _open_item(page, item_id)
    page.get_by_label("Tiến độ (%)").fill("50")
    page.get_by_label("Ghi chú").fill(NOTE)
    page.get_by_label("Đường dẫn minh chứng (mỗi dòng một đường dẫn http/https)").fill(LINK)
    page.get_by_role("button", name="Gửi báo cáo").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã ghi nhận báo cáo tiến độ.")).to_be_visible()
    # The form starts empty for the next report (the browser would send the same note and link again).
    expect(page.get_by_label("Ghi chú")).to_have_value("")
    expect(page.get_by_label("Đường dẫn minh chứng (mỗi dòng một đường dẫn http/https)")).to_have_value("")
    page.get_by_role("button", name="Đăng xuất").click()
    wait_for_app(page)

    sign_in(page, "lanhdao", "mat-khau-lanh-dao")
    _open_item(page, item_id)
    open_tab(page, re.compile("^Lịch sử"))
    history = page.get_by_role("tabpanel")
    expect(history).to_contain_text("Trưởng đơn vị thử")
    expect(history).to_contain_text("→ 50%")
    expect(history).to_contain_text(NOTE)  # shown as typed: the <b> is text, not markup
    expect(history.get_by_role("link", name=LINK)).to_be_visible()
    assert page.locator("b", has_text="Bộ").count() == 0
    screenshot(page, "item_history_leader.png")
    assert outside_requests == []
