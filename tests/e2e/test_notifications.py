"""Work reaches people, in a real browser: notified of new work, a mention, an explanation asked and answered;
the coordinating unit sees the item under Phối hợp; `jobs` run twice the same day sends each message once;
the unit head hands the item to a staff member (chuyên viên), who reports on it and mentions the head."""

import datetime as dt
import re
import socket
import subprocess
import sys

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.conftest import REPO, choose, open_tab, screenshot, sign_in, wait_for_app
from tracker.db import make_engine, session_scope
from tracker.models import Form, Plan, PriorityTask, Role, Unit
from tracker.permissions import Actor
from tracker.services import work_items
from tracker.services.users import create_user
from tracker.services.work_items import ItemInput

pytestmark = pytest.mark.e2e
TITLE = "Chuyên mục cải cách tiền lương năm 2024"


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _setup(url: str) -> None:
    """The office, Vụ Tiền lương's head, Vụ Pháp chế's head (coordinating), a leader; one item the office
    creates for Vụ Tiền lương, overdue on the test's today."""
    engine = make_engine(url)
    with session_scope(engine) as s:
        office = create_user(s, username="vanphong", password="mat-khau-van-phong", role=Role.ADMIN)
        create_user(s, username="truongtl", password="mat-khau-tien-luong", role=Role.UNIT_HEAD, unit_code="VU-TL",
                    full_name="Trưởng Vụ Tiền lương", email="tl@moha.gov.vn")
        create_user(s, username="truongpc", password="mat-khau-phap-che", role=Role.UNIT_HEAD, unit_code="VU-PC",
                    full_name="Vụ trưởng Vụ Pháp chế")
        create_user(s, username="lanhdao", password="mat-khau-lanh-dao", role=Role.LEADER, full_name="Lãnh đạo Bộ",
                    email="lanhdao@moha.gov.vn")
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
        data = ItemInput(
            priority_task_id=s.scalars(select(PriorityTask.id).where(PriorityTask.plan_id == plan_id,
                                                                     PriorityTask.number == 9)).one(),
            title=TITLE, lead_unit_id=s.scalars(select(Unit.id).where(Unit.code == "VU-TL")).one(),
            form_id=s.scalars(select(Form.id).where(Form.code == "CHUYEN-MUC")).one(),
            coordinating_unit_ids=(s.scalars(select(Unit.id).where(Unit.code == "VU-PC")).one(),),
            start_date=dt.date(2024, 4, 1), due_date=dt.date(2024, 6, 30))
        item = work_items.create_item(s, actor=Actor.of(office), plan_id=plan_id, data=data)
        assert item.id
    engine.dispose()


def _sidebar(page: Page, name):
    return page.get_by_test_id("stSidebar").get_by_role("link", name=name)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    wait_for_app(page)


def _open_first_notification(page: Page) -> None:
    _sidebar(page, re.compile(r"^Thông báo \(1\)$")).click()
    wait_for_app(page)
    page.get_by_role("button", name=re.compile("Mở công việc")).first.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()


