"""Excel template, import of real-world messy files (all or nothing), re-import, export round trip."""

import datetime as dt
import unicodedata
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.factories import make_user
from tracker.db import session_scope
from tracker.errors import PermissionDenied
from tracker.models import Plan, Role, WorkItem
from tracker.permissions import Actor
from tracker.services import imports
from tracker.services.excel_template import HEADERS, LISTS_SHEET, SHEET
from tracker.services.imports import ImportFailed
from tracker.services.work_item_lists import ItemFilter, list_items


def xlsx(rows, headers=HEADERS, above=()) -> bytes:
    """A workbook as people make it: optional title lines, then headers, then rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Kế hoạch đơn vị"
    for line in above:
        ws.append(line)
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def row(task=9, title="Chuyên mục tiền lương", lead="VU-TCBC", coord=None, form="Họp báo", channel=None,
        start="01/04/2024", due="30/09/2024", target=None, budget=None, note=None, stt=1):
    return [stt, task, title, lead, coord, form, channel, start, due, target, budget, note]


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        plans = {p.code: p.id for p in s.scalars(select(Plan))}
    return engine, admin, head, plans


def _import(engine, actor, plan_id, data, **kw):
    with session_scope(engine) as s:
        return imports.import_items(s, actor=actor, plan_id=plan_id, data=data, **kw)


def _errors(engine, actor, plan_id, data):
    with pytest.raises(ImportFailed) as err:
        _import(engine, actor, plan_id, data)
    return [(e.row, e.column, e.value, e.reason) for e in err.value.errors]


def _count(engine):
    with session_scope(engine) as s:
        return s.scalar(select(func.count(WorkItem.id)))


def _rows(engine, actor, plan_id):
    with session_scope(engine) as s:
        return list_items(s, actor=actor, filters=ItemFilter(plan_id=plan_id))


def test_template_has_the_headers_in_order_and_drop_downs(ctx):
    engine, _, _, plans = ctx
    with session_scope(engine) as s:
        data = imports.template(s, plan_id=plans["184/QĐ-BNV"])
    wb = load_workbook(BytesIO(data))
    ws = wb[SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    assert " | ".join(HEADERS) == ("STT | Nhiệm vụ trọng tâm | Nội dung công việc | Đơn vị chủ trì | Đơn vị phối hợp | "
                                   "Hình thức | Kênh/Sản phẩm | Ngày bắt đầu | Hạn hoàn thành | Chỉ tiêu | "
                                   "Kinh phí (đồng) | Ghi chú | Các bước | Cán bộ phụ trách | Mã công việc (không sửa) | "
                                   "Phiên bản (không sửa)")
    lists = wb[LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    tasks = [c.value for c in lists["A"][1:] if c.value]
    assert len(tasks) == 16 and tasks[8].startswith("(9) ") and tasks[10].startswith("(11) [Chưa có nội dung")
    units = {c.value for c in lists["B"][1:] if c.value}
    assert {"Vụ Tiền lương", "Sở Nội vụ tỉnh Hà Giang"} <= units  # units of 2024
    assert "Hội nghị, hội thảo, tọa đàm" in {c.value for c in lists["C"][1:]}
    validations = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert validations["B2"].startswith(f"='{LISTS_SHEET}'!$A$2:$A$17")
    assert validations["D2"].startswith(f"='{LISTS_SHEET}'!$B$2")
    assert validations["F2"].startswith(f"='{LISTS_SHEET}'!$C$2")


def test_a_filled_in_template_imports(ctx):
    engine, admin, _, plans = ctx
    with session_scope(engine) as s:
        wb = load_workbook(BytesIO(imports.template(s, plan_id=plans["184/QĐ-BNV"])))
    ws = wb[SHEET]
    lists = wb[LISTS_SHEET]
    ws.append([1, lists["A10"].value, "Tọa đàm về cải cách tiền lương", lists["B3"].value, None,
               lists["C9"].value, None, dt.date(2024, 5, 1), dt.date(2024, 5, 31), 1, 30_000_000, None])
    out = BytesIO()
    wb.save(out)
    result = _import(engine, admin, plans["184/QĐ-BNV"], out.getvalue())
    assert len(result.created) == 1
    [item] = _rows(engine, admin, plans["184/QĐ-BNV"])
    assert (item.task_label, item.due_date, item.budget_planned) == ("9", dt.date(2024, 5, 31), 30_000_000)


def test_messy_real_world_file_imports(ctx):
    engine, admin, _, plans = ctx
    nfd_headers = [unicodedata.normalize("NFD", f"  {h.upper() if i % 2 else h}  ") for i, h in enumerate(HEADERS)]
    data = xlsx([
        row(task="(9) Tuyên truyền …", title=unicodedata.normalize("NFD", "Tọa  đàm  tiền lương "),
            lead=" vụ tcbc ", coord="VU-TL; Vụ CCVC\nCQĐP, Văn phòng Bộ", form="tọa đàm", channel="Báo Dân trí",
            start="05/04/2024", due=" 30/9/2024 ", target="12 tin bài", budget="50.000.000", note="Ưu tiên"),
        row(task=2, title="Thông cáo báo chí", lead="Hà Nội", form="thông cáo", start=dt.datetime(2024, 3, 1),
            due=dt.datetime(2024, 3, 15), target=3, budget=1_500_000, channel="Tờ rơi"),
        row(task=" 16. ", title="Họp báo quý", lead="Sở Nội vụ tỉnh Hà Giang", form="HOP-BAO", start=None, due=None,
            budget="2.000.000 đ"),
    ], headers=nfd_headers, above=[["KẾ HOẠCH TRUYỀN THÔNG NĂM 2024"], []])
    result = _import(engine, admin, plans["184/QĐ-BNV"], data)
    assert len(result.created) == 3
    rows = {r.title: r for r in _rows(engine, admin, plans["184/QĐ-BNV"])}
    first = rows["Tọa đàm tiền lương"]  # stored in NFC, spaces collapsed
    assert unicodedata.is_normalized("NFC", first.title)
    assert (first.task_label, first.lead_unit, first.form) == ("9", "Vụ Tổ chức - Biên chế", "Hội nghị, hội thảo, tọa đàm")
    assert sorted(first.coordinating_units) == sorted(["Vụ Tiền lương", "Vụ Công chức - Viên chức",
                                                       "Vụ Chính quyền địa phương", "Văn phòng Bộ"])
    assert (first.start_date, first.due_date) == (dt.date(2024, 4, 5), dt.date(2024, 9, 30))
    assert (first.target_qty, first.target_unit, first.budget_planned) == (12, "tin bài", 50_000_000)
    assert (first.channel, first.note) == ("Báo Dân trí", "Ưu tiên")
    second = rows["Thông cáo báo chí"]
    assert (second.lead_unit, second.form, second.target_qty, second.target_unit) == (
        "Sở Nội vụ thành phố Hà Nội", "Thông cáo báo chí", 3, None)
    assert second.channel == "Tờ rơi"
    assert rows["Họp báo quý"].budget_planned == 2_000_000


def test_a_bad_file_imports_nothing_and_lists_every_error(ctx):
    engine, admin, _, plans = ctx
    data = xlsx([
        row(title="Dòng đúng"),
        row(title="Đơn vị lạ", lead="Sở Nội vụ Sao Hỏa"),
        row(task=17, title="Nhiệm vụ 17"),
        row(title="Hạn trước ngày bắt đầu", start="10/05/2024", due="01/05/2024"),
        row(title="Ngày sai", start="31/02/2024", budget="năm mươi triệu", form="thư tay"),
        row(title="Chỉ tiêu âm", target="-3 tin bài", coord="VU-TCBC"),
        row(title="", lead=None),
        row(title="Dòng đúng"),
    ], above=[["Kế hoạch của đơn vị"]])
    errors = _errors(engine, admin, plans["184/QĐ-BNV"], data)
    assert errors == [
        (4, "Đơn vị chủ trì", "Sở Nội vụ Sao Hỏa", "Không tìm thấy đơn vị “Sở Nội vụ Sao Hỏa” trong danh mục "
                                                  "(ghi mã, tên đầy đủ hoặc tên viết tắt). Gần nhất: Sở Nội vụ tỉnh "
                                                  "Sơn La; Sở Nội vụ tỉnh Thanh Hóa; Sở Nội vụ tỉnh Khánh Hòa."),
        (5, "Nhiệm vụ trọng tâm", "17", "Nhiệm vụ số 17 không có trong kế hoạch 184/QĐ-BNV (có các nhiệm vụ 1–16)."),
        (6, "Hạn hoàn thành", "01/05/2024", "Hạn hoàn thành (01/05/2024) không được trước ngày bắt đầu (10/05/2024)."),
        (7, "Hình thức", "thư tay", "Hình thức “thư tay” không có trong danh mục."),
        (7, "Ngày bắt đầu", "31/02/2024", "Ngày “31/02/2024” không hợp lệ (ghi theo dạng dd/mm/yyyy)."),
        (7, "Kinh phí (đồng)", "năm mươi triệu", "Kinh phí “năm mươi triệu” không phải số tiền (ví dụ 50.000.000)."),
        (8, "Đơn vị phối hợp", "VU-TCBC", "Đơn vị phối hợp “Vụ Tổ chức - Biên chế” trùng với đơn vị chủ trì."),
        (8, "Chỉ tiêu", "-3 tin bài", "Chỉ tiêu không được âm."),
        (9, "Nội dung công việc", "", "Nội dung công việc không được để trống."),
        (9, "Đơn vị chủ trì", "", "Chưa ghi đơn vị chủ trì."),
        (10, "Nội dung công việc", "Dòng đúng", "Trùng với dòng 3 (cùng nhiệm vụ, nội dung và đơn vị chủ trì)."),
    ]
    assert _count(engine) == 0


def test_several_lead_units_in_one_cell_are_pointed_at_the_coordinating_column(ctx):
    engine, admin, _, plans = ctx
    [(r, col, value, reason)] = _errors(engine, admin, plans["184/QĐ-BNV"], xlsx([row(lead="Vụ TCBC; Vụ CCVC")]))
    assert (r, col, value) == (2, "Đơn vị chủ trì", "Vụ TCBC; Vụ CCVC")
    assert reason == "Chỉ ghi một đơn vị chủ trì; các đơn vị khác ghi vào cột “Đơn vị phối hợp”."


def test_a_unit_ended_before_the_due_date_gives_way_to_its_successor_and_says_so(ctx):
    engine, admin, _, plans = ctx
    data = xlsx([row(lead="Hà Giang", start="01/07/2025", due="30/09/2025"),
                 row(title="Trước khi hợp nhất", lead="Hà Giang", start="01/04/2025", due="30/06/2025")])
    [after, before] = _import(engine, admin, plans["184/QĐ-BNV"], data, dry_run=True).rows
    assert after.lead_unit == "Sở Nội vụ tỉnh Tuyên Quang"
    assert any("đã kết thúc ngày 30/06/2025, thay bằng đơn vị kế thừa Sở Nội vụ tỉnh Tuyên Quang" in n
               for n in after.notes)
    assert before.lead_unit == "Sở Nội vụ tỉnh Hà Giang" and not any("kế thừa" in n for n in before.notes)


def test_roman_task_numbers_for_the_2023_plan(ctx):
    engine, admin, _, plans = ctx
    data = xlsx([row(task="(iii)", start="01/04/2023", due="30/06/2023"), row(task="viii", title="Khác",
                                                                            start=None, due=None)])
    assert len(_import(engine, admin, plans["KH-2023"], data).created) == 2
    assert sorted(r.task_label for r in _rows(engine, admin, plans["KH-2023"])) == ["iii", "viii"]
    bad = xlsx([row(task="ix", start=None, due=None)])
    assert "Nhiệm vụ số 9 không có trong kế hoạch KH-2023 (có các nhiệm vụ i–viii)." in _errors(
        engine, admin, plans["KH-2023"], bad)[0]


def test_reimporting_the_same_file_creates_no_duplicates(ctx):
    engine, admin, _, plans = ctx
    plan_id = plans["184/QĐ-BNV"]
    rows = [row(title="Việc A", target="5 tin bài"), row(title="Việc B", lead="VU-TL")]
    assert len(_import(engine, admin, plan_id, xlsx(rows)).created) == 2
    again = _import(engine, admin, plan_id, xlsx(rows))
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], 2)
    rows[0] = row(title="việc a", target="8 tin bài")  # same work, folded title; a new target
    changed = _import(engine, admin, plan_id, xlsx(rows))
    assert (changed.created, len(changed.updated)) == ([], 1)
    assert _count(engine) == 2
    assert {r.target_qty for r in _rows(engine, admin, plan_id)} == {8, None}


def test_dry_run_writes_nothing(ctx):
    engine, admin, _, plans = ctx
    result = _import(engine, admin, plans["184/QĐ-BNV"], xlsx([row()]), dry_run=True)
    assert result.would == {2: "mới"} and "không có lỗi" in result.summary()
    assert _count(engine) == 0


def test_import_export_import_is_lossless(ctx, db_factory):
    engine, admin, _, plans = ctx
    plan_id = plans["184/QĐ-BNV"]
    data = xlsx([
        row(title="Việc A", coord="VU-TL; VU-CCVC", channel="Báo Dân trí", target="12 tin bài", budget="50.000.000",
            note="Dòng 1\nDòng 2"),
        row(task=11, title="Việc B", lead="SNV-HA-NOI", form="tọa đàm", start=None, due="15/12/2024", target=2),
        row(task=1, title="Việc C", lead="VU-TL", channel="Trang riêng", start="01/01/2024", due="31/01/2024"),
    ])
    _import(engine, admin, plan_id, data)
    before = _rows(engine, admin, plan_id)
    with session_scope(engine) as s:
        exported = imports.export_items(s, actor=admin, filters=ItemFilter(plan_id=plan_id))
    again = _import(engine, admin, plan_id, exported)
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], 3)
    assert _rows(engine, admin, plan_id) == before

    other = db_factory("catalog")  # a second installation receives the exported file
    with session_scope(other) as s:
        other_admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        other_plan = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
    assert len(_import(other, other_admin, other_plan, exported).created) == 3
    with session_scope(other) as s:
        re_exported = imports.export_items(s, actor=other_admin, filters=ItemFilter(plan_id=other_plan))

    def cells(blob):  # without the id and version columns: each installation numbers its own items
        return [[c.value for c in r][:-2] for r in load_workbook(BytesIO(blob))[SHEET].iter_rows()]
    assert cells(re_exported) == cells(exported)


def test_export_of_a_filtered_list(ctx):
    engine, admin, head, plans = ctx
    plan_id = plans["184/QĐ-BNV"]
    _import(engine, admin, plan_id, xlsx([row(title="Của TCBC"), row(title="Của Vụ TL", lead="VU-TL")]))
    with session_scope(engine) as s:
        mine = imports.export_items(s, actor=head, filters=ItemFilter(plan_id=plan_id, unit_id=head.unit_id))
        every = imports.export_items(s, actor=head, filters=ItemFilter(plan_id=plan_id))  # reading is open
    ws = load_workbook(BytesIO(mine))[SHEET]
    assert [r[2] for r in ws.iter_rows(min_row=2, values_only=True) if r[2]] == ["Của TCBC"]
    ws = load_workbook(BytesIO(every))[SHEET]
    assert [r[2] for r in ws.iter_rows(min_row=2, values_only=True) if r[2]] == ["Của TCBC", "Của Vụ TL"]


def test_only_the_office_imports(ctx):
    engine, _, head, plans = ctx
    with pytest.raises(PermissionDenied):
        _import(engine, head, plans["184/QĐ-BNV"], xlsx([row()]))


def test_too_many_rows_are_refused_without_reading_on(ctx, monkeypatch):
    engine, admin, _, plans = ctx
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    errors = _errors(engine, admin, plans["184/QĐ-BNV"], xlsx([row(title=f"Việc {n}") for n in range(5)]))
    assert errors == [(4, "Tệp", "", "Tệp có quá 2 dòng công việc: hãy chia thành nhiều tệp.")]
    exactly = xlsx([row(title="Việc 1"), row(title="Việc 2"), [1] + [None] * 11, [2] + [None] * 11])
    assert len(_import(engine, admin, plans["184/QĐ-BNV"], exactly, dry_run=True).rows) == 2  # blank rows after
    monkeypatch.setattr(imports, "MAX_SCANNED", 3)
    padded = xlsx([row(title="Việc 1"), [None] * 12, [None] * 12, [None] * 12, row(title="Việc 2")])
    [(r, _, _, reason)] = _errors(engine, admin, plans["184/QĐ-BNV"], padded)
    assert r == 5 and reason.startswith("Tệp có hơn 3 dòng (kể cả dòng trống)")  # stops 3 rows below the headers


@pytest.mark.parametrize("data, reason", [
    (b"not a spreadsheet", "Không đọc được tệp"),
    (b"x" * (imports.MAX_BYTES + 1), "Tệp quá lớn"),
    (xlsx([row()], headers=["STT", "Nội dung công việc", "Đơn vị chủ trì", "Ghi chú"]), "Thiếu cột bắt buộc."),
    (xlsx([]), "Tệp không có dòng công việc nào."),
    (xlsx([["a", "b"]], headers=["x", "y"]), "Không tìm thấy dòng tiêu đề"),
])
def test_unreadable_files_are_refused_with_a_reason(ctx, data, reason):
    engine, admin, _, plans = ctx
    errors = _errors(engine, admin, plans["184/QĐ-BNV"], data)
    assert any(reason in e[3] for e in errors), errors


def test_cli_import_dry_run_import_and_export(db_env, ctx, capsys, tmp_path):
    from tracker.__main__ import main

    engine, admin, _, plans = ctx
    good = tmp_path / "ke-hoach.xlsx"
    good.write_bytes(xlsx([row(title="Việc A"), row(title="Việc B", lead="Hà Nội")]))
    assert main(["import", str(good), "--plan", "184/QĐ-BNV", "--dry-run"]) == 0
    assert "2 công việc mới" in capsys.readouterr().out and _count(engine) == 0
    assert main(["import", str(good), "--plan", "184/QD-BNV"]) == 0
    assert "2 công việc mới" in capsys.readouterr().out and _count(engine) == 2
    out_file = tmp_path / "xuat.xlsx"
    assert main(["export", str(out_file), "--plan", "2024"]) == 0
    assert "Đã xuất 2 công việc" in capsys.readouterr().out
    assert [r[2] for r in load_workbook(out_file)[SHEET].iter_rows(min_row=2, values_only=True) if r[2]] == [
        "Việc A", "Việc B"]


def test_cli_import_bad_rows_exit_1_with_the_error_table(db_env, ctx, capsys, tmp_path):
    from tracker.__main__ import main

    engine, *_ = ctx
    bad = tmp_path / "loi.xlsx"
    bad.write_bytes(xlsx([row(title="Việc A"), row(task=17, title="Việc B", lead="Sao Hỏa")]))
    assert main(["import", str(bad), "--plan", "184/QĐ-BNV"]) == 1
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0] == "Tệp có 2 lỗi, chưa nhập công việc nào. Danh sách lỗi:"
    assert [c.strip() for c in lines[1].split(" | ")] == ["Dòng", "Cột", "Giá trị", "Lỗi"]
    assert "Nhiệm vụ số 17 không có trong kế hoạch 184/QĐ-BNV" in lines[2] and lines[2].startswith("3 ")
    assert "Không tìm thấy đơn vị “Sao Hỏa”" in lines[3]
    assert _count(engine) == 0
    assert main(["import", str(tmp_path / "khong-co.xlsx"), "--plan", "184/QĐ-BNV"]) == 2


def test_the_preview_shows_every_field_the_file_gives(ctx):
    """Channel, start date, coordinating units and target are shown before anything is written."""
    from tracker.services.work_item_lists import plan_choices
    from tracker.ui.work_items_view import preview_frame

    engine, admin, _, plans = ctx
    data = xlsx([row(coord="SNV-HA-NOI", channel="Cổng Thông tin điện tử", target="12 tin bài",
                     budget="50.000.000")])
    with session_scope(engine) as s:
        preview = imports.import_items(s, actor=admin, plan_id=plans["184/QĐ-BNV"], data=data, dry_run=True)
        frame = preview_frame(preview, plan_choices(s, plan_id=plans["184/QĐ-BNV"]))
    shown = frame.iloc[0].to_dict()
    assert shown["Đơn vị phối hợp"] == "Sở Nội vụ thành phố Hà Nội"
    assert shown["Kênh/Sản phẩm"] and shown["Bắt đầu"] == "01/04/2024" and shown["Hạn"] == "30/09/2024"
    assert shown["Chỉ tiêu"] == "12 tin bài" and shown["Hình thức"] and shown["Sẽ"] == "mới"
