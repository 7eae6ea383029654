"""Planning work items: every validation rule, history on create/edit/delete, stale edits, fan-out."""

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tracker.db import session_scope
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import EventKind, Form, Plan, PriorityTask, ProgressEvent, Role, Unit, WorkItem
from tracker.permissions import Actor
from tracker.services import work_items as svc
from tracker.services.progress import StaleItem, item_history
from tracker.services.work_item_lists import ItemFilter, list_items, plan_choices
from tracker.services.work_items import ItemInput


def _id(session, model, **by):
    return session.scalars(select(model.id).filter_by(**by)).one()


def _task(session, plan_code="184/QĐ-BNV", number=9):
    plan_id = _id(session, Plan, code=plan_code)
    return plan_id, _id(session, PriorityTask, plan_id=plan_id, number=number)


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        plan_id, task_id = _task(s)
        base = ItemInput(
            priority_task_id=task_id, title="Chuyên mục về cải cách tiền lương",
            lead_unit_id=_id(s, Unit, code="VU-TCBC"), form_id=_id(s, Form, code="CHUYEN-MUC"),
            coordinating_unit_ids=(_id(s, Unit, code="VU-TL"),),
            start_date=dt.date(2024, 4, 1), due_date=dt.date(2024, 9, 30),
            target_qty=12, target_unit="tin bài", budget_planned=50_000_000,
        )
        units = {code: _id(s, Unit, code=code) for code in ("VU-TCBC", "VU-TL", "CUC-TLBHXH", "SNV-HA-GIANG",
                                                             "SNV-HA-NOI")}
    return engine, admin, head, plan_id, base, units


def _problems(engine, plan_id, data):
    with session_scope(engine) as s:
        return [p.message for p in svc.validate_item(s, plan=s.get(Plan, plan_id), data=svc.normalise(data))]


def test_valid_item_has_no_problems(ctx):
    engine, _, _, plan_id, base, _ = ctx
    assert _problems(engine, plan_id, base) == []


@pytest.mark.parametrize("change, expected", [
    ({"lead_unit_id": None}, "Chưa chọn đơn vị chủ trì."),
    ({"title": "   "}, "Nội dung công việc không được để trống."),
    ({"due_date": dt.date(2024, 3, 1)}, "Hạn hoàn thành (01/03/2024) không được trước ngày bắt đầu (01/04/2024)."),
    ({"target_qty": -1}, "Chỉ tiêu không được âm."),
    ({"budget_planned": -5}, "Kinh phí không được âm."),
    ({"form_id": None}, "Chưa chọn hình thức truyền thông có trong danh mục."),
    ({"form_id": 99999}, "Chưa chọn hình thức truyền thông có trong danh mục."),
    ({"priority_task_id": None}, "Chưa chọn nhiệm vụ trọng tâm của kế hoạch 184/QĐ-BNV."),
])
def test_each_rule_has_a_vietnamese_message(ctx, change, expected):
    engine, _, _, plan_id, base, _ = ctx
    assert _problems(engine, plan_id, replace(base, **change)) == [expected]


def test_lead_unit_must_exist_on_the_items_dates(ctx):
    engine, _, _, plan_id, base, units = ctx
    data = replace(base, lead_unit_id=units["VU-TL"], coordinating_unit_ids=(),
                   start_date=dt.date(2025, 1, 1), due_date=dt.date(2025, 6, 30))
    [message] = _problems(engine, plan_id, data)
    assert message.startswith("Đơn vị chủ trì “Vụ Tiền lương” không hoạt động vào ngày 30/06/2025")
    assert "Cục Tiền lương và Bảo hiểm xã hội" in message  # names the successor
    early = replace(base, lead_unit_id=units["CUC-TLBHXH"], coordinating_unit_ids=())
    [message] = _problems(engine, plan_id, early)
    assert "không hoạt động vào ngày 01/04/2024 (chỉ hoạt động từ ngày 01/03/2025)" in message


def test_coordinating_units_active_and_not_the_lead(ctx):
    engine, _, _, plan_id, base, units = ctx
    problems = _problems(engine, plan_id, replace(base, coordinating_unit_ids=(units["VU-TCBC"], units["CUC-TLBHXH"])))
    assert problems[0] == "Đơn vị phối hợp “Vụ Tổ chức - Biên chế” trùng với đơn vị chủ trì."
    assert problems[1].startswith("Đơn vị phối hợp “Cục Tiền lương và Bảo hiểm xã hội” không hoạt động")


