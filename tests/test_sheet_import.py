"""Work items from the office's own spreadsheet: layout found, columns mapped, group rows, merged cells,
deadline phrases, units and forms by any name, every guess shown."""

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from tests.factories import make_user
from tracker.db import session_scope
from tracker.models import Plan, Role
from tracker.permissions import Actor
from tracker.services import imports
from tracker.services.imports import ImportFailed
from tracker.services.sheet_layout import parse_map

HEADER = ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Sản phẩm",
          "Ghi chú nội bộ", "Ghi chú"]


def clerk_workbook(rows, header=HEADER, hidden="G", merges=()) -> bytes:
    """As a clerk makes it: the ministry's name and a title above (merged across), a blank line, the header."""
    wb = Workbook()
    ws = wb.active
    ws.title = "KH 2024"
    ws.append(["BỘ NỘI VỤ"])
    ws.append(["KẾ HOẠCH TRUYỀN THÔNG NĂM 2024"])
    ws.merge_cells("A2:H2")
    ws.append(["(Kèm theo Quyết định số 184/QĐ-BNV ngày 18/3/2024)"])
    ws.append([])
    ws.append(header)
    for line in rows:
        ws.append(list(line))
    for ref in merges:
        ws.merge_cells(ref)
    if hidden:
        ws.column_dimensions[hidden].hidden = True
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


ROWS = [  # sheet rows 6 onwards
    ["I", "NHIỆM VỤ TRỌNG TÂM"],
    [None, "Nhiệm vụ 9: Truyền thông về chính sách tiền lương"],
    [1, "Tổ chức họp báo về cải cách tiền lương", "Vụ TCBC", "Vụ CQĐP, Vụ CCVC", "Quý III/2024", "Họp báo",
     "không nhập"],
    [2, "Đăng tin về tiền lương", "Sở Nội vụ TP. Hồ Chí Minh", None, "Tháng 9/2024", "Tin, bài"],
    [],
    [3, "Tập huấn nghiệp vụ tiền lương", "Vụ CCVC", None, "Trước 30/9", "Hội nghị tập huấn"],
    [4, "Hội thảo về bảng lương mới", None, None, "6 tháng đầu năm", "Hội thảo"],
    [None, "Nhiệm vụ 12: Truyền thông về công tác thi đua, khen thưởng"],
    [5, "Chuyên mục thi đua", "Vụ TCBC, Vụ CQĐP", None, "Trước 30/9/2024", "Chuyên mục"],
    [6, "Phóng sự về Bình Dương sau hợp nhất", "Bình Dương", None, "Trước 30/9/2025", "Video clip"],
]
MERGES = ("B7:H7", "C11:C12", "B13:H13")  # a group row across; a lead unit merged down over two rows


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        plan_id = s.scalar(select(Plan.id).where(Plan.code == "184/QĐ-BNV"))
    return engine, admin, plan_id


def _dry(engine, admin, plan_id, data, **kw):
    with session_scope(engine) as s:
        return imports.import_items(s, actor=admin, plan_id=plan_id, data=data, dry_run=True, **kw)


def test_the_layout_is_found_under_the_title_lines_and_mapped_from_the_header_words(ctx):
    engine, _, plan_id = ctx
    with session_scope(engine) as s:
        layout = imports.detect_layout(s, plan=s.get(Plan, plan_id), data=clerk_workbook(ROWS, merges=MERGES))
    assert layout.header_row == 5 and not layout.template
    assert layout.mapping() == {
        "STT": "stt", "Nội dung nhiệm vụ": "title", "Cơ quan chủ trì": "lead", "Cơ quan phối hợp": "coord",
        "Thời gian hoàn thành": "due", "Sản phẩm": "form", "Ghi chú nội bộ": "ignore", "Ghi chú": "note"}
    lines = layout.describe()
    assert "“Sản phẩm” → Hình thức (form) (đoán theo giá trị: giá trị là hình thức trong danh mục)" in lines
    assert "“Ghi chú nội bộ” [cột ẩn] → (bỏ qua) (ignore)" in lines


