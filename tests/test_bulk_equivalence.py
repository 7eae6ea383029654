"""A change of many items written at once gives the same rows as `work_items.update_item` item after item.

Two copies of the same database: one takes the change through the single-item service, item by item in one
transaction (the path bulk.py took before it wrote in one flush), the other through `bulk.apply_edit`. Items,
coordinators, history, item states, the flow's summary, notifications and the figures are compared row by row
(timestamps aside: the two runs happen a moment apart); refusals are compared word for word.
"""

import datetime as dt

import pytest
from sqlalchemy import inspect, select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker import clock, figures
from tracker.db import session_scope
from tracker.errors import NotFound, TrackerError, ValidationFailed
from tracker.models import EventKind, ProgressEvent, Role, Status, Unit, WorkItem
from tracker.permissions import Actor
from tracker.services import bulk
from tracker.services import work_items as items_service

TABLES = ("work_items", "work_item_coordinators", "progress_events", "work_item_states", "status_flow_days",
          "notifications")


def _per_item(s, actor, items, edit) -> bulk.BulkResult:
    """The reference: update_item for each item, each flushed before the next (bulk.py before the set write)."""
    rows = []
    for item_id, version in items:
        item = s.get(WorkItem, item_id)
        title = item.title if item is not None else f"công việc số {item_id}"
        try:
            if item is None:
                raise NotFound("không còn tồn tại.")
            data = bulk._edited(items_service.item_input(item), edit)
            try:
                items_service.update_item(s, actor=actor, item_id=item_id, expected_version=version, data=data)
            except ValidationFailed as exc:
                if str(exc) != "Chưa có gì thay đổi.":
                    raise
                rows.append(bulk.BulkRow(item_id, title, {}))
                continue
            event = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == item_id,
                                                          ProgressEvent.kind == EventKind.UPDATED)
                              .order_by(ProgressEvent.id.desc()).limit(1)).one()
            rows.append(bulk.BulkRow(item_id, title, dict(event.changes)))
        except TrackerError as exc:
            rows.append(bulk.BulkRow(item_id, title, {}, bulk._problem(exc)))
    return bulk.BulkResult(rows)


def _fill(engine):
    """The same items in each copy: two units, a unit that ends on 28/02/2025, one title led by two units,
    coordinators, an item without a start date, a deleted item."""
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC")  # a reader of the lead unit's notifications
        ids = [make_item(s, unit_code="SNV-HA-NOI" if n % 2 else "VU-TCBC", title=f"Chuyên mục số {n}",
                         status=[Status.NOT_STARTED, Status.IN_PROGRESS][n % 2], progress=10 * (n % 3),
                         due=dt.date(2024, 9, 1) + dt.timedelta(days=n)).id for n in range(10)]
        twin_a = make_item(s, unit_code="VU-TCBC", title="Họp báo quý III").id
        twin_b = make_item(s, unit_code="SNV-HA-NOI", title="Họp báo quý III").id
        ending = make_item(s, unit_code="VU-TL", title="Tọa đàm tiền lương", start=dt.date(2025, 2, 1),
                           due=dt.date(2025, 2, 20)).id
        s.get(WorkItem, ids[2]).coordinating_units = [s.scalars(select(Unit).where(Unit.code == "VU-PC")).one()]
        s.get(WorkItem, ids[3]).start_date = None
        deleted = make_item(s, title="Bài đã xóa").id
        for item in s.scalars(select(WorkItem)):  # the key entered items carry (the factory leaves it empty)
            item.source_key = items_service.source_key(plan_id=item.plan_id, task_number=item.priority_task.number,
                                                       title=item.title, lead_unit_code=item.lead_unit.code)
    with session_scope(engine) as s:
        items_service.delete_item(s, actor=admin, item_id=deleted, expected_version=s.get(WorkItem, deleted).version,
                                  reason="Trùng")
    return admin, ids, twin_a, twin_b, ending, deleted


def _unit(engine, code):
    with session_scope(engine) as s:
        return s.scalars(select(Unit.id).where(Unit.code == code)).one()


def _read(s, ids):
    """(id, version) as a person's list would hold them; an id that no longer exists with version 1."""
    versions = dict(s.execute(select(WorkItem.id, WorkItem.version).where(WorkItem.id.in_(ids))).all())
    return [(i, versions.get(i, 1)) for i in ids]


def _rows(engine) -> dict[str, list[tuple]]:
    """Every row of the compared tables, timestamps aside, in a stable order. History and notification ids are
    replaced by their rank (PostgreSQL's sequences keep the numbers a rolled-back preview took, so only the order
    can be compared); other ids carry no meaning and are left out."""
    out = {}
    with engine.connect() as conn:
        meta = inspect(engine)
        for name in TABLES:
            table = WorkItem.metadata.tables[name]
            cols = [table.c[c["name"]] for c in meta.get_columns(name)
                    if c["name"] != "at" and not any(w in c["name"] for w in ("_at", "created", "updated"))
                    and not (c["name"] == "id" and name in ("work_item_states", "status_flow_days"))]
            if name in ("progress_events", "notifications"):
                ranked = select(*cols).order_by(table.c.id)
                rows = [(n, *(v for c, v in zip(cols, r) if c.name != "id")) for n, r in enumerate(conn.execute(ranked))]
            else:
                rows = [tuple(r) for r in conn.execute(select(*cols))]
            out[name] = sorted(rows, key=repr)
    return out


def _figures(engine) -> list[tuple]:
    today = clock.vn_day(clock.now())
    out = []
    with session_scope(engine) as s:
        for cutoff in (today, today - dt.timedelta(days=1), dt.date(2024, 9, 30)):
            src = figures.source(cutoff, today)
            out.append(tuple(s.execute(select(*figures.count_columns(src)).where(*src.live)).one()))
    return out


