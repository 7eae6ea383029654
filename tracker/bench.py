"""`python -m tracker bench`: how fast the tracker is at 1,000 / 10,000 / 100,000 work items.

Every figure is the median of repeated runs, printed beside a floor measured in the same run on
the same database (the raw SQL of the same aggregate, an empty Streamlit page run, a bare UPDATE,
reading the same Excel file, saving an empty Word file), and their ratio. Shared machines are
noisy: compare ratios, not seconds from another day. Nothing here is a test; nothing asserts.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import os
import platform
import resource
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from tracker.bench_pages import CHART_TABS, OTHER_PAGES
from tracker.catalog import load_catalog
from tracker.db import make_engine, session_scope
from tracker.migrate import upgrade
from tracker.models import Role, Status, User, WorkItem
from tracker.permissions import Actor

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {  # seconds, at 100,000 items (docs/benchmarks.md)
    "Số liệu tổng quan": 0.3,
    "Trang Tổng quan (AppTest)": 1.5,
    "Trang Bảng Kanban, có lọc (AppTest)": 1.5,
    "Chuyển một thẻ": 0.05,
    "Lịch tháng của kế hoạch": 2.0,
    "Trang Lịch, tháng (AppTest)": 2.0,
    "Nhập Excel 5.000 dòng": 10.0,
    "Chromium: Bảng Kanban đến thẻ cuối hiện ra": 1.5,
    "Chromium: kéo thả thẻ đến khi hiện ở cột mới (trình duyệt, chưa lưu)": 0.15,
    "Chromium: kéo thả thẻ đến khi máy chủ lưu và vẽ lại": 0.15,
    "Chromium: đăng nhập Lãnh đạo đến khi Tổng quan vẽ xong": 1.5,
    "Chromium: Tổng quan, chuyển sang biểu đồ khác": 0.5,
    "Chromium: Tổng quan ngay sau một lần ghi": 2.0,
    **{f"Chromium: thanh bên → {name}": 1.5 for name in OTHER_PAGES},
    "Chromium: Tổng quan → Chi tiết công việc (bấm một việc trong danh sách)": 1.5,
    **{f"Chromium: Tổng quan, chuyển sang tab «{tab}»": 0.5 for tab in CHART_TABS},
}

RATIO_TARGETS = {"Chromium: đăng nhập Lãnh đạo đến khi Tổng quan vẽ xong": 2.5}  # × the light page, same run


@dataclass
class Row:
    backend: str
    size: int
    name: str
    median: float | None
    floor: float | None = None
    floor_name: str = ""
    runs: int = 0
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.median is None or not self.floor:
            return None
        return self.median / self.floor


@dataclass
class Bench:
    repeat: int = 5
    rows: list[Row] = field(default_factory=list)
    echo: Callable[[str], None] = print

    def measure(self, backend: str, size: int, name: str, fn: Callable[[], object], *,
                floor: Callable[[], object] | None = None, floor_name: str = "", repeat: int | None = None,
                setup: Callable[[], object] | None = None) -> Row:
        n = repeat or self.repeat
        row = Row(backend, size, name, None, floor_name=floor_name, runs=n)
        try:
            row.median = _median(fn, n, setup)
            if floor is not None:
                row.floor = _median(floor, n, None)
        except Exception as exc:  # a broken measurement is reported, the others still run
            row.note = f"lỗi: {type(exc).__name__}: {exc}"[:200]
            traceback.print_exc()
        self.rows.append(row)
        self.echo(_line(row))
        return row


def _median(fn: Callable[[], object], n: int, setup: Callable[[], object] | None) -> float:
    times = []
    for _ in range(n):
        if setup:
            setup()
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _num(value: float, digits: int = 0) -> str:
    """Vietnamese number style: 1.234,5."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{_num(seconds * 1000, 1)} ms" if seconds < 1 else f"{_num(seconds, 2)} s"


def _line(row: Row) -> str:
    ratio = f"×{_num(row.ratio, 1)}" if row.ratio is not None else ""
    floor = f"{_fmt(row.floor)} ({row.floor_name})" if row.floor is not None else ""
    return (f"| {row.backend} | {_num(row.size)} | {row.name} | {_fmt(row.median)} | {floor} | {ratio} | "
            f"{' · '.join(filter(None, [row.note, _verdict(row)]))} |")


