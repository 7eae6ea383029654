"""Excel and Word exports, opened back: numbers equal the dashboard's, the report has the official shape."""

import datetime as dt
import io
import struct
import sys
import zlib

import docx
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select
from docx.shared import Mm, Pt

from tests import dashboard_fixture
from tests.factories import make_user
from tests.dashboard_fixture import PLAN, TODAY, at
from tracker import charts
from tracker.__main__ import main
from tracker.db import session_scope
from tracker.models import ExplanationRequest, ExplanationStatus, Role, RoundReport, WorkItem
from tracker.permissions import Actor
from tracker.services import dashboard, report_facts, reports, settings, word_report
from tracker.services.dashboard import Filters

LEADER = Actor(user_id=1, username="lanh.dao", role=Role.LEADER)
REAL_RENDER_PNG = reports.render_png
H1 = dt.date(2024, 1, 1)
H2 = dt.date(2024, 6, 30)


@pytest.fixture(autouse=True)
def no_chart_images(monkeypatch):
    """Reports without images unless a test says otherwise, whether or not kaleido is installed here."""
    monkeypatch.setattr(reports, "render_png", lambda chart, **kw: None)


def _explain(session, item_id, unit_id, answer):
    session.add(ExplanationRequest(
        work_item_id=item_id, unit_id=unit_id, question="Vì sao chậm?", requested_at=at("2024-07-20"),
        status=ExplanationStatus.ANSWERED if answer else ExplanationStatus.OPEN, answer=answer,
        answered_at=at("2024-07-22") if answer else None))


@pytest.fixture
def fx(session):
    ids = dashboard_fixture.build(session)
    _explain(session, ids["C"], ids["tcbc"], "Chờ ý kiến thẩm định của Bộ Tài chính.")
    _explain(session, ids["E"], ids["hanoi"], None)
    session.flush()
    return ids


def _paragraphs(document):
    return [p.text for p in document.paragraphs]


def test_excel_sheets_hold_the_dashboard_figures(session, fx):
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=fx["plan"]), today=TODAY)
    wb = openpyxl.load_workbook(io.BytesIO(reports.excel_workbook(session, board=board)))
    assert wb.sheetnames == ["Tổng hợp", "Theo nhiệm vụ", "Theo đơn vị", "Danh sách công việc"]
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=6, values_only=True)}
    assert summary["Tổng số công việc"] == 6 and summary["Hoàn thành đúng hạn"] == 1
    assert summary["Hoàn thành quá hạn"] == 1 and summary["Quá hạn"] == 1
    assert (summary["Tỷ lệ hoàn thành (%)"], summary["Tiến độ bình quân (%)"], summary["Tỷ lệ quá hạn (%)"]) == (
        33.3, 63.3, 33.3)
    assert summary["Đơn vị đã báo cáo (Báo cáo 6 tháng 2024)"] == 1 and summary["Đơn vị phải báo cáo"] == 2
    tasks = {r[0]: r for r in wb["Theo nhiệm vụ"].iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in wb["Theo nhiệm vụ"][1]]
    t5 = dict(zip(header, tasks["(5)"]))
    assert (t5["Tổng số việc"], t5["Quá hạn"], t5["Vướng mắc"], t5["Tỷ lệ hoàn thành (%)"]) == (3, 1, 1, 0.0)
    assert t5["Tiến độ bình quân (%)"] == 43.3
    assert len(tasks) == 16
    header = [c.value for c in wb["Theo đơn vị"][1]]
    units = [dict(zip(header, r)) for r in wb["Theo đơn vị"].iter_rows(min_row=2, values_only=True)]
    assert [(u["Đơn vị"], u["Tỷ lệ hoàn thành (%)"], u["Tiến độ bình quân (%)"], u["Tỷ lệ quá hạn (%)"])
            for u in units] == [("Sở Nội vụ thành phố Hà Nội", 0.0, 46.7, 0.0), ("Vụ Tổ chức - Biên chế", 66.7, 80.0, 33.3)]
    items = wb["Danh sách công việc"]
    assert {r[0] for r in items.iter_rows(min_row=2, values_only=True)} == {fx[n] for n in "ABCDEF"}
    assert items["G2"].number_format == "dd/mm/yyyy" and isinstance(items["G2"].value, dt.datetime)