@pytest.fixture
def copies(db_factory):
    one, two = db_factory("catalog"), db_factory("catalog")
    facts = _fill(one)
    assert _fill(two) == facts
    return one, two, facts


def _both(one, two, actor, ids, edit):
    """The change through each path; (reference result, set result)."""
    with session_scope(one) as s:
        reference = _per_item(s, actor, _read(s, ids), edit)
        if reference.problems:
            s.rollback()
    try:
        with session_scope(two) as s:
            result = bulk.apply_edit(s, actor=actor, items=_read(s, ids), edit=edit)
    except ValidationFailed as exc:
        assert exc.problems == reference.problems
        result = None
    return reference, result


@pytest.mark.parametrize("change", ["shift", "set_dates", "lead", "coordinators", "form"])
def test_the_set_write_leaves_the_same_rows_as_item_by_item(copies, change):
    one, two, (admin, ids, twin_a, twin_b, ending, deleted) = copies
    edit = {"shift": bulk.BulkEdit(shift_days=14),
            "set_dates": bulk.BulkEdit(start_date=dt.date(2024, 8, 5), due_date=dt.date(2024, 12, 31)),
            "lead": bulk.BulkEdit(lead_unit_id=_unit(one, "VU-PC")),
            "coordinators": bulk.BulkEdit(coordinating_unit_ids=(_unit(one, "VU-PC"), _unit(one, "SNV-HA-NOI"))),
            "form": bulk.BulkEdit(form_id=2)}[change]
    chosen = [*ids, twin_a]
    with session_scope(two) as s:
        preview = bulk.preview_edit(s, actor=admin, items=_read(s, chosen), edit=edit)
    reference, result = _both(one, two, admin, chosen, edit)
    assert reference.problems == [] and result is not None
    assert result.rows == reference.rows == preview.rows
    assert len(result.changed) >= 9
    before_one, before_two = _rows(one), _rows(two)
    assert before_one == before_two
    assert _figures(one) == _figures(two)
    with session_scope(two) as s:
        updated = s.scalars(select(ProgressEvent.work_item_id).where(ProgressEvent.kind == EventKind.UPDATED)).all()
    assert sorted(updated) == sorted(r.item_id for r in result.changed)  # one history entry per changed item


def test_refusals_are_the_same_and_named_in_the_same_words(copies):
    one, two, (admin, ids, twin_a, twin_b, ending, deleted) = copies
    edit = bulk.BulkEdit(shift_days=10, lead_unit_id=None)
    chosen = [ids[0], ending, deleted, 987_654, ids[1]]
    reference, result = _both(one, two, admin, chosen, edit)
    assert result is None
    assert [p.split(":")[0] for p in reference.problems] == [f"#{ending} “Tọa đàm tiền lương”",
                                                             f"#{deleted} “Bài đã xóa”",
                                                             "#987654 “công việc số 987654”"]
    assert "không hoạt động vào ngày" in reference.problems[0]
    with session_scope(two) as s:
        assert bulk.preview_edit(s, actor=admin, items=_read(s, chosen), edit=edit).rows == reference.rows
    assert _rows(one) == _rows(two)


def test_a_key_taken_by_an_item_changed_earlier_in_the_same_change_is_refused_as_item_by_item(copies):
    """Two items of one title moved to one unit: the second finds the key the first has just taken."""
    one, two, (admin, ids, twin_a, twin_b, ending, deleted) = copies
    edit = bulk.BulkEdit(lead_unit_id=_unit(one, "VU-PC"))
    for order in ([twin_a, twin_b], [twin_b, twin_a]):
        reference, result = _both(one, two, admin, order, edit)
        assert result is None and len(reference.problems) == 1
        assert reference.problems[0] == (f"#{order[1]} “Họp báo quý III”: Kế hoạch đã có công việc số {order[0]} "
                                         "cùng nhiệm vụ, nội dung và đơn vị chủ trì.")
    edit = bulk.BulkEdit(lead_unit_id=_unit(one, "SNV-HA-NOI"))  # twin_a takes twin_b's unit: refused, b unchanged
    reference, result = _both(one, two, admin, [twin_b, twin_a], edit)
    assert result is None and reference.rows[0].changes == {} and len(reference.problems) == 1
    assert _rows(one) == _rows(two)


def test_an_item_changed_since_it_was_read_is_named_as_item_by_item(copies):
    one, two, (admin, ids, *_rest) = copies
    with session_scope(two) as s:
        stale = _read(s, ids[3:6])  # read before the edit below
    for engine in (one, two):
        with session_scope(engine) as s:
            items_service.update_item(s, actor=admin, item_id=ids[4], expected_version=s.get(WorkItem, ids[4]).version, data=bulk._edited(
                items_service.item_input(s.get(WorkItem, ids[4])), bulk.BulkEdit(shift_days=1)))
    with session_scope(one) as s:
        reference = _per_item(s, admin, stale, bulk.BulkEdit(shift_days=3))
        s.rollback()
    with pytest.raises(ValidationFailed) as err:
        with session_scope(two) as s:
            bulk.apply_edit(s, actor=admin, items=stale, edit=bulk.BulkEdit(shift_days=3))
    assert err.value.problems == reference.problems == [f"#{ids[4]} “Chuyên mục số 4”: đã được Người dùng van.phong "
                                                        "cập nhật sau khi bạn xem trước; hãy xem trước lại."]
    assert _rows(one) == _rows(two)
