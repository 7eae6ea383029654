"""The figures at a cut-off (tracker/figures.py) against a plain recomputation from the history.

The property test writes histories through the services on random days (creations, moves, progress,
returns, confirmations, deletions, restores, reassignments) and keeps its own log of what each accepted
change did; for random cut-offs the four classes, the rates and the per-unit counts must equal what that
log gives by the rule written out here, on both databases.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from tests.factories import make_user
from tracker import clock, figures, flow_ledger, item_states
from tracker.db import session_scope
from tracker.errors import TrackerError
from tracker.models import EventKind, Form, Plan, PriorityTask, Role, Status, Unit, User, WorkItem, WorkItemState
from tracker.permissions import Actor
from tracker.services import dashboard, dashboard_filters
from tracker.services.dashboard_filters import Filters
from tracker.services.moves import move_item
from tracker.services.progress import ProgressInput, update_progress
from tracker.services.work_items import ItemInput, create_item, delete_item, restore_item, update_item

NS, IP, AW, DN = Status.NOT_STARTED, Status.IN_PROGRESS, Status.AWAITING_CONFIRMATION, Status.DONE
START = dt.date(2024, 1, 1)
LINK = ("https://moha.gov.vn/tin-tuc/minh-chung",)
REASON = "Trả lại để bổ sung minh chứng."
UNITS = ("VU-TCBC", "SNV-HA-NOI", "VU-CQDP")


@dataclass
class Model:
    """What the test itself knows of one item: its facts after each accepted change, by day."""

    created: dt.date
    unit: int
    due: dt.date
    log: list[tuple[dt.date, dict]] = field(default_factory=list)

    def at(self, cutoff: dt.date) -> dict | None:
        if self.created > cutoff:
            return None
        state = {"status": NS, "progress": 0, "unit": self.unit, "deleted": False, "submitted": None,
                 "completed": None, "due": self.due}
        for day, change in self.log:
            if day <= cutoff:
                state.update(change)
        return state


def plain_class(state: dict, cutoff: dt.date) -> str:
    """The four classes, written out: done on time / late by the delivery day; else overdue once the deadline
    passed, unless the unit sent it for confirmation by the deadline."""
    if state["status"] is DN:
        return "done_late" if state["completed"] > state["due"] else "done_on_time"
    if state["due"] >= cutoff:
        return "in_progress_on_time"
    if state["status"] is AW and state["submitted"] <= state["due"]:
        return "in_progress_on_time"
    return "overdue"


def plain_figures(models: dict[int, Model], cutoff: dt.date) -> tuple[Counter, Counter]:
    totals, by_unit = Counter(), Counter()
    for model in models.values():
        state = model.at(cutoff)
        if state is None or state["deleted"]:
            continue
        cls = plain_class(state, cutoff)
        totals.update({"items": 1, cls: 1, "progress_sum": 100 if state["status"] is DN else state["progress"],
                       "due_passed": int(state["due"] < cutoff)})
        by_unit[(state["unit"], cls)] += 1
    return totals, by_unit


op = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 2), st.integers(0, 120)),
    st.tuples(st.just("move"), st.integers(0, 5), st.sampled_from([NS, IP, AW, DN])),
    st.tuples(st.just("progress"), st.integers(0, 5), st.sampled_from([0, 30, 60, 100])),
    st.tuples(st.just("delete"), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("restore"), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("reassign"), st.integers(0, 5), st.integers(0, 2)),
)
history = st.lists(st.tuples(st.integers(0, 200), op), min_size=1, max_size=16)


def _context(session):
    plan = session.scalars(select(Plan).where(Plan.code == "184/QĐ-BNV")).one()
    task = session.scalars(select(PriorityTask).where(PriorityTask.plan_id == plan.id, PriorityTask.number == 2)).one()
    form = session.scalars(select(Form).order_by(Form.sort_order)).first()
    units = [session.scalars(select(Unit).where(Unit.code == c)).one().id for c in UNITS]
    return plan.id, task.id, form.id, units


def _apply(session, actor, ctx, models, ids, day, step) -> None:
    """Run one change through the services; on acceptance, record in the model what it did."""
    plan_id, task_id, form_id, units = ctx
    kind, a, b = step
    if kind == "create":
        due = day + dt.timedelta(days=b)
        data = ItemInput(priority_task_id=task_id, title=f"Việc số {len(ids) + 1}", lead_unit_id=units[a],
                         form_id=form_id, start_date=day, due_date=due)
        item = create_item(session, actor=actor, plan_id=plan_id, data=data)
        ids.append(item.id)
        models[item.id] = Model(created=day, unit=units[a], due=due)
        return
    if not ids:
        return
    item_id = ids[a % len(ids)]
    model = models[item_id]
    item = session.get(WorkItem, item_id)
    now = model.at(day)
    if kind == "move":
        frm = item.status
        move_item(session, actor=actor, item_id=item_id, to_status=b, expected_version=item.version, today=day,
                  reason=REASON, evidence_urls=LINK if b in (AW, DN) else ())
        change = {"status": b}
        if b is AW:
            change.update(progress=100, submitted=day, completed=None)
        elif b is DN:
            change.update(progress=100, completed=now["submitted"] if frm is AW else day,
                          submitted=now["submitted"] if frm is AW else None)
        else:
            change.update(submitted=None, completed=None)
            if b is NS:
                change["progress"] = 0
    elif kind == "progress":
        update_progress(session, actor=actor, item_id=item_id, expected_version=item.version,
                        change=ProgressInput(progress=b), today=day)
        change = {"progress": b}
        if now["status"] is NS and b > 0:
            change["status"] = IP
    elif kind == "delete":
        delete_item(session, actor=actor, item_id=item_id, expected_version=item.version)
        change = {"deleted": True}
    elif kind == "restore":
        restore_item(session, actor=actor, item_id=item_id)
        change = {"deleted": False}
    else:
        data = ItemInput(priority_task_id=task_id, title=item.title, lead_unit_id=units[b], form_id=form_id,
                         start_date=item.start_date, due_date=item.due_date)
        update_item(session, actor=actor, item_id=item_id, expected_version=item.version, data=data)
        change = {"unit": units[b]}
    model.log.append((day, change))


SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@SETTINGS
@given(steps=history, cutoffs=st.lists(st.integers(0, 210), min_size=1, max_size=4))
def test_figures_at_any_cutoff_equal_a_plain_recomputation_from_the_history(engine, steps, cutoffs):
    with session_scope(engine) as s:  # a clean plan for each example
        s.execute(delete(WorkItem))
        flow_ledger.rebuild(s)
        item_states.rebuild(s)  # also drops the figures kept for past cut-offs
    with session_scope(engine) as s:
        account = s.scalars(select(User).where(User.username == "van.phong.prop")).one_or_none()
        if account is None:
            account = make_user(s, "van.phong.prop", Role.ADMIN)
        actor = Actor.of(account)
        ctx = _context(s)
    models: dict[int, Model] = {}
    ids: list[int] = []
    for offset, step in sorted(steps, key=lambda p: p[0]):
        day = START + dt.timedelta(days=offset)
        with clock.frozen(dt.datetime.combine(day, dt.time(3, 0), dt.timezone.utc)):
            try:
                with session_scope(engine) as s:
                    _apply(s, actor, ctx, models, ids, day, step)
            except TrackerError:
                pass  # refused: nothing written, nothing recorded
    last = START + dt.timedelta(days=max(o for o, _ in steps))
    after = dt.date(2025, 6, 1)
    plan_id = ctx[0]
    checks = [(START + dt.timedelta(days=c), after) for c in cutoffs] + [(last, last)]
    with session_scope(engine) as s:
        for cutoff, today in checks:
            filters = Filters(plan_id=plan_id, as_of=cutoff if cutoff < today else None)
            want, want_units = plain_figures(models, cutoff)
            got = dashboard.totals(s, filters=filters, today=today)
            assert (got.items, got.done_on_time, got.done_late, got.in_progress_on_time, got.overdue,
                    got.due_passed, got.progress_sum) == (
                want["items"], want["done_on_time"], want["done_late"], want["in_progress_on_time"],
                want["overdue"], want["due_passed"], want["progress_sum"]), (cutoff, today)
            frame = dashboard.by_unit(s, filters=filters, today=today)
            got_units = Counter()
            for r in frame.to_dict("records"):
                for cls in ("done_on_time", "done_late", "in_progress_on_time", "overdue"):
                    if r[cls]:
                        got_units[(r["unit_id"], cls)] = int(r[cls])
            assert got_units == want_units, (cutoff, today)
        assert not item_states.drift(s)


def test_the_state_rows_replayed_from_the_history_equal_the_ones_kept_on_each_write(engine):
    """rebuild() (demo data, migration 0005) replays what the listener wrote as the work happened."""
    with session_scope(engine) as s:
        actor = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        plan_id, task_id, form_id, units = _context(s)
    script = [
        (0, "create"), (5, IP), (12, "progress"), (20, AW), (22, IP), (30, AW), (41, DN), (50, "delete"),
        (55, "restore"),
    ]
    item_id = None
    for offset, what in script:
        day = START + dt.timedelta(days=offset)
        with clock.frozen(dt.datetime.combine(day, dt.time(3, 0), dt.timezone.utc)), session_scope(engine) as s:
            if what == "create":
                item_id = create_item(s, actor=actor, plan_id=plan_id, data=ItemInput(
                    priority_task_id=task_id, title="Họp báo", lead_unit_id=units[0], form_id=form_id,
                    start_date=day, due_date=START + dt.timedelta(days=35))).id
                continue
            item = s.get(WorkItem, item_id)
            if what == "progress":
                update_progress(s, actor=actor, item_id=item_id, expected_version=item.version,
                                change=ProgressInput(progress=40), today=day)
            elif what == "delete":
                delete_item(s, actor=actor, item_id=item_id, expected_version=item.version)
            elif what == "restore":
                restore_item(s, actor=actor, item_id=item_id)
            else:
                move_item(s, actor=actor, item_id=item_id, to_status=what, expected_version=item.version, today=day,
                          reason=REASON, evidence_urls=LINK)
    columns = [c for c in item_states.FACTS if c not in ("priority_task_id", "form_id")]

    def rows(s):
        S = WorkItemState
        return [tuple([r.valid_from, r.valid_to, r.deleted, *(getattr(r, c) for c in columns)])
                for r in s.scalars(select(S).where(S.work_item_id == item_id).order_by(S.valid_from))]

    with session_scope(engine) as s:
        kept = rows(s)
        item_states.rebuild(s)
        replayed = rows(s)
        item = s.get(WorkItem, item_id)
        # sent 31/01 (due 05/02), returned, sent again 31/01... the last sending before the confirmation counts
        assert (item.submitted_on, item.completed_on, item.confirmed_on) == (
            START + dt.timedelta(days=30), START + dt.timedelta(days=30), START + dt.timedelta(days=41))
    assert replayed == kept and len(kept) == 9


def _office_item(engine, title: str, due: dt.date) -> tuple[Actor, int, int]:
    """An office account and one new item due on `due`: (actor, plan id, item id)."""
    with session_scope(engine) as s:
        actor = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        plan_id, task_id, form_id, units = _context(s)
        item_id = create_item(s, actor=actor, plan_id=plan_id, data=ItemInput(
            priority_task_id=task_id, title=title, lead_unit_id=units[0], form_id=form_id,
            start_date=dt.date(2024, 5, 1), due_date=due)).id
    return actor, plan_id, item_id


def _moves(engine, actor: Actor, item_id: int, steps):
    """Move the item through (day, status) steps, each in its own transaction; the last result."""
    for day, to in steps:
        with session_scope(engine) as s:
            result = move_item(s, actor=actor, item_id=item_id, to_status=to,
                               expected_version=s.get(WorkItem, item_id).version, today=day, evidence_urls=LINK)
    return result


def test_a_late_confirmation_does_not_make_the_unit_late(engine):
    """Sent for confirmation before the deadline, confirmed after it: done on time, on the day it was sent."""
    actor, plan_id, item_id = _office_item(engine, "Thông cáo báo chí", dt.date(2024, 6, 10))
    result = _moves(engine, actor, item_id, [(dt.date(2024, 6, 5), AW), (dt.date(2024, 6, 20), DN)])
    assert "Hoàn thành đúng hạn" in result.message and "05/06/2024" in result.message
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert (item.completed_on, item.confirmed_on) == (dt.date(2024, 6, 5), dt.date(2024, 6, 20))
        h = dashboard.headline(s, filters=Filters(plan_id=plan_id), today=dt.date(2024, 6, 20))
        assert (h.done_on_time, h.done_late) == (1, 0)


def test_confirmed_straight_from_work_in_progress_counts_the_confirmation_day(engine):
    actor, _, item_id = _office_item(engine, "Tập huấn", dt.date(2024, 6, 10))
    result = _moves(engine, actor, item_id, [(dt.date(2024, 6, 1), IP), (dt.date(2024, 6, 12), DN)])
    assert "Hoàn thành quá hạn" in result.message
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert (item.completed_on, item.confirmed_on, item.submitted_on) == (dt.date(2024, 6, 12),) * 2 + (None,)


def test_states_agree_with_their_progress(engine):
    """Progress on work not started starts it; a sending is 100%; not started is 0%; each change is history."""
    actor, _, item_id = _office_item(engine, "Chuyên mục", dt.date(2024, 9, 10))
    day = dt.date(2024, 6, 1)

    def version(s):
        return s.get(WorkItem, item_id).version

    with session_scope(engine) as s:
        event = update_progress(s, actor=actor, item_id=item_id, expected_version=version(s),
                                change=ProgressInput(progress=50), today=day)
        assert (s.get(WorkItem, item_id).status, event.kind, event.from_status, event.to_status) == (
            IP, EventKind.MOVED, NS, IP)
    with session_scope(engine) as s:
        try:
            update_progress(s, actor=actor, item_id=item_id, expected_version=version(s),
                            change=ProgressInput(progress=80, status=AW, evidence_urls=LINK), today=day)
            raise AssertionError("sent for confirmation at 80%")
        except TrackerError as exc:
            assert "100%" in str(exc)
    with session_scope(engine) as s:
        move_item(s, actor=actor, item_id=item_id, to_status=AW, expected_version=version(s), today=day,
                  evidence_urls=LINK)
        assert s.get(WorkItem, item_id).progress == 100
    with session_scope(engine) as s:
        move_item(s, actor=actor, item_id=item_id, to_status=NS, expected_version=version(s), today=day,
                  reason=REASON)
        item = s.get(WorkItem, item_id)
        assert (item.status, item.progress, item.submitted_on) == (NS, 0, None)


def test_items_list_wears_its_class_not_only_its_column(engine):
    """Done late says so; open and overdue says "Quá hạn" (badges, Excel "Đánh giá", the report's tables)."""
    with session_scope(engine) as s:
        actor = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        plan_id, task_id, form_id, units = _context(s)
        made = []
        for n, due in enumerate([dt.date(2024, 6, 1), dt.date(2024, 6, 30)]):
            made.append(create_item(s, actor=actor, plan_id=plan_id, data=ItemInput(
                priority_task_id=task_id, title=f"Việc {n}", lead_unit_id=units[0], form_id=form_id,
                start_date=dt.date(2024, 5, 1), due_date=due)).id)
    with session_scope(engine) as s:
        move_item(s, actor=actor, item_id=made[0], to_status=DN, expected_version=s.get(WorkItem, made[0]).version,
                  today=dt.date(2024, 6, 5), evidence_urls=LINK)
    with session_scope(engine) as s:
        rows = dashboard.items(s, filters=Filters(plan_id=plan_id), today=dt.date(2024, 7, 2))
        labels = dict(zip(rows["id"], rows["standing_label"]))
        assert labels == {made[0]: "Hoàn thành quá hạn", made[1]: "Quá hạn"}


def test_a_cutoff_after_today_is_today_and_filters_keep_it_in_links():
    f = Filters(plan_id=1, as_of=dt.date(2024, 6, 30))
    assert f.cutoff(dt.date(2024, 8, 1)) == dt.date(2024, 6, 30)
    assert f.cutoff(dt.date(2024, 6, 1)) == dt.date(2024, 6, 1)
    params = dashboard_filters.to_params(f)
    assert params["asof"] == "2024-06-30"
    assert dashboard_filters.from_params(params, plan_ids={1}, default_plan=1) == f
    assert replace(f, as_of=None).cutoff(dt.date(2024, 8, 1)) == dt.date(2024, 8, 1)


def test_the_readme_glossary_is_the_one_in_the_code():
    """The README's "Cách tính số liệu" states each rule exactly as tracker/figures.py defines it."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for term, rule in figures.GLOSSARY:
        assert f"- **{term}**: {rule}" in readme, term


def test_my_work_counts_every_overdue_item_and_says_when_the_list_is_cut(session):
    from tests.item_factories import make_item
    from tracker.services.items import LIST_LIMIT, my_work

    for n in range(LIST_LIMIT + 5):
        make_item(session, title=f"Việc quá hạn {n}", status=IP, due=dt.date(2024, 6, 30))
    sent = make_item(session, title="Đã gửi xác nhận đúng hạn", status=AW, progress=100, due=dt.date(2024, 6, 30))
    sent.submitted_on = dt.date(2024, 6, 28)
    session.flush()
    office = Actor.of(make_user(session, "van.phong", Role.ADMIN))
    work = my_work(session, actor=office, today=dt.date(2024, 8, 1))
    assert (work.overdue.total, len(work.overdue.rows), work.overdue.cut) == (LIST_LIMIT + 5, LIST_LIMIT, True)
    assert sent.id not in {r.id for r in work.overdue.rows}  # waits on the office, not on the unit
    assert work.awaiting_confirmation.total == 1 and not work.awaiting_confirmation.cut
    assert {r.standing_label for r in work.overdue.rows} == {"Quá hạn"}


def test_a_past_cutoff_is_computed_once_then_read_back_narrowed_by_the_filters(engine):
    from tests import dashboard_fixture
    from tracker.models import CutoffFigures

    with session_scope(engine) as s:
        fx = dashboard_fixture.build(s)
    cutoff, today = dt.date(2024, 6, 30), dashboard_fixture.TODAY
    with session_scope(engine) as s:
        first = dashboard.totals(s, filters=Filters(plan_id=fx["plan"], as_of=cutoff), today=today)
        assert s.scalar(select(CutoffFigures.cutoff).where(CutoffFigures.plan_id == fx["plan"])) == cutoff
    with session_scope(engine) as s:
        s.execute(delete(WorkItemState).where(WorkItemState.work_item_id == fx["A"]))  # read back, not recomputed
        again = dashboard.totals(s, filters=Filters(plan_id=fx["plan"], as_of=cutoff), today=today)
        hanoi = dashboard.totals(s, filters=Filters(plan_id=fx["plan"], as_of=cutoff, unit_id=fx["hanoi"]), today=today)
        s.rollback()
    assert again == first and (first.items, first.done, first.overdue) == (6, 2, 0) and hanoi.items == 3
    with session_scope(engine) as s:
        item_states.rebuild(s)
        assert s.scalar(select(CutoffFigures.cutoff)) is None  # a replay drops what was kept


def test_migration_0005_dates_existing_completions_by_delivery_and_replays_the_states(engine):
    from tests import dashboard_fixture
    from tracker.migrate import downgrade, upgrade

    with session_scope(engine) as s:
        fx = dashboard_fixture.build(s)
    downgrade(engine, "0004_status_flow_days")
    upgrade(engine)
    with session_scope(engine) as s:
        a, b, f = (s.get(WorkItem, fx[n]) for n in "ABF")
        # A was sent on 18/06 and confirmed on 20/06: done on the 18th, confirmed on the 20th.
        assert (a.submitted_on, a.completed_on, a.confirmed_on) == (dt.date(2024, 6, 18), dt.date(2024, 6, 18),
                                                                    dt.date(2024, 6, 20))
        assert (b.submitted_on, b.completed_on, b.confirmed_on) == (None, dt.date(2024, 6, 10), dt.date(2024, 6, 10))
        assert f.submitted_on == dt.date(2024, 8, 1)  # 31/07 17:30 UTC is 01/08 in Hà Nội
        got = dashboard.totals(s, filters=Filters(plan_id=fx["plan"], as_of=dt.date(2024, 6, 19)),
                               today=dashboard_fixture.TODAY)
        assert (got.items, got.done_on_time, got.done_late) == (6, 0, 1)  # A not yet confirmed on the 19th
        assert not item_states.drift(s)


def test_an_empty_past_cutoff_is_kept_and_read_back_as_empty(engine):
    """A cut-off before the plan's first item: zero everywhere, kept, and the teardown check agrees."""
    with session_scope(engine) as s:
        plan_id = _context(s)[0]
        first = dashboard.totals(s, filters=Filters(plan_id=plan_id, as_of=dt.date(2023, 1, 1)), today=START)
    with session_scope(engine) as s:
        again = dashboard.totals(s, filters=Filters(plan_id=plan_id, as_of=dt.date(2023, 1, 1)), today=START)
        assert first == again and first.items == 0 and dashboard.stale_cutoffs(s) == []
