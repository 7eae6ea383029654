"""Vietnamese text helpers: NFC normalisation, matching keys, roman numerals, dates, money."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_SPACES = re.compile(r"\s+")
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x",
         "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx"]


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(value: str) -> str:
    """Text without control characters (NUL and the like), keeping tabs and line breaks.

    PostgreSQL refuses NUL in text, and nobody means to type the others: removed everywhere
    text is stored (see tracker.db), so both databases keep exactly the same text.
    """
    return _CONTROLS.sub("", value)


def nfc(value: str) -> str:
    """Unicode NFC with control characters removed, surrounding whitespace trimmed and inner runs collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", strip_controls(value))).strip()


def fold(value: str) -> str:
    """A matching key: case, diacritics, đ/Đ and spacing ignored ("Tọa đàm" == "toa  dam")."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.casefold()).strip()


def roman(number: int) -> str:
    """1 -> 'i' ... 20 -> 'xx' (plans of the 2023 kind number their groups in roman)."""
    return ROMAN[number - 1]


def from_roman(label: str) -> int | None:
    key = label.strip().strip("()").lower()
    return ROMAN.index(key) + 1 if key in ROMAN else None


def format_date(day: dt.date | None) -> str:
    """dd/mm/yyyy, the Vietnamese administrative form; empty for no date."""
    return day.strftime("%d/%m/%Y") if day else ""


def format_number(amount: int | None) -> str:
    """1000000 -> '1.000.000'."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".")


def format_money(amount: int | None) -> str:
    """50000000 -> '50.000.000 đ'."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".") + " đ"


def format_datetime(moment: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Vietnam time (UTC+7)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(dt.timezone(dt.timedelta(hours=7)))
    return local.strftime("%d/%m/%Y %H:%M")


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word boundary and ended with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]  # the last word would be cut in the middle: leave it out
    return cut.rstrip(" ,;:.–-") + "…"
