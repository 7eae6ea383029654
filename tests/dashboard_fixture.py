"""A small dated fixture for the dashboard and reports, with every figure computed by hand.

Plan 184/QĐ-BNV, today 01/08/2024. Six live items (one more deleted, one in the 2023 plan):

| item | unit       | task | status      | progress | start | due   | done  | RAG on 01/08 | form | target/achieved | budget planned/spent |
|------|------------|------|-------------|----------|-------|-------|-------|--------------|------|-----------------|----------------------|
| A    | Vụ TCBC    | (2)  | done        | 100      | 01/03 | 30/06 | 20/06 on time | green | F1 | 12/12 | 50.000.000 / 45.000.000 |
| B    | Vụ TCBC    | (2)  | done        | 100      | 01/03 | 31/05 | 10/06 late    | green | F1 | 12/10 | – |
| C    | Vụ TCBC    | (5)  | in progress | 40       | 01/03 | 15/07 |       | red          | F1 | 12/4  | 20.000.000 / 5.000.000 |
| D    | SNV Hà Nội | (2)  | in progress | 50       | 01/07 | 31/12 |       | green        | F2 | 12/6  | 10.000.000 / – |
| E    | SNV Hà Nội | (5)  | not started, blocked | 0 | 01/03 | 05/08 |  | amber (due soon) | F2 | 12/0 | – |
| F    | SNV Hà Nội | (5)  | awaiting    | 90       | 01/03 | 30/09 |       | green        | F2 | 12/11 | – |

History (status at each month end, rebuilt from events): A, B, C created 15/02; D, E, F created 10/04.
A: →in progress 05/03, →awaiting 18/06, →done 20/06. B: not started→in progress 01/03, →done 10/06.
C: not started→in progress 01/04 (plus a progress-only event). D, E: no status events.
F: not started→in progress 02/05, →awaiting 31/07 17:30 UTC (00:30 on 01/08 in Hà Nội).
Reporting round "Báo cáo 6 tháng 2024" for Vụ TCBC and SNV Hà Nội: only Vụ TCBC reported.

At the cut-off 30/06/2024 (the history replayed into work_item_states): all six items exist; A done on time
(sent 18/06, due 30/06), B done late (10/06, due 31/05), C, D, E, F in progress within their deadlines.
"""

import datetime as dt

from sqlalchemy import select

from tests.item_factories import make_item
from tracker import item_states
from tracker.models import (
    EventKind,
    Form,
    ProgressEvent,
    ReportingRound,
    RoundReport,
    Status,
    Unit,
)

TODAY = dt.date(2024, 8, 1)
UTC = dt.timezone.utc
PLAN = "184/QĐ-BNV"


def at(day: str, hour: int = 3, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), UTC)


def _event(session, item, when, frm=None, to=None, kind=EventKind.MOVED, progress=None):
    session.add(ProgressEvent(work_item_id=item.id, at=when, kind=kind, from_status=frm, to_status=to,
                              progress=progress, changes={}, evidence_urls=[]))