def test_a_clerks_file_imports_with_groups_merged_cells_phrases_and_every_guess_shown(ctx):
    engine, admin, plan_id = ctx
    result = _dry(engine, admin, plan_id, clerk_workbook(ROWS, merges=MERGES))
    rows = {(r.data.title, r.lead_unit): r for r in result.rows}
    assert len(result.rows) == 7  # the blank line skipped; row 14 fans out to two lead units
    press = rows[("Tổ chức họp báo về cải cách tiền lương", "Vụ Tổ chức - Biên chế")]
    assert press.task_label == "9" and press.data.due_date == dt.date(2024, 9, 30)
    assert len(press.data.coordinating_unit_ids) == 2
    assert press.data.note is None  # the hidden column's "không nhập" is not read
    assert "Hạn: “Quý III/2024” → 30/09/2024 (ngày cuối quý)" in press.notes
    assert any(n.startswith("Nhiệm vụ (9) theo dòng nhóm 7") for n in press.notes)
    hcm = rows[("Đăng tin về tiền lương", "Sở Nội vụ Thành phố Hồ Chí Minh")]
    assert "Đơn vị “Sở Nội vụ TP. Hồ Chí Minh” → Sở Nội vụ Thành phố Hồ Chí Minh" in hcm.notes
    assert "Hình thức “Tin, bài” → Chuyên trang, chuyên mục, chuyên đề, bài viết" in hcm.notes
    assert hcm.data.due_date == dt.date(2024, 9, 30)
    training = rows[("Tập huấn nghiệp vụ tiền lương", "Vụ Công chức - Viên chức")]
    assert training.data.due_date == dt.date(2024, 9, 30)
    assert "Hạn: “Trước 30/9” → 30/09/2024 (hạn là ngày ghi, năm của kế hoạch 2024)" in training.notes
    merged = rows[("Hội thảo về bảng lương mới", "Vụ Công chức - Viên chức")]  # lead filled down from row 11
    assert merged.data.due_date == dt.date(2024, 6, 30)
    fanned = [r for r in result.rows if r.data.title == "Chuyên mục thi đua"]
    assert {r.lead_unit for r in fanned} == {"Vụ Tổ chức - Biên chế", "Vụ Chính quyền địa phương"}
    assert {r.task_label for r in fanned} == {"12"} and {r.slot for r in fanned} == {14, "14.1"}
    former = rows[("Phóng sự về Bình Dương sau hợp nhất", "Sở Nội vụ Thành phố Hồ Chí Minh")]
    assert any("“Sở Nội vụ tỉnh Bình Dương” đã kết thúc ngày 30/06/2025, thay bằng đơn vị kế thừa" in n
               for n in former.notes)
    assert set(result.would.values()) == {"mới"} and len(result.would) == 7


def test_importing_it_writes_every_item_and_a_second_import_changes_nothing(ctx):
    engine, admin, plan_id = ctx
    data = clerk_workbook(ROWS, merges=MERGES)
    with session_scope(engine) as s:
        assert len(imports.import_items(s, actor=admin, plan_id=plan_id, data=data).created) == 7
    with session_scope(engine) as s:
        again = imports.import_items(s, actor=admin, plan_id=plan_id, data=data)
    assert (again.created, len(again.unchanged)) == ([], 7)


@pytest.mark.parametrize("recurrence, count, first_due, suffix", [
    ("month", 12, dt.date(2024, 1, 31), " (tháng 1/2024)"),
    ("quarter", 4, dt.date(2024, 3, 31), " (quý I/2024)"),
    ("year", 1, dt.date(2024, 12, 31), ""),
])
def test_thuong_xuyen_becomes_items_per_month_or_quarter_or_one_over_the_year(ctx, recurrence, count, first_due,
                                                                                suffix):
    engine, admin, plan_id = ctx
    data = clerk_workbook([[None, "Nhiệm vụ 3: Họp báo định kỳ"],
                           [1, "Cung cấp thông tin cho báo chí", "Văn phòng Bộ", None, "Thường xuyên",
                            "Cung cấp thông tin cho báo chí"]])
    rows = _dry(engine, admin, plan_id, data, recurrence=recurrence).rows
    assert len(rows) == count and all(r.data.recurring for r in rows)
    assert (rows[0].data.title, rows[0].data.due_date) == ("Cung cấp thông tin cho báo chí" + suffix, first_due)
    assert rows[-1].data.due_date == dt.date(2024, 12, 31)
    assert any(n.startswith("Thường xuyên: ") for n in rows[0].notes)
    if recurrence == "year":
        assert any("để chọn sau" in n for n in rows[0].notes)


def test_cac_so_noi_vu_fans_out_to_every_provincial_department_of_the_year(ctx):
    engine, admin, plan_id = ctx
    data = clerk_workbook([[None, "Nhiệm vụ 1: Truyền thông về tổ chức bộ máy"],
                           [1, "Bài viết về tổ chức bộ máy", "Các Sở Nội vụ", None, "Quý IV/2024", "Bài viết"]])
    rows = _dry(engine, admin, plan_id, data).rows
    assert len(rows) == 63 and "“Các Sở Nội vụ” → 63 Sở Nội vụ" in rows[0].notes
    assert {r.task_label for r in rows} == {"1"}


