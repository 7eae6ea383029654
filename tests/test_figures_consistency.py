"""One set of figures everywhere: a half-year asked for after the history ran on to 30/09 gives the state at 30/06,
recomputed here from the tables' history alone; the CLI's JSON, the headline, the task and unit tables, the
flow's last point, the Excel workbook and the Word report all state the same totals."""

import datetime as dt
import io
import json
from collections import Counter

import docx
import openpyxl
import pytest
from sqlalchemy import select

from tracker import clock
from tracker.__main__ import main
from tracker.db import session_scope
from tracker.models import Plan, ProgressEvent, Role, Status, WorkItem
from tracker.permissions import Actor
from tracker.services import dashboard, reports
from tracker.services.dashboard_filters import Filters
from tracker.services.demo import generate_demo
from tracker.text import format_number

PLAN = "184/QĐ-BNV"
H1_FROM, H1_TO = dt.date(2024, 1, 1), dt.date(2024, 6, 30)
TODAY = dt.date(2024, 10, 15)
LEADER = Actor(user_id=0, username="lanh.dao", role=Role.LEADER)


@pytest.fixture
def demo(engine):
    with session_scope(engine) as s:
        plan = s.scalars(select(Plan).where(Plan.code == PLAN)).one()
        generate_demo(s, plan=plan, items=300, seed=7, as_of=dt.date(2024, 9, 30))
        return plan.id


def recompute(session, plan_id: int, cutoff: dt.date) -> Counter:
    """The state at the end of `cutoff` from work_items and progress_events alone, by the plain rule."""
    end = clock.end_of_day(cutoff)
    facts = {r.id: r for r in session.execute(
        select(WorkItem.id, WorkItem.created_at, WorkItem.due_date)
        .where(WorkItem.plan_id == plan_id, WorkItem.deleted_at.is_(None)))}
    items = list(facts)
    history: dict[int, list] = {}
    for e in session.execute(select(ProgressEvent.work_item_id, ProgressEvent.at, ProgressEvent.from_status,
                                    ProgressEvent.to_status, ProgressEvent.progress)
                             .where(ProgressEvent.work_item_id.in_(items))
                             .order_by(ProgressEvent.work_item_id, ProgressEvent.at, ProgressEvent.id)):
        history.setdefault(e.work_item_id, []).append(e)
    out = Counter()
    for item_id, f in facts.items():
        created = f.created_at if f.created_at.tzinfo else f.created_at.replace(tzinfo=dt.timezone.utc)
        if created >= end:
            continue
        events = [e for e in history.get(item_id, []) if
                  (e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.timezone.utc)) < end]
        status, progress, sent, done_day = Status.NOT_STARTED, 0, None, None
        for e in events:
            day = clock.vn_day(e.at)
            if e.progress is not None:
                progress = e.progress
            if e.to_status is Status.AWAITING_CONFIRMATION:
                sent = day
            elif e.to_status is Status.DONE:
                done_day = sent if e.from_status is Status.AWAITING_CONFIRMATION and sent else day
            elif e.to_status is not None:
                sent = None
            if e.to_status is not None:
                status = e.to_status
        due = f.due_date
        if status is Status.DONE:
            cls = "done_late" if done_day > due else "done_on_time"
        elif due >= cutoff or (status is Status.AWAITING_CONFIRMATION and sent <= due):
            cls = "in_progress_on_time"
        else:
            cls = "overdue"
        out.update({"items": 1, cls: 1, "due_passed": int(due < cutoff),
                    "progress_sum": 100 if status is Status.DONE else progress})
    return out