def test_excel_summary_names_the_view(session, fx):
    filters = Filters(plan_id=fx["plan"], date_from=H1, date_to=H2, unit_id=fx["tcbc"], task_id=fx["task5"])
    board = dashboard.build(session, actor=LEADER, filters=filters, today=TODAY)
    wb = openpyxl.load_workbook(io.BytesIO(reports.excel_workbook(session, board=board)))
    assert wb["Tổng hợp"]["A2"].value == ("Kế hoạch 184/QĐ-BNV; từ 01/01/2024 đến 30/06/2024; "
                                         "đơn vị chủ trì: Vụ Tổ chức - Biên chế; nhiệm vụ (5)")
    assert [r[0] for r in wb["Danh sách công việc"].iter_rows(min_row=2, values_only=True)] == [fx["C"]]


def _report(session, fx, **kw):
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=fx["plan"], date_from=H1, date_to=H2),
                            today=TODAY)
    return board, docx.Document(io.BytesIO(reports.word_report(
        session, board=board, period_label=reports.period_label(H1, H2), **kw)))


def test_word_report_follows_the_outline(session, fx):
    _, document = _report(session, fx)
    text = _paragraphs(document)
    assert text[text.index("BÁO CÁO") + 1].endswith("từ ngày 01/01/2024 đến ngày 30/06/2024")
    positions = [text.index(s) for s in reports.SECTIONS]
    assert positions == sorted(positions)
    assert text.index("Phụ lục I") > positions[-1] and text.index("Phụ lục II") < text.index("Phụ lục III")
    closing = [t for t in text if t.startswith("Trên đây là Báo cáo")]
    assert len(closing) == 1 and closing[0].endswith("./.")
    assert any(t.startswith("Thực hiện Quyết định số 184/QĐ-BNV ngày ") for t in text)  # the Decision, with its date


def test_word_report_numbers_match_the_dashboard(session, fx):
    board, document = _report(session, fx)
    h = board.headline
    assert (h.items, h.done, h.done_on_time, h.done_late, h.in_progress, h.overdue) == (5, 2, 1, 1, 2, 1)  # no D
    text = _paragraphs(document)
    overall = text[text.index("1. Kết quả chung") + 1]
    assert ("tổng số 5 công việc; đã hoàn thành 2 việc (đúng hạn 1, quá hạn 1); đang thực hiện trong hạn 2 việc; "
            "quá hạn 1 việc; tỷ lệ hoàn thành 40,0% (2/5 việc); tiến độ bình quân 66,0%") in overall
    assert ("Kỳ báo cáo “Báo cáo 6 tháng 2024” (hạn gửi 15/07/2024): 1/2 đơn vị gửi đúng hạn, 0 đơn vị gửi muộn, "
            "1 đơn vị chưa gửi.") in text
    tasks = document.tables[1]
    t5 = [[c.text for c in r.cells] for r in tasks.rows if r.cells[0].text == "(5)"][0]
    assert t5[2:] == ["3", "0", "0", "2", "1", "0,0%"]
    t11 = [[c.text for c in r.cells] for r in tasks.rows if r.cells[0].text == "(11)"][0]
    assert t11[1] == "(Nội dung chưa được công bố trong văn bản nguồn)"
    assert "Nhiệm vụ trọng tâm (11): nội dung chưa được công bố trong văn bản nguồn, chưa giao công việc." in text
def test_cli_writes_both_files(db_env, engine, tmp_path, capsys):
    with session_scope(engine) as s:
        dashboard_fixture.build(s)
    out, xlsx = tmp_path / "bao-cao.docx", tmp_path / "so-lieu.xlsx"
    code = main(["report", "--plan", PLAN, "--from", "01/01/2024", "--to", "30/06/2024", "--out", str(out),
                 "--xlsx", str(xlsx), "--today", "2024-08-01"])
    printed = capsys.readouterr().out
    # At 30/06 (not on 01/08, the day it is run): all six items, C not yet overdue (due 15/07).
    assert code == 0 and "6 công việc, 2 hoàn thành, 0 quá hạn" in printed
    assert "BÁO CÁO" in _paragraphs(docx.Document(str(out)))
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(xlsx)["Tổng hợp"].iter_rows(min_row=6, values_only=True)}
    assert summary["Tổng số công việc"] == 6 and summary["Hoàn thành trong kỳ (từ 01/01/2024)"] == 2


