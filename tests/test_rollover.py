"""Yearly rollover: 2024 items into a 2025 plan, merged units replaced by successors, nothing lost."""

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from tests.factories import make_user
from tracker.db import session_scope
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import EventKind, Form, Plan, PriorityTask, ProgressEvent, Role, Unit, WorkItem
from tracker.permissions import Actor
from tracker.services import rollover
from tracker.services import work_items as svc
from tracker.services.work_item_lists import ItemFilter, list_items
from tracker.services.work_items import ItemInput


def _ids(session, model, codes):
    return [session.scalars(select(model.id).where(model.code == c)).one() for c in codes]


@pytest.fixture
def ctx(engine):
    """Four 2024 items: three recurring (one per kind of merge), one not recurring."""
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        plan_id = s.scalars(select(Plan.id).where(Plan.code == "184/QĐ-BNV")).one()
        task = lambda n: s.scalars(select(PriorityTask.id).where(PriorityTask.plan_id == plan_id,  # noqa: E731
                                                                 PriorityTask.number == n)).one()
        vu_tl, vu_cttn, ha_giang, ha_noi, vp = _ids(s, Unit, ["VU-TL", "VU-CTTN", "SNV-HA-GIANG", "SNV-HA-NOI", "VP-BO"])
        [hop_bao] = _ids(s, Form, ["HOP-BAO"])
        base = ItemInput(priority_task_id=task(2), title="Họp báo định kỳ quý về tiền lương", lead_unit_id=vu_tl,
                         form_id=hop_bao, coordinating_unit_ids=(vu_cttn, vp), start_date=dt.date(2024, 3, 1),
                         due_date=dt.date(2024, 3, 31), target_qty=1, target_unit="cuộc", budget_planned=20_000_000,
                         note="Theo Nghị định 09/2017/NĐ-CP", recurring=True)
        ids = {
            "wage": svc.create_item(s, actor=admin, plan_id=plan_id, data=base).id,
            "province": svc.create_item(s, actor=admin, plan_id=plan_id, data=replace(
                base, priority_task_id=task(9), title="Chuyên mục của Sở", lead_unit_id=ha_giang,
                coordinating_unit_ids=(ha_noi,), start_date=dt.date(2024, 4, 1), due_date=dt.date(2024, 9, 30))).id,
            "leap": svc.create_item(s, actor=admin, plan_id=plan_id, data=replace(
                base, title="Thông tin tháng 2", lead_unit_id=vp, coordinating_unit_ids=(),
                start_date=dt.date(2024, 2, 1), due_date=dt.date(2024, 2, 29))).id,
            "once": svc.create_item(s, actor=admin, plan_id=plan_id, data=replace(
                base, title="Việc một lần", lead_unit_id=vp, coordinating_unit_ids=(), recurring=False)).id,
        }
    return engine, admin, plan_id, ids


def test_preview_lists_every_replacement_and_writes_nothing(ctx):
    engine, admin, plan_id, ids = ctx
    with session_scope(engine) as s:
        preview = rollover.preview_rollover(s, actor=admin, source_plan_id=plan_id, new_code="KH-2025")
    assert preview.problems == []
    assert preview.new_year == 2025 and preview.task_count == 16
    assert preview.new_title == "Kế hoạch truyền thông về các lĩnh vực công tác của Bộ Nội vụ năm 2025"
    assert [c.source_item_id for c in preview.items] == [ids["wage"], ids["province"], ids["leap"]]  # recurring only
    assert [(r.source_item_id, r.role, r.old_unit, r.new_unit) for r in preview.replacements] == [
        (ids["wage"], "Chủ trì", "Vụ Tiền lương", "Cục Tiền lương và Bảo hiểm xã hội"),
        (ids["wage"], "Phối hợp", "Vụ Công tác thanh niên", "Vụ Công tác thanh niên và Bình đẳng giới"),
        (ids["province"], "Chủ trì", "Sở Nội vụ tỉnh Hà Giang", "Sở Nội vụ tỉnh Tuyên Quang"),
    ]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(Plan.id))) == 2
        assert s.scalar(select(func.count(WorkItem.id))) == 4


