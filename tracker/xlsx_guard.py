""".xlsx bombs: look at the archive before a parser does (openpyxl reads every shared string first).

A small upload can unpack to gigabytes or hold millions of shared strings or cells. The ZIP's
declared sizes are binding (Python's zipfile stops at the declared size and fails the CRC), so
checking them bounds what any reader can unpack; the shared strings and cells are then counted
by streaming the parts, without building anything, and the count stops at the limit.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from tracker.text import format_number

MAX_PARTS = 200
MAX_UNPACKED = 80 * 1024 * 1024  # every part together, unpacked; a 10.000-row template export is ~3 MB
MAX_RATIO = 200  # unpacked / packed for one large part; spreadsheets compress ~5-20 times
MAX_SHARED_STRINGS = 250_000
MAX_CELLS = 2_000_000  # the import reads at most 100.000 rows of 12 columns
_CHUNK = 1 << 20
_SHARED = re.compile(rb"<(?:\w+:)?si[\s>/]")
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
REFUSED = "Tệp Excel bất thường, đã từ chối để bảo vệ máy chủ: "


def _count(zf: zipfile.ZipFile, name: str, pattern: re.Pattern, limit: int) -> int:
    """Occurrences of the pattern in one part, read in chunks; stops once past the limit."""
    n = 0
    tail = b""
    with zf.open(name) as fh:
        while chunk := fh.read(_CHUNK):
            data = tail + chunk
            cut = max(len(data) - 16, 0)  # a tag split between chunks is counted in the next round
            n += len(pattern.findall(data, 0, cut))
            tail = data[cut:]
            if n > limit:
                return n
    return n + len(pattern.findall(tail))


def archive_problem(data: bytes) -> str | None:
    """Why this .xlsx must not be parsed (Vietnamese), or None. A file that is not a ZIP is left to the reader."""
    try:
        zf = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        return None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_PARTS:
            return REFUSED + f"có {format_number(len(infos))} phần bên trong (tối đa {MAX_PARTS})."
        total = sum(i.file_size for i in infos)
        if total > MAX_UNPACKED:
            return REFUSED + (f"khi giải nén chiếm {format_number(total // 1048576)} MB "
                              f"(tối đa {MAX_UNPACKED // 1048576} MB).")
        for info in infos:
            if info.file_size > 1048576 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                return REFUSED + f"phần “{info.filename}” nén quá mức ({info.file_size // max(info.compress_size, 1)}" \
                                 " lần)."
        try:
            for info in infos:
                name = info.filename.lower()
                if name.endswith("sharedstrings.xml"):
                    if _count(zf, info.filename, _SHARED, MAX_SHARED_STRINGS) > MAX_SHARED_STRINGS:
                        return REFUSED + f"có hơn {format_number(MAX_SHARED_STRINGS)} chuỗi văn bản."
                elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    if _count(zf, info.filename, _CELL, MAX_CELLS) > MAX_CELLS:
                        return REFUSED + f"có hơn {format_number(MAX_CELLS)} ô dữ liệu."
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
            return None  # a damaged archive: the reader reports it as unreadable
    return None
