"""The Word report's layout read back from its XML, rule by rule of Nghị định 30/2020/NĐ-CP, Phụ lục I."""

import io

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from tests import dashboard_fixture
from tests.dashboard_fixture import TODAY
from tracker import docx_layout as layout
from tracker.models import Role
from tracker.permissions import Actor
from tracker.services import dashboard, reports
from tracker.services.dashboard import Filters
from tracker.services.settings import Office

LEADER = Actor(user_id=1, username="lanh.dao", role=Role.LEADER)
W = qn("w:w")


@pytest.fixture
def document(session, monkeypatch):
    monkeypatch.setattr(reports, "render_png", lambda chart, **kw: None)
    ids = dashboard_fixture.build(session)
    board = dashboard.build(session, actor=LEADER, filters=Filters(plan_id=ids["plan"]), today=TODAY)
    office = Office(signer_name="Nguyễn Văn A")
    return docx.Document(io.BytesIO(reports.word_report(session, board=board, period_label="", office=office)))


def _mm(twips: str | int) -> float:
    return int(twips) * 25.4 / 1440


def _runs(paragraph):
    return [r for r in paragraph.runs if r.text.strip()]


def _style(paragraph) -> set:
    return {(r.font.size.pt, bool(r.bold), bool(r.italic)) for r in _runs(paragraph)}


def _rule_mm(paragraph, available_mm: float) -> float:
    """The length of a rule drawn as the paragraph's bottom border: the width its indents leave."""
    pPr = paragraph._p.pPr
    assert pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:val")) == "single"
    assert paragraph.text == ""
    ind = pPr.find(qn("w:ind"))
    left, right = (int(ind.get(qn(f"w:{s}"), 0)) for s in ("left", "right"))
    return available_mm - _mm(left) - _mm(right)


def test_page_is_a4_with_the_decrees_margins(document):
    s = document.sections[0]
    assert abs(s.page_width - Mm(210)) < Mm(0.1) and abs(s.page_height - Mm(297)) < Mm(0.1)
    mm = {k: round(getattr(s, f"{k}_margin") / 36000, 1) for k in ("top", "bottom", "left", "right")}
    assert 20 <= mm["top"] <= 25 and 20 <= mm["bottom"] <= 25 and 30 <= mm["left"] <= 35 and 15 <= mm["right"] <= 20


def test_every_run_is_times_new_roman(document):
    runs = [r for p in document.paragraphs for r in p.runs] + [
        r for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs] + [
        r for p in document.sections[0].header.paragraphs for r in p.runs]
    assert {r.font.name for r in runs if r.text} == {"Times New Roman"}


def test_heading_parts_sizes_rules_and_one_line_for_number_and_date(document):
    heading = document.tables[0]
    grid = [int(c.get(W)) for c in heading._tbl.tblGrid.findall(qn("w:gridCol"))]
    for row in heading.rows:  # the grid and the cells agree, so no application re-flows the heading
        assert [int(c._tc.tcPr.find(qn("w:tcW")).get(W)) for c in row.cells] == grid
    assert heading._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    assert _mm(sum(grid)) <= layout.TEXT_WIDTH + 0.1
    left, right = heading.rows[0].cells
    issuer, issuer_rule = left.paragraphs
    national, motto, motto_rule = right.paragraphs
    assert issuer.text == "BỘ NỘI VỤ" and _style(issuer) <= {(12.0, True, False), (13.0, True, False)}
    assert national.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and national.text.isupper()
    assert _style(national) <= {(12.0, True, False), (13.0, True, False)}
    assert motto.text == "Độc lập - Tự do - Hạnh phúc" and _style(motto) <= {(13.0, True, False), (14.0, True, False)}
    # Single spacing between Quốc hiệu and Tiêu ngữ.
    for p in (national, motto):
        assert p.paragraph_format.space_after in (None, Pt(0)) and p.paragraph_format.line_spacing in (None, 1.0)
    motto_mm = layout.text_width_mm(motto.text, 13, bold=True)
    assert _rule_mm(motto_rule, _mm(grid[1])) == pytest.approx(motto_mm, abs=0.5)  # as long as the motto
    issuer_mm = layout.text_width_mm(issuer.text, 13, bold=True)
    assert issuer_mm / 3 <= _rule_mm(issuer_rule, _mm(grid[0])) <= issuer_mm / 2  # 1/3–1/2 of the name
    number, date = heading.rows[1].cells  # one row: "Số" and the place and date share a line
    assert number.text == "Số:        /BC-BNV" and _style(number.paragraphs[0]) == {(13.0, False, False)}
    assert date.text.startswith("Hà Nội, ngày") and _style(date.paragraphs[0]) == {(14.0, False, True)}


