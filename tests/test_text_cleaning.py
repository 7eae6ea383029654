"""Invisible characters never reach the database: right-to-left overrides, zero-width characters and
other format (Cf) or control characters are removed from every stored text and JSON value; long
evidence file names keep their extension. Property cases (hypothesis) for the normalisation."""

import datetime as dt
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.models import ProgressEvent, Role, User, WorkItem
from tracker.permissions import Actor
from tracker.services.evidence import safe_name
from tracker.services.progress import ProgressInput, update_progress
from tracker.services.users import create_user
from tracker.text import clean, clean_json, nfc, parse_id, strip_controls

TODAY = dt.date(2024, 8, 1)
RLO, ZWSP, ZWJ, BOM, LRI = "\u202e", "\u200b", "\u200d", "\ufeff", "\u2066"
KEPT = "\t\n\r"


def _invisible(ch: str) -> bool:
    return (unicodedata.category(ch) == "Cf") or (unicodedata.category(ch) == "Cc" and ch not in KEPT)


@settings(max_examples=300)
@given(st.text())
def test_no_control_or_format_character_survives(text):
    cleaned = strip_controls(text)
    assert not any(_invisible(ch) for ch in cleaned)
    assert strip_controls(cleaned) == cleaned  # idempotent
    assert [ch for ch in text if not _invisible(ch)] == list(cleaned)  # nothing else removed or reordered


@given(st.text(alphabet=st.characters(codec="utf-8")))
def test_clean_and_nfc_are_idempotent_and_invisible_free(text):
    for f in (clean, nfc):
        once = f(text)
        assert (f(once) if once is not None else None) == once
        assert once is None or not any(_invisible(ch) for ch in once)
        assert once is None or unicodedata.is_normalized("NFC", once)


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ àáảãạằắẳẵặầấẩẫậ\n", max_size=80))
def test_vietnamese_text_is_kept_as_typed(text):
    assert strip_controls(text) == text


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=10))
def test_json_values_lose_nul_and_invisible_characters_anywhere(value):
    def strings(v):
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            for k, x in v.items():
                yield k
                yield from strings(x)
        elif isinstance(v, list):
            for x in v:
                yield from strings(x)

    assert not any(_invisible(ch) for s in strings(clean_json(value)) for ch in s)


@given(st.text())
def test_parse_id_is_ascii_digits_that_fit_an_integer_column_or_none(text):
    number = parse_id(text)
    assert number is None or (0 <= number < 2**31 and text.strip() == str(number).zfill(len(text.strip())))


def test_parse_id_refuses_what_isdigit_accepts():
    assert [parse_id(v) for v in ("²", "١٢", "٣", "9" * 30, "-1", "1e9", " 42 ", "", None)] == [
        None, None, None, None, None, None, 42, None, None]


def test_rlo_and_zero_width_are_removed_from_names_titles_notes_and_json(engine):
    with session_scope(engine) as s:
        user = create_user(s, username="tp.tcbc", password="mat-khau-dai-du", role=Role.UNIT_HEAD,
                           unit_code="VU-TCBC", full_name=f"Nguyễn{ZWSP} Văn{RLO} An{BOM}",
                           email=f"an{ZWJ}@moha.gov.vn")
        head = Actor.of(user)
        item = make_item(s, unit_code="VU-TCBC", title=f"Họp báo{RLO}fdp.exe{LRI}")
        item_id, user_id = item.id, user.id
    with session_scope(engine) as s:
        update_progress(s, actor=head, item_id=item_id, expected_version=1, today=TODAY,
                        change=ProgressInput(blocked=True, blocked_reason=f"{ZWSP}Thiếu{RLO} kinh phí",
                                             note=f"Ghi{ZWJ} chú\x00", evidence_urls=(f"https://moha.gov.vn/a\x00{ZWSP}b",)))
    with session_scope(engine) as s:
        user, item = s.get(User, user_id), s.get(WorkItem, item_id)
        event = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == item_id)).one()
        assert (user.full_name, user.email) == ("Nguyễn Văn An", "an@moha.gov.vn")
        assert item.title == "Họp báofdp.exe"
        assert item.blocked_reason == "Thiếu kinh phí" and event.note == "Ghi chú"
        assert event.evidence_urls == ["https://moha.gov.vn/ab"]
        assert event.changes["blocked_reason"] == [None, "Thiếu kinh phí"]


def test_a_long_file_name_keeps_its_extension():
    name = safe_name("Báo cáo " * 60 + ".pdf")
    assert len(name) <= 200 and name.endswith(".pdf")
    assert safe_name(f"hinh{RLO}gnp.exe") == "hinhgnp.exe"
    assert safe_name("a" * 300) == "a" * 200
