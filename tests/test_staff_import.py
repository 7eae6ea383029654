"""The Excel column "Cán bộ phụ trách": staff matched tolerantly, only of the lead unit, exported back."""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import make_user
from tests.test_imports import HEADERS, row, xlsx
from tracker.db import session_scope
from tracker.models import ItemAssignment, Notification, NotificationKind, Plan, Role, User, WorkItem
from tracker.permissions import Actor
from tracker.services import imports
from tracker.services.excel_template import SHEET
from tracker.services.imports import ImportFailed
from tracker.services.work_item_lists import ItemFilter

STAFF = HEADERS.index("Cán bộ phụ trách")


def staffed(staff, **kw):
    cells = row(**kw) + [None] * (len(HEADERS) - 12)
    cells[STAFF] = staff
    return cells


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        for username, unit, name in (("cv.lan", "VU-TCBC", "Nguyễn Thị Lan"), ("cv.hoa", "VU-TCBC", "Trần Văn Hòa"),
                                     ("cv.tl", "VU-TL", "Lê Minh")):
            make_user(s, username, Role.STAFF, unit).full_name = name
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
    return engine, admin, plan_id


def _assigned(engine) -> dict[str, list[str]]:
    with session_scope(engine) as s:
        rows = s.execute(select(WorkItem.title, User.username).join(ItemAssignment, ItemAssignment.work_item_id == WorkItem.id)
                         .join(User, User.id == ItemAssignment.user_id).order_by(User.username)).all()
    out: dict[str, list[str]] = {}
    for title, username in rows:
        out.setdefault(title, []).append(username)
    return out


def test_names_and_usernames_match_without_accents_or_case_and_are_exported(ctx):
    engine, admin, plan_id = ctx
    data = xlsx([staffed("nguyen thi lan; @CV.HOA", title="Việc A"), staffed(" LÊ MINH ", title="Việc B", lead="VU-TL"),
                 staffed(None, title="Việc C")], headers=HEADERS)
    with session_scope(engine) as s:
        imports.import_items(s, actor=admin, plan_id=plan_id, data=data)
    assert _assigned(engine) == {"Việc A": ["cv.hoa", "cv.lan"], "Việc B": ["cv.tl"]}
    with session_scope(engine) as s:  # each assigned person is told, in the import's transaction
        told = s.scalars(select(Notification.kind).where(Notification.user_id.in_(
            select(User.id).where(User.role == Role.STAFF)))).all()
        assert told == [NotificationKind.ASSIGNED] * 3
        exported = imports.export_items(s, actor=admin, filters=ItemFilter(plan_id=plan_id))
    cells = {r[2]: r[STAFF] for r in load_workbook(BytesIO(exported))[SHEET].iter_rows(min_row=2, values_only=True)
             if r[2]}
    assert cells == {"Việc A": "cv.hoa; cv.lan", "Việc B": "cv.tl", "Việc C": None}
    with session_scope(engine) as s:  # export -> import changes nothing
        again = imports.import_items(s, actor=admin, plan_id=plan_id, data=exported)
    assert (again.created, again.updated, len(again.unchanged)) == ([], [], 3)
    assert _assigned(engine) == {"Việc A": ["cv.hoa", "cv.lan"], "Việc B": ["cv.tl"]}


@pytest.mark.parametrize("written", ["Phạm Văn Không", "cv.tl"])  # nobody; staff of another unit
def test_an_unknown_name_or_staff_of_another_unit_is_a_vietnamese_row_error(ctx, written):
    engine, admin, plan_id = ctx
    with session_scope(engine) as s, pytest.raises(ImportFailed) as err:
        imports.import_items(s, actor=admin, plan_id=plan_id,
                             data=xlsx([staffed(written, title="Việc A")], headers=HEADERS))
    [e] = err.value.errors
    assert (e.row, e.column, e.value) == (2, "Cán bộ phụ trách", written)
    assert e.reason.startswith(f"Không có chuyên viên “{written}” của Vụ Tổ chức - Biên chế")
    with session_scope(engine) as s:
        assert s.scalars(select(WorkItem)).all() == []
