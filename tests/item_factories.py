"""Work items for tests: dated, in a chosen state, led by a chosen unit."""

import datetime as dt

from sqlalchemy import select

from tracker.models import Form, Plan, PriorityTask, Status, Unit, WorkItem


def make_item(session, *, unit_code="VU-TCBC", title="Họp báo quý I về cải cách tiền lương",
              status=Status.IN_PROGRESS, progress=20, start=dt.date(2024, 3, 1), due=dt.date(2024, 6, 30),
              blocked=False, plan_code="184/QĐ-BNV", task_number=2, target_qty=12):
    plan = session.scalars(select(Plan).where(Plan.code == plan_code)).one()
    task = session.scalars(select(PriorityTask).where(PriorityTask.plan_id == plan.id,
                                                      PriorityTask.number == task_number)).one()
    unit = session.scalars(select(Unit).where(Unit.code == unit_code)).one()
    form = session.scalars(select(Form).order_by(Form.sort_order)).first()
    item = WorkItem(plan_id=plan.id, priority_task_id=task.id, title=title, lead_unit_id=unit.id,
                    form_id=form.id, start_date=start, due_date=due, status=status, progress=progress,
                    blocked=blocked, blocked_reason="Chưa có kinh phí." if blocked else None,
                    target_qty=target_qty, target_unit="tin bài", achieved_qty=0)
    session.add(item)
    session.flush()
    return item
