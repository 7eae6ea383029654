"""Word layout of an administrative document to Nghị định 30/2020/NĐ-CP, Phụ lục I (python-docx).

The numbers below are the decree's: A4 portrait; margins top and bottom 20–25 mm, left 30–35 mm, right
15–20 mm; Times New Roman; Quốc hiệu upper case 12–13 pt bold, Tiêu ngữ 13–14 pt bold with a solid rule as
long as itself, single-spaced under it; the issuing body upper case 12–13 pt bold with a rule 1/3–1/2 of its
length; "Số:" 13 pt upright and the place and date 13–14 pt italic on one line; the document kind upper case
13–14 pt bold, its summary 14 pt bold with a rule 1/3–1/2 of its length; body 13–14 pt justified, first-line
indent 1–1,27 cm, at least 6 pt between paragraphs; page numbers 13–14 pt centred in the top margin, not on
the first page; signer's authority and title upper case 13–14 pt bold, the name 13–14 pt bold; "Nơi nhận:"
12 pt bold italic, the list 11 pt, ending "- Lưu: VT, …"; an annex titled "Phụ lục" 14 pt bold.

Rules are paragraph borders on an empty paragraph whose indents make it exactly the rule's length (Word and
LibreOffice both draw them; typed "―" characters have no fixed length). Text lengths are measured with the
metrics of Liberation Serif, metric-compatible with Times New Roman, when the font is installed.
Tables are written as XML in one piece: python-docx's cell API is too slow for annexes of thousands of rows.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Mm, Pt

FONT = "Times New Roman"
PAGE_WIDTH, PAGE_HEIGHT = 210, 297
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 20, 20, 30, 15
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 165 mm
HEADING_LEFT, HEADING_RIGHT = 62, TEXT_WIDTH - 62  # the two columns of the heading block, mm
SIZE = {"national": 13, "motto": 13, "issuer": 13, "number": 13, "date": 14, "kind": 14, "summary": 14,
        "body": 14, "table": 12, "page": 14, "signer": 14, "recipients_label": 12, "recipients": 11, "annex": 14}
RULE_SHARE = 0.4  # within the decree's 1/3–1/2
RULE_PT = 0.75  # the rule's thickness
TWIPS_PER_MM = 1440 / 25.4
FONT_DIRS = ("/usr/share/fonts/truetype/liberation", "/usr/share/fonts/truetype/liberation2")


def twips(mm: float) -> int:
    return round(mm * TWIPS_PER_MM)


@functools.lru_cache(maxsize=4)
def _metrics(bold: bool, italic: bool):
    """(advance widths by code point, units per em) of Liberation Serif in that style, or None."""
    style = {(False, False): "Regular", (True, False): "Bold", (False, True): "Italic", (True, True): "BoldItalic"}
    for folder in FONT_DIRS:
        path = Path(folder) / f"LiberationSerif-{style[(bold, italic)]}.ttf"
        if path.exists():
            from fontTools.ttLib import TTFont  # installed with matplotlib

            font = TTFont(str(path), lazy=True)
            hmtx, cmap = font["hmtx"], font.getBestCmap()
            return {cp: hmtx[name][0] for cp, name in cmap.items()}, font["head"].unitsPerEm
    return None


def text_width_mm(text: str, size: float, *, bold: bool = False, italic: bool = False) -> float:
    """How long `text` is on the page at `size` pt (Times New Roman metrics; half an em a character without)."""
    text = unicodedata.normalize("NFC", text)
    metrics = _metrics(bold, italic)
    if metrics is None:
        em = 0.5 * len(text)
    else:
        widths, upem = metrics
        em = sum(widths.get(ord(c), upem // 2) for c in text) / upem
    return em * size * 25.4 / 72


# ---------------------------------------------------------------- runs and paragraphs


def font(run, size: float, *, bold: bool = False, italic: bool = False) -> None:
    run.font.name, run.font.size = FONT, Pt(size)
    run.bold, run.italic = bold, italic
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:cs"), FONT)


def paragraph(container, text: str = "", *, size: float = SIZE["body"], bold: bool = False, italic: bool = False,
              align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True, after: float = 6, before: float = 0):
    """A body paragraph: justified, first line indented 10 mm, 6 pt after, single line spacing."""
    p = container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after, fmt.space_before, fmt.line_spacing = Pt(after), Pt(before), 1.0
    if indent and align == WD_ALIGN_PARAGRAPH.JUSTIFY:
        fmt.first_line_indent = Mm(10)
    if text:
        font(p.add_run(text), size, bold=bold, italic=italic)
    return p


def rule(container, length_mm: float, available_mm: float):
    """A solid horizontal rule `length_mm` long, centred in `available_mm`: the bottom border of an empty
    1 pt paragraph whose indents leave exactly that width."""
    p = container.add_paragraph()
    side = max(0.0, (available_mm - length_mm) / 2)
    fmt = p.paragraph_format
    fmt.left_indent, fmt.right_indent = Emu(Mm(side)), Emu(Mm(side))
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(2)
    pPr = p._p.get_or_add_pPr()
    pPr.append(parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="{int(RULE_PT * 8)}" '
                         f'w:space="0" w:color="000000"/></w:pBdr>'))
    pPr.append(parse_xml(f'<w:rPr {nsdecls("w")}><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr>'))
    return p


def page_break(doc) -> None:
    p = doc.add_paragraph()
    p.paragraph_format.space_after = Pt(0)
    p.add_run().add_break(WD_BREAK.PAGE)


# ---------------------------------------------------------------- page


def setup_page(doc) -> None:
    """A4 portrait, the decree's margins, Times New Roman 14 pt, page numbers from page 2."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP), Mm(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT), Mm(MARGIN_RIGHT)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(SIZE["body"])
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(0)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for xml in (f'<w:fldChar {nsdecls("w")} w:fldCharType="begin"/>',
                f'<w:instrText {nsdecls("w")} xml:space="preserve"> PAGE </w:instrText>',
                f'<w:fldChar {nsdecls("w")} w:fldCharType="separate"/>', None,
                f'<w:fldChar {nsdecls("w")} w:fldCharType="end"/>'):
        run = header.add_run("2" if xml is None else "")
        font(run, SIZE["page"])
        if xml:
            run._r.append(parse_xml(xml))