def test_rollover_moves_items_to_2025_with_successors_and_nothing_lost(ctx):
    engine, admin, plan_id, ids = ctx
    with session_scope(engine) as s:
        source = {r.id: r for r in list_items(s, actor=admin, filters=ItemFilter(plan_id=plan_id))}
        plan, _ = rollover.apply_rollover(s, actor=admin, source_plan_id=plan_id, new_code="KH-2025")
        new_plan_id = plan.id
    with session_scope(engine) as s:
        new_plan = s.get(Plan, new_plan_id)
        assert (new_plan.year, len(new_plan.tasks), new_plan.verified) == (2025, 16, False)
        assert [t.text_missing for t in new_plan.tasks].count(True) == 1  # task (11) still marked missing
        carried = list_items(s, actor=admin, filters=ItemFilter(plan_id=new_plan_id))
        assert s.scalar(select(func.count(WorkItem.id)).where(WorkItem.plan_id == plan_id)) == 4  # source untouched
    by_title = {r.title: r for r in carried}
    assert set(by_title) == {"Họp báo định kỳ quý về tiền lương", "Chuyên mục của Sở", "Thông tin tháng 2"}
    for title, new in by_title.items():
        old = next(r for r in source.values() if r.title == title)
        for name in ("task_number", "form", "target_qty", "target_unit", "budget_planned", "note", "recurring",
                     "channel"):
            assert getattr(new, name) == getattr(old, name), (title, name)
        assert (new.status.value, new.progress) == ("not_started", 0)
    wage = by_title["Họp báo định kỳ quý về tiền lương"]
    assert (wage.start_date, wage.due_date) == (dt.date(2025, 3, 1), dt.date(2025, 3, 31))
    assert wage.lead_unit == "Cục Tiền lương và Bảo hiểm xã hội"
    assert sorted(wage.coordinating_units) == sorted(["Vụ Công tác thanh niên và Bình đẳng giới", "Văn phòng Bộ"])
    assert by_title["Chuyên mục của Sở"].lead_unit == "Sở Nội vụ tỉnh Tuyên Quang"
    assert by_title["Chuyên mục của Sở"].coordinating_units == ["Sở Nội vụ thành phố Hà Nội"]
    assert by_title["Thông tin tháng 2"].due_date == dt.date(2025, 2, 28)
    with session_scope(engine) as s:
        events = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == wage.id)
                           .order_by(ProgressEvent.id)).all()
    assert [e.kind for e in events] == [EventKind.CREATED, EventKind.UNIT_REPLACED, EventKind.UNIT_REPLACED]
    assert events[0].note == f"Chuyển từ công việc số {ids['wage']} của kế hoạch 184/QĐ-BNV."
    assert events[1].changes == {"lead_unit": ["Vụ Tiền lương", "Cục Tiền lương và Bảo hiểm xã hội"]}


def test_a_unit_without_successor_stops_the_rollover_until_reassigned(ctx):
    engine, admin, plan_id, ids = ctx
    with session_scope(engine) as s:
        [ban_tg] = _ids(s, Unit, ["BAN-TGCP"])
        s.get(WorkItem, ids["once"]).lead_unit_id = ban_tg
    with session_scope(engine) as s, pytest.raises(ValidationFailed) as err:
        rollover.apply_rollover(s, actor=admin, source_plan_id=plan_id, new_code="KH-2025",
                                item_ids=[ids["wage"], ids["once"]])
    assert len(err.value.problems) == 1
    assert "“Ban Tôn giáo Chính phủ” không còn hoạt động" in err.value.problems[0]
    assert "không có đơn vị kế thừa" in err.value.problems[0]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(Plan.id))) == 2  # nothing written
        assert s.scalar(select(func.count(WorkItem.id))) == 4


def test_chosen_items_and_a_taken_code(ctx):
    engine, admin, plan_id, ids = ctx
    with session_scope(engine) as s:
        preview = rollover.preview_rollover(s, actor=admin, source_plan_id=plan_id, new_code="KH-2023",
                                            item_ids=[ids["once"]])
    assert [c.source_item_id for c in preview.items] == [ids["once"]]
    assert preview.problems == ["Đã có kế hoạch mã “KH-2023”."]


def test_only_the_office_rolls_over(ctx):
    engine, _, plan_id, _ = ctx
    with session_scope(engine) as s:
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
    with session_scope(engine) as s, pytest.raises(PermissionDenied):
        rollover.preview_rollover(s, actor=head, source_plan_id=plan_id, new_code="KH-2025")


def test_successor_chain_is_followed():
    a = Unit(id=1, code="A", name="A", valid_to=dt.date(2024, 12, 31))
    b = Unit(id=2, code="B", name="B", valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 6, 30))
    c = Unit(id=3, code="C", name="C", valid_from=dt.date(2025, 7, 1))
    a.successor, b.successor = b, c
    assert rollover.unit_on(a, [dt.date(2025, 8, 1)]) is c
    assert rollover.unit_on(a, [dt.date(2025, 2, 1)]) is b
    assert rollover.unit_on(c, [dt.date(2024, 1, 1)]) is None


def test_cli_previews_then_writes_with_yes(ctx, db_env, capsys):
    from tracker.__main__ import main

    engine, _, _, ids = ctx
    assert main(["rollover", "--plan", "184/QĐ-BNV", "--code", "KH-2025"]) == 0
    out = capsys.readouterr().out
    assert "3 công việc, 3 lần thay đơn vị, 0 lỗi" in out
    assert f"Thay đơn vị (chủ trì) của #{ids['wage']}: Vụ Tiền lương → Cục Tiền lương và Bảo hiểm xã hội" in out
    assert "Chưa ghi gì" in out
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(Plan.id))) == 2
    assert main(["rollover", "--plan", "2024", "--code", "KH-2025", "--items", f"{ids['once']}", "--yes"]) == 0
    assert "Đã tạo kế hoạch KH-2025 (năm 2025) với 1 công việc." in capsys.readouterr().out
    assert main(["rollover", "--plan", "2024", "--code", "KH-2025"]) == 1
    assert "Đã có kế hoạch mã “KH-2025”." in capsys.readouterr().err


