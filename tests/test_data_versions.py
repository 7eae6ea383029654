"""The data versions in the dashboard's cache keys: every kind of write that changes a plan's figures changes that
plan's version (and no other plan's); catalog writes change the catalog's."""

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select, update

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.bench import import_workbook
from tracker.db import session_scope
from tracker.models import Plan, PriorityTask, Role, Status, Unit, WorkItem
from tracker.permissions import Actor
from tracker.services import bulk, catalog_admin, data_versions, explanations, imports, moves, rollover, settings
from tracker.services import work_items as items_service
from tracker.services.progress import ProgressInput, update_progress
from tracker.ui import board as board_ui

TODAY = dt.date(2024, 8, 1)
PLAN_2024, PLAN_2023 = "184/QĐ-BNV", "KH-2023"


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        plans = dict(s.execute(select(Plan.code, Plan.id)).all())
        assert PLAN_2023 in plans, sorted(plans)
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        ids = [make_item(s, title=f"Chuyên mục số {n}", status=Status.NOT_STARTED, progress=0).id for n in range(3)]
        other = make_item(s, title="Việc của kế hoạch 2023", plan_code=PLAN_2023, task_number=1,
                          unit_code="SNV-HA-NOI").id
    return engine, admin, head, plans[PLAN_2024], plans[PLAN_2023], ids, other


def _read(engine, *plan_ids):
    with session_scope(engine) as s:
        return data_versions.read(s, plan_ids)


def _version(engine, item_id):
    with session_scope(engine) as s:
        return s.get(WorkItem, item_id).version


def _progress(engine, head, item_id):
    with session_scope(engine) as s:
        update_progress(s, actor=head, item_id=item_id, expected_version=_version(engine, item_id),
                        change=ProgressInput(progress=40, note="Đã viết xong bản thảo"), today=TODAY)


def _move(engine, head, item_id):
    with session_scope(engine) as s:
        moves.move_item(s, actor=head, item_id=item_id, to_status=Status.IN_PROGRESS,
                        expected_version=_version(engine, item_id), today=TODAY)


def _drag(engine, head, item_id):
    request = board_ui.MoveRequest(item_id=item_id, from_status=Status.NOT_STARTED, to_status=Status.IN_PROGRESS,
                                   version=_version(engine, item_id))
    assert board_ui.apply_move(engine, actor=head, request=request, today=TODAY).ok


def _edit(engine, admin, item_id):
    with session_scope(engine) as s:
        data = items_service.item_input(s.get(WorkItem, item_id))
        items_service.update_item(s, actor=admin, item_id=item_id, expected_version=_version(engine, item_id),
                                  data=replace(data, title="Tên mới của công việc"))


def _bulk_edit(engine, admin, ids):
    with session_scope(engine) as s:
        bulk.apply_edit(s, actor=admin, items=[(i, s.get(WorkItem, i).version) for i in ids],
                        edit=bulk.BulkEdit(shift_days=7))


def _bulk_units(engine, admin, ids):
    """The office gives the items another lead unit and other coordinating units."""
    with session_scope(engine) as s:
        unit = lambda code: s.scalars(select(Unit.id).where(Unit.code == code)).one()  # noqa: E731
        bulk.apply_edit(s, actor=admin, items=[(i, s.get(WorkItem, i).version) for i in ids],
                        edit=bulk.BulkEdit(lead_unit_id=unit("VU-CQDP"), coordinating_unit_ids=(unit("VP-BO"),)))


def _bulk_move(engine, admin, ids):
    with session_scope(engine) as s:
        bulk.apply_move(s, actor=admin, items=[(i, s.get(WorkItem, i).version) for i in ids],
                        to_status=Status.IN_PROGRESS, today=TODAY)


def _delete(engine, admin, item_id):
    with session_scope(engine) as s:
        items_service.delete_item(s, actor=admin, item_id=item_id, expected_version=_version(engine, item_id),
                                  reason="Trùng kế hoạch")


def _restore(engine, admin, item_id):
    _delete(engine, admin, item_id)
    before = _read(engine, *_plan_of(engine, item_id))
    with session_scope(engine) as s:
        items_service.restore_item(s, actor=admin, item_id=item_id)
    return before


def _plan_of(engine, item_id):
    with session_scope(engine) as s:
        return (s.get(WorkItem, item_id).plan_id,)


def _explanation(engine, admin, item_id):
    with session_scope(engine) as s:
        s.get(WorkItem, item_id).due_date = dt.date(2024, 7, 1)
    before = _read(engine, *_plan_of(engine, item_id))
    with session_scope(engine) as s:
        explanations.request_explanation(s, actor=admin, item_id=item_id, question="Vì sao chậm?", today=TODAY)
    return before


def _import(engine, admin, plan_id):
    with session_scope(engine) as s:
        data = import_workbook(s, plan_id, 3, "kiểm tra")
    with session_scope(engine) as s:
        imports.import_items(s, actor=admin, plan_id=plan_id, data=data)


def _merge(engine, admin):
    with session_scope(engine) as s:
        unit = lambda code: s.scalars(select(Unit.id).where(Unit.code == code)).one()  # noqa: E731
        catalog_admin.merge_unit(s, actor=admin, unit_id=unit("VU-TCBC"), successor_id=unit("VU-CQDP"),
                                 from_day=dt.date(2024, 8, 1))