# ---------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    header: str
    align: str = "center"  # or "left"
    wide: bool = False  # takes what the others leave


def _cell_xml(text: str, width: int, *, size: float, bold: bool = False, align: str = "center",
              keep: bool = False) -> str:
    runs = "".join(
        (f'<w:r><w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>'
         + ("<w:b/>" if bold else "") + f'<w:sz w:val="{int(size * 2)}"/><w:szCs w:val="{int(size * 2)}"/></w:rPr>'
         + (f'<w:br/>' if i else "") + f'<w:t xml:space="preserve">{escape(line)}</w:t></w:r>')
        for i, line in enumerate(str(text).split("\n")))
    jc = "both" if align == "justify" else align
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p><w:pPr>'
            + ("<w:keepNext/>" if keep else "")
            + f'<w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/><w:jc w:val="{jc}"/></w:pPr>'
            f'{runs}</w:p></w:tc>')


def column_widths(columns: list[Column], rows: list[list[str]], *, total_mm: float = TEXT_WIDTH,
                  size: float = SIZE["table"]) -> list[float]:
    """Widths in mm sized to the content: each narrow column as wide as its longest value (its header may
    wrap at word breaks), the wide one gets the rest. Measured on the first 300 rows (linear, not all)."""
    pad, sample = 4.0, rows[:300]
    widths: list[float] = []
    for i, col in enumerate(columns):
        longest_word = max((text_width_mm(w, size, bold=True) for w in col.header.split()), default=0)
        values = max((text_width_mm(str(r[i]), size) for r in sample), default=0)
        widths.append(min(max(longest_word, values) + pad, 45))
    wide = [i for i, c in enumerate(columns) if c.wide]
    if wide:
        rest = total_mm - sum(w for i, w in enumerate(widths) if i not in wide)
        for i in wide:
            widths[i] = max(rest / len(wide), 30)
    scale = total_mm / sum(widths) if sum(widths) > total_mm or wide else 1
    return [w * scale for w in widths]


def table(doc, columns: list[Column], rows: list[list[str]], *, size: float = SIZE["table"],
          total_mm: float = TEXT_WIDTH, bold_last: bool = False) -> None:
    """A bordered table: fixed layout, grid and cell widths equal, the header row repeated on every page,
    no row split across pages; followed by a 6 pt spacer paragraph."""
    mm = column_widths(columns, rows, total_mm=total_mm, size=size)
    widths = [twips(w) for w in mm]
    total = sum(widths)
    border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    parts = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{total}" w:type="dxa"/><w:jc w:val="center"/>'
             f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
             '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
             '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
             'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
             *[f'<w:gridCol w:w="{w}"/>' for w in widths], "</w:tblGrid>",
             '<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>',
             *[_cell_xml(c.header, w, size=size, bold=True, keep=True) for c, w in zip(columns, widths)], "</w:tr>"]
    for n, row in enumerate(rows, start=1):
        bold = bold_last and n == len(rows)
        parts.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        # The header and the first row keep with the next row: a table never starts at a page's foot with a
        # single row (LibreOffice 7.4 then drops the rows after it when it repeats the header).
        parts.extend(_cell_xml(v, w, size=size, bold=bold, align=c.align, keep=n == 1 and len(rows) > 1)
                     for v, w, c in zip(row, widths, columns))
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    doc.element.body.sectPr.addprevious(parse_xml("".join(parts)))
    paragraph(doc, "", indent=False, after=6)


def _fixed_two_columns(doc, left_mm: float, right_mm: float):
    """A borderless two-column table whose grid and cell widths agree (fixed layout, no cell margins)."""
    t = doc.add_table(rows=1, cols=2)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    tblPr = t._tbl.tblPr
    tblPr.append(parse_xml(f'<w:tblW {nsdecls("w")} w:w="{twips(left_mm) + twips(right_mm)}" w:type="dxa"/>'))
    tblPr.append(parse_xml(f'<w:tblLayout {nsdecls("w")} w:type="fixed"/>'))
    tblPr.append(parse_xml(f'<w:tblCellMar {nsdecls("w")}><w:left w:w="0" w:type="dxa"/>'
                           '<w:right w:w="0" w:type="dxa"/></w:tblCellMar>'))
    for col, mm in zip(t._tbl.tblGrid.gridCol_lst, (left_mm, right_mm)):
        col.w = Emu(Mm(mm))
        col.set(qn("w:w"), str(twips(mm)))
    return t


