"""Catalog administration: task texts, units added/renamed/ended/merged (open work moves, with history),
provincial plans on the ministry plan's tasks."""

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tracker.db import session_scope
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import AuditEvent, EventKind, Form, Plan, PriorityTask, Role, Status, Unit, UnitKind, WorkItem
from tracker.permissions import Actor
from tracker.services import catalog_admin as admin_svc
from tracker.services import work_items as svc
from tracker.services.progress import item_history
from tracker.services.units import find_unit


def _unit_id(s, code):
    return s.scalars(select(Unit.id).where(Unit.code == code)).one()


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
    return engine, admin, head, plan_id


def test_fill_in_the_missing_task_11(ctx):
    engine, admin, head, plan_id = ctx
    with session_scope(engine) as s:
        task = s.scalars(select(PriorityTask).where(PriorityTask.plan_id == plan_id, PriorityTask.number == 11)).one()
        assert task.text_missing
        with pytest.raises(PermissionDenied):
            admin_svc.edit_task_text(s, actor=head, task_id=task.id, text="x")
        with pytest.raises(ValidationFailed, match="không được để trống"):
            admin_svc.edit_task_text(s, actor=admin, task_id=task.id, text="   ")
        admin_svc.edit_task_text(s, actor=admin, task_id=task.id, text="Truyền thông về công tác  thi đua")
        task_id = task.id
    with session_scope(engine) as s:
        task = s.get(PriorityTask, task_id)
        assert (task.text, task.text_missing) == ("Truyền thông về công tác thi đua", False)
        assert s.scalars(select(AuditEvent.action)).all() == ["task.edit"]


def test_add_rename_and_end_a_unit(ctx):
    engine, admin, _, _ = ctx
    with session_scope(engine) as s:
        with pytest.raises(ValidationFailed) as err:
            admin_svc.add_unit(s, actor=admin, code="vu tl", name="Vụ Tiền lương", kind=UnitKind.MINISTRY_ADMIN)
        assert len(err.value.problems) == 2  # bad code, name of another unit
        unit = admin_svc.add_unit(s, actor=admin, code="VU-MOI", name="Vụ Mới", kind=UnitKind.MINISTRY_ADMIN,
                                  valid_from=dt.date(2025, 3, 1))
        admin_svc.rename_unit(s, actor=admin, unit_id=unit.id, name="Vụ Đổi Tên")
        assert find_unit(s, "Vụ Mới").id == unit.id  # the old name still matches (spreadsheets)
        with pytest.raises(ValidationFailed, match="trước ngày bắt đầu"):
            admin_svc.end_unit(s, actor=admin, unit_id=unit.id, last_day=dt.date(2025, 1, 1))
        admin_svc.end_unit(s, actor=admin, unit_id=unit.id, last_day=dt.date(2025, 12, 31))
        assert not unit.active_on(dt.date(2026, 1, 1))


def test_merge_moves_open_work_with_history(ctx):
    engine, admin, _, plan_id = ctx
    with session_scope(engine) as s:
        task = s.scalars(select(PriorityTask.id).where(PriorityTask.plan_id == plan_id, PriorityTask.number == 3)).one()
        base = svc.ItemInput(priority_task_id=task, title="Tin bài về sắp xếp đơn vị hành chính",
                             lead_unit_id=_unit_id(s, "VU-CQDP"), form_id=s.scalars(select(Form.id)).first(),
                             start_date=dt.date(2024, 4, 1), due_date=dt.date(2024, 12, 31))
        led = svc.create_item(s, actor=admin, plan_id=plan_id, data=base)
        joined = svc.create_item(s, actor=admin, plan_id=plan_id, data=replace(
            base, title="Việc có Vụ CQĐP phối hợp", lead_unit_id=_unit_id(s, "VU-TCBC"),
            coordinating_unit_ids=(_unit_id(s, "VU-CQDP"),)))
        done = svc.create_item(s, actor=admin, plan_id=plan_id, data=replace(base, title="Việc đã xong"))
        done.status = Status.DONE
        ids = (led.id, joined.id, done.id)
    with session_scope(engine) as s:
        with pytest.raises(ValidationFailed, match="chính nó"):
            admin_svc.merge_unit(s, actor=admin, unit_id=_unit_id(s, "VU-CQDP"), successor_id=_unit_id(s, "VU-CQDP"),
                                 from_day=dt.date(2024, 10, 1))
        result = admin_svc.merge_unit(s, actor=admin, unit_id=_unit_id(s, "VU-CQDP"),
                                      successor_id=_unit_id(s, "VU-TCBC"), from_day=dt.date(2024, 10, 1))
    assert (result.moved_items, result.coordinator_items) == ([ids[0]], [ids[1]])
    with session_scope(engine) as s:
        led, joined, done = (s.get(WorkItem, i) for i in ids)
        assert led.lead_unit.code == "VU-TCBC" and led.version == 2
        assert joined.coordinating_units == [] and joined.version == 2  # the successor already leads it
        assert done.lead_unit.code == "VU-CQDP"  # finished work keeps the unit that did it
        unit = s.get(Unit, _unit_id(s, "VU-CQDP"))
        assert (unit.valid_to, unit.successor.code) == (dt.date(2024, 9, 30), "VU-TCBC")
        history = item_history(s, actor=admin, item_id=ids[0])
    assert history[-1].kind == EventKind.UNIT_REPLACED.value
    assert history[-1].changes == [("Đơn vị chủ trì", "Vụ Chính quyền địa phương", "Vụ Tổ chức - Biên chế")]


