"""Excel round trip in a real browser: download the template, fill it, upload it, see the items; a bad file
shows every error and imports nothing."""

import datetime as dt
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.e2e.conftest import choose, open_tab, screenshot, sign_in, wait_for_app
from tracker.db import make_engine, session_scope
from tracker.models import WorkItem
from tracker.services.excel_template import LISTS_SHEET, SHEET

pytestmark = pytest.mark.e2e

ADMIN = (["user", "add", "vanphong", "--role", "admin", "--full-name", "Văn phòng Bộ"], "mat-khau-van-phong\n")


def _open_import_tab(page: Page, server_url: str) -> None:
    page.goto(server_url)
    wait_for_app(page)
    sign_in(page, "vanphong", "mat-khau-van-phong")
    page.get_by_role("link", name="Công việc", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Công việc", exact=True)).to_be_visible()
    open_tab(page, "Nhập từ Excel")


def _upload(page: Page, path) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    wait_for_app(page, settle_ms=500)


def _items(url: str) -> int:
    engine = make_engine(url)
    with session_scope(engine) as s:
        count = s.scalar(select(func.count(WorkItem.id)))
    engine.dispose()
    return count


def test_template_download_fill_upload_and_see_the_items(app_server, page, outside_requests, tmp_path):
    server = app_server(setup=[ADMIN])
    _open_import_tab(page, server.url)
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải tệp mẫu").click()
    download = info.value
    assert download.suggested_filename == "cong-viec-mau-184-QD-BNV.xlsx"
    template = tmp_path / download.suggested_filename
    download.save_as(template)

    wb = load_workbook(template)
    ws, lists = wb[SHEET], wb[LISTS_SHEET]
    assert [c.value for c in ws[1]][:3] == ["STT", "Nhiệm vụ trọng tâm", "Nội dung công việc"]
    tasks = {c.value.split(")")[0] + ")": c.value for c in lists["A"][1:] if c.value}
    ws["A2"], ws["B2"], ws["C2"], ws["D2"], ws["F2"] = 1, tasks["(9)"], "Chuyên mục nhiệm vụ 9 trên Cổng TTĐT", \
        "Văn phòng Bộ", "Đăng tải trên Cổng Thông tin điện tử"
    ws["H2"], ws["I2"], ws["J2"], ws["K2"] = "01/04/2024", "30/09/2024", "12 tin bài", "50.000.000"
    ws["A3"], ws["B3"], ws["C3"], ws["D3"], ws["F3"] = 2, 2, "Tọa đàm về tiền lương", "SNV Hà Nội", "tọa đàm"
    filled = tmp_path / "da-dien.xlsx"
    wb.save(filled)

    _upload(page, filled)
    expect(page.get_by_text("Kiểm tra xong 2 dòng, không có lỗi (chưa ghi gì): 2 công việc mới")).to_be_visible()
    assert _items(server.env["TRACKER_DATABASE_URL"]) == 0  # the preview writes nothing
    page.get_by_role("button", name="Nhập 2 dòng vào kế hoạch 184/QĐ-BNV").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã nhập 2 dòng vào kế hoạch 184/QĐ-BNV: 2 công việc mới")).to_be_visible()
    open_tab(page, "Danh sách")
    expect(page.get_by_text("2 công việc.", exact=False)).to_be_visible()
    grid = page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']").first
    expect(grid).to_contain_text("Chuyên mục nhiệm vụ 9 trên Cổng TTĐT")
    expect(grid).to_contain_text("Tọa đàm về tiền lương")
    screenshot(page, "work_items_after_import.png")
    assert _items(server.env["TRACKER_DATABASE_URL"]) == 2
    assert outside_requests == []


def test_a_bad_file_shows_the_error_table_and_imports_nothing(app_server, page, outside_requests, tmp_path):
    from tests.test_imports import row, xlsx

    server = app_server(setup=[ADMIN])
    bad = tmp_path / "loi.xlsx"
    bad.write_bytes(xlsx([row(title="Đúng"), row(task=17, title="Nhiệm vụ 17"),
                          row(title="Hạn sai", start="10/05/2024", due="01/05/2024"),
                          row(title="Đơn vị lạ", lead="Sở Nội vụ Sao Hỏa")]))
    _open_import_tab(page, server.url)
    _upload(page, bad)
    expect(page.get_by_text("Tệp có 3 lỗi, chưa nhập công việc nào.", exact=False)).to_be_visible()
    table = page.locator("[data-testid='stDataFrame']").filter(has_text=re.compile("Lỗi"))
    expect(table).to_contain_text("Nhiệm vụ số 17 không có trong kế hoạch 184/QĐ-BNV")
    expect(table).to_contain_text("Hạn hoàn thành (01/05/2024) không được trước ngày bắt đầu (10/05/2024).")
    expect(table).to_contain_text("Không tìm thấy đơn vị “Sở Nội vụ Sao Hỏa”")
    expect(page.get_by_role("button", name=re.compile("^Nhập .* dòng"))).to_have_count(0)
    screenshot(page, "work_items_import_errors.png")
    assert _items(server.env["TRACKER_DATABASE_URL"]) == 0
    assert outside_requests == []


def test_select_a_row_edit_it_and_delete_it_after_confirmation(app_server, page, outside_requests, tmp_path):
    from tests.test_imports import row, xlsx

    source = tmp_path / "ke-hoach.xlsx"
    source.write_bytes(xlsx([row(title="Họp báo quý III", lead="VP-BO", due="30/09/2024")]))
    server = app_server(setup=[ADMIN, (["import", str(source), "--plan", "184/QĐ-BNV"], None)])
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "vanphong", "mat-khau-van-phong")
    page.get_by_role("link", name="Công việc", exact=True).click()
    wait_for_app(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    expect(grid).to_contain_text("Họp báo quý III")
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # the first row's selection checkbox
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile("^Công việc số 1: Họp báo quý III"))).to_be_visible()

    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="Lưu thay đổi"))
    form.get_by_label("Kênh/Sản phẩm").fill("Cổng Thông tin điện tử Bộ Nội vụ")
    form.get_by_role("button", name="Lưu thay đổi").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã lưu công việc số 1.")).to_be_visible()

    expect(page.get_by_role("heading", name=re.compile("^Công việc số 1:"))).to_be_visible()  # still selected
    page.get_by_role("button", name="Xóa công việc này").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("lịch sử vẫn được giữ lại")
    dialog.get_by_label("Lý do xóa").fill("Giao trùng")
    screenshot(page, "work_items_delete_dialog.png")
    dialog.get_by_role("button", name="Xóa", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_text("Đã xóa công việc số 1.")).to_be_visible()
    expect(page.get_by_text("Không có công việc nào phù hợp với bộ lọc.")).to_be_visible()
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        item = s.get(WorkItem, 1)
        assert item.deleted_at is not None and item.channel_id is not None
    engine.dispose()
    assert outside_requests == []


