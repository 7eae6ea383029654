"""A clerk's own spreadsheet in a real browser: its columns mapped on the page, an unknown unit chosen, the
import done and the items seen; the mapping kept for the next file of the same layout."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import open_tab, screenshot, wait_for_app
from tests.e2e.test_work_items import ADMIN, _items, _open_import_tab, _upload
from tracker.db import make_engine, session_scope
from tracker.models import WorkItem

pytestmark = pytest.mark.e2e


def test_a_clerks_own_spreadsheet_is_mapped_on_the_page_imported_and_its_items_seen(app_server, page,
                                                                                    outside_requests, tmp_path):
    from tests.test_sheet_import import MERGES, ROWS, clerk_workbook
    from tracker.models import AppSetting

    server = app_server(setup=[ADMIN])
    own = tmp_path / "ke-hoach-truyen-thong-2024.xlsx"
    unknown = [7, "Bài viết về lương hưu", "Vụ Tổ chức Biên chức", None, "Tháng 10/2024", "Bài viết"]
    own.write_bytes(clerk_workbook([*ROWS, unknown], merges=MERGES))
    _open_import_tab(page, server.url)
    _upload(page, own)
    # A unit name the catalog does not know: the error table, and the closest units offered to choose from.
    expect(page.get_by_text("Tệp có 1 lỗi, chưa nhập công việc nào.", exact=False)).to_be_visible()
    expect(page.get_by_text("Tên đơn vị chưa có trong danh mục.", exact=False)).to_be_visible()
    chooser = page.get_by_role("combobox", name="“Vụ Tổ chức Biên chức”")
    chooser.click()
    chooser.press_sequentially("Tổ chức - Biên")
    screenshot(page, "work_items_import_unit_choice.png")
    chooser.press("Enter")
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Tệp không theo mẫu.", exact=False)).to_be_visible()
    expect(page.get_by_text("Dòng tiêu đề là dòng 5", exact=False)).to_be_visible()
    expect(page.get_by_text("Kiểm tra xong 7 dòng (8 công việc), không có lỗi (chưa ghi gì): 8 công việc mới")).to_be_visible()
    # The office reads the hidden column as the note and leaves the visible "Ghi chú" out.
    for column, field in (("Ghi chú nội bộ (cột ẩn)", "Ghi chú"), ("Ghi chú", "(bỏ qua)")):
        page.get_by_role("combobox", name=column, exact=True).click()
        page.get_by_role("option", name=field, exact=True).click()
        wait_for_app(page, settle_ms=500)
    preview = page.locator("[data-testid='stDataFrame']").filter(has_text=re.compile("Nội dung công việc"))
    expect(preview).to_contain_text("Tổ chức họp báo về cải cách tiền lương")
    expect(page.get_by_text("công việc có chỗ được đối chiếu hoặc suy đoán", exact=False)).to_be_visible()
    screenshot(page, "work_items_import_own_layout.png")
    preview.scroll_into_view_if_needed()
    screenshot(page, "work_items_import_own_layout_preview.png", target=preview)
    page.get_by_role("button", name="Nhập 7 dòng (8 công việc) vào kế hoạch 184/QĐ-BNV").click()
    wait_for_app(page)
    expect(page.get_by_text("Đã nhập 7 dòng (8 công việc) vào kế hoạch 184/QĐ-BNV: 8 công việc mới")).to_be_visible()
    open_tab(page, "Danh sách")
    grid = page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']").first
    expect(grid).to_contain_text("Tổ chức họp báo về cải cách tiền lương")
    assert _items(server.env["TRACKER_DATABASE_URL"]) == 8
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        [kept] = s.scalars(select(AppSetting).where(AppSetting.key.like("import.layout.%"))).all()
        assert kept.value["Ghi chú nội bộ"] == "note" and kept.value["Ghi chú"] == "ignore"
        notes = {i.title: i.note for i in s.scalars(select(WorkItem))}
    engine.dispose()
    assert notes["Tổ chức họp báo về cải cách tiền lương"] == "không nhập"
    assert "Bài viết về lương hưu" in notes
    assert outside_requests == []