def test_coordinating_cell_with_a_group_sets_every_department_as_coordinating(ctx):
    engine, admin, plan_id = ctx
    data = clerk_workbook([[None, "Nhiệm vụ 2: Chỉ đạo chung"],
                           [1, "Hướng dẫn truyền thông", "Vụ CQĐP", "Các Sở Nội vụ", "Tháng 5/2024", "Tài liệu"]])
    [row] = _dry(engine, admin, plan_id, data).rows
    assert len(row.data.coordinating_unit_ids) == 63


def test_unknown_names_are_refused_with_the_closest_units_and_a_bad_deadline_with_its_phrasings(ctx):
    engine, admin, plan_id = ctx
    data = clerk_workbook([[None, "Nhiệm vụ 9: Tiền lương"],
                           [1, "Bài viết", "Vụ Tổ chức Biên chức", None, "Quý 5/2024", "Bài viết"]])
    with pytest.raises(ImportFailed) as err:
        _dry(engine, admin, plan_id, data)
    reasons = {e.column: e.reason for e in err.value.errors}
    assert "Gần nhất: Vụ Tổ chức - Biên chế" in reasons["Đơn vị chủ trì"]
    assert reasons["Hạn hoàn thành"].startswith("Không đọc được hạn “Quý 5/2024”")


def test_the_template_word_bao_chi_is_a_guess_shown_not_a_silent_mapping(ctx):
    engine, admin, plan_id = ctx
    data = clerk_workbook([[None, "Nhiệm vụ 9: Tiền lương"],
                           [1, "Phỏng vấn về tiền lương", "Vụ TCBC", None, "Tháng 6/2024", "Trả lời phỏng vấn",
                            None, None, "Báo chí"]],
                          header=[*HEADER, "Kênh"])
    [row] = _dry(engine, admin, plan_id, data).rows
    assert "Kênh “Báo chí” → Báo chí trung ương" in row.notes


def test_form_guessed_from_the_title_when_the_file_has_no_form_column(ctx):
    engine, admin, plan_id = ctx
    header = ["TT", "Nhiệm vụ", "Nội dung công việc", "Đơn vị thực hiện", "Thời hạn"]
    data = clerk_workbook([[1, 9, "Tổ chức họp báo quý III", "TCBC", "30/09/2024"]], header=header, hidden=None)
    [row] = _dry(engine, admin, plan_id, data).rows
    assert "Hình thức đoán từ nội dung (“hop bao”) → Họp báo" in row.notes
    assert row.task_label == "9" and row.lead_unit == "Vụ Tổ chức - Biên chế"


def test_the_office_overrides_the_mapping_and_bad_overrides_are_refused(ctx):
    engine, admin, plan_id = ctx
    data = clerk_workbook(ROWS, merges=MERGES)
    mapping = parse_map("Ghi chú nội bộ=note, Ghi chú=ignore")
    rows = _dry(engine, admin, plan_id, data, mapping=mapping).rows
    assert rows[0].data.note == "không nhập"
    for bad, reason in (({"Không có": "title"}, "Không có cột “Không có”"), ({"Ghi chú": "xyz"}, "Không biết trường")):
        with pytest.raises(ImportFailed) as err:
            _dry(engine, admin, plan_id, data, mapping=bad)
        assert reason in err.value.errors[0].reason
    with pytest.raises(ImportFailed) as err:
        _dry(engine, admin, plan_id, data, mapping={"Cơ quan chủ trì": "ignore"})
    assert err.value.errors[0].column == "Đơn vị chủ trì" and err.value.errors[0].reason == "Thiếu cột bắt buộc."


def test_parse_map_reads_the_cli_argument():
    assert parse_map("Nội dung nhiệm vụ=title,Cơ quan chủ trì=lead_unit, Thời gian hoàn thành=due_date") == {
        "Nội dung nhiệm vụ": "title", "Cơ quan chủ trì": "lead_unit", "Thời gian hoàn thành": "due_date"}
    with pytest.raises(KeyError):
        parse_map("Nội dung nhiệm vụ")