def test_all_problems_are_reported_at_once(ctx):
    engine, admin, _, plan_id, base, _ = ctx
    bad = replace(base, title="", target_qty=-1, budget_planned=-1, due_date=dt.date(2024, 1, 1))
    with session_scope(engine) as s, pytest.raises(ValidationFailed) as err:
        svc.create_item(s, actor=admin, plan_id=plan_id, data=bad)
    assert len(err.value.problems) == 4


def test_only_the_office_manages_items(ctx):
    engine, _, head, plan_id, base, _ = ctx
    with session_scope(engine) as s, pytest.raises(PermissionDenied, match="Chỉ Văn phòng"):
        svc.create_item(s, actor=head, plan_id=plan_id, data=base)


def test_create_edit_delete_leave_a_history(ctx):
    engine, admin, _, plan_id, base, _ = ctx
    with session_scope(engine) as s:
        item = svc.create_item(s, actor=admin, plan_id=plan_id, data=base)
        item_id, version = item.id, item.version
    with session_scope(engine) as s:
        svc.update_item(s, actor=admin, item_id=item_id, expected_version=version,
                        data=replace(base, due_date=dt.date(2024, 10, 31), target_qty=15))
    with session_scope(engine) as s:
        svc.delete_item(s, actor=admin, item_id=item_id, expected_version=version + 1, reason="Trùng việc")
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).deleted_at is not None
        assert list_items(s, actor=admin, filters=ItemFilter(plan_id=plan_id)) == []
        history = item_history(s, actor=admin, item_id=item_id)
    assert [h.kind for h in history] == ["created", "updated", "deleted"]
    changes = {label: (old, new) for label, old, new in history[1].changes}
    assert changes["Hạn hoàn thành"] == ("30/09/2024", "31/10/2024")
    assert changes["Chỉ tiêu"] == ("12 tin bài", "15 tin bài")
    assert history[2].note == "Trùng việc"


def test_deleted_item_can_be_entered_again_and_restored_only_if_not(ctx):
    engine, admin, _, plan_id, base, _ = ctx
    with session_scope(engine) as s:
        first = svc.create_item(s, actor=admin, plan_id=plan_id, data=base)
        svc.delete_item(s, actor=admin, item_id=first.id, expected_version=first.version)
        first_id = first.id
    with session_scope(engine) as s:
        svc.restore_item(s, actor=admin, item_id=first_id)
        assert [e.kind for e in s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == first_id)
                                          .order_by(ProgressEvent.id))][-1] is EventKind.RESTORED
        assert len(list_items(s, actor=admin, filters=ItemFilter(plan_id=plan_id))) == 1


def test_the_same_work_cannot_be_entered_twice(ctx):
    engine, admin, _, plan_id, base, _ = ctx
    with session_scope(engine) as s:
        item_id = svc.create_item(s, actor=admin, plan_id=plan_id, data=base).id
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match=f"công việc số {item_id}"):
        svc.create_item(s, actor=admin, plan_id=plan_id, data=replace(base, title="  chuyên mục về CẢI CÁCH tiền lương "))


def test_edit_on_a_stale_copy_is_refused(ctx):
    engine, admin, _, plan_id, base, _ = ctx
    with session_scope(engine) as s:
        item_id = svc.create_item(s, actor=admin, plan_id=plan_id, data=base).id
    with session_scope(engine) as s:
        svc.update_item(s, actor=admin, item_id=item_id, expected_version=1, data=replace(base, target_qty=20))
    with session_scope(engine) as s, pytest.raises(StaleItem) as err:
        svc.update_item(s, actor=admin, item_id=item_id, expected_version=1, data=replace(base, target_qty=30))
    assert err.value.current_version == 2
    with session_scope(engine) as s, pytest.raises(StaleItem):
        svc.delete_item(s, actor=admin, item_id=item_id, expected_version=1)
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).target_qty == 20