def test_provincial_plan_refines_the_ministry_tasks(ctx):
    engine, admin, _, plan_id = ctx
    with session_scope(engine) as s:
        with pytest.raises(ValidationFailed, match="Chỉ Sở Nội vụ"):
            admin_svc.create_provincial_plan(s, actor=admin, parent_plan_id=plan_id, unit_id=_unit_id(s, "VU-TCBC"),
                                             code="KH-X")
        plan = admin_svc.create_provincial_plan(s, actor=admin, parent_plan_id=plan_id,
                                                unit_id=_unit_id(s, "SNV-HA-NOI"), code="KH-SNV-HN-2024")
        assert plan.title == "Kế hoạch truyền thông năm 2024 của Sở Nội vụ thành phố Hà Nội"
        parent_tasks = {t.id: t.number for t in s.get(Plan, plan_id).tasks}
        assert [(t.number, parent_tasks[t.parent_task_id]) for t in plan.tasks] == [(n, n) for n in range(1, 17)]
        with pytest.raises(ValidationFailed, match="đã có kế hoạch"):
            admin_svc.create_provincial_plan(s, actor=admin, parent_plan_id=plan_id,
                                             unit_id=_unit_id(s, "SNV-HA-NOI"), code="KH-SNV-HN-2")


def test_a_provincial_plan_holds_only_its_own_units_work(ctx):
    engine, admin, _, plan_id = ctx
    with session_scope(engine) as s:
        plan = admin_svc.create_provincial_plan(s, actor=admin, parent_plan_id=plan_id,
                                                unit_id=_unit_id(s, "SNV-HA-NOI"), code="KH-SNV-HN-2024")
        task9 = next(t for t in plan.tasks if t.number == 9)
        data = svc.ItemInput(priority_task_id=task9.id, title="Chuyên mục trên trang của Sở",
                             lead_unit_id=_unit_id(s, "SNV-HA-NOI"), form_id=s.scalars(select(Form.id)).first())
        item = svc.create_item(s, actor=admin, plan_id=plan.id, data=data)
        assert s.get(PriorityTask, item.priority_task_id).parent_task_id == next(
            t.id for t in s.get(Plan, plan_id).tasks if t.number == 9)  # rolls up under the ministry's task (9)
        with pytest.raises(ValidationFailed, match="kế hoạch riêng của Sở Nội vụ thành phố Hà Nội"):
            svc.create_item(s, actor=admin, plan_id=plan.id, data=replace(data, lead_unit_id=_unit_id(s, "VU-TCBC")))


def test_reloading_the_catalog_keeps_what_the_office_recorded(ctx):
    from tracker.catalog import load_catalog

    engine, admin, _, plan_id = ctx
    with session_scope(engine) as s:
        task = s.scalars(select(PriorityTask).where(PriorityTask.plan_id == plan_id, PriorityTask.number == 11)).one()
        admin_svc.edit_task_text(s, actor=admin, task_id=task.id, text="Nội dung do Văn phòng bổ sung")
        admin_svc.rename_unit(s, actor=admin, unit_id=_unit_id(s, "VU-PC"), name="Vụ Pháp chế và Thanh tra")
        admin_svc.merge_unit(s, actor=admin, unit_id=_unit_id(s, "VU-CQDP"), successor_id=_unit_id(s, "VU-TCBC"),
                             from_day=dt.date(2025, 10, 1))
        task_id = task.id
    with session_scope(engine) as s:
        report = load_catalog(s)  # python -m tracker init, e.g. after an upgrade
    with session_scope(engine) as s:
        assert s.get(PriorityTask, task_id).text == "Nội dung do Văn phòng bổ sung"
        renamed = s.get(Unit, _unit_id(s, "VU-PC"))
        assert renamed.name == "Vụ Pháp chế và Thanh tra" and "Vụ Pháp chế" in renamed.aliases
        merged = s.get(Unit, _unit_id(s, "VU-CQDP"))
        assert (merged.valid_to, merged.successor.code) == (dt.date(2025, 9, 30), "VU-TCBC")
    with session_scope(engine) as s:
        assert not load_catalog(s).changed  # and a second reload changes nothing
    assert report.unchanged["nhiệm vụ"] == 24


def test_merge_moves_open_explanation_requests_to_the_successor(ctx):
    """The successor's head answers what was asked of the merged-away unit; its former head no longer can."""
    from tests.item_factories import make_item
    from tracker.errors import PermissionDenied as Denied
    from tracker.services.explanations import answer_explanation, request_explanation

    engine, admin, successor_head, _ = ctx
    with session_scope(engine) as s:
        old_head = Actor.of(make_user(s, "truong.cqdp", Role.UNIT_HEAD, "VU-CQDP"))
        item_id = make_item(s, unit_code="VU-CQDP", due=dt.date(2024, 6, 30)).id
        request_id = request_explanation(s, actor=admin, item_id=item_id, question="Vì sao quá hạn?",
                                         today=dt.date(2024, 8, 1)).id
    with session_scope(engine) as s:
        admin_svc.merge_unit(s, actor=admin, unit_id=_unit_id(s, "VU-CQDP"), successor_id=_unit_id(s, "VU-TCBC"),
                             from_day=dt.date(2024, 10, 1))
    with session_scope(engine) as s, pytest.raises(Denied):
        answer_explanation(s, actor=old_head, request_id=request_id, answer="Đã sáp nhập.")
    with session_scope(engine) as s:
        answer_explanation(s, actor=successor_head, request_id=request_id, answer="Đơn vị kế thừa đang làm.")
