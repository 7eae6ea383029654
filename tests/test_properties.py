"""Bad input, generated: the Excel import and every form either accept or refuse with Vietnamese reasons.

Never a crash, never a half-written change; injection strings are stored and read back verbatim.
"""

import datetime as dt
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import TrackerError, ValidationFailed
from tracker.models import Role, WorkItem
from tracker.permissions import Actor
from tracker.services.excel_template import HEADERS
from tracker.services.imports import ImportFailed, import_items
from tracker.services.plans import find_plan
from tracker.services.progress import ProgressInput, item_history, update_progress
from tracker.services.work_items import ItemInput, create_item
from tracker.text import nfc

TODAY = dt.date(2024, 8, 1)
NASTY = [
    "'; DROP TABLE work_items; --", "<img src=x onerror=alert(1)>", "<script>alert('xss')</script>",
    "Robert'); DELETE FROM users;--", "${7*7}{{7*7}}", "\u0000", "\u202eđảo chiều", "Tọa đàm \"Nội vụ\" & 100%",
    "=HYPERLINK(\"http://x\")", "a" * 5000, "   ", "", "null", "NaN", "-1", "1e309", "31/02/2024",
]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
cell = st.one_of(st.none(), st.sampled_from(NASTY), st.text(max_size=60), st.integers(-10**12, 10**12),
                 st.floats(allow_nan=True, allow_infinity=True), st.dates(), st.booleans())
good_row = ["9", "Chuyên mục Nội vụ", "Sở Nội vụ thành phố Hà Nội", "", "Tin, bài", "", "01/04/2024",
            "30/09/2024", "4", "5.000.000", ""]


def _workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for n, row in enumerate(rows):
        ws.append([n + 1, *row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _as_cell(value):
    if isinstance(value, str):
        # openpyxl refuses control characters in cells; a spreadsheet program would too.
        return "".join(ch for ch in value if ch >= " " or ch in "\n\t")
    return value


@SETTINGS
@given(rows=st.lists(st.lists(cell, min_size=11, max_size=11), min_size=1, max_size=4))
def test_any_import_is_accepted_or_refused_with_reasons_and_nothing_half_written(engine, rows):
    data = _workbook([[_as_cell(v) for v in row] for row in rows] + [good_row])
    with session_scope(engine) as s:
        plan_id = find_plan(s, "184/QĐ-BNV").id
        before = s.scalar(select(func.count()).select_from(WorkItem))
        admin = Actor(user_id=0, username="vp", role=Role.ADMIN)
    try:
        with session_scope(engine) as s:
            import_items(s, actor=admin, plan_id=plan_id, data=data)
    except ImportFailed as exc:
        assert exc.errors and all(e.reason and e.column for e in exc.errors)
        with session_scope(engine) as s:
            assert s.scalar(select(func.count()).select_from(WorkItem)) == before
    except ValidationFailed as exc:
        assert str(exc)


@SETTINGS
@given(progress=st.one_of(st.none(), st.integers(-10**6, 10**6)), achieved=st.one_of(st.none(), st.integers(-10**12, 10**12)),
       spent=st.one_of(st.none(), st.integers(-10**20, 10**20)), note=st.one_of(st.none(), st.sampled_from(NASTY), st.text()),
       urls=st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=80),
                               st.sampled_from(["https://moha.gov.vn/a", "javascript:alert(1)", "ftp://x/y",
                                                "http://", "https://moha.gov.vn/" + "x" * 3000])), max_size=3))
def test_any_progress_report_is_stored_verbatim_or_refused(engine, progress, achieved, spent, note, urls):
    with session_scope(engine) as s:
        head = Actor.of(make_user(s, f"tp.{s.scalar(select(func.count()).select_from(WorkItem))}", Role.UNIT_HEAD,
                                  "VU-TCBC"))
        item = make_item(s, unit_code="VU-TCBC")
        item_id, version = item.id, item.version
    change = ProgressInput(progress=progress, achieved_qty=achieved, budget_spent=spent, note=note,
                           evidence_urls=tuple(urls))
    try:
        with session_scope(engine) as s:
            update_progress(s, actor=head, item_id=item_id, expected_version=version, change=change, today=TODAY)
    except TrackerError as exc:
        assert str(exc)
        with session_scope(engine) as s:
            assert s.get(WorkItem, item_id).version == version  # nothing written
        return
    with session_scope(engine) as s:
        last = item_history(s, actor=head, item_id=item_id)[-1]
        if note and note.strip():
            assert last.note == note.strip() or last.note == nfc(note).strip()


@SETTINGS
@given(title=st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=300)),
       target=st.one_of(st.none(), st.integers(-10**6, 10**12)), budget=st.one_of(st.none(), st.integers(-10**6, 10**16)),
       start=st.one_of(st.none(), st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31))),
       due=st.one_of(st.none(), st.dates(dt.date(2023, 1, 1), dt.date(2026, 12, 31))))
def test_any_new_item_is_created_verbatim_or_refused(engine, title, target, budget, start, due):
    from tracker.models import Form, PriorityTask, Unit

    with session_scope(engine) as s:
        plan = find_plan(s, "184/QĐ-BNV")
        task = s.scalars(select(PriorityTask.id).where(PriorityTask.plan_id == plan.id, PriorityTask.number == 9)).one()
        unit = s.scalars(select(Unit.id).where(Unit.code == "VU-TCBC")).one()
        form = s.scalars(select(Form.id)).first()
        plan_id = plan.id
        before = s.scalar(select(func.count()).select_from(WorkItem))
    admin = Actor(user_id=0, username="vp", role=Role.ADMIN)
    data = ItemInput(priority_task_id=task, title=title, lead_unit_id=unit, form_id=form, start_date=start,
                     due_date=due, target_qty=target, budget_planned=budget)
    try:
        with session_scope(engine) as s:
            item_id = create_item(s, actor=admin, plan_id=plan_id, data=data).id
    except TrackerError as exc:
        assert str(exc)
        with session_scope(engine) as s:
            assert s.scalar(select(func.count()).select_from(WorkItem)) == before
        return
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).title == nfc(title).strip()


def test_control_characters_never_reach_the_database(engine):
    with session_scope(engine) as s:
        head = Actor.of(make_user(s, "tp.nul", Role.UNIT_HEAD, "VU-TCBC"))
        item = make_item(s, unit_code="VU-TCBC", title="Họp báo\x00 quý III\x07")
        item_id, version = item.id, item.version
    with session_scope(engine) as s:
        update_progress(s, actor=head, item_id=item_id, expected_version=version, today=TODAY,
                        change=ProgressInput(note="Đã đăng\x00 6/12 bài\nTiếp tục\tquý IV"))
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).title == "Họp báo quý III"
        assert item_history(s, actor=head, item_id=item_id)[-1].note == "Đã đăng 6/12 bài\nTiếp tục\tquý IV"
