"""Sessions in a real browser: a reload, a new tab and a link keep the person signed in where they were;
sign-out, a password reset and a deactivation end the session everywhere, also for a copied cookie."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.conftest import choose, screenshot, unfold, wait_for_app
from tests.e2e.conftest import sign_in as conftest_sign_in
from tests.item_factories import make_item
from tracker.db import make_engine, session_scope
from tracker.models import Plan, Role, Status, User, UserSession, WorkItem
from tracker.permissions import SESSION_OVER, Actor
from tracker.services import users as user_service
from tracker.services.users import create_user
from tracker.ui.cookie import COOKIE_NAME

pytestmark = pytest.mark.e2e

NO_ACCESS = "Bạn không có quyền truy cập trang này."
NOT_FOUND = "Page not found"
WAIT = 20_000  # ms: a reload starts a new connection and a first run on a busy machine


def sign_in(page: Page, username: str, password: str) -> None:
    """The sign-in form, then a first run of the page signed in to (Tổng quan's first run is slow)."""
    conftest_sign_in(page, username, password, timeout=120_000)


def _signed_out(page: Page) -> None:
    expect(page.get_by_role("button", name="Đăng nhập", exact=True)).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("button", name="Đăng xuất")).to_have_count(0)
    expect(page.get_by_text(NOT_FOUND)).to_have_count(0)


def _signed_in(page: Page) -> None:
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible(timeout=WAIT)


def _kind_shown(page: Page):
    """The "Loại đơn vị" filter (a combobox: the chosen option is its value)."""
    return page.get_by_role("combobox", name="Loại đơn vị")


def _token(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE_NAME)


@pytest.fixture
def demo_app(app_server):
    server = app_server(
        setup=[(["demo", "--items", "40", "--seed", "3"], None),
               (["user", "add", "lanhdao", "--role", "leader", "--full-name", "Lãnh đạo Bộ"], "mat-khau-lanh-dao\n"),
               (["user", "add", "xem", "--role", "viewer"], "mat-khau-nguoi-xem\n"),
               (["user", "add", "vanphong", "--role", "admin"], "mat-khau-van-phong\n")],
        env={"TRACKER_TODAY": "2024-09-30"},
    )
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    yield server, engine
    engine.dispose()


def test_reload_and_new_tab_keep_the_page_and_filters_and_sign_out_ends_every_tab(demo_app, page, browser):
    server, engine = demo_app
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "lanhdao", "mat-khau-lanh-dao")
    wait_for_app(page, timeout=120_000, settle_ms=1000)
    unfold(page, "Lọc theo thời gian, đơn vị, nhiệm vụ, hình thức")
    choose(page, "Loại đơn vị", "Sở Nội vụ các tỉnh, thành phố", timeout=120_000)
    wait_for_app(page, timeout=120_000, settle_ms=1000)
    assert "kind=provincial" in page.url
    token = _token(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE_NAME)
    assert cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    with session_scope(engine) as s:  # the database keeps the token's hash, never the token
        row = s.scalars(select(UserSession)).one()
        assert row.token_hash != token and token not in row.client

    address = page.url
    page.reload()
    wait_for_app(page, timeout=120_000, settle_ms=1500)
    _signed_in(page)
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT)
    assert page.url == address
    expect(_kind_shown(page)).to_have_value("Sở Nội vụ các tỉnh, thành phố", timeout=WAIT)
    shot = screenshot(page, "session-after-reload.png")
    assert shot.exists()

    other = page.context.new_page()
    other.goto(address)
    wait_for_app(other, timeout=120_000, settle_ms=1000)
    _signed_in(other)
    expect(other.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT)
    assert "kind=provincial" in other.url

    page.get_by_role("button", name="Đăng xuất").click()
    wait_for_app(page)
    _signed_out(page)
    for _ in range(50):  # the component's module runs just after the script's run ends
        if COOKIE_NAME not in {c["name"] for c in page.context.cookies()}:
            break
        page.wait_for_timeout(200)
    assert COOKIE_NAME not in {c["name"] for c in page.context.cookies()}
    other.get_by_role("link", name="Kế hoạch").click()  # the other tab's next click
    wait_for_app(other)
    _signed_out(other)

    # The token copied before signing out opens nothing in another browser.
    thief = browser.new_context(locale="vi-VN")
    try:
        thief.add_cookies([{"name": COOKIE_NAME, "value": token, "url": server.url}])
        stolen = thief.new_page()
        stolen.goto(address)
        wait_for_app(stolen)
        _signed_out(stolen)
    finally:
        thief.close()