def _pick(page: Page, scope, label: str, option: str) -> None:
    choose(page, label, option, exact=True, within=scope)


def test_fan_out_to_every_provincial_department_then_preview_the_rollover(app_server, page, outside_requests):
    server = app_server(setup=[ADMIN])
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "vanphong", "mat-khau-van-phong")
    page.get_by_role("link", name="Công việc", exact=True).click()
    wait_for_app(page)
    open_tab(page, "Giao đồng loạt")
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name="Giao việc"))
    _pick(page, form, "Nhiệm vụ trọng tâm", "(9)")
    form.get_by_label("Nội dung công việc").fill("Chuyên mục về cải cách hành chính")
    form.get_by_text("Tất cả Sở Nội vụ").click()
    _pick(page, form, "Hình thức", "Chuyên trang, chuyên mục, chuyên đề, bài viết")
    for label, digits in (("Ngày bắt đầu", "01072024"), ("Hạn hoàn thành", "30092024")):
        form.get_by_role("spinbutton", name=f"ngày, {label}").click()  # dd / mm / yyyy segments
        page.keyboard.type(digits)
    form.get_by_text("Lặp lại hằng năm").click()
    screenshot(page, "work_items_fan_out_form.png", target=form)
    form.get_by_role("button", name="Giao việc").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã giao 63 công việc cho 63 đơn vị.")).to_be_visible()
    assert _items(server.env["TRACKER_DATABASE_URL"]) == 63

    open_tab(page, "Chuyển sang năm sau")
    panel = page.get_by_role("tabpanel").filter(has=page.get_by_label("Mã kế hoạch mới"))
    # 63 provinces in 2024, 34 from 01/7/2025: 29 items move to a successor that already has the same work.
    expect(panel).to_contain_text("34 công việc (gộp 29 công việc trùng sau khi thay đơn vị), 29 lần thay đơn vị, 0 lỗi")
    replacements = panel.locator("[data-testid='stDataFrame']").first
    expect(replacements).to_contain_text("Sở Nội vụ tỉnh Hà Giang")
    expect(replacements).to_contain_text("Sở Nội vụ tỉnh Tuyên Quang")
    screenshot(page, "work_items_rollover_preview.png")
    assert _items(server.env["TRACKER_DATABASE_URL"]) == 63  # the preview writes nothing
    panel.get_by_role("button", name="Tạo kế hoạch năm 2025").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã tạo kế hoạch KH-2025 với 34 công việc.")).to_be_visible()
    assert _items(server.env["TRACKER_DATABASE_URL"]) == 63 + 34
    assert outside_requests == []


def test_the_office_shifts_forty_provincial_deadlines_by_two_weeks(app_server, page, outside_requests):
    server = app_server(setup=[ADMIN, (["demo", "--items", "120", "--seed", "9"], None)],
                        env={"TRACKER_TODAY": "2024-09-30"})
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        chosen = s.execute(select(WorkItem.id, WorkItem.due_date).where(WorkItem.deleted_at.is_(None))
                           .order_by(WorkItem.id).limit(40)).all()
    engine.dispose()
    page.goto(server.url)
    wait_for_app(page)
    sign_in(page, "vanphong", "mat-khau-van-phong")
    page.get_by_role("link", name="Công việc", exact=True).click()
    wait_for_app(page)
    open_tab(page, "Sửa đồng loạt")
    page.get_by_text("Các công việc có số").click()
    page.get_by_label("Số công việc, cách nhau bởi dấu phẩy").fill(", ".join(str(i) for i, _ in chosen))
    page.get_by_label("Số công việc, cách nhau bởi dấu phẩy").press("Enter")
    wait_for_app(page)
    page.get_by_label("Dời ngày bắt đầu và hạn (ngày; số âm: sớm hơn)").fill("14")
    page.get_by_label("Dời ngày bắt đầu và hạn (ngày; số âm: sớm hơn)").press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Xem trước").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("40 công việc sẽ thay đổi")).to_be_visible()
    screenshot(page, "bulk-shift-preview.png")
    page.get_by_role("button", name="Áp dụng cho 40 công việc").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã sửa 40 công việc.")).to_be_visible()
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        after = dict(s.execute(select(WorkItem.id, WorkItem.due_date).where(WorkItem.id.in_([i for i, _ in chosen]))).all())
    engine.dispose()
    assert all(after[i] == due + dt.timedelta(days=14) for i, due in chosen if due)
    assert outside_requests == []