def _set_based(engine, ids):
    """A set-based UPDATE statement that names neither `updated_at` nor `version`: `onupdate` stamps it."""
    with session_scope(engine) as s:
        s.execute(update(WorkItem).where(WorkItem.id.in_(ids)).values(note="Ghi chú chung"))


WRITES = {
    "progress report": lambda e, admin, head, ids, plan: _progress(e, head, ids[0]),
    "status move": lambda e, admin, head, ids, plan: _move(e, head, ids[0]),
    "the board's drag": lambda e, admin, head, ids, plan: _drag(e, head, ids[0]),
    "edit": lambda e, admin, head, ids, plan: _edit(e, admin, ids[0]),
    "bulk edit": lambda e, admin, head, ids, plan: _bulk_edit(e, admin, ids),
    "bulk edit: lead and coordinating units": lambda e, admin, head, ids, plan: _bulk_units(e, admin, ids),
    "bulk move": lambda e, admin, head, ids, plan: _bulk_move(e, admin, ids),
    "soft delete": lambda e, admin, head, ids, plan: _delete(e, admin, ids[1]),
    "restore": lambda e, admin, head, ids, plan: _restore(e, admin, ids[1]),
    "explanation asked": lambda e, admin, head, ids, plan: _explanation(e, admin, ids[2]),
    "import": lambda e, admin, head, ids, plan: _import(e, admin, plan),
    "unit merge (a new lead unit)": lambda e, admin, head, ids, plan: _merge(e, admin),
    "set-based UPDATE": lambda e, admin, head, ids, plan: _set_based(e, ids),
}


@pytest.mark.parametrize("kind", list(WRITES))
def test_every_write_to_a_plan_changes_its_version_and_no_other_plan_s(ctx, kind):
    engine, admin, head, plan, other_plan, ids, _ = ctx
    before = _read(engine, plan, other_plan)
    staged = WRITES[kind](engine, admin, head, ids, plan)  # some writes need a first step: its version is the base
    after = _read(engine, plan, other_plan)
    base = staged or before
    assert after[1][plan] != base[1][plan]
    assert after[1][other_plan] == before[1][other_plan]


def test_a_write_committed_after_a_later_stamped_one_still_changes_the_version(ctx):
    """Two reports at the same moment: the one stamped first commits last. Neither the latest timestamp nor
    the number of items updated in the window moves; the window's sum of versions does."""
    engine, _, _, plan, _, ids, _ = ctx
    late = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)

    def stamp(item_id, moment):
        with session_scope(engine) as s:
            s.execute(update(WorkItem).where(WorkItem.id == item_id)
                      .values(updated_at=moment, version=WorkItem.version + 1))

    stamp(ids[0], late - dt.timedelta(seconds=2))
    stamp(ids[1], late)
    seen = _read(engine, plan)[1][plan]
    stamp(ids[0], late - dt.timedelta(seconds=1))
    now = _read(engine, plan)[1][plan]
    assert now[:2] == seen[:2]  # the same latest update, the same items in the window
    assert now != seen


def test_a_rollover_changes_the_source_plan_s_version_and_the_catalog_s(ctx):
    engine, admin, _, plan, _, ids, _ = ctx
    with session_scope(engine) as s:
        s.get(WorkItem, ids[0]).recurring = True
    before = _read(engine, plan)
    with session_scope(engine) as s:
        new_plan, _ = rollover.apply_rollover(s, actor=admin, source_plan_id=plan, new_code="KH-2025")
        new_id = new_plan.id
    after = _read(engine, plan, new_id)
    assert after[0] != before[0]  # a new plan (plan_choices)
    assert after[1][new_id][1] >= 1  # the carried item


@pytest.mark.parametrize("kind", ["task text", "unit rename", "reporting rule", "new provincial plan"])
def test_catalog_writes_change_the_catalog_s_version(ctx, kind):
    engine, admin, _, plan, _, _, _ = ctx
    before = _read(engine, plan)
    with session_scope(engine) as s:
        unit = lambda code: s.scalars(select(Unit.id).where(Unit.code == code)).one()  # noqa: E731
        if kind == "task text":
            task = s.scalars(select(PriorityTask.id).where(PriorityTask.plan_id == plan)).first()
            catalog_admin.edit_task_text(s, actor=admin, task_id=task, text="Nội dung mới của nhiệm vụ")
        elif kind == "unit rename":
            catalog_admin.rename_unit(s, actor=admin, unit_id=unit("VU-TCBC"), name="Vụ Tổ chức cán bộ (mới)")
        elif kind == "reporting rule":
            settings.set_reporting(s, actor=admin, rule="calendar", send_within_days=5)
        else:
            catalog_admin.create_provincial_plan(s, actor=admin, parent_plan_id=plan, unit_id=unit("SNV-HA-NOI"),
                                                code="KH-SNV-HN-2024")
    after = _read(engine, plan)
    assert after[0] != before[0] and after[1] == before[1]


def test_a_plan_without_items_and_no_plan_at_all(ctx):
    engine, _, _, plan, _, _, _ = ctx
    catalog, plans = _read(engine)
    assert plans == {} and catalog[1] >= plan
    assert _read(engine, 10_000)[1] == {10_000: ("", 0, 0)}