def test_title_and_its_rule(document):
    paragraphs = document.paragraphs
    i = [p.text for p in paragraphs].index("BÁO CÁO")
    kind, summary, rule = paragraphs[i:i + 3]
    assert _style(kind) == {(14.0, True, False)} and _style(summary) == {(14.0, True, False)}
    line = min(layout.text_width_mm(summary.text, 14, bold=True), layout.TEXT_WIDTH)
    assert line / 3 <= _rule_mm(rule, layout.TEXT_WIDTH) <= line / 2


def test_body_is_13_to_14_pt_justified_with_indent(document):
    body = [p for p in document.paragraphs if _runs(p)]
    assert all(Pt(13) <= r.font.size <= Pt(14) for p in body for r in _runs(p))
    text = [p for p in body if p.text.startswith("Thực hiện Quyết định")][0]
    assert text.alignment == 3 and Mm(10) <= text.paragraph_format.first_line_indent <= Mm(12.7)
    assert text.paragraph_format.space_after >= Pt(6)


def test_page_number_field_centred_in_the_header_from_page_two(document):
    s = document.sections[0]
    assert s.different_first_page_header_footer
    assert s._sectPr.find(qn("w:titlePg")) is not None
    header = s.header.paragraphs[0]
    assert header.alignment == 1  # centred
    assert "PAGE" in "".join(t.text for t in header._p.iter(qn("w:instrText")))
    assert {r.font.size for r in header.runs} <= {Pt(13), Pt(14)}
    assert not any(p.text.strip() for p in s.first_page_header.paragraphs)


def test_signer_block_and_recipients(document):
    block = document.tables[[i for i, t in enumerate(document.tables) if t.rows[0].cells[0].text.startswith("Nơi nhận")][0]]
    assert block.rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None  # the block is not cut by a page break
    left, right = block.rows[0].cells
    label, *recipients = [p for p in left.paragraphs if p.text]
    assert label.text == "Nơi nhận:" and _style(label) == {(12.0, True, True)}
    assert all(_style(p) == {(11.0, False, False)} for p in recipients)
    assert all(p.text.startswith("- ") and p.text.endswith(";") for p in recipients[:-1])
    assert recipients[-1].text == "- Lưu: VT, VP."
    lines = [p for p in right.paragraphs if p.text]
    assert [p.text for p in lines] == ["KT. BỘ TRƯỞNG", "THỨ TRƯỞNG", "Nguyễn Văn A"]
    assert all(_style(p) <= {(13.0, True, False), (14.0, True, False)} for p in lines)


def test_tables_repeat_their_header_and_rows_do_not_split(document):
    data = [t for t in document.tables if t._tbl.tblPr.find(qn("w:tblBorders")) is not None]
    assert len(data) >= 4  # tasks in the body; annexes I, II, III
    for t in data:
        rows = t._tbl.findall(qn("w:tr"))
        assert rows[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(r.trPr.find(qn("w:cantSplit")) is not None for r in rows)
        if len(rows) > 2:  # never the header and a single row at a page's foot
            assert all(p.pPr.find(qn("w:keepNext")) is not None for r in rows[:2] for p in r.iter(qn("w:p")))
        grid = [int(c.get(W)) for c in t._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert [int(c.tcPr.find(qn("w:tcW")).get(W)) for c in rows[0].findall(qn("w:tc"))] == grid
        assert _mm(sum(grid)) <= layout.TEXT_WIDTH + 0.5
    tasks = data[0]
    grid = [int(c.get(W)) for c in tasks._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert grid[1] == max(grid)  # the content column is the widest


def test_annexes_are_numbered_on_their_own_pages(document):
    text = [p.text for p in document.paragraphs]
    for number in ("I", "II", "III"):
        p = document.paragraphs[text.index(f"Phụ lục {number}")]
        assert _style(p) == {(14.0, True, False)}
    breaks = [p for p in document.paragraphs if p._p.xpath(".//w:br[@w:type='page']")]
    assert len(breaks) == 3
