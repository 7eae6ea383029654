"""One table of text limits (tracker/limits.py): every service refuses longer text with a message naming
the field and the limit, on both databases (never a database error), and the forms carry the same limit."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, sign_in
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import ValidationFailed
from tracker.limits import TEXT_LIMITS, max_chars, too_long
from tracker.models import ProgressEvent, Role, Unit, User, WorkItem
from tracker.permissions import Actor
from tracker.services import catalog_admin, explanations, rounds
from tracker.services.progress import ProgressInput, update_progress
from tracker.services.users import add_user, create_user

TODAY = dt.date(2024, 8, 1)
ROOT = Path(__file__).resolve().parent.parent


def test_the_message_names_the_field_and_the_limit():
    assert too_long("blocked_reason", "x" * 2000) is None
    assert too_long("blocked_reason", "x" * 1_000_008) == (
        "Lý do vướng mắc không được dài quá 2.000 ký tự (đang có 1.000.008 ký tự).")
    assert too_long("full_name", None) is None


@pytest.fixture
def people(engine):
    with session_scope(engine) as s:
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        item_id = make_item(s, unit_code="VU-TCBC", due=dt.date(2024, 6, 30)).id
    return engine, head, admin, item_id


def test_a_million_character_blocked_reason_is_refused(people):
    engine, head, _, item_id = people
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match="Lý do vướng mắc không được dài quá"):
        update_progress(s, actor=head, item_id=item_id, expected_version=1, today=TODAY,
                        change=ProgressInput(blocked=True, blocked_reason="x" * 1_000_008))
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).blocked_reason is None
        assert s.scalar(select(func.count()).select_from(ProgressEvent)) == 0


@pytest.mark.parametrize("field", ["full_name", "email"])
def test_a_name_or_email_longer_than_its_column_is_a_message_not_a_database_error(engine, field):
    value = "Nguyễn " * 40 if field == "full_name" else "a" * 195 + "@moha.gov.vn"
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match=TEXT_LIMITS[field].label):
        add_user(s, actor=admin, username="nguoi.moi", password="mat-khau-dai-du", role=Role.VIEWER,
                 **{field: value})
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1


def test_explanations_rounds_and_units_are_bounded(people):
    engine, head, admin, item_id = people
    with session_scope(engine) as s:
        with pytest.raises(ValidationFailed, match="Nội dung yêu cầu giải trình không được dài quá 4.000"):
            explanations.request_explanation(s, actor=admin, item_id=item_id, question="?" * 4001, today=TODAY)
        request = explanations.request_explanation(s, actor=admin, item_id=item_id, question="Vì sao?", today=TODAY)
        with pytest.raises(ValidationFailed, match="Nội dung giải trình không được dài quá"):
            explanations.answer_explanation(s, actor=head, request_id=request.id, answer="x" * 4001)
        with pytest.raises(ValidationFailed, match="Tên kỳ báo cáo không được dài quá 200"):
            rounds.open_round(s, actor=admin, name="x" * 201, period_start=TODAY, period_end=TODAY, deadline=TODAY,
                              unit_ids=[head.unit_id])
        unit_id = s.scalars(select(Unit.id).where(Unit.code == "VU-TCBC")).one()
        with pytest.raises(ValidationFailed, match="Tên đơn vị không được dài quá 200"):
            catalog_admin.rename_unit(s, actor=admin, unit_id=unit_id, name="Vụ " * 100)


def test_every_limit_is_used_by_a_service_or_a_form():
    code = "\n".join(p.read_text(encoding="utf-8") for d in ("tracker", "pages")
                     for p in (ROOT / d).rglob("*.py") if p.name != "limits.py")
    unused = [f for f in TEXT_LIMITS if f'"{f}"' not in code]
    assert unused == []


def test_the_forms_carry_the_limits_of_the_table(db_env, engine):
    with session_scope(engine) as s:
        head = make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC")
        item_id = make_item(s, unit_code="VU-TCBC").id
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    sign_in(at, head)
    at.run()
    at.switch_page("pages/item.py")
    at.query_params["id"] = str(item_id)
    at.run()
    assert not at.exception
    assert at.text_input(key=f"item_blocked_reason_{item_id}").proto.max_chars == max_chars("blocked_reason")
    assert at.text_area(key=f"item_note_{item_id}").proto.max_chars == max_chars("progress_note")


def test_the_database_never_holds_longer_text_than_the_table_allows(people):
    """Columns sized in the schema (String(n)) are at least as wide as their limit."""
    columns = {"full_name": User.__table__.c.full_name, "email": User.__table__.c.email,
               "username": User.__table__.c.username, "unit_name": Unit.__table__.c.name,
               "channel_text": WorkItem.__table__.c.channel_text, "target_unit": WorkItem.__table__.c.target_unit}
    assert {f: c.type.length >= max_chars(f) for f, c in columns.items()} == {f: True for f in columns}
    with session_scope(people[0]) as s:
        create_user(s, username="dai.nhat", password="mat-khau-dai-du", role=Role.VIEWER,
                    full_name="Đ" * max_chars("full_name"), email="a" * 188 + "@moha.gov.vn")