def test_a_link_opened_signed_out_lands_there_after_sign_in_or_says_no(demo_app, page):
    server, engine = demo_app
    with session_scope(engine) as s:
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
    # The very first page this fresh server process serves: Streamlit runs it through its legacy
    # pages/-folder navigation, whose English "Page not found" box tracker/ui/first_run.py closes.
    link = f"{server.url}/tong-quan?plan={plan_id}&kind=provincial"
    page.goto(link)
    wait_for_app(page, settle_ms=1500)
    _signed_out(page)
    assert page.url == link  # the address (page and filters) is kept under the sign-in form
    sign_in(page, "vanphong", "mat-khau-van-phong")  # the office lands on "Việc của tôi" by default
    wait_for_app(page, timeout=120_000, settle_ms=1000)
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible(timeout=WAIT)
    assert re.search(rf"/tong-quan\?plan={plan_id}&kind=provincial$", page.url)
    expect(_kind_shown(page)).to_have_value("Sở Nội vụ các tỉnh, thành phố", timeout=WAIT)
    page.get_by_role("button", name="Đăng xuất").click()
    wait_for_app(page)

    page.goto(f"{server.url}/tai-khoan")
    wait_for_app(page)
    _signed_out(page)
    sign_in(page, "xem", "mat-khau-nguoi-xem")
    expect(page.get_by_text(NO_ACCESS)).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(NOT_FOUND)).to_have_count(0)
    expect(page.get_by_role("heading", name="Tài khoản")).to_have_count(0)


def test_a_board_move_after_deactivation_is_refused_and_a_password_reset_ends_the_cookie(app_server, page):
    server = app_server(env={"TRACKER_TODAY": "2024-08-01"})
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        head = create_user(s, username="truong.tcbc", password="mat-khau-don-vi", role=Role.UNIT_HEAD,
                           unit_code="VU-TCBC")
        admin = create_user(s, username="van.phong", password="mat-khau-van-phong", role=Role.ADMIN)
        item_id = make_item(s, unit_code="VU-TCBC", title="Thông cáo báo chí tháng 8", status=Status.IN_PROGRESS,
                            progress=40).id
        head_id, office = head.id, Actor.of(admin)

    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "truong.tcbc", "mat-khau-don-vi")
    page.get_by_role("link", name="Bảng Kanban").click()
    wait_for_app(page, settle_ms=500)
    card = page.locator("[data-testid='kanban-card']", has_text="Thông cáo báo chí tháng 8")
    expect(card).to_be_visible()

    card.locator(".kb-title").click()  # the card's dialog, drawn by the board's fragment
    wait_for_app(page, settle_ms=500)
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Tiến độ (%)")).to_be_visible(timeout=WAIT)
    with session_scope(engine) as s:
        user_service.set_active(s, actor=office, user_id=head_id, active=False)
    dialog.get_by_label("Tiến độ (%)").fill("60")
    dialog.get_by_role("button", name="Gửi báo cáo").click()  # reruns the dialog only, with its old actor
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text(SESSION_OVER)).to_be_visible(timeout=WAIT)
    with session_scope(engine) as s:
        assert (s.get(WorkItem, item_id).progress, s.get(WorkItem, item_id).version) == (40, 1)

    with session_scope(engine) as s:
        user_service.set_active(s, actor=office, user_id=head_id, active=True)
    page.reload()
    wait_for_app(page)
    _signed_out(page)  # the deactivation ended the cookie's session for good
    sign_in(page, "truong.tcbc", "mat-khau-don-vi")
    _signed_in(page)
    page.reload()
    wait_for_app(page)
    _signed_in(page)
    with session_scope(engine) as s:
        user_service.reset_password(s, actor=office, user_id=head_id, new_password="mat-khau-moi-789")
        assert s.get(User, head_id).active
    page.reload()
    wait_for_app(page)
    _signed_out(page)
    expect(page.get_by_text("Phiên làm việc đã hết hạn, vui lòng đăng nhập lại.")).to_be_visible()
    engine.dispose()


def test_an_address_that_names_no_page_says_so_in_vietnamese_over_the_sign_in_form(app_server, page):
    server = app_server()
    page.goto(f"{server.url}/khong-co-trang-nay")  # also the fresh process's first, legacy run
    wait_for_app(page, settle_ms=1500)
    expect(page.get_by_role("dialog")).to_contain_text("Không tìm thấy trang")
    expect(page.get_by_role("dialog")).to_contain_text("Địa chỉ này không ứng với trang nào.")
    expect(page.get_by_text(NOT_FOUND)).to_have_count(0)
    page.get_by_role("dialog").get_by_role("button").first.click()
    expect(page.get_by_role("button", name="Đăng nhập", exact=True)).to_be_visible(timeout=WAIT)
