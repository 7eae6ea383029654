"""The pure readings behind the own-layout import: header words, deadline phrases, group rows (hypothesis varies
the spellings a clerk uses)."""

import calendar
import datetime as dt
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.deadlines import occurrences, read_deadline
from tracker.services.sheet_layout import classify, group_row
from tracker.text import fold

HEADERS = {
    "title": ["Nội dung nhiệm vụ", "Nội dung công việc", "Nội dung", "Tên công việc", "Nội dung hoạt động"],
    "lead": ["Cơ quan chủ trì", "Đơn vị chủ trì", "Chủ trì", "Đơn vị thực hiện", "Cơ quan, đơn vị chủ trì"],
    "coord": ["Cơ quan phối hợp", "Đơn vị phối hợp", "Phối hợp", "Cơ quan, đơn vị phối hợp"],
    "due": ["Thời gian hoàn thành", "Thời hạn hoàn thành", "Hạn hoàn thành", "Thời gian thực hiện", "Tiến độ"],
    "start": ["Ngày bắt đầu", "Thời gian bắt đầu"],
    "product": ["Sản phẩm", "Sản phẩm dự kiến"],
    "form": ["Hình thức", "Hình thức truyền thông", "Hình thức thực hiện"],
    "budget": ["Kinh phí", "Kinh phí (đồng)", "Dự toán kinh phí"],
    "note": ["Ghi chú"],
    "task": ["Nhiệm vụ trọng tâm", "Nhóm nhiệm vụ"],
}


def _spell(text: str, draw) -> str:
    """As a clerk might type it: any case, accents kept or dropped, NFD, extra spaces, a line break, a colon."""
    if draw(st.booleans()):
        text = fold(text)
    text = draw(st.sampled_from([str.upper, str.lower, str.title, lambda s: s]))(text)
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    text = text.replace(" ", draw(st.sampled_from([" ", "  ", "\n", " \n "])))
    return draw(st.sampled_from(["", " ", "  "])) + text + draw(st.sampled_from(["", ":", " (*)", " "]))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_header_spellings_name_the_same_field(data):
    field = data.draw(st.sampled_from(sorted(HEADERS)))
    header = data.draw(st.sampled_from(HEADERS[field]))
    assert classify(_spell(header, data.draw)) == field


QUARTERS = ["I", "II", "III", "IV"]


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(2023, 2030), st.integers(1, 4), st.integers(1, 12))
def test_deadline_phrases_read_as_the_last_day_of_the_period(data, year, quarter, month):
    plan_year = data.draw(st.integers(2023, 2030))
    case = data.draw(st.sampled_from([str.upper, str.lower, lambda s: s]))
    q = data.draw(st.sampled_from([QUARTERS[quarter - 1], str(quarter)]))
    sep = data.draw(st.sampled_from(["/", " / ", " năm ", "-"]))
    with_year = data.draw(st.booleans())
    y = year if with_year else plan_year
    quarter_text = case(f"Quý {q}{sep}{year}" if with_year else f"Quý {q}")
    found = read_deadline(quarter_text, plan_year)
    last = calendar.monthrange(y, quarter * 3)[1]
    assert found.due == dt.date(y, quarter * 3, last) and not found.recurring
    assert found.rule.startswith(f"“{quarter_text}” → ") and ("năm của kế hoạch" in found.rule) != with_year
    month_text = case(f"{data.draw(st.sampled_from(['', 'Trong ']))}Tháng {month}{sep}{year}" if with_year
                      else f"Tháng {month}")
    assert read_deadline(month_text, plan_year).due == dt.date(y, month, calendar.monthrange(y, month)[1])
    day = data.draw(st.integers(1, calendar.monthrange(y, month)[1]))
    before = data.draw(st.sampled_from(["Trước", "trước ngày", "Chậm nhất ngày", "Hạn"]))
    dsep = data.draw(st.sampled_from(["/", "-", "."]))
    before_text = f"{before} {day}{dsep}{month}{dsep}{year}" if with_year else f"{before} {day}{dsep}{month}"
    assert read_deadline(case(before_text), plan_year).due == dt.date(y, month, day)


@pytest.mark.parametrize("text, due, recurring", [
    ("6 tháng đầu năm", dt.date(2024, 6, 30), False),
    ("Sáu tháng đầu năm 2025", dt.date(2025, 6, 30), False),
    ("6 tháng cuối năm", dt.date(2024, 12, 31), False),
    ("9 tháng", dt.date(2024, 9, 30), False),
    ("Cả năm", dt.date(2024, 12, 31), False),
    ("Năm 2024", dt.date(2024, 12, 31), False),
    ("Thường xuyên", dt.date(2024, 12, 31), True),
    ("Thường xuyên trong năm", dt.date(2024, 12, 31), True),
    ("Hằng tháng", dt.date(2024, 12, 31), True),
    ("Quý 5/2024", None, False),
    ("Tháng 13", None, False),
    ("Trước 31/2", None, False),
    ("sớm nhất có thể", None, False),
])
def test_other_phrases(text, due, recurring):
    found = read_deadline(text, 2024)
    assert (found.due if found else None, found.recurring if found else False) == (due, recurring)


def test_occurrences_cover_the_year_without_gaps():
    for kind, n in (("month", 12), ("quarter", 4), ("year", 1)):
        parts = occurrences(2024, kind)
        assert len(parts) == n and parts[0].start == dt.date(2024, 1, 1) and parts[-1].due == dt.date(2024, 12, 31)
        assert all(b.start == a.due + dt.timedelta(days=1) for a, b in zip(parts, parts[1:]))


FIELDS = {"stt": 0, "title": 1, "lead": 2, "due": 3}


@pytest.mark.parametrize("values, label, heading", [
    (("I", "NHIỆM VỤ TRỌNG TÂM", None, None), "i", True),
    ((None, "I. NHIỆM VỤ TRỌNG TÂM", None, None), "i", True),
    ((None, "Nhiệm vụ 1: Truyền thông về tổ chức bộ máy", None, None), "1", False),
    ((None, "Nhiệm vụ số 12. Thi đua", None, None), "12", False),
    ((None, "(9) Tuyên truyền về tiền lương", None, None), "9", False),
    ((1, "NHÓM CÔNG VIỆC KHÁC", None, None), None, False),
])
def test_group_rows(values, label, heading):
    g = group_row(values, FIELDS)
    assert (g.label, g.roman_heading) == (label, heading)


@pytest.mark.parametrize("values", [
    (1, "Nhiệm vụ 1: họp báo", "Vụ TCBC", None),  # a unit: a data row
    (None, "Tổ chức họp báo quý III", None, None),  # no number, not upper case: a data row missing its unit
    (None, "Nhiệm vụ 1", None, "Quý III/2024"),  # a deadline: a data row
])
def test_data_rows_are_not_groups(values):
    assert group_row(values, FIELDS) is None