def build(session) -> dict[str, int]:
    """Create the fixture; returns ids by name (items A–F, plan, tasks, units, forms)."""
    forms = session.scalars(select(Form).order_by(Form.sort_order)).all()[:2]
    D = dt.date
    spec = {
        "A": ("VU-TCBC", 2, Status.DONE, 100, D(2024, 3, 1), D(2024, 6, 30), D(2024, 6, 20), 0, 12, (50_000_000, 45_000_000)),
        "B": ("VU-TCBC", 2, Status.DONE, 100, D(2024, 3, 1), D(2024, 5, 31), D(2024, 6, 10), 0, 10, (None, None)),
        "C": ("VU-TCBC", 5, Status.IN_PROGRESS, 40, D(2024, 3, 1), D(2024, 7, 15), None, 0, 4, (20_000_000, 5_000_000)),
        "D": ("SNV-HA-NOI", 2, Status.IN_PROGRESS, 50, D(2024, 7, 1), D(2024, 12, 31), None, 1, 6, (10_000_000, None)),
        "E": ("SNV-HA-NOI", 5, Status.NOT_STARTED, 0, D(2024, 3, 1), D(2024, 8, 5), None, 1, 0, (None, None)),
        "F": ("SNV-HA-NOI", 5, Status.AWAITING_CONFIRMATION, 90, D(2024, 3, 1), D(2024, 9, 30), None, 1, 11, (None, None)),
    }
    items = {}
    for name, (unit, task, status, pct, start, due, done_on, form, achieved, (planned, spent)) in spec.items():
        item = make_item(session, unit_code=unit, title=f"Công việc {name}", status=status, progress=pct,
                         start=start, due=due, blocked=(name == "E"), task_number=task)
        item.form_id = forms[form].id
        item.completed_on = done_on
        item.achieved_qty = achieved
        item.budget_planned, item.budget_spent = planned, spent
        item.created_at = at("2024-02-15") if name in "ABC" else at("2024-04-10")
        items[name] = item
    deleted = make_item(session, title="Công việc đã xóa", status=Status.IN_PROGRESS, due=D(2024, 7, 1))
    deleted.deleted_at = at("2024-07-02")
    deleted.created_at = at("2024-02-15")
    other = make_item(session, title="Công việc năm 2023", plan_code="KH-2023", task_number=1,
                      status=Status.DONE, progress=100, start=D(2023, 3, 1), due=D(2023, 6, 30))
    other.completed_on = D(2023, 6, 1)
    session.flush()

    A, B, C, F = items["A"], items["B"], items["C"], items["F"]
    _event(session, A, at("2024-02-15"), None, Status.NOT_STARTED, EventKind.CREATED, 0)
    _event(session, A, at("2024-03-05"), Status.NOT_STARTED, Status.IN_PROGRESS)
    _event(session, A, at("2024-06-18"), Status.IN_PROGRESS, Status.AWAITING_CONFIRMATION)
    _event(session, A, at("2024-06-20"), Status.AWAITING_CONFIRMATION, Status.DONE, EventKind.CONFIRMED)
    _event(session, B, at("2024-03-01"), Status.NOT_STARTED, Status.IN_PROGRESS)
    _event(session, B, at("2024-06-10"), Status.IN_PROGRESS, Status.DONE, EventKind.CONFIRMED)
    _event(session, C, at("2024-04-01"), Status.NOT_STARTED, Status.IN_PROGRESS)
    _event(session, C, at("2024-05-01"), kind=EventKind.PROGRESS, progress=40)
    _event(session, F, at("2024-05-02"), Status.NOT_STARTED, Status.IN_PROGRESS)
    _event(session, F, at("2024-07-31", 17, 30), Status.IN_PROGRESS, Status.AWAITING_CONFIRMATION)
    _event(session, deleted, at("2024-03-01"), Status.NOT_STARTED, Status.IN_PROGRESS)

    units = {code: session.scalars(select(Unit).where(Unit.code == code)).one() for code in ("VU-TCBC", "SNV-HA-NOI")}
    round_ = ReportingRound(name="Báo cáo 6 tháng 2024", plan_id=A.plan_id, period_start=D(2024, 1, 1),
                            period_end=D(2024, 6, 30), deadline=D(2024, 7, 15), units=list(units.values()))
    session.add(round_)
    session.flush()
    session.add(RoundReport(round_id=round_.id, unit_id=units["VU-TCBC"].id, summary="Đã triển khai.",
                            submitted_at=at("2024-07-10")))
    session.flush()
    item_states.rebuild(session)  # the history above was written by hand, with its own dates, as demo data is
    ids = {name: item.id for name, item in items.items()}
    ids.update(plan=A.plan_id, plan_2023=other.plan_id, task2=A.priority_task_id, task5=C.priority_task_id,
               tcbc=units["VU-TCBC"].id, hanoi=units["SNV-HA-NOI"].id, form1=forms[0].id, form2=forms[1].id,
               deleted=deleted.id)
    return ids

