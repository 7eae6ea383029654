"""Catalog administration in a real browser: the office fills in task (11) and the Kế hoạch page shows it."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose, open_tab, screenshot, sign_in, wait_for_app

pytestmark = pytest.mark.e2e

TEXT = "Truyền thông về công tác thi đua, khen thưởng <b>năm 2024</b>"


def test_office_fills_in_task_11_and_the_plan_page_shows_it(app_server, page, outside_requests):
    server = app_server(setup=[(["user", "add", "vanphong", "--role", "admin"], "mat-khau-van-phong\n")])
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "vanphong", "mat-khau-van-phong")
    page.get_by_role("link", name="Kế hoạch", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Chưa có nội dung trong văn bản nguồn").first).to_be_visible()

    page.get_by_role("link", name="Quản trị danh mục").click()
    wait_for_app(page)
    choose(page, "Nhiệm vụ", "(11)", exact=True)
    page.get_by_label("Nội dung nhiệm vụ").fill(TEXT)
    page.get_by_role("button", name="Lưu nội dung").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã lưu nội dung nhiệm vụ (11).")).to_be_visible()
    expect(page.get_by_label("Nội dung nhiệm vụ")).to_have_value(TEXT)  # the task stays chosen after saving
    screenshot(page, "catalog_admin_task_11.png")

    page.get_by_role("link", name="Kế hoạch", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text(TEXT)).to_be_visible()  # shown as typed: the <b> is text, not markup
    assert page.locator("b", has_text="năm 2024").count() == 0
    assert outside_requests == []


def test_office_uploads_a_decision_reviews_it_and_the_plan_keeps_the_file(app_server, page, outside_requests, tmp_path):
    from tests.test_decision_text import decision_184

    server = app_server(setup=[(["user", "add", "vanphong", "--role", "admin"], "mat-khau-van-phong\n")],
                        env={"TRACKER_UPLOAD_DIR": str(tmp_path / "uploads")})
    path = tmp_path / "QĐ 184-QĐ-BNV.docx"
    path.write_bytes(decision_184())
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "vanphong", "mat-khau-van-phong")
    page.get_by_role("link", name="Quản trị danh mục").click()
    wait_for_app(page)
    open_tab(page, "Kế hoạch mới từ Quyết định")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    wait_for_app(page, settle_ms=500)
    page.get_by_role("button", name="Đọc văn bản").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Văn bản không có nội dung nhiệm vụ (11)")).to_be_visible()
    expect(page.get_by_label("Số Quyết định")).to_have_value("184/QĐ-BNV")
    expect(page.get_by_label("Người ban hành")).to_have_value("Bộ trưởng Bộ Nội vụ")
    page.get_by_role("textbox", name="Mã kế hoạch mới").fill("184-TEP")
    screenshot(page, "catalog_admin_plan_from_decision.png")
    page.get_by_role("button", name="Lưu kế hoạch").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã tạo kế hoạch 184-TEP (năm 2024) với 16 nhiệm vụ; chưa có nội dung: (11).")).to_be_visible()

    page.get_by_role("link", name="Kế hoạch", exact=True).click()
    wait_for_app(page)
    open_tab(page, "184-TEP · năm 2024")
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải tệp Quyết định (QĐ 184-QĐ-BNV.docx)").click()
    saved = tmp_path / "downloaded.docx"
    info.value.save_as(saved)
    assert saved.read_bytes() == path.read_bytes()
    assert outside_requests == []


def test_office_sets_the_reports_signer(app_server, page, outside_requests):
    server = app_server(setup=[(["user", "add", "vanphong", "--role", "admin"], "mat-khau-van-phong\n")])
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "vanphong", "mat-khau-van-phong")
    page.get_by_role("link", name="Quản trị danh mục").click()
    wait_for_app(page)
    open_tab(page, "Người ký báo cáo")
    page.get_by_label("Họ tên người ký").fill("Nguyễn Văn A")
    page.get_by_role("button", name="Lưu thông tin báo cáo").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã lưu thông tin báo cáo.")).to_be_visible()
    open_tab(page, "Người ký báo cáo")
    expect(page.get_by_label("Họ tên người ký")).to_have_value("Nguyễn Văn A")
    expect(page.get_by_label("Chức vụ người ký")).to_have_value("THỨ TRƯỞNG")
    screenshot(page, "catalog_admin_report.png")
    assert outside_requests == []