@pytest.mark.parametrize("argv, message", [
    (["--plan", "1999"], "Không tìm thấy kế hoạch"),
    (["--plan", PLAN, "--from", "30/06/2024", "--to", "01/01/2024"], "phải trước ngày kết thúc"),
])
def test_cli_refuses_bad_requests(db_env, tmp_path, capsys, argv, message):
    code = main(["report", *argv, "--out", str(tmp_path / "x.docx")])
    assert code == 2 and message in capsys.readouterr().err and not (tmp_path / "x.docx").exists()


def _tiny_png() -> bytes:
    """A valid 1×1 white PNG, standing in for kaleido's output."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


@pytest.mark.parametrize("png, pictures", [(None, 0), (_tiny_png(), 3)])
def test_charts_are_embedded_only_when_they_can_be_drawn(session, fx, monkeypatch, png, pictures):
    monkeypatch.setattr(reports, "render_png", lambda chart, **kw: png)
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=fx["plan"]), today=TODAY)
    document = docx.Document(io.BytesIO(reports.word_report(session, board=board, period_label="")))
    assert len(document.inline_shapes) == pictures
    captions = [t for t in _paragraphs(document) if t.startswith("Biểu đồ: ")]
    assert captions == ([] if png is None else ["Biểu đồ: Đến 01/08/2024: 2/6 việc hoàn thành (33,3%), thêm 0 việc "
                                                "so với 31/07/2024.",
                                                "Biểu đồ: Nhiệm vụ (5) chậm nhất: 1 việc quá hạn.",
                                                "Biểu đồ: Tỷ lệ hoàn thành thấp nhất: Sở Nội vụ thành phố Hà Nội "
                                                "(0,0%, tiến độ bình quân 46,7%); "
                                                "nhiều việc quá hạn nhất: Vụ Tổ chức - Biên chế (1 việc)."])


def test_charts_are_drawn_at_print_resolution_without_a_browser(session, fx, monkeypatch):
    """matplotlib draws in-process: no kaleido, no Chromium on the PATH, still three images 150 mm wide."""
    monkeypatch.setitem(sys.modules, "kaleido", None)
    monkeypatch.setenv("PATH", "/nonexistent")
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=fx["plan"]), today=TODAY)
    for chart in (charts.task_status(board.by_task), charts.unit_ranking(board.by_unit)):
        png = REAL_RENDER_PNG(chart)
        assert png.startswith(b"\x89PNG") and struct.unpack(">I", png[16:20])[0] >= 1100  # 150 mm at 200 dpi
    monkeypatch.setattr(reports, "render_png", REAL_RENDER_PNG)
    document = docx.Document(io.BytesIO(reports.word_report(session, board=board, period_label="")))
    assert len(document.inline_shapes) == 3 and all(abs(s.width - Mm(150)) < Mm(1) for s in document.inline_shapes)


def test_word_report_causes_proposals_and_next_period(session, fx):
    """Today 01/08 (no period end): C is overdue with the unit's answer, E blocked with its reason; the
    proposal comes from Vụ TCBC's round report; D and F fall due in the next period."""
    report = session.scalars(select(RoundReport)).one()
    report.summary = "Đã triển khai. Đề xuất: Bộ bố trí thêm kinh phí cho truyền thông chính sách tiền lương."
    session.flush()
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=fx["plan"], date_from=H1), today=TODAY)
    document = docx.Document(io.BytesIO(reports.word_report(session, board=board, period_label="")))
    text = _paragraphs(document)
    causes = text[text.index("2. Nguyên nhân") + 2:text.index(reports.SECTIONS[3])]
    assert causes[:2] == ["- Chưa có kinh phí (1 việc).", "- Chờ ý kiến thẩm định của Bộ Tài chính (1 việc)."]
    assert "- Vụ Tổ chức - Biên chế: Bộ bố trí thêm kinh phí cho truyền thông chính sách tiền lương." in text
    next_period = text[text.index(reports.SECTIONS[3]) + 1]
    assert next_period.startswith("Từ ngày 02/08/2024 đến ngày ") and "có 3 công việc đến hạn" in next_period
    annex = document.tables[-1]
    assert [r.cells[1].text for r in annex.rows[1:]] == ["Công việc E", "Công việc F", "Công việc D"]
    problems = document.tables[-2]
    assert {r.cells[1].text: r.cells[5].text for r in problems.rows[1:]} == {
        "Công việc C": "Chờ ý kiến thẩm định của Bộ Tài chính", "Công việc E": "Chưa có kinh phí"}