def test_cli_prints_the_mapping_it_used_and_the_guesses_and_takes_map(db_env, ctx, capsys, tmp_path):
    from tracker.__main__ import main

    path = tmp_path / "ke-hoach-cua-van-phong.xlsx"
    path.write_bytes(clerk_workbook(ROWS, merges=MERGES))
    assert main(["import", str(path), "--plan", "184/QĐ-BNV", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Tệp không theo mẫu: dòng tiêu đề là dòng 5" in out
    assert "  “Cơ quan chủ trì” → Đơn vị chủ trì (lead)" in out
    assert "7 công việc mới" in out
    assert "  Dòng 8: Hạn: “Quý III/2024” → 30/09/2024 (ngày cuối quý)" in out
    assert main(["import", str(path), "--plan", "184/QĐ-BNV", "--dry-run", "--map",
                 "Ghi chú nội bộ=note,Ghi chú=ignore"]) == 0
    assert "  “Ghi chú nội bộ” [cột ẩn] → Ghi chú (note)" in capsys.readouterr().out
    assert main(["import", str(path), "--plan", "184/QĐ-BNV", "--map", "Ghi chú=nothing"]) != 0
    assert "Không biết trường “nothing”" in capsys.readouterr().err
    assert main(["import", str(path), "--plan", "184/QĐ-BNV", "--recurring", "quarter"]) == 0
    assert "Đã nhập 6 dòng (7 công việc) vào kế hoạch 184/QĐ-BNV: 7 công việc mới" in capsys.readouterr().out


def test_a_mapping_the_office_confirmed_is_used_for_the_next_file_of_the_same_layout(ctx):
    from tracker.errors import PermissionDenied
    from tracker.services import settings

    engine, admin, plan_id = ctx
    first = clerk_workbook(ROWS, merges=MERGES)
    with session_scope(engine) as s:
        layout = imports.detect_layout(s, plan=s.get(Plan, plan_id), data=first)
        chosen = layout.with_mapping({"Ghi chú nội bộ": "note", "Ghi chú": "ignore"}).mapping()
        settings.remember_import_mapping(s, actor=admin, signature=layout.signature, mapping=chosen)
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        settings.remember_import_mapping(s, actor=head, signature=layout.signature, mapping={})
    later = clerk_workbook(ROWS[:3], merges=MERGES[:1])  # another file, the same headers
    with session_scope(engine) as s:
        again = imports.detect_layout(s, plan=s.get(Plan, plan_id), data=later)
    assert again.remembered and again.mapping() == chosen
    [row] = _dry(engine, admin, plan_id, later).rows
    assert row.data.note == "không nhập"
    other = clerk_workbook(ROWS[:3], header=[*HEADER[:7], "Ghi chú khác"], merges=MERGES[:1])
    with session_scope(engine) as s:
        assert not imports.detect_layout(s, plan=s.get(Plan, plan_id), data=other).remembered


def test_a_unit_the_office_chose_for_an_unknown_name_is_used_and_shown(ctx):
    engine, admin, plan_id = ctx
    data = clerk_workbook([[None, "Nhiệm vụ 9: Tiền lương"],
                           [1, "Bài viết", "Vụ Tổ chức Biên chức", None, "Quý III/2024", "Bài viết"]])
    with pytest.raises(ImportFailed) as err:
        _dry(engine, admin, plan_id, data)
    [e] = err.value.errors
    assert e.unknown_unit == "Vụ Tổ chức Biên chức" and e.closest[0] == "Vụ Tổ chức - Biên chế"
    with session_scope(engine) as s:
        [row] = imports.read_file(s, actor=admin, plan_id=plan_id, data=data,
                                  chosen_units={"Vụ Tổ chức Biên chức": "VU-TCBC"})
    assert row.lead_unit == "Vụ Tổ chức - Biên chế"
    assert "Đơn vị “Vụ Tổ chức Biên chức” → Vụ Tổ chức - Biên chế (văn phòng chọn)" in row.notes


def test_a_product_column_of_quantities_is_the_target(ctx):
    engine, admin, plan_id = ctx
    header = ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Hình thức", "Thời gian hoàn thành", "Sản phẩm"]
    data = clerk_workbook([[None, "Nhiệm vụ 9: Tiền lương"],
                           [1, "Chuyên mục tiền lương", "Vụ TCBC", "Chuyên mục", "Tháng 9/2024", "12 tin bài"]],
                          header=header, hidden=None)
    with session_scope(engine) as s:
        layout = imports.detect_layout(s, plan=s.get(Plan, plan_id), data=data)
    assert layout.mapping()["Sản phẩm"] == "target"
    [row] = _dry(engine, admin, plan_id, data).rows
    assert (row.data.target_qty, row.data.target_unit) == (12, "tin bài")


def test_the_preview_shows_each_items_guesses_beside_it(ctx):
    from tracker.services.work_item_lists import plan_choices
    from tracker.ui.work_items_view import preview_frame

    engine, admin, plan_id = ctx
    preview = _dry(engine, admin, plan_id, clerk_workbook(ROWS, merges=MERGES))
    with session_scope(engine) as s:
        frame = preview_frame(preview, plan_choices(s, plan_id=plan_id))
    assert list(frame.columns)[:6] == ["Dòng", "Nhiệm vụ", "Nội dung công việc", "Đơn vị chủ trì", "Hạn",
                                       "Đối chiếu, suy đoán"]
    first = frame.iloc[0].to_dict()
    assert first["Dòng"] == "8" and "“Quý III/2024” → 30/09/2024 (ngày cuối quý)" in first["Đối chiếu, suy đoán"]
    assert list(frame["Dòng"])[4:6] == ["14", "14.1"] and set(frame["Sẽ"]) == {"mới"}
