"""RAG marks on dated fixtures (today injected), and the SQL CASE agreeing with the Python rule."""

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.models import Status, WorkItem
from tracker.rag import Rag, classify, rag_case

START = dt.date(2024, 3, 1)
DUE = dt.date(2024, 6, 30)  # 121 days after START


@pytest.mark.parametrize(
    ("status", "progress", "today", "expected"),
    [
        (Status.IN_PROGRESS, 10, dt.date(2024, 7, 1), Rag.RED),  # one day past due
        (Status.NOT_STARTED, 0, dt.date(2024, 7, 1), Rag.RED),
        (Status.DONE, 100, dt.date(2024, 7, 1), Rag.GREEN),  # done work is never overdue
        (Status.AWAITING_CONFIRMATION, 100, dt.date(2024, 7, 1), Rag.RED),  # not confirmed by the due date
        (Status.AWAITING_CONFIRMATION, 60, dt.date(2024, 6, 28), Rag.GREEN),  # handed in, waits on the office
        (Status.IN_PROGRESS, 79, dt.date(2024, 6, 23), Rag.AMBER),  # due in 7 days, not near done
        (Status.IN_PROGRESS, 80, dt.date(2024, 6, 23), Rag.AMBER),  # near done, yet 114/121 of the time gone
        (Status.IN_PROGRESS, 95, dt.date(2024, 6, 23), Rag.GREEN),
        (Status.IN_PROGRESS, 49, dt.date(2024, 5, 1), Rag.AMBER),  # 61/121 of the time gone, 49% done
        (Status.IN_PROGRESS, 51, dt.date(2024, 5, 1), Rag.GREEN),
        (Status.NOT_STARTED, 0, dt.date(2024, 3, 1), Rag.GREEN),  # first day: nothing expected yet
        (Status.NOT_STARTED, 0, dt.date(2024, 3, 2), Rag.AMBER),  # behind from the second day
        (Status.NOT_STARTED, 0, dt.date(2024, 2, 1), Rag.GREEN),  # not started yet, not due to start
    ],
)
def test_classify(status, progress, today, expected):
    assert classify(status=status, progress=progress, start=START, due=DUE, today=today) is expected


def test_boundary_of_elapsed_share_is_exact():
    # 100 days, day 50: exactly half the time gone; 50% is on schedule, 49% is behind.
    start, due, today = dt.date(2024, 1, 1), dt.date(2024, 4, 10), dt.date(2024, 2, 20)
    assert (due - start).days == 100 and (today - start).days == 50
    assert classify(status=Status.IN_PROGRESS, progress=50, start=start, due=due, today=today) is Rag.GREEN
    assert classify(status=Status.IN_PROGRESS, progress=49, start=start, due=due, today=today) is Rag.AMBER


@pytest.mark.parametrize(("progress", "expected"), [(79, Rag.AMBER), (80, Rag.GREEN)])
def test_due_soon_needs_near_done(progress, expected):
    # No start date: only the due-within-7-days rule applies.
    today = dt.date(2024, 6, 23)
    assert classify(status=Status.IN_PROGRESS, progress=progress, start=None, due=DUE, today=today) is expected
    assert classify(status=Status.IN_PROGRESS, progress=progress, start=None, due=DUE,
                    today=dt.date(2024, 6, 22)) is Rag.GREEN  # 8 days left


def test_no_due_date_is_green():
    assert classify(status=Status.NOT_STARTED, progress=0, start=None, due=None, today=DUE) is Rag.GREEN


def test_work_sent_by_its_deadline_waits_on_the_office_not_red():
    late_day = DUE + dt.timedelta(days=10)
    sent = dict(status=Status.AWAITING_CONFIRMATION, progress=100, start=START, due=DUE, today=late_day)
    assert classify(**sent, submitted_on=DUE) is Rag.GREEN
    assert classify(**sent, submitted_on=DUE + dt.timedelta(days=1)) is Rag.RED


def test_sql_case_agrees_with_python(engine):
    todays = [dt.date(2024, 2, 1), START, dt.date(2024, 5, 1), dt.date(2024, 6, 23), DUE, dt.date(2024, 7, 1)]
    combos = list(itertools.product(list(Status), [0, 49, 51, 79, 80, 100],
                                    [(START, DUE), (None, DUE), (DUE, DUE), (None, None)]))
    with session_scope(engine) as s:
        for n, (status, progress, (start, due)) in enumerate(combos):
            item = make_item(s, title=f"Việc {n}", status=status, progress=progress, start=start, due=due)
            if due is not None:  # sent for confirmation before, on or after the deadline, or never
                item.submitted_on = [None, due - dt.timedelta(days=1), due, due + dt.timedelta(days=1)][n % 4]
        s.flush()
        for today in todays:
            rows = s.execute(select(WorkItem.status, WorkItem.progress, WorkItem.start_date, WorkItem.due_date,
                                    WorkItem.submitted_on, rag_case(today))).all()
            assert len(rows) == len(combos)
            for status, progress, start, due, sent, sql_rag in rows:
                expected = classify(status=status, progress=progress, start=start, due=due, today=today,
                                    submitted_on=sent)
                assert sql_rag == expected.value, (status, progress, start, due, today)