def _jobs(env: dict) -> str:
    result = subprocess.run([sys.executable, "-m", "tracker", "jobs"], env=env, cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_work_reaches_people(app_server, page, outside_requests):
    server = app_server(env={"TRACKER_TODAY": "2024-08-01"})
    _setup(server.env["TRACKER_DATABASE_URL"])
    page.goto(server.url)
    wait_for_app(page)

    # The unit head is told of the new work, opens it, reports 50% and mentions the leader.
    sign_in(page, "truongtl", "mat-khau-tien-luong")
    expect(_sidebar(page, "Thông báo (1)")).to_be_visible()
    _sidebar(page, "Thông báo (1)").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Công việc mới giao cho đơn vị: “{TITLE}”.")).to_be_visible()
    screenshot(page, "notifications_unit_head.png")
    page.get_by_role("button", name=re.compile("Mở công việc")).first.click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(_sidebar(page, "Thông báo")).to_be_visible()  # opened: read, the count is gone
    choose(page, "Trạng thái", "Đang thực hiện")
    page.get_by_label("Tiến độ (%)").fill("50")
    page.get_by_role("button", name="Gửi báo cáo").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã ghi nhận báo cáo tiến độ.")).to_be_visible()
    open_tab(page, "Trao đổi")
    page.get_by_label(re.compile("^Bình luận")).fill("Đã đạt 50%, nhờ @lanhdao cho ý kiến <b>sớm</b>.")
    page.get_by_role("button", name="Gửi bình luận").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã gửi bình luận.")).to_be_visible()
    open_tab(page, "Trao đổi")
    expect(page.get_by_role("tabpanel")).to_contain_text("lanhdao cho ý kiến <b>sớm</b>.")  # text, not markup
    assert page.locator("b", has_text="sớm").count() == 0
    screenshot(page, "item_comments.png")
    _sign_out(page)

    # The coordinating unit's head finds the item under Phối hợp.
    sign_in(page, "truongpc", "mat-khau-phap-che")
    _sidebar(page, "Việc của tôi").click()  # signing in keeps the address: the item page
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Phối hợp (1)")).to_be_visible()
    screenshot(page, "my_work_coordinating.png", target=page.get_by_test_id("stMain"))
    _sidebar(page, "Bảng Kanban").click()
    wait_for_app(page)
    card = page.locator("[data-testid='kanban-card']", has_text=TITLE)
    expect(card.get_by_test_id("kanban-card-coordinating")).to_have_text("Phối hợp")
    screenshot(page, "board_coordinating.png", target=card)
    _sign_out(page)

    # The leader is told of the mention and asks for an explanation.
    sign_in(page, "lanhdao", "mat-khau-lanh-dao")
    _open_first_notification(page)
    open_tab(page, "Giải trình")
    page.get_by_label("Nội dung yêu cầu đơn vị giải trình").fill("Vì sao quá hạn?")
    page.get_by_role("button", name="Yêu cầu giải trình").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã gửi yêu cầu giải trình.")).to_be_visible()
    _sign_out(page)

    # The unit head is told, answers; the leader is told of the answer.
    sign_in(page, "truongtl", "mat-khau-tien-luong")
    _open_first_notification(page)
    open_tab(page, "Giải trình")
    page.get_by_label("Nội dung giải trình").fill("Chờ số liệu của Bộ Tài chính.")
    page.get_by_role("button", name="Gửi giải trình").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã gửi giải trình.")).to_be_visible()
    _sign_out(page)
    sign_in(page, "lanhdao", "mat-khau-lanh-dao")
    _sidebar(page, "Thông báo (1)").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Đơn vị đã giải trình về “{TITLE}”: Chờ số liệu của Bộ Tài chính.")).to_be_visible()
    screenshot(page, "notifications_leader.png")
    assert outside_requests == []

    # The scheduled job, twice the same day: each message reaches the test SMTP server once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {**server.env, "TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(port),
               "TRACKER_SMTP_FROM": "nhac-viec@moha.gov.vn"}
        env = {k: v for k, v in env.items() if k not in ("TRACKER_SMTP_USER", "TRACKER_SMTP_STARTTLS")}
        first = _jobs(env)
        sent = len(inbox.envelopes)
        second = _jobs(env)
    finally:
        controller.stop()
    assert sent >= 2, first  # the unit's reminder digest and the leader's daily digest at least
    assert len(inbox.envelopes) == sent, second
    assert "0 thư mới; 0 thư đã gửi" in second


def test_the_head_hands_the_item_to_a_staff_member_who_reports_and_mentions_the_head(app_server, page,
                                                                                     outside_requests):
    server = app_server(env={"TRACKER_TODAY": "2024-08-01"})
    _setup(server.env["TRACKER_DATABASE_URL"])
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        create_user(s, username="cv.lan", password="mat-khau-chuyen-vien", role=Role.STAFF, unit_code="VU-TL",
                    full_name="Nguyễn Thị Lan")
    engine.dispose()
    page.goto(server.url)
    wait_for_app(page)

    # The head is told of the new work, opens it and assigns it to the unit's staff member.
    sign_in(page, "truongtl", "mat-khau-tien-luong")
    _open_first_notification(page)
    page.get_by_test_id("stMultiSelect").filter(has_text="Cán bộ phụ trách").click()
    page.get_by_role("option", name="Nguyễn Thị Lan (@cv.lan)").click()
    page.keyboard.press("Escape")  # close the list of choices over the button
    page.get_by_role("button", name="Lưu phân công").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã lưu phân công; chuyên viên được giao đã nhận thông báo.")).to_be_visible()
    expect(page.get_by_text("Cán bộ phụ trách: Nguyễn Thị Lan")).to_be_visible()
    _sign_out(page)

    # The staff member is told, finds the item in Việc của tôi, reports 50% and mentions the head.
    sign_in(page, "cv.lan", "mat-khau-chuyen-vien")
    _sidebar(page, "Việc của tôi").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Được giao cho tôi (1)")).to_be_visible()
    expect(_sidebar(page, "Thông báo (1)")).to_be_visible()
    screenshot(page, "my_work_staff.png", target=page.get_by_test_id("stMain"))
    _open_first_notification(page)
    choose(page, "Trạng thái", "Đang thực hiện")
    page.get_by_label("Tiến độ (%)").fill("50")
    page.get_by_role("button", name="Gửi báo cáo").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã ghi nhận báo cáo tiến độ.")).to_be_visible()
    page.get_by_role("tab", name="Trao đổi").click()
    expect(page.get_by_role("tab", name="Trao đổi")).to_have_attribute("aria-selected", "true")
    wait_for_app(page)  # the tab click reruns the page: type after it
    page.get_by_label(re.compile("^Bình luận")).fill("Đã đạt 50%, nhờ @truongtl duyệt bản thảo.")
    page.get_by_role("button", name="Gửi bình luận").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã gửi bình luận.")).to_be_visible()
    _sign_out(page)

    # The head is told of the mention.
    sign_in(page, "truongtl", "mat-khau-tien-luong")
    _sidebar(page, "Thông báo (1)").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"Nguyễn Thị Lan nhắc tên bạn trong “.*”: Đã đạt 50%, nhờ @truongtl"))) \
        .to_be_visible()
    screenshot(page, "notifications_head_mentioned.png")
    assert outside_requests == []