def test_vietnamese_number_format_in_the_report():
    assert word_report.summary_sentence(dashboard.Headline(
        items=2000, done=1216, done_on_time=1000, done_late=216, in_progress=400, overdue=384, blocked=12,
        completion_rate=60.8, average_progress=68.3, overdue_rate=35.1, due_passed=1094)).startswith(
        "tổng số 2.000 công việc; đã hoàn thành 1.216 việc (đúng hạn 1.000, quá hạn 216)")


@pytest.mark.parametrize("start, cutoff, end", [
    (H1, H2, dt.date(2024, 12, 31)), (H1, dt.date(2024, 1, 31), dt.date(2024, 2, 29)),
    (dt.date(2024, 7, 1), dt.date(2024, 9, 30), dt.date(2024, 12, 31)), (None, dt.date(2024, 8, 1), dt.date(2024, 12, 31)),
    (dt.date(2023, 12, 15), dt.date(2024, 6, 14), dt.date(2024, 12, 14)),  # Nghị định 09/2019's half-year
    (dt.date(2024, 7, 1), dt.date(2024, 7, 7), dt.date(2024, 7, 14)),  # a week, then a week
])
def test_next_period_is_as_long_as_the_reported_one(start, cutoff, end):
    assert report_facts._next_period(start, cutoff, 2024) == (cutoff + dt.timedelta(days=1), end)


def test_cli_signer_overrides_the_office_settings(db_env, engine, tmp_path):
    with session_scope(engine) as s:
        dashboard_fixture.build(s)
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        settings.set_office(s, actor=admin, office_settings=settings.Office(signer_name="Trần Thị B"))
    out = tmp_path / "bao-cao.docx"
    assert main(["report", "--plan", PLAN, "--out", str(out), "--today", "2024-08-01"]) == 0
    assert _signer(docx.Document(str(out))) == ["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG", "Trần Thị B"]
    assert main(["report", "--plan", PLAN, "--out", str(out), "--today", "2024-08-01",
                 "--signer-name", "Lê Văn C", "--signer-title", "Thứ trưởng thường trực"]) == 0
    assert _signer(docx.Document(str(out))) == ["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG THƯỜNG TRỰC", "Lê Văn C"]


def _signer(document):
    block = [t for t in document.tables if t.rows[0].cells[0].text.startswith("Nơi nhận")][0]
    return [p.text for p in block.rows[0].cells[1].paragraphs if p.text]


def test_excel_prints_on_a4_landscape_one_page_wide(session, fx):
    session.get(WorkItem, fx["A"]).title = "Tọa đàm chuyên đề về chính sách cải cách tiền lương " * 3
    session.flush()
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=fx["plan"]), today=TODAY)
    wb = openpyxl.load_workbook(io.BytesIO(reports.excel_workbook(session, board=board)))
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.print_title_rows and ws.freeze_panes
    items = wb["Danh sách công việc"]
    assert items.auto_filter.ref == "A1:R7" and items.print_title_rows == "$1:$1" and items.freeze_panes == "A2"
    assert items["B2"].alignment.wrap_text  # the title wraps instead of being cut off
    assert items.row_dimensions[1].height >= 30  # the wrapped header labels are shown whole
    long_title = [r for r in range(2, items.max_row + 1) if len(items.cell(r, 2).value) > items.column_dimensions["B"].width]
    assert long_title and all(items.row_dimensions[r].height >= 30 for r in long_title)
    widths = {c: items.column_dimensions[c].width for c in "ABG"}
    assert widths["B"] > widths["G"] and widths["A"] < widths["G"]  # by content: title wide, dates narrow


def test_render_png_is_none_for_an_empty_chart():
    assert REAL_RENDER_PNG(charts.task_status(pd.DataFrame())) is None


def test_causes_count_every_problem_though_the_annex_lists_fewer(session, fx, monkeypatch):
    """The causes are counted over all overdue and blocked items; the annex says how many it lists."""
    monkeypatch.setattr(report_facts, "ANNEX_ROWS", 1)
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=fx["plan"], date_from=H1), today=TODAY)
    document = docx.Document(io.BytesIO(reports.word_report(session, board=board, period_label="")))
    text = _paragraphs(document)
    assert "- Chưa có kinh phí (1 việc)." in text and "- Chờ ý kiến thẩm định của Bộ Tài chính (1 việc)." in text
    assert len(document.tables[-2].rows) == 2  # header and one item
    assert ("Phụ lục nêu 1/2 công việc; danh sách đầy đủ tại bảng “Danh sách công việc” của tệp Excel kèm theo."
            in text)
