"""Vietnamese text helpers: NFC normalisation, matching keys, roman numerals, dates, money."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

_SPACES = re.compile(r"\s+")
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x",
         "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx"]


# Control characters (C0, DEL, C1) except tab and line breaks, and the invisible "format" characters (Unicode Cf):
# right-to-left overrides and isolates, zero-width spaces and joiners, the byte-order mark, soft
# hyphens... They make a name look like another ("\u202egpj.exe" shows as "exe.jpg"), hide text,
# and nobody means to type them.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
_ID = re.compile(r"[0-9]{1,9}")


def strip_controls(value: str) -> str:
    """Text without control or invisible format characters, keeping tabs and line breaks.

    The one cleaning every stored text gets (tracker.db applies it to every text and JSON value
    at flush): PostgreSQL refuses NUL, and bidirectional overrides or zero-width characters
    make a title or a name display as something else than what is stored.
    """
    return _INVISIBLE.sub("", value)


def clean_json(value):
    """A JSON value (dicts, lists, strings...) with `strip_controls` applied to every string in it."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def parse_id(raw: object) -> int | None:
    """A record number typed in a box or read from an address: ASCII digits that fit a database integer.

    Anything else ("²", "١٢", "1e9", a 30-digit number) is None, never an exception or an overflow.
    """
    text = str(raw if raw is not None else "").strip()
    return int(text) if _ID.fullmatch(text) else None


def clean(value: str | None) -> str | None:
    """Multi-line text as services store it: NFC, control and invisible characters removed, ends trimmed;
    None when nothing is left. Line breaks and inner spacing are kept (notes, reasons, answers)."""
    text = strip_controls(unicodedata.normalize("NFC", value or "")).strip()
    return text or None


def nfc(value: str) -> str:
    """Unicode NFC with control characters removed, surrounding whitespace trimmed and inner runs collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", strip_controls(value))).strip()


def fold(value: str) -> str:
    """A matching key: case, diacritics, đ/Đ and spacing ignored ("Tọa đàm" == "toa  dam")."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.casefold()).strip()


def search_words(query: str) -> list[str]:
    """The folded words of what someone typed in a search box ("Tiền  lương" -> ["tien", "luong"])."""
    return fold(query or "").split()


def has_words(words: list[str], *texts: str | None) -> bool:
    """Every word (from search_words) in the texts taken together, case and accents ignored: the rule of the
    search boxes (Công việc, Bảng Kanban, Thông báo, Kỳ báo cáo)."""
    folded = _fold_remembered(" ".join(t for t in texts if t))
    return all(w in folded for w in words)


@functools.lru_cache(maxsize=200_000)
def _fold_remembered(value: str) -> str:
    """fold(), remembered: a list or board reruns on every click with the same search over the same titles."""
    return fold(value)


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