def test_items_that_become_the_same_work_are_folded_with_their_targets(ctx):
    engine, admin, plan_id, ids = ctx
    with session_scope(engine) as s:
        tuyen_quang = s.scalars(select(Unit.id).where(Unit.code == "SNV-TUYEN-QUANG")).one()
        source = s.get(WorkItem, ids["province"])  # Hà Giang, merged into Tuyên Quang from 01/7/2025
        twin = svc.create_item(s, actor=admin, plan_id=plan_id, data=ItemInput(
            priority_task_id=source.priority_task_id, title=source.title, lead_unit_id=tuyen_quang,
            form_id=source.form_id, start_date=dt.date(2024, 4, 1), due_date=dt.date(2024, 10, 31),
            target_qty=5, target_unit="cuộc", budget_planned=1_000_000, recurring=True))
        twin_id = twin.id
    with session_scope(engine) as s:
        preview = rollover.preview_rollover(s, actor=admin, source_plan_id=plan_id, new_code="KH-2025")
    assert [(m.source_item_id, m.into_source_item_id) for m in preview.merges] == [(ids["province"], twin_id)]
    assert "3 công việc (gộp 1 công việc trùng sau khi thay đơn vị)" in preview.summary()
    with session_scope(engine) as s:
        plan, _ = rollover.apply_rollover(s, actor=admin, source_plan_id=plan_id, new_code="KH-2025")
        rows = {r.title: r for r in list_items(s, actor=admin, filters=ItemFilter(plan_id=plan.id))}
    folded = rows["Chuyên mục của Sở"]
    assert folded.lead_unit == "Sở Nội vụ tỉnh Tuyên Quang"
    assert (folded.target_qty, folded.budget_planned) == (6, 21_000_000)  # 1 + 5 cuộc; 20 + 1 triệu
    assert (folded.start_date, folded.due_date) == (dt.date(2025, 4, 1), dt.date(2025, 10, 31))
    assert folded.coordinating_units == ["Sở Nội vụ thành phố Hà Nội"]
    with session_scope(engine) as s:
        events = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == folded.id)
                           .order_by(ProgressEvent.id)).all()
    assert events[0].note == (f"Chuyển từ công việc số {twin_id}, {ids['province']} của kế hoạch 184/QĐ-BNV "
                              "(gộp các công việc trùng sau khi thay đơn vị).")
    assert [e.changes for e in events[1:]] == [{"lead_unit": ["Sở Nội vụ tỉnh Hà Giang", "Sở Nội vụ tỉnh Tuyên Quang"]}]


def test_work_whose_year_crosses_the_day_a_unit_ended_goes_to_the_unit_there_when_it_is_due(ctx):
    """15/01–30/06/2025: Vụ Tiền lương ends on 28/02/2025 and Cục Tiền lương và Bảo hiểm xã hội begins on 01/03/2025;
    neither exists for the whole span. The work goes to the one that exists when it is due — not an error that
    says the unit has no successor."""
    engine, admin, plan_id, ids = ctx
    with session_scope(engine) as s:
        item = s.get(WorkItem, ids["wage"])
        item.start_date, item.due_date = dt.date(2024, 1, 15), dt.date(2024, 6, 30)
    with session_scope(engine) as s:
        preview = rollover.preview_rollover(s, actor=admin, source_plan_id=plan_id, new_code="KH-2025",
                                            item_ids=[ids["wage"]])
    assert preview.problems == []
    assert [(r.role, r.old_unit, r.new_unit) for r in preview.replacements if r.role == "Chủ trì"] == [
        ("Chủ trì", "Vụ Tiền lương", "Cục Tiền lương và Bảo hiểm xã hội")]


def test_the_refusal_names_each_unit_s_dates_when_no_unit_can_carry_the_work(ctx):
    engine, admin, plan_id, ids = ctx
    with session_scope(engine) as s:
        [ban_tg] = _ids(s, Unit, ["BAN-TGCP"])
        s.get(WorkItem, ids["once"]).lead_unit_id = ban_tg
    with session_scope(engine) as s:
        preview = rollover.preview_rollover(s, actor=admin, source_plan_id=plan_id, new_code="KH-2025",
                                            item_ids=[ids["once"]])
    [problem] = preview.problems
    assert "không đơn vị nào hoạt động vào 01/03/2025 – 31/03/2025" in problem
    assert "“Ban Tôn giáo Chính phủ” hoạt động từ 15/09/2022 đến 28/02/2025" in problem
    assert "“Ban Tôn giáo Chính phủ” không có đơn vị kế thừa" in problem