def _set_width(cell, mm: float) -> None:
    tcPr = cell._tc.get_or_add_tcPr()
    for old in tcPr.findall(qn("w:tcW")):
        tcPr.remove(old)
    tcPr.insert(0, parse_xml(f'<w:tcW {nsdecls("w")} w:w="{twips(mm)}" w:type="dxa"/>'))


def _line(cell, text: str, size: float, *, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER, first=False):
    p = cell.paragraphs[0] if first else cell.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    if text:
        font(p.add_run(text), size, bold=bold, italic=italic)
    return p


# ---------------------------------------------------------------- the document's parts


def heading(doc, *, superior: str, issuer: str, number_line: str, date_line: str) -> None:
    """Issuing body over its rule and the national heading over the motto's rule; then "Số" and the place
    and date in one row, so they sit on the same line."""
    t = _fixed_two_columns(doc, HEADING_LEFT, HEADING_RIGHT)
    row2 = t.add_row()
    left, right = t.rows[0].cells
    for cell, mm in ((left, HEADING_LEFT), (right, HEADING_RIGHT), (row2.cells[0], HEADING_LEFT),
                     (row2.cells[1], HEADING_RIGHT)):
        _set_width(cell, mm)
    first = True
    if superior:
        _line(left, superior, SIZE["issuer"], first=True)
        first = False
    _line(left, issuer, SIZE["issuer"], bold=True, first=first)
    rule(left, RULE_SHARE * text_width_mm(issuer, SIZE["issuer"], bold=True), HEADING_LEFT)
    _line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", SIZE["national"], bold=True, first=True)
    motto = "Độc lập - Tự do - Hạnh phúc"
    _line(right, motto, SIZE["motto"], bold=True)
    rule(right, text_width_mm(motto, SIZE["motto"], bold=True), HEADING_RIGHT)
    p = _line(row2.cells[0], number_line, SIZE["number"], first=True)
    p.paragraph_format.space_before = Pt(6)
    p = _line(row2.cells[1], date_line, SIZE["date"], italic=True, first=True)
    p.paragraph_format.space_before = Pt(6)


def title(doc, kind: str, summary: str) -> None:
    """"BÁO CÁO" and the summary line, with the rule under it 1/3–1/2 of the summary's (longest) line."""
    paragraph(doc, kind.upper(), size=SIZE["kind"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=0)
    paragraph(doc, summary, size=SIZE["summary"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    longest = min(text_width_mm(summary, SIZE["summary"], bold=True), TEXT_WIDTH)
    rule(doc, RULE_SHARE * longest, TEXT_WIDTH)
    paragraph(doc, "", indent=False, after=6)


def signature(doc, *, recipients: list[str], archive: str, authority: str, authority_of: str,
              signer_title: str, signer_name: str) -> None:
    """Nơi nhận on the left (12 pt bold italic, the list 11 pt ending "- Lưu: …."), the signer on the right:
    "KT. BỘ TRƯỞNG" / "THỨ TRƯỞNG", room to sign, the name."""
    left_mm, right_mm = 80, TEXT_WIDTH - 80
    t = _fixed_two_columns(doc, left_mm, right_mm)
    t.rows[0]._tr.get_or_add_trPr().append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))  # one block on one page
    left, right = t.rows[0].cells
    _set_width(left, left_mm)
    _set_width(right, right_mm)
    p = _line(left, "Nơi nhận:", SIZE["recipients_label"], bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT,
              first=True)
    p.paragraph_format.space_before = Pt(12)
    for r in recipients:
        _line(left, f"- {r};", SIZE["recipients"], align=WD_ALIGN_PARAGRAPH.LEFT)
    _line(left, f"- Lưu: {archive}.", SIZE["recipients"], align=WD_ALIGN_PARAGRAPH.LEFT)
    lines = ([f"{authority} {authority_of}".strip()] if authority else []) + [signer_title]
    for i, line in enumerate(lines):
        p = _line(right, line.upper(), SIZE["signer"], bold=True, first=i == 0)
        if i == 0:
            p.paragraph_format.space_before = Pt(12)
    for _ in range(4):
        _line(right, "", SIZE["signer"])
    _line(right, signer_name, SIZE["signer"], bold=True)


def annex_heading(doc, number: str, name: str, note: str) -> None:
    """A new page: "Phụ lục I" and its title 14 pt bold, the reference to the report in italics."""
    page_break(doc)
    paragraph(doc, f"Phụ lục {number}", size=SIZE["annex"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    paragraph(doc, name.upper(), size=SIZE["annex"], bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    paragraph(doc, note, size=SIZE["annex"], italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    rule(doc, 30, TEXT_WIDTH)
    paragraph(doc, "", indent=False, after=6)