FANOUT_RATIO = 2.0  # issue 14: a fan-out with its notifications within 2× the same fan-out without them


def _verdict(row: Row) -> str:
    if row.name.startswith("Giao đồng loạt cho") and row.ratio is not None:
        return f"≤ ×{_num(FANOUT_RATIO, 1)} khi không ghi thông báo: {'đạt' if row.ratio <= FANOUT_RATIO else 'CHƯA ĐẠT'}"
    target = TARGETS.get(row.name)
    if target is None or row.median is None or row.size < (10_000 if row.name.startswith("Chromium") else 100_000):
        return ""
    if row.note.startswith(("lỗi", "bỏ qua")):
        return ""
    verdict = f"mục tiêu ≤ {_fmt(target)}: {'đạt' if row.median <= target else 'CHƯA ĐẠT'}"
    ratio = RATIO_TARGETS.get(row.name)
    if ratio is not None and row.ratio is not None:
        verdict += f"; ≤ ×{_num(ratio, 1)} trang nhẹ: {'đạt' if row.ratio <= ratio else 'CHƯA ĐẠT'}"
    return verdict


HEADER = ("| CSDL | Số việc | Phép đo (trung vị) | Thời gian | Mức sàn cùng lần chạy | Tỉ lệ | Ghi chú |\n"
          "|---|---:|---|---:|---|---:|---|")


# --- building the databases -------------------------------------------------------------------