def test_a_half_year_asked_later_is_the_state_at_its_end_everywhere(engine, db_env, demo, capsys, tmp_path):
    with session_scope(engine) as s:
        want = recompute(s, demo, H1_TO)
    assert main(["figures", "--plan", PLAN, "--from", "01/01/2024", "--to", "30/06/2024", "--json",
                 "--today", TODAY.isoformat()]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["cutoff"] == "2024-06-30" and got["period_start"] == "2024-01-01"
    assert {k: got[k] for k in ("items", "done_on_time", "done_late", "in_progress_on_time", "overdue",
                                "due_passed")} == {k: want[k] for k in ("items", "done_on_time", "done_late",
                                                                        "in_progress_on_time", "overdue",
                                                                        "due_passed")}
    assert got["average_progress"] == round(want["progress_sum"] / want["items"], 1)
    assert got["completion_rate"] == round(100 * (want["done_on_time"] + want["done_late"]) / want["items"], 1)
    assert sum(t["items"] for t in got["by_task"]) == sum(u["items"] for u in got["by_unit"]) == want["items"]
    assert 0 < want["items"] < 300  # some of the year's items were created after 30/06

    # The same day asked again later gives the same numbers.
    assert main(["figures", "--plan", PLAN, "--from", "01/01/2024", "--to", "30/06/2024", "--json",
                 "--today", "2026-12-01"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert {k: again[k] for k in got if k != "by_unit"} == {k: got[k] for k in got if k != "by_unit"}

    out, xlsx = tmp_path / "bc.docx", tmp_path / "sl.xlsx"
    assert main(["report", "--plan", PLAN, "--from", "01/01/2024", "--to", "30/06/2024", "--out", str(out),
                 "--xlsx", str(xlsx), "--today", TODAY.isoformat()]) == 0
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(xlsx)["Tổng hợp"].iter_rows(min_row=6, values_only=True)}
    assert (summary["Tổng số công việc"], summary["Hoàn thành đúng hạn"], summary["Hoàn thành quá hạn"],
            summary["Đang thực hiện trong hạn"], summary["Quá hạn"]) == (
        got["items"], got["done_on_time"], got["done_late"], got["in_progress_on_time"], got["overdue"])
    text = " ".join(p.text for p in docx.Document(str(out)).paragraphs)
    done = got["done_on_time"] + got["done_late"]
    assert (f"tổng số {format_number(got['items'])} công việc; đã hoàn thành {format_number(done)} việc (đúng hạn "
            f"{format_number(got['done_on_time'])}, quá hạn {format_number(got['done_late'])})") in text


@pytest.mark.parametrize("cutoff", [None, dt.date(2024, 6, 30), dt.date(2024, 3, 31)])
def test_headline_classes_tables_flow_and_files_agree(engine, demo, cutoff):
    with session_scope(engine) as s:
        filters = Filters(plan_id=demo, as_of=cutoff)
        board = dashboard.build(s, actor=LEADER, filters=filters, today=TODAY)
        h = board.headline
        assert h.done_on_time + h.done_late + h.in_progress + h.overdue == h.items
        for frame in (board.by_task, board.by_unit):
            assert frame[["items", "done_on_time", "done_late", "in_progress_on_time", "overdue"]].sum().tolist() == [
                h.items, h.done_on_time, h.done_late, h.in_progress, h.overdue]
        last = board.flow.iloc[-1]
        assert last["period_end"] == board.cutoff
        assert (int(last["total"]), int(last["done"])) == (h.items, h.done)
        wb = openpyxl.load_workbook(io.BytesIO(reports.excel_workbook(s, board=board)))
        summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=6, values_only=True)}
        assert (summary["Tổng số công việc"], summary["Hoàn thành"], summary["Quá hạn"],
                summary["Tỷ lệ hoàn thành (%)"]) == (h.items, h.done, h.overdue, h.completion_rate)
        listed = [r for r in wb["Danh sách công việc"].iter_rows(min_row=2, values_only=True)]
        header = [c.value for c in wb["Danh sách công việc"][1]]
        assert len(listed) == h.items
        assert Counter(r[header.index("Đánh giá")] for r in listed) == Counter(
            {"Hoàn thành đúng hạn": h.done_on_time, "Hoàn thành quá hạn": h.done_late,
             "Đang thực hiện trong hạn": h.in_progress, "Quá hạn": h.overdue}) - Counter()
        tasks = {r[0]: r for r in wb["Theo nhiệm vụ"].iter_rows(min_row=2, values_only=True)}
        task_header = [c.value for c in wb["Theo nhiệm vụ"][1]]
        assert sum(r[task_header.index("Quá hạn")] for r in tasks.values()) == h.overdue
        text = " ".join(p.text for p in docx.Document(io.BytesIO(
            reports.word_report(s, board=board, period_label=""))).paragraphs)
        assert f"tỷ lệ hoàn thành {str(h.completion_rate).replace('.', ',')}%" in text
        assert f"({format_number(h.done)}/{format_number(h.items)} việc)" in text