def test_edit_without_change_is_refused(ctx):
    engine, admin, _, plan_id, base, _ = ctx
    with session_scope(engine) as s:
        item_id = svc.create_item(s, actor=admin, plan_id=plan_id, data=base).id
    with session_scope(engine) as s, pytest.raises(ValidationFailed, match="Chưa có gì thay đổi"):
        svc.update_item(s, actor=admin, item_id=item_id, expected_version=1, data=base)


def test_fan_out_to_all_provincial_departments_on_the_dates(ctx):
    engine, admin, _, plan_id, base, _ = ctx
    template = replace(base, coordinating_unit_ids=(), title="Chuyên mục về nhiệm vụ 9")
    with session_scope(engine) as s:
        result = svc.fan_out(s, actor=admin, plan_id=plan_id, template=template, scope=svc.SCOPE_PROVINCIAL)
    assert len(result.item_ids) == 63  # 2024: the 63 provinces
    late = replace(template, title="Chuyên mục quý III/2025", start_date=dt.date(2025, 7, 1),
                   due_date=dt.date(2025, 9, 30))
    with session_scope(engine) as s:
        result = svc.fan_out(s, actor=admin, plan_id=plan_id, template=late, scope=svc.SCOPE_PROVINCIAL)
    assert len(result.item_ids) == 34  # from 01/7/2025: 34
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(WorkItem.id))) == 97


def test_fan_out_is_all_or_nothing(ctx):
    engine, admin, _, plan_id, base, units = ctx
    template = replace(base, coordinating_unit_ids=(), start_date=dt.date(2025, 7, 1), due_date=dt.date(2025, 9, 30))
    with session_scope(engine) as s, pytest.raises(ValidationFailed) as err:
        svc.fan_out(s, actor=admin, plan_id=plan_id, template=template,
                    unit_ids=[units["SNV-HA-NOI"], units["SNV-HA-GIANG"]])
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith("Sở Nội vụ tỉnh Hà Giang: Đơn vị chủ trì")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(WorkItem.id))) == 0


def test_fan_out_drops_the_lead_from_its_own_coordinators(ctx):
    engine, admin, _, plan_id, base, units = ctx
    with session_scope(engine) as s:
        result = svc.fan_out(s, actor=admin, plan_id=plan_id, template=base,
                             unit_ids=[units["VU-TCBC"], units["VU-TL"]])
        items = [s.get(WorkItem, i) for i in result.item_ids]
        assert [[u.code for u in i.coordinating_units] for i in items] == [["VU-TL"], []]


def test_unit_head_lists_every_unit(ctx):
    engine, admin, head, plan_id, base, units = ctx
    with session_scope(engine) as s:
        svc.fan_out(s, actor=admin, plan_id=plan_id, template=replace(base, coordinating_unit_ids=()),
                    unit_ids=[units["VU-TCBC"], units["SNV-HA-NOI"]])
    with session_scope(engine) as s:
        assert sorted(r.lead_unit for r in list_items(s, actor=head, filters=ItemFilter())) == [
            "Sở Nội vụ thành phố Hà Nội", "Vụ Tổ chức - Biên chế"]  # reading is open; writing is not
        assert len(list_items(s, actor=admin, filters=ItemFilter(plan_id=plan_id))) == 2
        only = list_items(s, actor=admin, filters=ItemFilter(unit_id=units["SNV-HA-NOI"],
                                                                 due_from=dt.date(2024, 9, 1),
                                                                 due_to=dt.date(2024, 9, 30)))
        assert [r.lead_unit for r in only] == ["Sở Nội vụ thành phố Hà Nội"]
        assert list_items(s, actor=admin, filters=ItemFilter(due_to=dt.date(2024, 9, 1))) == []


def test_choices_match_channels_by_name_or_alias(ctx):
    engine, _, _, plan_id, _, _ = ctx
    with session_scope(engine) as s:
        choices = plan_choices(s, plan_id=plan_id)
    assert len(choices.tasks) == 16 and choices.tasks[10].label.startswith("(11) [Chưa có nội dung")
    assert "Vụ Tiền lương" in {u.label for u in choices.units}
    dan_tri = next(o.id for o in choices.channels if o.label == "Báo Dân trí")
    assert choices.channel_id("  báo dân TRÍ ") == dan_tri
    assert choices.channel_id("Tờ rơi") is None and choices.channel_id("") is None