def _fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _fresh_postgres(admin_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def build(url: str, size: int, seed: int = 1) -> tuple[Engine, dict]:
    """Migrate, load the catalog, make `size` demo items (about ten events each) and the accounts."""
    from tracker.services.demo import generate_demo
    from tracker.services.plans import find_plan
    from tracker.services.users import create_user

    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        load_catalog(s)
    with session_scope(engine) as s:
        plan = find_plan(s, "184/QĐ-BNV")
        result = generate_demo(s, plan=plan, items=size, seed=seed)
        admin = create_user(s, username="bench.vp", password="mat-khau-bench", role=Role.ADMIN)
        leader = create_user(s, username="bench.ld", password="mat-khau-bench", role=Role.LEADER)
        info = {"plan_id": plan.id, "as_of": result.as_of, "events": result.events,
                "admin": Actor.of(admin), "leader": Actor.of(leader), "admin_user": admin.id,
                "leader_user": leader.id}
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return engine, info


# --- what is measured -------------------------------------------------------------------------

def _dashboard(bench: Bench, backend: str, size: int, engine: Engine, info: dict) -> None:
    from tracker.services import cutoff_cache, dashboard

    now = dashboard.Filters(plan_id=info["plan_id"])
    # A cut-off in the past: every item as it was at the end of 30/06 (work_item_states), not as it is now.
    past = dashboard.Filters(plan_id=info["plan_id"], as_of=dt.date(info["as_of"].year, 6, 30))
    floor_now = ("SELECT status, COUNT(*), SUM(progress) FROM work_items "
                 "WHERE plan_id = :p AND deleted_at IS NULL GROUP BY status")
    floor_past = ("SELECT status, COUNT(*), SUM(progress) FROM work_item_states "
                  "WHERE plan_id = :p AND valid_from <= :d AND (valid_to IS NULL OR valid_to > :d) "
                  "AND NOT deleted GROUP BY status")
    def forget_cutoffs():  # a cut-off's first visit: nothing kept yet in cutoff_figures
        with session_scope(engine) as s:
            cutoff_cache.clear(s, [info["plan_id"]])

    for name, filters, sql, floor_name, setup in (
            ("Số liệu tổng quan", now, floor_now, "SQL GROUP BY trạng thái", None),
            ("Số liệu tổng quan, chốt 30/06, lần đầu", past, floor_past, "SQL GROUP BY trạng thái tại 30/06",
             forget_cutoffs),
            ("Số liệu tổng quan, chốt 30/06, lần sau", past, floor_past, "SQL GROUP BY trạng thái tại 30/06", None)):

        def data(filters=filters):
            with session_scope(engine) as s:
                dashboard.build(s, actor=info["leader"], filters=filters, today=info["as_of"])

        def raw(sql=sql):
            with engine.connect() as conn:
                conn.execute(text(sql), {"p": info["plan_id"], "d": past.as_of}).all()

        bench.measure(backend, size, name, data, floor=raw, floor_name=floor_name, setup=setup)


def _apptest(url: str, info: dict, user_key: str, page: str | None, params: dict | None = None):
    from streamlit.testing.v1 import AppTest

    from tracker.services import sessions
    from tracker.ui.auth import SESSION_KEY, session_record

    engine = make_engine(url)
    with session_scope(engine) as s:
        row, _token = sessions.start(s, user=s.get(User, info[user_key]), client="bench",
                                     now=dt.datetime.now(dt.timezone.utc))
        session_id = row.id
    engine.dispose()

    def run():
        import streamlit as st

        st.cache_data.clear()  # a cold page: every figure computed, as after a write
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state[SESSION_KEY] = session_record(user_id=info[user_key], session_id=session_id)
        if params:
            for k, v in params.items():
                at.query_params[k] = v
        at.run()
        if page:
            at.switch_page(page).run()
        if at.exception:
            raise RuntimeError(at.exception[0].message)

    return run


def _empty_page():
    from streamlit.testing.v1 import AppTest

    AppTest.from_string("import streamlit as st\nst.title('Trang trống')", default_timeout=60).run()


def _pages(bench: Bench, backend: str, size: int, url: str, info: dict) -> None:
    os.environ["TRACKER_DATABASE_URL"] = url
    os.environ["TRACKER_TODAY"] = info["as_of"].isoformat()
    repeat = min(bench.repeat, max(3, bench.repeat // 2))
    bench.measure(backend, size, "Trang Tổng quan (AppTest)", _apptest(url, info, "leader_user", "pages/dashboard.py"),
                  floor=_empty_page, floor_name="trang Streamlit trống", repeat=repeat)
    params = {"plan": str(info["plan_id"]), "rag": "red", "lanes": "task"}
    bench.measure(backend, size, "Trang Bảng Kanban, có lọc (AppTest)",
                  _apptest(url, info, "admin_user", "pages/board.py", params),
                  floor=_empty_page, floor_name="trang Streamlit trống", repeat=repeat)


def _calendar(bench: Bench, backend: str, size: int, engine: Engine, url: str, info: dict) -> None:
    """The month around the data's today: the service, the .ics of the busiest unit, and the page."""
    from tracker.services import calendar as cal
    from tracker.services import calendar_feed

    day = info["as_of"]
    filters = cal.CalendarFilter(plan=info["plan_id"], day=day)
    first, last = cal.window(cal.View.MONTH, day)
    with session_scope(engine) as s:
        unit = s.execute(text("SELECT lead_unit_id FROM work_items WHERE plan_id = :p GROUP BY lead_unit_id "
                              "ORDER BY COUNT(*) DESC LIMIT 1"), {"p": info["plan_id"]}).scalar()

    def month():
        with session_scope(engine) as s:
            cal.read_calendar(s, actor=info["leader"], filters=filters, today=day)

    def raw():
        with engine.connect() as conn:
            conn.execute(text("SELECT id, title, start_date, due_date, status FROM work_items WHERE plan_id = :p "
                              "AND deleted_at IS NULL AND (due_date BETWEEN :a AND :b OR start_date BETWEEN :a AND :b)"),
                         {"p": info["plan_id"], "a": first, "b": last}).all()

    def ics():
        with session_scope(engine) as s:
            calendar_feed.download(s, actor=info["leader"], plan_id=info["plan_id"], unit_id=unit, today=day)

    bench.measure(backend, size, "Lịch tháng của kế hoạch", month, floor=raw, floor_name="SQL các việc trong tháng")
    def raw_unit():
        with engine.connect() as conn:
            conn.execute(text("SELECT id, title, due_date FROM work_items WHERE plan_id = :p AND lead_unit_id = :u "
                              "AND deleted_at IS NULL AND due_date IS NOT NULL"), {"p": info["plan_id"], "u": unit}).all()

    bench.measure(backend, size, "Tệp lịch .ics của đơn vị nhiều việc nhất", ics, floor=raw_unit,
                  floor_name="SQL các việc của đơn vị")
    os.environ["TRACKER_DATABASE_URL"] = url
    os.environ["TRACKER_TODAY"] = day.isoformat()
    bench.measure(backend, size, "Trang Lịch, tháng (AppTest)",
                  _apptest(url, info, "admin_user", "pages/calendar.py", {"plan": str(info["plan_id"])}),
                  floor=_empty_page, floor_name="trang Streamlit trống", repeat=min(bench.repeat, max(3, bench.repeat // 2)))


def _move(bench: Bench, backend: str, size: int, engine: Engine, info: dict) -> None:
    from tracker.services.moves import move_item

    with session_scope(engine) as s:
        item_id = s.scalar(select(WorkItem.id).where(WorkItem.status == Status.NOT_STARTED,
                                                     WorkItem.deleted_at.is_(None)).limit(1))
    state = {"to": Status.IN_PROGRESS}

    def move():
        with session_scope(engine) as s:
            version = s.scalar(select(WorkItem.version).where(WorkItem.id == item_id))
            move_item(s, actor=info["admin"], item_id=item_id, to_status=state["to"], expected_version=version,
                      today=info["as_of"])
        state["to"] = Status.NOT_STARTED if state["to"] is Status.IN_PROGRESS else Status.IN_PROGRESS

    def bare_update():
        with engine.begin() as conn:
            conn.execute(text("UPDATE work_items SET note = note WHERE id = :id"), {"id": item_id})

    bench.measure(backend, size, "Chuyển một thẻ", move, floor=bare_update, floor_name="UPDATE một dòng",
                  repeat=max(bench.repeat, 9) if bench.repeat > 1 else 1)


def _bulk(bench: Bench, backend: str, size: int, engine: Engine, info: dict) -> None:
    """The office shifts the deadlines of 1.000 items (or all, below that) by one day: preview then apply, each
    item through its own service with its history entry (tracker/services/bulk.py)."""
    from tracker.services import bulk

    edit = bulk.BulkEdit(shift_days=1)
    with session_scope(engine) as s:  # 1.000 items the shift is allowed for (a few would leave a unit's dates)
        candidates = list(s.scalars(select(WorkItem.id).where(WorkItem.deleted_at.is_(None)).order_by(WorkItem.id)
                                    .limit(1_200)))
        trial = bulk.preview_edit(s, actor=info["admin"], items=[
            (i, v) for i, v in s.execute(select(WorkItem.id, WorkItem.version).where(WorkItem.id.in_(candidates)))],
            edit=edit)
        ids = [r.item_id for r in trial.rows if not r.problem][:1_000]

    def versions(s):
        return [(i, v) for i, v in s.execute(select(WorkItem.id, WorkItem.version).where(WorkItem.id.in_(ids)))]

    def preview_and_apply():
        with session_scope(engine) as s:
            read = versions(s)
            bulk.preview_edit(s, actor=info["admin"], items=read, edit=edit)
        with session_scope(engine) as s:
            bulk.apply_edit(s, actor=info["admin"], items=read, edit=edit)

    def bare_update():
        with engine.begin() as conn:
            conn.execute(text("UPDATE work_items SET due_date = due_date WHERE id IN (%s)" % ",".join(map(str, ids))))

    bench.measure(backend, size, f"Sửa đồng loạt {_num(len(ids))} việc (xem trước + ghi)", preview_and_apply,
                  floor=bare_update, floor_name=f"UPDATE {_num(len(ids))} dòng")


def _fanout(bench: Bench, backend: str, size: int, engine: Engine, info: dict) -> None:
    """The office gives one item to every unit active on its dates, each unit's head notified in the same
    transaction (tracker/notifications.py), against the same fan-out with the notifications' listener off:
    the issue asks the first stays within 2× the second."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from tracker import notifications
    from tracker.models import Form, PriorityTask, User
    from tracker.services.work_items import SCOPE_MINISTRY, SCOPE_PROVINCIAL, ItemInput, fan_out, units_in_scope

    start, due = dt.date(2024, 10, 1), dt.date(2024, 12, 31)
    with session_scope(engine) as s:
        units = [u.id for scope in (SCOPE_MINISTRY, SCOPE_PROVINCIAL)
                 for u in units_in_scope(s, scope=scope, start=start, due=due)]
        headless = set(units) - set(s.scalars(select(User.unit_id).where(User.role == Role.UNIT_HEAD)))
        s.add_all(User(username=f"bench.head.{u}", role=Role.UNIT_HEAD, unit_id=u) for u in sorted(headless))
        task = s.scalar(select(PriorityTask.id).where(PriorityTask.plan_id == info["plan_id"],
                                                      PriorityTask.text_missing.is_(False)).limit(1))
        form = s.scalar(select(Form.id).where(Form.active.is_(True)).limit(1))
    counter = iter(range(1, 1_000_000))

    def give():
        template = ItemInput(priority_task_id=task, title=f"Tuyên truyền giao đồng loạt số {next(counter)}",
                             lead_unit_id=None, form_id=form, start_date=start, due_date=due)
        with session_scope(engine) as s:
            fan_out(s, actor=info["admin"], plan_id=info["plan_id"], template=template, unit_ids=units)

    def give_silently():
        event.remove(Session, "after_flush", notifications._after_flush)
        try:
            give()
        finally:
            event.listen(Session, "after_flush", notifications._after_flush)

    # Alternated (with, without, with...): on a shared machine the load drifts between two series run apart.
    n = max(bench.repeat, 5) if bench.repeat > 1 else 1
    row = Row(backend, size, f"Giao đồng loạt cho {_num(len(units))} đơn vị, kèm thông báo", None,
              floor_name="cùng việc, không ghi thông báo, xen kẽ", runs=n)
    try:
        times: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(n):
            for key, fn in (("with", give), ("without", give_silently)):
                gc.collect()
                began = time.perf_counter()
                fn()
                times[key].append(time.perf_counter() - began)
        row.median, row.floor = statistics.median(times["with"]), statistics.median(times["without"])
    except Exception as exc:  # a broken measurement is reported, the others still run
        row.note = f"lỗi: {type(exc).__name__}: {exc}"[:200]
        traceback.print_exc()
    bench.rows.append(row)
    bench.echo(_line(row))


def import_workbook(session, plan_id: int, rows: int, tag: str) -> bytes:
    """A filled-in template of `rows` new work items, as units send it in."""
    from openpyxl import Workbook

    from tracker.models import Form, PriorityTask, Unit, UnitKind
    from tracker.services.excel_template import HEADERS

    tasks = session.scalars(select(PriorityTask.number).where(PriorityTask.plan_id == plan_id,
                                                             PriorityTask.text_missing.is_(False))).all()
    units = session.scalars(select(Unit.name).where(Unit.kind == UnitKind.PROVINCIAL,
                                                    Unit.valid_to.is_not(None))).all()
    forms = session.scalars(select(Form.name).where(Form.active.is_(True))).all()
    wb = Workbook()
    ws = wb.active
    ws.title = "Công việc"
    ws.append(HEADERS)
    for n in range(rows):
        ws.append([n + 1, tasks[n % len(tasks)], f"Bài viết chuyên đề {tag} số {n + 1}", units[n % len(units)],
                   units[(n + 7) % len(units)], forms[n % len(forms)], "Cổng Thông tin điện tử",
                   "01/04/2024", "30/09/2024", 4, "5.000.000", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _import(bench: Bench, backend: str, size: int, engine: Engine, info: dict, rows: int = 5000) -> None:
    from openpyxl import load_workbook

    from tracker.services.imports import import_items

    files = []
    with session_scope(engine) as s:
        for k in range(min(3, bench.repeat)):
            files.append(import_workbook(s, info["plan_id"], rows, f"đợt {k + 1}"))
    pending = list(files)

    def do_import():
        data = pending.pop(0)
        with session_scope(engine) as s:
            import_items(s, actor=info["admin"], plan_id=info["plan_id"], data=data)

    def read_only():
        wb = load_workbook(io.BytesIO(files[0]), read_only=True)
        for _ in wb.active.iter_rows(values_only=True):
            pass
        wb.close()

    bench.measure(backend, size, f"Nhập Excel {_num(rows)} dòng", do_import, floor=read_only,
                  floor_name="openpyxl đọc cùng tệp", repeat=min(3, bench.repeat))
    from tracker import bench_sheets  # the office's own layout, against the template import (issue 17)

    bench_sheets.measure(bench, backend, size, engine, info, rows)


def _report(bench: Bench, backend: str, size: int, engine: Engine, info: dict) -> None:
    from docx import Document

    from tracker.services import dashboard, reports

    def word():
        with session_scope(engine) as s:
            board = dashboard.build(s, actor=info["leader"], filters=dashboard.Filters(plan_id=info["plan_id"]),
                                    today=info["as_of"])
            reports.word_report(s, board=board, period_label="Báo cáo 9 tháng năm 2024")

    def empty_docx():
        doc = Document()
        doc.add_paragraph("Báo cáo")
        doc.save(io.BytesIO())

    bench.measure(backend, size, "Báo cáo Word", word, floor=empty_docx, floor_name="lưu tệp Word trống",
                  repeat=min(3, bench.repeat))


def _browser(bench: Bench, backend: str, size: int, url: str, info: dict) -> None:
    """The board in Chromium, timed inside the page (tracker/bench_browser.py)."""
    chromium = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
    names = ("Chromium: Bảng Kanban đến thẻ cuối hiện ra",
             "Chromium: kéo thả thẻ đến khi hiện ở cột mới (trình duyệt, chưa lưu)",
             "Chromium: kéo thả thẻ đến khi máy chủ lưu và vẽ lại")
    if not os.access(chromium, os.X_OK):
        for name in names:
            bench.rows.append(Row(backend, size, name, None, note=f"bỏ qua: không có Chromium ở {chromium}"))
            bench.echo(_line(bench.rows[-1]))
        return
    from tracker import bench_browser

    try:
        got = bench_browser.measure(url=url, today=info["as_of"].isoformat(), plan_id=info["plan_id"],
                                    username="bench.vp", password="mat-khau-bench", repeat=bench.repeat)
    except Exception as exc:
        traceback.print_exc()
        got = {"error": f"lỗi: {type(exc).__name__}: {exc}"[:200]}
    rows = [Row(backend, size, names[0], got.get("board"), got.get("board_floor"), "trang Streamlit trống",
                bench.repeat, got.get("error") or f"{got.get('cards')} thẻ hiện trên bảng"),
            Row(backend, size, names[1], got.get("drag"), got.get("drag_frame_floor"),
                "một khung hình sau khi nhả chuột, không gọi máy chủ", bench.repeat, got.get("error", "")),
            Row(backend, size, names[2], got.get("drag_saved"), got.get("drag_floor"), "bấm nút chạy lại trang trống",
                bench.repeat, got.get("error", ""))]
    for row in rows:
        bench.rows.append(row)
        bench.echo(_line(row))


def _chromium_pages(bench: Bench, backend: str, size: int, url: str, info: dict) -> None:
    """Pages as a person waits for them in Chromium (tracker/bench_pages.py): sign-in, chart switch, after a
    write, sidebar clicks; the floor is the office's sign-in to Việc của tôi (a light page), same run."""
    chromium = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        bench.rows.append(Row(backend, size, "Chromium: các trang", None, note=f"bỏ qua: không có Chromium ở {chromium}"))
        bench.echo(_line(bench.rows[-1]))
        return
    from tracker import bench_pages

    repeat = min(3, bench.repeat)
    try:
        got = bench_pages.measure(url=url, today=info["as_of"].isoformat(), office=("bench.vp", "mat-khau-bench"),
                                  leader=("bench.ld", "mat-khau-bench"), repeat=repeat)
    except Exception as exc:
        traceback.print_exc()
        row = Row(backend, size, "Chromium: các trang", None, note=f"lỗi: {type(exc).__name__}: {exc}"[:200])
        bench.rows.append(row)
        bench.echo(_line(row))
        return

    def note(m: dict) -> str:
        return (f"nhận {_num(m['bytes'] / 1024)} kB trong {_num(m['frames'])} tin, tin cuối ở {_fmt(m['last'] / 1000)}; "
                f"tác vụ dài {_fmt(m['longTasks'] / 1000)}; {_num(m['charts'])} biểu đồ; "
                f"tải thêm {_num(m['js'] / 1024)} kB JavaScript ({_num(m['jsFiles'])} tệp)")

    light, click = got["light"], got["page:Việc của tôi"]
    rows = [("Chromium: đăng nhập Văn phòng đến khi Việc của tôi xong (trang nhẹ)", light, None, ""),
            ("Chromium: đăng nhập Lãnh đạo đến khi Tổng quan vẽ xong", got["dashboard"], light,
             "đăng nhập đến Việc của tôi"),
            ("Chromium: Tổng quan, chuyển sang biểu đồ khác", got["switch"], click, "thanh bên → Việc của tôi"),
            ("Chromium: Tổng quan ngay sau một lần ghi", got["after_write"], light, "đăng nhập đến Việc của tôi")]
    rows += [(f"Chromium: thanh bên → {name}", got[f"page:{name}"], None if name == "Việc của tôi" else click,
              "thanh bên → Việc của tôi") for name in bench_pages.OTHER_PAGES]
    rows += [(f"Chromium: Tổng quan, chuyển sang tab «{tab}»", got[f"tab:{tab}"], click, "thanh bên → Việc của tôi")
             for tab in bench_pages.CHART_TABS]
    rows.append(("Chromium: Tổng quan → Chi tiết công việc (bấm một việc trong danh sách)",
                 got[f"page:{bench_pages.ITEM_PAGE}"], click, "thanh bên → Việc của tôi"))
    rows.append(("Chromium: mở đường dẫn một công việc trong thẻ mới (đã đăng nhập), từ khi mở", got["link"], light,
                 "đăng nhập đến Việc của tôi"))
    for name, m, floor, floor_name in rows:
        row = Row(backend, size, name, m["done"] / 1000, floor["done"] / 1000 if floor else None, floor_name,
                  repeat, note(m))
        bench.rows.append(row)
        bench.echo(_line(row))
    # The sign-in page itself (it loads Tổng quan's scripts while the person types: its own time is watched).
    form = got["sign_in_page"]
    loaded = (f"JavaScript tải xong ở {_fmt(form['last'] / 1000)} ({_num(form['js'] / 1024)} kB, "
              f"{_num(form['jsFiles'])} tệp, từ bộ nhớ đệm của trình duyệt)")
    row = Row(backend, size, "Chromium: trang đăng nhập, từ khi mở đến khi hiện ô nhập", form["done"] / 1000,
              runs=repeat, note=loaded)
    bench.rows.append(row)
    bench.echo(_line(row))


def _load(bench: Bench, backend: str, size: int, url: str, info: dict, workdir: Path, *, sessions: int,
          think: float, rounds: int, one_address: bool = False, processes: tuple[int, ...] = (1, 2)) -> None:
    """Many unit heads at once over Streamlit's WebSocket (tracker/bench_load.py), one process then two behind
    nginx; the floor is one person alone on the same processes."""
    from tracker import bench_load

    name = f"Tải: {_num(sessions)} người cùng lúc, nghỉ {_num(think, 1)} s" + (", cùng một địa chỉ" if one_address else "")
    try:
        got = bench_load.measure(url=url, today=info["as_of"].isoformat(), sessions=sessions, think=think,
                                 rounds=rounds, workdir=workdir / f"load-{backend}-{size}", echo=bench.echo,
                                 one_address=one_address, processes_list=processes)
    except Exception as exc:
        traceback.print_exc()
        got = {"": (None, None, f"lỗi: {type(exc).__name__}: {exc}"[:200])}
    for label, (alone, crowd, problem) in got.items():
        row = Row(backend, size, f"{name}, {label}: thời gian máy chủ mỗi lượt" if label else name, None,
                  floor_name="một người một mình", note=problem)
        if crowd is not None:
            row.median, row.floor, row.runs = crowd.median, alone.median, len(crowd.clicks)
            target = ""
            if label.startswith("2") and sessions >= 60 and crowd.p95 is not None:
                target = f" · mục tiêu p95 ≤ 1,00 s: {'đạt' if crowd.p95 <= 1 else 'CHƯA ĐẠT'}"
            errors = f"; {_num(len(crowd.errors))} người lỗi: {crowd.errors[0]}" if crowd.errors else ""
            row.note = (f"p95 {_fmt(crowd.p95)}; {_num(crowd.per_second, 2)} lượt/s; CPU {_fmt(crowd.cpu_per_run)} mỗi lượt "
                        f"({_num(len(crowd.clicks))} lượt trong {_fmt(crowd.wall)}; bộ đo tự dùng {_fmt(crowd.client_cpu)} CPU); tải máy "
                        f"{_num(crowd.load_average[0], 1)}{errors}{target}")
        bench.rows.append(row)
        bench.echo(_line(row))


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.node()} · {cpu} · {os.cpu_count()} nhân · {mem:.0f} GiB · Python "
            f"{platform.python_version()} · {platform.system()} {platform.release()}")


def run(*, sizes: list[int], postgres_url: str | None, repeat: int, workdir: Path, skip: set[str],
        echo: Callable[[str], None] = print, import_rows: int = 5000, load_sessions: int = 60,
        load_think: float = 10.0, load_rounds: int = 1, load_sizes: frozenset[int] = frozenset({10_000}),
        load_one_address: bool = False, load_processes: tuple[int, ...] = (1, 2)) -> Bench:
    """Build each database and measure; print the table as it goes (Markdown)."""
    bench = Bench(repeat=repeat, echo=echo)
    import streamlit.logger

    streamlit.logger.set_log_level("error")  # AppTest outside a server warns on every run otherwise
    echo(f"Máy: {machine()}")
    echo(f"Ngày đo: {dt.date.today().strftime('%d/%m/%Y')}; trung vị của {repeat} lần (trang: {max(3, repeat // 2)}, "
         "nhập Excel và báo cáo Word: 3).")
    echo("")
    echo(HEADER)
    workdir.mkdir(parents=True, exist_ok=True)
    backends = [("sqlite", None)] + ([("postgresql", postgres_url)] if postgres_url else [])
    for backend, admin_url in backends:
        for size in sizes:
            url = (_fresh_sqlite(workdir / f"bench-{size}.sqlite3") if backend == "sqlite"
                   else _fresh_postgres(admin_url, f"tracker_bench_{size}"))
            start = time.perf_counter()
            engine, info = build(url, size)
            built = time.perf_counter() - start
            row = Row(backend, size, "Tạo dữ liệu mẫu (một lần)", built, runs=1,
                      note=f"{_num(info['events'])} sự kiện")
            bench.rows.append(row)
            echo(_line(row))
            for name, step in (("dashboard", lambda: _dashboard(bench, backend, size, engine, info)),
                               ("move", lambda: _move(bench, backend, size, engine, info)),
                               ("bulk", lambda: _bulk(bench, backend, size, engine, info)),
                               ("fanout", lambda: _fanout(bench, backend, size, engine, info)),
                               ("pages", lambda: _pages(bench, backend, size, url, info)),
                               ("calendar", lambda: _calendar(bench, backend, size, engine, url, info)),
                               ("report", lambda: _report(bench, backend, size, engine, info)),
                               ("import", lambda: _import(bench, backend, size, engine, info, import_rows)),
                               ("browser", lambda: _browser(bench, backend, size, url, info)),
                               ("chromium-pages", lambda: _chromium_pages(bench, backend, size, url, info)),
                               ("load", lambda: _load(bench, backend, size, url, info, workdir, sessions=load_sessions,
                                                      think=load_think, rounds=load_rounds,
                                                      one_address=load_one_address, processes=load_processes))):
                if name == "browser" and size != 10_000:
                    continue  # the target is for a board of 10,000 items
                if name == "chromium-pages" and size < 1_000:
                    continue  # minutes of browser runs: tests/e2e/test_bench_pages.py runs it once, small
                if name == "load" and size not in load_sizes:
                    continue  # a minute per size: tests/test_bench_load.py runs it once, small
                if name not in skip:
                    step()
            engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    echo("")
    echo(f"Bộ nhớ đỉnh của tiến trình đo: {_num(peak)} MB (mục tiêu ≤ 1.024 MB).")
    return bench
