"""Bảng Kanban in a real browser: drag with the mouse, refusals snap back, keyboard moves, escaped titles."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.conftest import screenshot, sign_in, wait_for_app
from tests.item_factories import make_item
from tracker.db import make_engine, session_scope
from tracker.models import Role, Status, Unit, WorkItem
from tracker.services.users import create_user

pytestmark = pytest.mark.e2e

TODAY = "2024-08-01"
OWN, OTHER = "VU-TCBC", "SNV-HA-NOI"
XSS = "<img src=x onerror=alert(1)>"


def _card(page: Page, title: str):
    return page.locator("[data-testid='kanban-card']", has_text=title)


def _cell(page: Page, status: str):
    return page.locator(f"[data-testid='kanban-cell'][data-status='{status}']").first


def _drag(page: Page, card, target) -> None:
    """Press the mouse on the card, move it over the target column in steps, release."""
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 12)
    page.mouse.down()
    tbox = target.bounding_box()
    page.mouse.move(tbox["x"] + tbox["width"] / 2, tbox["y"] + 20, steps=12)
    page.mouse.move(tbox["x"] + tbox["width"] / 2, tbox["y"] + 30, steps=4)
    page.mouse.up()
    wait_for_app(page, settle_ms=500)


def _status(engine, item_id) -> Status:
    with session_scope(engine) as s:
        return s.get(WorkItem, item_id).status


@pytest.fixture
def board_app(app_server):
    server = app_server(env={"TRACKER_TODAY": TODAY, "TRACKER_BOARD_WIP_LIMITS": "in_progress=1"})
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        create_user(s, username="truong.tcbc", password="mat-khau-don-vi", role=Role.UNIT_HEAD, unit_code=OWN,
                    full_name="Trưởng Vụ Tổ chức - Biên chế")
        create_user(s, username="van.phong", password="mat-khau-van-phong", role=Role.ADMIN,
                    full_name="Văn phòng Bộ")
        ids = {
            "drag": make_item(s, unit_code=OWN, title="Chuyên mục cải cách tiền lương", status=Status.NOT_STARTED,
                              progress=0, due=dt.date(2024, 9, 30)).id,
            "keys": make_item(s, unit_code=OWN, title="Thông cáo báo chí tháng 8", status=Status.IN_PROGRESS,
                              progress=40, due=dt.date(2024, 8, 20)).id,
            "reassigned": make_item(s, unit_code=OWN, title="Hội nghị tập huấn phát ngôn", status=Status.NOT_STARTED,
                                    progress=0, due=dt.date(2024, 10, 15)).id,
            "xss": make_item(s, unit_code=OWN, title=XSS, status=Status.IN_PROGRESS, progress=10,
                             due=dt.date(2024, 7, 20), blocked=True).id,
        }
    yield server, engine, ids
    engine.dispose()


def _open_board(page: Page, server, username: str, password: str) -> None:
    """Sign in (a page load is a new session) and open Bảng Kanban from the navigation."""
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, username, password)
    page.get_by_role("link", name="Bảng Kanban").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Bảng Kanban")).to_be_visible()
    expect(page.locator("[data-testid='kanban-board']")).to_be_visible()


def test_drag_with_the_mouse_moves_the_card_and_it_stays_after_reload(board_app, page, outside_requests):
    server, engine, ids = board_app
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    card = _card(page, "Chuyên mục cải cách tiền lương")
    expect(card).to_have_attribute("data-status", "not_started")
    _drag(page, card, _cell(page, "in_progress"))
    expect(page.get_by_text("Đã chuyển “Chuyên mục cải cách tiền lương” sang “Đang thực hiện”.")).to_be_visible()
    assert _status(engine, ids["drag"]) is Status.IN_PROGRESS

    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")  # a reload starts a new session: sign in again
    moved = _cell(page, "in_progress").locator("[data-testid='kanban-card']", has_text="Chuyên mục cải cách tiền lương")
    expect(moved).to_be_visible()
    expect(moved).to_have_attribute("data-status", "in_progress")
    # the WIP limit of Đang thực hiện is 1 here: its header shows count/limit in red
    head = page.locator("[data-testid='kanban-column-head'][data-status='in_progress'] .kb-count")
    expect(head).to_have_text("3 / 1")
    expect(head).to_have_class("kb-count kb-over")
    assert outside_requests == []


def test_unit_head_drag_of_another_units_card_is_refused_and_the_card_returns(board_app, page):
    """A unit head's board shows only the unit's cards, so the other unit's card is one reassigned
    to Hà Nội by the office after the head opened the board: the drag reaches the service, which refuses."""
    server, engine, ids = board_app
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    card = _card(page, "Hội nghị tập huấn phát ngôn")
    expect(card).to_be_visible()
    with session_scope(engine) as s:
        item = s.get(WorkItem, ids["reassigned"])
        item.lead_unit_id = s.scalars(select(Unit.id).where(Unit.code == OTHER)).one()
    _drag(page, card, _cell(page, "in_progress"))
    expect(page.get_by_text("Bạn chỉ được chuyển trạng thái công việc do đơn vị mình chủ trì.")).to_be_visible()
    assert _status(engine, ids["reassigned"]) is Status.NOT_STARTED
    # redrawn from the database: the card is not in Đang thực hiện (and, no longer the unit's, not on this board)
    expect(_cell(page, "in_progress").locator("[data-testid='kanban-card']",
                                              has_text="Hội nghị tập huấn phát ngôn")).to_have_count(0)

    # the office sees it back in Chưa triển khai
    page.get_by_role("button", name="Đăng xuất").click()
    wait_for_app(page)
    _open_board(page, server, "van.phong", "mat-khau-van-phong")
    expect(_card(page, "Hội nghị tập huấn phát ngôn")).to_have_attribute("data-status", "not_started")


def test_drop_on_a_column_the_role_may_not_use_leaves_the_card_in_place(board_app, page):
    server, engine, ids = board_app
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    card = _card(page, "Thông cáo báo chí tháng 8")
    _drag(page, card, _cell(page, "done"))  # only the office confirms: Hoàn thành accepts no drop from a unit
    expect(card).to_have_attribute("data-status", "in_progress")
    expect(_cell(page, "in_progress").locator("[data-testid='kanban-card']",
                                              has_text="Thông cáo báo chí tháng 8")).to_be_visible()
    assert _status(engine, ids["keys"]) is Status.IN_PROGRESS


def test_chuyen_sang_control_moves_a_card_with_the_keyboard_only(board_app, page):
    server, engine, ids = board_app
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    card = _card(page, "Thông cáo báo chí tháng 8")
    select_box = card.get_by_label("Chuyển sang… (Thông cáo báo chí tháng 8)")
    select_box.focus()
    page.keyboard.press("ArrowDown")  # first choice: Chưa triển khai
    expect(select_box).to_have_value("not_started")
    page.keyboard.press("Tab")  # to the "Chuyển" button
    page.keyboard.press("Enter")
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã chuyển “Thông cáo báo chí tháng 8” sang “Chưa triển khai”.")).to_be_visible()
    expect(_cell(page, "not_started").locator("[data-testid='kanban-card']",
                                              has_text="Thông cáo báo chí tháng 8")).to_be_visible()
    assert _status(engine, ids["keys"]) is Status.NOT_STARTED
    # keyboard users keep their place: focus returns to the moved card in its new column
    expect(_card(page, "Thông cáo báo chí tháng 8").locator(".kb-title")).to_be_focused()
    screenshot(page, "board_unit_head.png")


def test_sending_for_confirmation_asks_for_evidence_then_the_card_dialog_shows_the_history(board_app, page):
    server, engine, ids = board_app
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    _drag(page, _card(page, "Thông cáo báo chí tháng 8"), _cell(page, "awaiting_confirmation"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("cần có minh chứng")
    assert _status(engine, ids["keys"]) is Status.IN_PROGRESS
    # until the evidence is given the card is drawn where the database has it
    expect(_cell(page, "in_progress").locator("[data-testid='kanban-card']",
                                              has_text="Thông cáo báo chí tháng 8")).to_have_count(1)
    expect(_cell(page, "awaiting_confirmation").locator("[data-testid='kanban-card']")).to_have_count(0)
    dialog.get_by_label("Đường dẫn minh chứng (mỗi dòng một đường dẫn http/https)").fill(
        "https://moha.gov.vn/tin-tuc/thong-cao-thang-8")
    dialog.get_by_role("button", name="Chuyển").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã chuyển “Thông cáo báo chí tháng 8” sang “Chờ xác nhận”.")).to_be_visible()
    assert _status(engine, ids["keys"]) is Status.AWAITING_CONFIRMATION

    _card(page, "Thông cáo báo chí tháng 8").locator(".kb-title").click()
    wait_for_app(page, settle_ms=500)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("tab", name="Lịch sử (1)").click()
    expect(dialog).to_contain_text("Chuyển trạng thái")
    expect(dialog.get_by_role("link", name="https://moha.gov.vn/tin-tuc/thong-cao-thang-8")).to_be_visible()


def test_progress_reported_from_the_card_dialog_shows_on_the_card(board_app, page):
    server, _, _ = board_app
    _open_board(page, server, "van.phong", "mat-khau-van-phong")
    _card(page, "Chuyên mục cải cách tiền lương").locator(".kb-title").click()
    wait_for_app(page, settle_ms=500)
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Tiến độ (%)").fill("35")
    dialog.get_by_role("button", name="Gửi báo cáo").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã ghi nhận báo cáo tiến độ.")).to_be_visible()
    expect(_card(page, "Chuyên mục cải cách tiền lương").locator(".kb-pct")).to_have_text("35%")


def test_a_title_with_markup_is_shown_as_text(board_app, page):
    server, _, _ = board_app
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open_board(page, server, "van.phong", "mat-khau-van-phong")
    card = _card(page, XSS)
    expect(card).to_be_visible()
    expect(card.locator(".kb-title")).to_have_text(XSS)
    expect(card).to_contain_text("Vướng mắc")
    assert page.locator("[data-testid='kanban-board'] img").count() == 0
    card.locator(".kb-title").click()  # the card's dialog shows the title as text too
    wait_for_app(page, settle_ms=500)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(XSS)
    assert dialog.locator("img[src='x']").count() == 0
    screenshot(page, "board_card_dialog.png")
    page.wait_for_timeout(300)
    assert dialogs == []


def test_screenshot_of_a_board_with_swimlanes(app_server, page):
    server = app_server(
        setup=[(["demo", "--items", "60", "--seed", "4"], None),
               (["user", "add", "lanhdao", "--role", "leader", "--full-name", "Lãnh đạo Bộ"], "mat-khau-lanh-dao\n")],
        env={"TRACKER_TODAY": "2024-09-30"},
    )
    _open_board(page, server, "lanhdao", "mat-khau-lanh-dao")
    done = _cell(page, "done")
    more = done.get_by_role("button", name="Xem thêm (20/29)")
    expect(more).to_be_visible()
    expect(done.locator("[data-testid='kanban-card']")).to_have_count(20)
    more.click()
    wait_for_app(page)
    expect(done.locator("[data-testid='kanban-card']")).to_have_count(29)
    page.get_by_text("Theo đơn vị chủ trì", exact=True).click()
    wait_for_app(page)
    assert "lanes=unit" in page.url  # the filters are in the address: a link shows the same board
    lanes = page.locator("[data-testid='kanban-lane']")
    expect(lanes.first).to_be_visible()
    assert lanes.count() >= 2
    expect(page.locator("[data-testid='kanban-column-head']").first).to_contain_text("Chưa triển khai")
    page.get_by_text("Bộ lọc và cách hiển thị").click()  # fold the filters away: more board in the picture
    page.wait_for_timeout(300)
    page.locator("[data-testid='kanban-board']").scroll_into_view_if_needed()
    screenshot(page, "board_swimlanes.png")  # the viewport: column heads and the first lanes, readable
