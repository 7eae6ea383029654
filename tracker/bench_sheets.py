"""Bench: importing a 5.000-row spreadsheet in the office's own layout, against the template import of
the same number of rows measured in the same run (the target: within 2 ×)."""

from __future__ import annotations

import io

from sqlalchemy import select

RATIO_TARGET = 2.0
HEADER = ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Sản phẩm",
          "Kinh phí", "Ghi chú"]
DEADLINES = ["Quý III/2024", "Tháng 9/2024", "Trước 30/9/2024", "Trước 30/9", "6 tháng đầu năm", "30/09/2024"]
PRODUCTS = ["Tin, bài", "Hội nghị", "Họp báo", "Video clip", "Tài liệu", "Tọa đàm"]


def own_layout_workbook(session, plan_id: int, rows: int, tag: str) -> bytes:
    """`rows` work items as an office keeps them: title lines, a group row per task, its own headers, deadline
    phrases, units by their short names, the lead unit merged down over pairs of rows."""
    from openpyxl import Workbook

    from tracker.models import PriorityTask, Unit, UnitKind

    tasks = session.scalars(select(PriorityTask.number).where(PriorityTask.plan_id == plan_id,
                                                             PriorityTask.text_missing.is_(False))).all()
    units = session.scalars(select(Unit.short_name).where(Unit.kind == UnitKind.PROVINCIAL,
                                                          Unit.valid_to.is_not(None))).all()
    wb = Workbook()
    ws = wb.active
    ws.append(["BỘ NỘI VỤ"])
    ws.append([f"KẾ HOẠCH TRUYỀN THÔNG NĂM 2024 ({tag})"])
    ws.append([])
    ws.append(HEADER)
    per_group = -(-rows // len(tasks))
    for n in range(rows):
        if n % per_group == 0:
            task = tasks[n // per_group]
            ws.append([None, f"Nhiệm vụ {task}: nhóm công việc số {task}"])
            ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=len(HEADER))
        lead = units[(n // 2) % len(units)]
        ws.append([n + 1, f"Bài viết chuyên đề {tag} số {n + 1}", lead if n % 2 == 0 else None,
                   units[(n // 2 + 7) % len(units)], DEADLINES[n % len(DEADLINES)], PRODUCTS[n % len(PRODUCTS)],
                   "5.000.000", ""])
        if n % 2 == 0 and n + 1 < rows and (n + 1) % per_group != 0:
            ws.merge_cells(start_row=ws.max_row, start_column=3, end_row=ws.max_row + 1, end_column=3)
        elif n % 2 == 0:
            ws.cell(ws.max_row, 3).value = lead
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def measure(bench, backend: str, size: int, engine, info: dict, rows: int) -> None:
    """The own-layout import, with the template import of as many rows as its floor."""
    from tracker.bench import _num, import_workbook
    from tracker.db import session_scope
    from tracker.services.imports import import_items

    runs = min(3, bench.repeat)
    with session_scope(engine) as s:
        own = [own_layout_workbook(s, info["plan_id"], rows, f"bố cục riêng {k + 1}") for k in range(runs)]
        template = [import_workbook(s, info["plan_id"], rows, f"đợt mẫu {k + 1}") for k in range(runs)]

    def run(files):
        def once():
            with session_scope(engine) as s:
                result = import_items(s, actor=info["admin"], plan_id=info["plan_id"], data=files.pop(0))
            assert len(result.created) == rows, result.summary()
        return once

    row = bench.measure(backend, size, f"Nhập Excel {_num(rows)} dòng, bố cục riêng của đơn vị", run(own),
                        floor=run(template), floor_name="nhập tệp mẫu cùng số dòng", repeat=runs)
    if row.ratio is not None and not row.note:
        row.note = f"mục tiêu ≤ ×{_num(RATIO_TARGET)}: {'đạt' if row.ratio <= RATIO_TARGET else 'CHƯA ĐẠT'}"
        bench.echo(f"  {row.note}")
