"""Notifications: who is told of what, in the writing transaction, never of their own action; read marks."""

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import event, func, select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import NotFound, PermissionDenied
from tracker.models import Form, Notification, NotificationKind, Plan, PriorityTask, Role, Status, Unit
from tracker.permissions import Actor
from tracker.services import catalog_admin, explanations, moves, rounds
from tracker.services import notifications as svc
from tracker.services import work_items
from tracker.services.work_items import ItemInput

TODAY = dt.date(2024, 8, 1)
LINK = ("https://moha.gov.vn/tin-tuc/bai-1",)


def _id(session, model, **by):
    return session.scalars(select(model.id).filter_by(**by)).one()


@pytest.fixture
def people(engine):
    with session_scope(engine) as s:
        users = {
            "admin": make_user(s, "van.phong", Role.ADMIN),
            "admin2": make_user(s, "van.phong.2", Role.ADMIN),
            "leader": make_user(s, "lanh.dao", Role.LEADER),
            "tl": make_user(s, "truong.tl", Role.UNIT_HEAD, "VU-TL"),
            "tl2": make_user(s, "pho.tl", Role.UNIT_HEAD, "VU-TL"),
            "tcbc": make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"),
        }
        locked = make_user(s, "cu.tl", Role.UNIT_HEAD, "VU-TL")
        locked.active = False
        return {k: Actor.of(u) for k, u in users.items()}


def _base(s, unit_code="VU-TL"):
    plan_id = _id(s, Plan, code="184/QĐ-BNV")
    return plan_id, ItemInput(
        priority_task_id=_id(s, PriorityTask, plan_id=plan_id, number=9), title="Chuyên mục về cải cách tiền lương",
        lead_unit_id=_id(s, Unit, code=unit_code), form_id=_id(s, Form, code="CHUYEN-MUC"),
        start_date=dt.date(2024, 4, 1), due_date=dt.date(2024, 9, 30))


def _notes(engine, who: Actor) -> list[tuple[NotificationKind, str]]:
    with session_scope(engine) as s:
        return [(n.kind, n.text) for n in s.scalars(select(Notification).where(Notification.user_id == who.user_id)
                                                   .order_by(Notification.id))]


def test_an_item_created_for_a_unit_tells_its_active_heads_only(engine, people):
    with session_scope(engine) as s:
        plan_id, data = _base(s)
        work_items.create_item(s, actor=people["admin"], plan_id=plan_id, data=data)
    for who in ("tl", "tl2"):
        assert _notes(engine, people[who]) == [
            (NotificationKind.ASSIGNED, "Công việc mới giao cho đơn vị: “Chuyên mục về cải cách tiền lương”.")]
    for who in ("admin", "admin2", "leader", "tcbc"):
        assert _notes(engine, people[who]) == []
    with session_scope(engine) as s:  # the locked account gets nothing
        assert s.scalar(select(func.count()).select_from(Notification)) == 2


def test_a_rolled_back_change_leaves_no_notification(engine, people):
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        plan_id, data = _base(s)
        work_items.create_item(s, actor=people["admin"], plan_id=plan_id, data=data)
        assert s.scalar(select(func.count()).select_from(Notification)) == 2  # written in this transaction
        raise RuntimeError("the page failed after the write")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_fan_out_to_34_units_writes_its_notifications_in_one_insert(engine, people):
    with session_scope(engine) as s:
        plan_id, data = _base(s)
        provinces = s.scalars(select(Unit).where(Unit.code.like("SNV-%"), Unit.valid_to.is_(None))
                              .order_by(Unit.id)).all()
        heads = [make_user(s, f"snv.{n}", Role.UNIT_HEAD, u.code) for n, u in enumerate(provinces)]
        data = replace(data, start_date=dt.date(2025, 7, 1), due_date=dt.date(2025, 9, 30))
    inserts = []

    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            inserts.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with session_scope(engine) as s:
            result = work_items.fan_out(s, actor=people["admin"], plan_id=plan_id, template=data,
                                        scope=work_items.SCOPE_PROVINCIAL)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(result.item_ids) == 34 and len(inserts) == 1
    with session_scope(engine) as s:
        told = set(s.scalars(select(Notification.user_id).where(Notification.kind == NotificationKind.ASSIGNED)))
    assert told == {h.id for h in heads}


def test_returned_with_its_reason_then_confirmed(engine, people):
    with session_scope(engine) as s:
        item_id = make_item(s, unit_code="VU-TL", status=Status.IN_PROGRESS).id
    with session_scope(engine) as s:
        moves.move_item(s, actor=people["tl"], item_id=item_id, to_status=Status.AWAITING_CONFIRMATION,
                        expected_version=1, today=TODAY, evidence_urls=LINK)
    assert _notes(engine, people["tl"]) == []  # not of one's own action
    assert [k for k, _ in _notes(engine, people["tl2"])] == []  # sending is not news to the unit
    with session_scope(engine) as s:
        moves.move_item(s, actor=people["admin"], item_id=item_id, to_status=Status.IN_PROGRESS,
                        expected_version=2, today=TODAY, reason="Thiếu đường dẫn bài đăng thứ hai.")
    with session_scope(engine) as s:
        moves.move_item(s, actor=people["tl"], item_id=item_id, to_status=Status.AWAITING_CONFIRMATION,
                        expected_version=3, today=TODAY, evidence_urls=LINK)
        moves.move_item(s, actor=people["admin"], item_id=item_id, to_status=Status.DONE,
                        expected_version=4, today=TODAY, evidence_urls=LINK)
    assert _notes(engine, people["tl"]) == [
        (NotificationKind.RETURNED, "Văn phòng trả lại công việc “Họp báo quý I về cải cách tiền lương”. "
                                    "Lý do: Thiếu đường dẫn bài đăng thứ hai."),
        (NotificationKind.CONFIRMED, "Văn phòng xác nhận hoàn thành “Họp báo quý I về cải cách tiền lương”.")]


