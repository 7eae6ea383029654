"""Units as they change: when a unit's end date passes, its open work follows the catalog's successor (each item's
history says so), its accounts are told and moved by the office; a unit without a successor is left to decide."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.__main__ import main
from tracker.db import session_scope
from tracker.errors import PermissionDenied
from tracker.models import AuditEvent, EventKind, ProgressEvent, Role, Status, Unit, User, WorkItem
from tracker.permissions import Actor
from tracker.services import catalog_admin as admin_svc
from tracker.services import users as user_service

AFTER = dt.date(2025, 7, 10)  # Hà Giang ended 30/06/2025 (successor Tuyên Quang); Ban Tôn giáo Chính phủ 28/02/2025


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = make_user(s, "snv.hagiang", Role.UNIT_HEAD, "SNV-HA-GIANG")
        ids = {"open": make_item(s, unit_code="SNV-HA-GIANG", title="Chuyên mục cải cách hành chính",
                                 due=dt.date(2025, 3, 31)).id,
               "done": make_item(s, unit_code="SNV-HA-GIANG", title="Tin bài đã xong", status=Status.DONE,
                                 progress=100).id,
               "tg": make_item(s, unit_code="BAN-TGCP", title="Truyền thông về tín ngưỡng").id}
    return engine, admin, head.id, ids


def test_the_office_sees_what_ended_units_still_hold(ctx):
    engine, _, head_id, _ = ctx
    with session_scope(engine) as s:
        ended = {e.name: e for e in admin_svc.ended_units(s, today=AFTER)}
    hg = ended["Sở Nội vụ tỉnh Hà Giang"]
    assert (hg.ended_on, hg.successor_name, hg.open_items, hg.accounts) == (
        dt.date(2025, 6, 30), "Sở Nội vụ tỉnh Tuyên Quang", 1, [(head_id, "snv.hagiang", Role.UNIT_HEAD)])
    tg = ended["Ban Tôn giáo Chính phủ"]
    assert (tg.successor_id, tg.open_items) == (None, 1)
    with session_scope(engine) as s:  # the day before Hà Giang's end: nothing of it to settle yet
        assert "Sở Nội vụ tỉnh Hà Giang" not in {e.name for e in admin_svc.ended_units(s, today=dt.date(2025, 6, 30))}


def test_open_work_follows_the_successor_from_the_day_after_the_end(ctx):
    engine, admin, head_id, ids = ctx
    with session_scope(engine) as s:
        with pytest.raises(PermissionDenied):
            admin_svc.follow_successors(s, actor=Actor.of(s.get(User, head_id)), today=AFTER)
    with session_scope(engine) as s:
        [result] = admin_svc.follow_successors(s, actor=admin, today=AFTER)
    assert (result.unit, result.successor, result.moved_items) == (
        "Sở Nội vụ tỉnh Hà Giang", "Sở Nội vụ tỉnh Tuyên Quang", [ids["open"]])
    with session_scope(engine) as s:
        tq = s.scalars(select(Unit.id).where(Unit.code == "SNV-TUYEN-QUANG")).one()
        hg = s.scalars(select(Unit.id).where(Unit.code == "SNV-HA-GIANG")).one()
        assert s.get(WorkItem, ids["open"]).lead_unit_id == tq
        assert s.get(WorkItem, ids["done"]).lead_unit_id == hg  # finished work stays with who did it
        event = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == ids["open"],
                                                      ProgressEvent.kind == EventKind.UNIT_REPLACED)).one()
        assert event.note == "Sáp nhập Sở Nội vụ tỉnh Hà Giang vào Sở Nội vụ tỉnh Tuyên Quang từ ngày 01/07/2025."
        assert s.scalars(select(AuditEvent.action).where(AuditEvent.action == "unit.follow_successor")).one()
        assert s.get(WorkItem, ids["tg"]).lead_unit.code == "BAN-TGCP"  # no successor: the office decides
        left = {e.name: e for e in admin_svc.ended_units(s, today=AFTER)}
    assert left["Sở Nội vụ tỉnh Hà Giang"].open_items == 0  # only the account is left
    with session_scope(engine) as s:
        user_service.change_role(s, actor=admin, user_id=head_id, role=Role.UNIT_HEAD, unit_code="SNV-TUYEN-QUANG")
    with session_scope(engine) as s:
        assert "Sở Nội vụ tỉnh Hà Giang" not in {e.name for e in admin_svc.ended_units(s, today=AFTER)}


def test_cli_follow_successors_previews_then_moves(ctx, db_env, capsys, monkeypatch):
    engine, _, _, ids = ctx
    monkeypatch.setenv("TRACKER_TODAY", AFTER.isoformat())
    assert main(["follow-successors"]) == 0
    out = capsys.readouterr().out
    assert ("Sở Nội vụ tỉnh Hà Giang (kết thúc 30/06/2025) → Sở Nội vụ tỉnh Tuyên Quang: 1 việc chủ trì" in out
            and "Chưa chuyển gì" in out)
    with session_scope(engine) as s:
        assert s.get(WorkItem, ids["open"]).lead_unit.code == "SNV-HA-GIANG"
    assert main(["follow-successors", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Đã chuyển Sở Nội vụ tỉnh Hà Giang → Sở Nội vụ tỉnh Tuyên Quang: 1 việc chủ trì" in out
    assert "Đơn vị chưa có đơn vị kế thừa" in out
    with session_scope(engine) as s:
        assert s.get(WorkItem, ids["open"]).lead_unit.code == "SNV-TUYEN-QUANG"
