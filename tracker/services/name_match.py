"""Names as clerks write them matched to catalog entries (units, forms, channels), every guess said aloud.

A name matches exactly (the entry's own name, ignoring case and accents) or by another spelling:
code, short name, abbreviation, alias, punctuation dropped ("TP. Hồ Chí Minh" = "TP Hồ Chí Minh").
Anything but the exact name comes back with a note the import preview shows. A unit that had ended
by the day the work is due is replaced by its successor, with a note; a name that matches nothing
comes back with the closest entries, for the office to choose from.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from tracker.models import Unit, UnitKind
from tracker.text import fold, format_date

T = TypeVar("T")
_PUNCT = re.compile(r"[.,;:()\[\]\-–—/&\"'“”]+")
# "Các Sở Nội vụ", "Sở Nội vụ các tỉnh, thành phố", "63 Sở Nội vụ": every provincial department.
_ALL_PROVINCES = re.compile(r"^(?:cac |toan bo |tat ca |\d+ )?(?:so noi vu|snv)(?: cac tinh(?: thanh pho)?| cac dia phuong"
                            r"| tinh thanh pho| cac tinh thanh)?$")


def loose(text: str) -> str:
    """The matching key with punctuation dropped too."""
    return " ".join(_PUNCT.sub(" ", fold(text)).split())


@dataclass(frozen=True)
class Found(Generic[T]):
    """What a name matched, and the note to show when it was not the entry's exact name."""

    entry: T
    note: str | None = None


class NameIndex(Generic[T]):
    """Entries by every way of writing them; lookups are cached (a 5.000-row file repeats its names)."""

    def __init__(self, entries: Iterable[T], names: Callable[[T], Iterable[str | None]], label: Callable[[T], str],
                 what: str):
        self.label, self.what = label, what
        self.exact: dict[str, T] = {}
        self.loose: dict[str, T] = {}
        self.official: dict[str, T] = {}
        for entry in entries:
            self.official.setdefault(fold(label(entry)), entry)
            for name in names(entry):
                if name:
                    self.exact.setdefault(fold(name), entry)
                    self.loose.setdefault(loose(name), entry)
        self._cache: dict[str, Found[T] | None] = {}

    def find(self, text: str) -> Found[T] | None:
        if text in self._cache:
            return self._cache[text]
        key = fold(text)
        entry = self.official.get(key)
        if entry is not None:
            found = Found(entry)
        else:
            entry = self.exact.get(key) or self.loose.get(loose(text))
            found = Found(entry, f"{self.what} “{text}” → {self.label(entry)}") if entry is not None else None
        self._cache[text] = found
        return found

    def closest(self, text: str, n: int = 3) -> list[str]:
        """The entries whose names are nearest the text (for a name that matched nothing)."""
        keys = difflib.get_close_matches(loose(text), list(self.loose), n=n * 3, cutoff=0.7)
        key = loose(text)
        keys += [k for k in self.loose if key and len(key) >= 4 and (key in k or k in key) and k not in keys]
        out: list[str] = []
        for k in keys:
            label = self.label(self.loose[k])
            if label not in out:
                out.append(label)
        return out[:n]


class UnitIndex(NameIndex[Unit]):
    """Units, with the successor of a unit that ended before the day, and "Các Sở Nội vụ" as a group."""

    def __init__(self, units: list[Unit]):
        super().__init__(units, lambda u: (u.name, u.code, u.short_name, *u.aliases), lambda u: u.name, "Đơn vị")
        self.units = units
        self.by_id = {u.id: u for u in units}

    def choose(self, written: str, code: str) -> None:
        """The office's choice for a name the catalog does not know (shown as such in the preview)."""
        unit = next((u for u in self.units if u.code == code), None)
        if unit is not None:
            self._cache[written] = Found(unit, f"Đơn vị “{written}” → {unit.name} (văn phòng chọn)")

    def current(self, found: Found[Unit], day: dt.date) -> Found[Unit]:
        """The unit, or the unit that took over its work if it had ended before the day."""
        unit, seen = found.entry, set()
        while unit.valid_to and unit.valid_to < day and unit.successor_id in self.by_id and unit.id not in seen:
            seen.add(unit.id)
            unit = self.by_id[unit.successor_id]
        if unit is found.entry:
            return found
        old = found.entry
        return Found(unit, f"Đơn vị “{old.name}” đã kết thúc ngày {format_date(old.valid_to)}, "
                           f"thay bằng đơn vị kế thừa {unit.name}")

    def group(self, text: str, day: dt.date) -> list[Unit] | None:
        """Every provincial department active on the day, when the cell names them as a group."""
        key = loose(text)
        if key in ("so noi vu", "snv") or not _ALL_PROVINCES.match(key):
            return None
        return [u for u in self.units if u.kind is UnitKind.PROVINCIAL and u.active_on(day)]