def test_explanation_asked_of_the_unit_and_answered_to_the_asker(engine, people):
    with session_scope(engine) as s:
        item_id = make_item(s, unit_code="VU-TL", due=dt.date(2024, 6, 30)).id
    with session_scope(engine) as s:
        request = explanations.request_explanation(s, actor=people["leader"], item_id=item_id,
                                                   question="Vì sao chậm?", today=TODAY)
        request_id = request.id
    assert [k for k, _ in _notes(engine, people["tl"])] == [NotificationKind.EXPLANATION_REQUESTED]
    assert _notes(engine, people["leader"]) == []
    with session_scope(engine) as s:
        explanations.answer_explanation(s, actor=people["tl"], request_id=request_id, answer="Chờ kinh phí.")
    assert _notes(engine, people["leader"]) == [
        (NotificationKind.EXPLANATION_GIVEN, "Đơn vị đã giải trình về “Họp báo quý I về cải cách tiền lương”: "
                                             "Chờ kinh phí.")]
    assert _notes(engine, people["tl2"])[-1][0] is NotificationKind.EXPLANATION_REQUESTED  # not the answer
    assert _notes(engine, people["admin"]) == []


def test_a_round_opened_tells_its_units(engine, people):
    with session_scope(engine) as s:
        tl = _id(s, Unit, code="VU-TL")
        round_ = rounds.open_round(s, actor=people["admin"], name="Báo cáo 6 tháng 2024",
                                   period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 6, 30),
                                   deadline=dt.date(2024, 7, 15), unit_ids=[tl])
        round_id = round_.id
    assert _notes(engine, people["tl"]) == [
        (NotificationKind.ROUND_OPENED, "Kỳ báo cáo mới: “Báo cáo 6 tháng 2024”, hạn nộp 15/07/2024.")]
    assert _notes(engine, people["tcbc"]) == []
    with session_scope(engine) as s:
        assert s.scalar(select(Notification.round_id).where(Notification.user_id == people["tl"].user_id)) == round_id


def test_a_merge_tells_the_successor_of_the_work_it_receives(engine, people):
    with session_scope(engine) as s:
        make_item(s, unit_code="VU-TL", status=Status.IN_PROGRESS, due=dt.date(2025, 6, 30))
        cuc = make_user(s, "truong.cuc.tl", Role.UNIT_HEAD, "CUC-TLBHXH")
        catalog_admin.merge_unit(s, actor=people["admin"], unit_id=_id(s, Unit, code="VU-TL"),
                                 successor_id=_id(s, Unit, code="CUC-TLBHXH"), from_day=dt.date(2025, 3, 1))
    assert [k for k, _ in _notes(engine, Actor.of(cuc))] == [NotificationKind.ASSIGNED]


def test_the_list_links_and_read_marks(engine, people):
    with session_scope(engine) as s:
        plan_id, data = _base(s)
        first = work_items.create_item(s, actor=people["admin"], plan_id=plan_id, data=data).id
        work_items.create_item(s, actor=people["admin"], plan_id=plan_id, data=replace(data, title="Tọa đàm"))
    with session_scope(engine) as s:
        listed = svc.list_notifications(s, actor=people["tl"])
        assert (listed.total, listed.unread) == (2, 2)
        assert [r.work_item_id for r in listed.rows][-1] == first and listed.rows[0].actor == "Người dùng van.phong"
        svc.mark_read(s, actor=people["tl"], notification_id=listed.rows[1].id)
    with session_scope(engine) as s:
        assert svc.unread_count(s, user_id=people["tl"].user_id) == 1
        assert svc.unread_count(s, user_id=people["tl2"].user_id) == 2  # each person's own mark
        other = svc.list_notifications(s, actor=people["tl2"]).rows[0].id
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="không phải của bạn"):
        svc.mark_read(s, actor=people["tl"], notification_id=other)
    with session_scope(engine) as s, pytest.raises(NotFound):
        svc.mark_read(s, actor=people["tl"], notification_id=99999)
    with session_scope(engine) as s:
        assert svc.mark_all_read(s, actor=people["tl"]) == 1
    with session_scope(engine) as s:
        assert svc.unread_count(s, user_id=people["tl"].user_id) == 0
        assert svc.unread_count(s, user_id=people["tl2"].user_id) == 2


def test_only_ones_own_settings_change():
    from tracker.permissions import Action, can

    me = Actor(user_id=7, username="truong.tl", role=Role.UNIT_HEAD, unit_id=3)
    assert can(me, Action.OWN_SETTINGS, 7) and not can(me, Action.OWN_SETTINGS, 8)
