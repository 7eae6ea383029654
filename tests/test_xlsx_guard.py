"""An .xlsx bomb is refused in seconds, before openpyxl reads it; an upload is parsed once per file."""

import io
import time
import zipfile

import pytest

from tests.test_imports import ctx, row, xlsx  # noqa: F401  (ctx is a fixture)
from tracker import xlsx_guard
from tracker.db import session_scope
from tracker.services import imports
from tracker.services.imports import ImportFailed

SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def with_shared_strings(strings) -> bytes:
    """A valid one-row import file that also carries a registered shared-strings part."""
    src = zipfile.ZipFile(io.BytesIO(xlsx([row()])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                                 f'ContentType="{SST_TYPE}"/></Types>'.encode())
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", f'<Relationship Id="rIdS" Type="{SST_REL}" '
                                                         'Target="sharedStrings.xml"/></Relationships>'.encode())
            dst.writestr(info.filename, data)
        body = b"".join(b"<si><t>" + s + b"</t></si>" for s in strings)
        dst.writestr("xl/sharedStrings.xml", b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                                            b'spreadsheetml/2006/main">' + body + b"</sst>")
    return out.getvalue()


def _refused(engine, admin, plan_id, data) -> str:
    start = time.monotonic()
    with pytest.raises(ImportFailed) as err, session_scope(engine) as s:
        imports.import_items(s, actor=admin, plan_id=plan_id, data=data, dry_run=True)
    assert time.monotonic() - start < 5
    [problem] = err.value.errors
    return problem.reason


def test_thirty_million_strings_in_a_small_file_are_refused_in_seconds(ctx):  # noqa: F811
    engine, admin, _, plans = ctx
    bomb = with_shared_strings([b"a"] * 3_000_000)
    assert len(bomb) < 200_000  # openpyxl alone spends minutes and gigabytes on it
    reason = _refused(engine, admin, plans["184/QĐ-BNV"], bomb)
    assert reason.startswith("Tệp Excel bất thường, đã từ chối") and "nén quá mức" in reason


def test_too_many_distinct_shared_strings_are_refused(ctx):  # noqa: F811
    engine, admin, _, plans = ctx
    data = with_shared_strings([f"Chuỗi {i:07d}".encode() for i in range(xlsx_guard.MAX_SHARED_STRINGS + 10)])
    assert "hơn 250.000 chuỗi văn bản" in _refused(engine, admin, plans["184/QĐ-BNV"], data)


def test_too_many_cells_and_too_large_unpacked_are_refused(ctx, monkeypatch):  # noqa: F811
    engine, admin, _, plans = ctx
    data = xlsx([row(title=f"Việc {i}") for i in range(200)])
    monkeypatch.setattr(xlsx_guard, "MAX_CELLS", 1000)
    assert "hơn 1.000 ô dữ liệu" in _refused(engine, admin, plans["184/QĐ-BNV"], data)
    monkeypatch.setattr(xlsx_guard, "MAX_UNPACKED", 20_000)
    assert "khi giải nén chiếm" in _refused(engine, admin, plans["184/QĐ-BNV"], data)


def test_an_ordinary_export_passes_the_check(ctx):  # noqa: F811
    engine, admin, _, plans = ctx
    data = xlsx([row(title=f"Việc {i}") for i in range(300)])
    assert xlsx_guard.archive_problem(data) is None
    assert xlsx_guard.archive_problem(b"not a zip") is None  # left to the reader's own message


def test_the_page_parses_an_upload_once_per_file(ctx, monkeypatch, db_env):  # noqa: F811
    from tracker.ui import work_items_view

    engine, admin, _, plans = ctx
    plan_id = plans["184/QĐ-BNV"]
    calls = []
    real = imports.parse_workbook
    monkeypatch.setattr(imports, "parse_workbook", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    store: dict = {}
    good, bad = xlsx([row()]), xlsx([row(lead="KHÔNG-CÓ")])
    for _ in range(3):  # three reruns of the page with the same file
        rows = work_items_view.read_once(store, actor=admin, plan_id=plan_id, content=good)
        with session_scope(engine) as s:
            preview = imports.import_items(s, actor=admin, plan_id=plan_id, rows=rows, dry_run=True)
        assert preview.would == {2: "mới"}
    assert len(calls) == 1
    for _ in range(2):
        with pytest.raises(ImportFailed):
            work_items_view.read_once(store, actor=admin, plan_id=plan_id, content=bad)
    assert len(calls) == 2
