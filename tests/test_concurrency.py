"""Forty people at once: 34 provincial heads, the office and leaders updating, moving and asking together.

No error reaches anyone, no update is lost (a stale write is refused and re-applied on the fresh
copy, as the page offers), and every change is in the history exactly once.
"""

import datetime as dt
import threading
from collections import Counter

from sqlalchemy import func, select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import make_engine, session_scope
from tracker.models import ProgressEvent, Role, Status, Unit, UnitKind, WorkItem
from tracker.permissions import Actor
from tracker.services.explanations import request_explanation
from tracker.services.moves import move_item
from tracker.services.progress import ProgressInput, StaleItem, update_progress

TODAY = dt.date(2024, 8, 1)
PROVINCES, OFFICE, LEADERS = 34, 3, 3
ROUNDS = 3


def _world(engine):
    with session_scope(engine) as s:
        units = s.scalars(select(Unit).where(Unit.kind == UnitKind.PROVINCIAL, Unit.valid_to.is_(None))
                          .order_by(Unit.id).limit(PROVINCES)).all()
        assert len(units) == PROVINCES
        heads, items = [], {}
        for n, unit in enumerate(units):
            heads.append(Actor.of(make_user(s, f"tp.{n}", Role.UNIT_HEAD, unit.code)))
            items[unit.id] = [make_item(s, unit_code=unit.code, title=f"Chuyên mục {unit.name} số {k}",
                                        status=Status.NOT_STARTED, progress=0, due=dt.date(2024, 7, 15)).id
                              for k in range(2)]
        office = [Actor.of(make_user(s, f"vp.{n}", Role.ADMIN)) for n in range(OFFICE)]
        leaders = [Actor.of(make_user(s, f"ld.{n}", Role.LEADER)) for n in range(LEADERS)]
    return heads, office, leaders, items


def _retrying(engine, op, done: list, errors: list) -> None:
    """Run op(session, version) on the item's current version until it is not stale (the user re-applies)."""
    for _attempt in range(50):
        try:
            with session_scope(engine) as s:
                result = op(s)
            done.append(result)
            return
        except StaleItem:
            continue
        except Exception as exc:  # any other error is a failure of the test
            errors.append(repr(exc))
            return
    errors.append("gave up after 50 stale attempts")


def _version(session, item_id):
    return session.scalar(select(WorkItem.version).where(WorkItem.id == item_id))


def test_forty_sessions_at_once_lose_nothing(engine):
    url = engine.url.render_as_string(hide_password=False)
    heads, office, leaders, items = _world(engine)
    shared = [ids[0] for ids in items.values()]  # the office reports on these too: contention
    busy = make_engine(url, pool_size=PROVINCES + OFFICE + LEADERS, max_overflow=0, pool_timeout=120)
    barrier = threading.Barrier(PROVINCES + OFFICE + LEADERS)
    done: list = []
    errors: list = []
    notes: Counter = Counter()

    def head_work(head: Actor):
        barrier.wait()
        for item_id in items[head.unit_id]:
            _retrying(busy, lambda s, i=item_id: move_item(
                s, actor=head, item_id=i, to_status=Status.IN_PROGRESS, expected_version=_version(s, i),
                today=TODAY).item_id, done, errors)
            for r in range(ROUNDS):
                note = f"{head.username} báo cáo lần {r} việc {item_id}"
                notes[note] += 1
                _retrying(busy, lambda s, i=item_id, n=note, r=r: update_progress(
                    s, actor=head, item_id=i, expected_version=_version(s, i),
                    change=ProgressInput(progress=10 * (r + 1), note=n), today=TODAY).id, done, errors)

    def office_work(admin: Actor, k: int):
        barrier.wait()
        for item_id in shared[k::OFFICE]:
            note = f"{admin.username} ghi chú việc {item_id}"
            notes[note] += 1
            _retrying(busy, lambda s, i=item_id, n=note: update_progress(
                s, actor=admin, item_id=i, expected_version=_version(s, i),
                change=ProgressInput(note=n), today=TODAY).id, done, errors)

    def leader_work(leader: Actor, k: int):
        barrier.wait()
        for item_id in shared[k::LEADERS]:
            _retrying(busy, lambda s, i=item_id: request_explanation(
                s, actor=leader, item_id=i, question=f"Vì sao việc {i} chậm?", today=TODAY).id, done, errors)

    threads = ([threading.Thread(target=head_work, args=(h,)) for h in heads]
               + [threading.Thread(target=office_work, args=(a, k)) for k, a in enumerate(office)]
               + [threading.Thread(target=leader_work, args=(ld, k)) for k, ld in enumerate(leaders)])
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    busy.dispose()

    assert errors == []
    expected_ops = PROVINCES * 2 * (1 + ROUNDS) + len(shared) * 2
    assert len(done) == expected_ops
    with session_scope(engine) as s:
        events = s.scalar(select(func.count()).select_from(ProgressEvent))
        assert events == expected_ops  # history complete: one event per change, none twice
        for item_id, version, count in s.execute(
                select(WorkItem.id, WorkItem.version, func.count(ProgressEvent.id))
                .join(ProgressEvent, ProgressEvent.work_item_id == WorkItem.id)
                .group_by(WorkItem.id, WorkItem.version)):
            assert version == 1 + count, item_id  # every event one version: nothing overwritten
        recorded = Counter(s.scalars(select(ProgressEvent.note).where(ProgressEvent.note.is_not(None))))
        assert all(recorded[note] == 1 for note in notes)
        final = s.execute(select(WorkItem.status, WorkItem.progress)).all()
        assert all(st is Status.IN_PROGRESS and p == 10 * ROUNDS for st, p in final)