def test_only_the_office_lists_deleted_items(ctx):
    engine, admin, head, plan_id, base, _ = ctx
    with session_scope(engine) as s:
        item = svc.create_item(s, actor=admin, plan_id=plan_id, data=base)
        svc.delete_item(s, actor=admin, item_id=item.id, expected_version=item.version)
    with session_scope(engine) as s:
        wanted = ItemFilter(plan_id=plan_id, include_deleted=True)
        assert [r.deleted for r in list_items(s, actor=admin, filters=wanted)] == [True]
        assert list_items(s, actor=head, filters=wanted) == []


def test_create_items_makes_every_item_and_its_history_in_one_batch(ctx):
    engine, admin, _, plan_id, base, units = ctx
    entries = [(replace(base, lead_unit_id=units[code], coordinating_unit_ids=()), f"Ghi chú {code}")
               for code in ("VU-TCBC", "VU-TL", "SNV-HA-NOI")]
    with session_scope(engine) as s:
        made = svc.create_items(s, actor=admin, plan_id=plan_id, entries=entries)
        ids = [i.id for i in made]
    with session_scope(engine) as s:
        rows = s.execute(select(WorkItem.id, WorkItem.lead_unit_id).where(WorkItem.id.in_(ids))
                         .order_by(WorkItem.id)).all()
        assert [u for _, u in rows] == [units["VU-TCBC"], units["VU-TL"], units["SNV-HA-NOI"]]
        notes = s.scalars(select(ProgressEvent.note).where(ProgressEvent.work_item_id.in_(ids),
                                                           ProgressEvent.kind == EventKind.CREATED)
                          .order_by(ProgressEvent.work_item_id)).all()
        assert notes == ["Ghi chú VU-TCBC", "Ghi chú VU-TL", "Ghi chú SNV-HA-NOI"]


@pytest.mark.parametrize("clash", ["in_the_plan", "in_the_batch"])
def test_create_items_refuses_the_same_work_twice_and_creates_nothing(ctx, clash):
    engine, admin, _, plan_id, base, units = ctx
    other = replace(base, lead_unit_id=units["VU-TL"], coordinating_unit_ids=())
    if clash == "in_the_plan":
        with session_scope(engine) as s:
            first = svc.create_item(s, actor=admin, plan_id=plan_id, data=base).id
        entries, message = [(other, None), (base, None)], f"Kế hoạch đã có công việc số {first} cùng nhiệm vụ"
    else:
        entries, message = [(base, None), (other, None), (base, None)], "Có hai công việc trùng nhiệm vụ"
    with session_scope(engine) as s:
        before = s.scalar(select(func.count()).select_from(WorkItem))
    with pytest.raises(ValidationFailed, match=message):
        with session_scope(engine) as s:
            svc.create_items(s, actor=admin, plan_id=plan_id, entries=entries)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(WorkItem)) == before


def test_create_items_checks_every_item_and_only_the_office_may(ctx):
    engine, admin, head, plan_id, base, units = ctx
    with pytest.raises(PermissionDenied):
        with session_scope(engine) as s:
            svc.create_items(s, actor=head, plan_id=plan_id, entries=[(base, None)])
    bad = replace(base, lead_unit_id=units["VU-TL"], title="  ")
    with pytest.raises(ValidationFailed, match="Nội dung công việc không được để trống."):
        with session_scope(engine) as s:
            svc.create_items(s, actor=admin, plan_id=plan_id, entries=[(base, None), (bad, None)])


def test_the_list_counts_what_it_does_not_show(session):
    """"Công việc" shows at most N rows and says how many match (no silent cap)."""
    from tests.item_factories import make_item
    from tracker.services import work_item_lists

    for n in range(7):
        make_item(session, title=f"Việc đếm {n}")
    office = Actor.of(make_user(session, "van.phong.dem", Role.ADMIN))
    plan_id = session.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
    filters = work_item_lists.ItemFilter(plan_id=plan_id)
    assert len(work_item_lists.list_items(session, actor=office, filters=filters, limit=3)) == 3
    assert work_item_lists.count_items(session, actor=office, filters=filters) == 7
