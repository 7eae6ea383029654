"""The official Báo cáo for a plan and period: content after the ministry's outline, layout after
Nghị định 30/2020 (tracker/docx_layout.py).

Outline (the đề cương of seed 003, the shape of seed 000): I. Tình hình triển khai (the Decision, how the
plan was assigned, how it was followed up); II. Kết quả thực hiện (overall, per task with outputs and budget,
per unit ranked); III. Tồn tại, hạn chế và nguyên nhân (causes from the units' explanations and blocked
reasons); IV. Phương hướng, nhiệm vụ kỳ tới (what falls due next); V. Đề xuất, kiến nghị (from the units'
round reports); closing "./.". Item lists go to numbered annexes; the body stays a few pages.

Every number is the dashboard's (`dashboard.build` at the period's cut-off, tracker/figures.py's definitions).
"""

from __future__ import annotations

import io

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm
from sqlalchemy.orm import Session

from tracker import charts
from tracker import docx_layout as layout
from tracker.charts import format_percent
from tracker.docx_layout import Column
from tracker.figures import Standing
from tracker.models import Plan, UnitKind
from tracker.services.dashboard import UNIT_KIND_LABELS, Dashboard
from tracker.services.flow import flow
from tracker.services.report_facts import Facts, facts, missing
from tracker.services.settings import Office
from tracker.text import format_date, format_number

SECTIONS = [
    "I. TÌNH HÌNH TRIỂN KHAI",
    "II. KẾT QUẢ THỰC HIỆN",
    "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
    "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ KỲ TỚI",
    "V. ĐỀ XUẤT, KIẾN NGHỊ",
]
TOP = 5
TASK_TEXT_CHARS = 110
NOT_PUBLISHED = "nội dung chưa được công bố trong văn bản nguồn"
NO_EXPLANATION = "Đơn vị chưa giải trình"


def n(value) -> str:
    return format_number(int(value))


def _short(text: str, limit: int = TASK_TEXT_CHARS) -> str:
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# ---------------------------------------------------------------- the document


def decision(plan: Plan) -> str:
    """"Quyết định số 184/QĐ-BNV ngày 05/02/2024 của Bộ trưởng Bộ Nội vụ" (as much as the catalog knows)."""
    text = f"Quyết định số {plan.decision_no}" if plan.decision_no else f"Kế hoạch {plan.code}"
    if plan.issued_on:
        text += f" ngày {format_date(plan.issued_on)}"
    if plan.issuer:
        text += f" của {plan.issuer}"
    return text


def _figure(doc, chart, render) -> None:
    png = render(chart)
    if png is None:
        return
    doc.add_picture(io.BytesIO(png), width=Mm(150))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    layout.paragraph(doc, f"Biểu đồ: {chart.reading}", italic=True, size=13, align=WD_ALIGN_PARAGRAPH.CENTER)


def summary_sentence(h) -> str:
    text = (f"tổng số {n(h.items)} công việc; đã hoàn thành {n(h.done)} việc (đúng hạn {n(h.done_on_time)}, "
            f"quá hạn {n(h.done_late)}); đang thực hiện trong hạn {n(h.in_progress)} việc; quá hạn {n(h.overdue)} "
            f"việc; tỷ lệ hoàn thành {format_percent(h.completion_rate)} ({n(h.done)}/{n(h.items)} việc); tiến độ "
            f"bình quân {format_percent(h.average_progress)}; tỷ lệ quá hạn {format_percent(h.overdue_rate)} "
            f"({n(h.overdue)}/{n(h.due_passed)} việc đã đến hạn)")
    if h.done_in_period is not None:
        text += f"; trong kỳ báo cáo đã hoàn thành {n(h.done_in_period)} việc"
    return text


def _section_one(doc, board: Dashboard, f: Facts) -> None:
    P = layout.paragraph
    P(doc, SECTIONS[0], bold=True, indent=False)
    P(doc, "1. Công tác chỉ đạo, giao nhiệm vụ", bold=True, indent=False)
    P(doc, f"Thực hiện {decision(f.plan)} ban hành {board.plan_title} (sau đây gọi là Kế hoạch), Kế hoạch có "
           f"{n(f.tasks_total)} {board.task_label.lower()}; tính đến hết ngày {format_date(f.cutoff)} đã giao "
           f"{n(board.headline.items)} công việc cho {n(f.units_total)} đơn vị chủ trì.")
    kinds = board.by_unit.groupby("kind").agg(units=("unit", "count"), items=("items", "sum"))
    parts = [f"{UNIT_KIND_LABELS[UnitKind(k)].lower()}: {n(r['items'])} việc, {n(r['units'])} đơn vị"
             for k, r in kinds.iterrows()]
    if parts:
        P(doc, "Theo loại đơn vị chủ trì: " + "; ".join(parts) + ".")
    P(doc, f"Có {n(f.child_plans)} Sở Nội vụ đã ban hành kế hoạch của địa phương trên cơ sở các nhiệm vụ của "
           "Kế hoạch." if f.child_plans else "Chưa có Sở Nội vụ nào ban hành kế hoạch riêng trên hệ thống theo dõi.")
    P(doc, "2. Công tác theo dõi, đôn đốc", bold=True, indent=False)
    if not f.rounds:
        P(doc, "Trong kỳ, Văn phòng Bộ chưa mở kỳ báo cáo nào trên hệ thống theo dõi.")
    for r in f.rounds:
        P(doc, f"Kỳ báo cáo “{r.name}” (hạn gửi {format_date(r.deadline)}): {n(r.on_time)}/{n(r.expected)} đơn vị "
               f"gửi đúng hạn, {n(r.late)} đơn vị gửi muộn, {n(r.missing)} đơn vị chưa gửi.")


def _task_row(t) -> list[str]:
    text = f"({NOT_PUBLISHED[0].upper()}{NOT_PUBLISHED[1:]})" if missing(t["text"]) else _short(t["text"])
    return [f"({t['label']})", text, n(t["items"]), n(t["done_on_time"]), n(t["done_late"]),
            n(t["in_progress_on_time"]), n(t["overdue"]), format_percent(t["completion_rate"])]


TASK_TABLE = [Column("Nhiệm vụ"), Column("Nội dung", "left", wide=True), Column("Số việc"),
              Column("Hoàn thành đúng hạn"), Column("Hoàn thành quá hạn"), Column("Đang thực hiện trong hạn"),
              Column("Quá hạn"), Column("Tỷ lệ hoàn thành")]
UNIT_TABLE = [Column("STT"), Column("Đơn vị chủ trì", "left", wide=True), Column("Số việc"), Column("Hoàn thành"),
              Column("Quá hạn"), Column("Tỷ lệ hoàn thành"), Column("Tiến độ bình quân")]


def ranked_units(board: Dashboard) -> pd.DataFrame:
    """Units best first: completion rate, then average progress, then fewest overdue."""
    return board.by_unit.sort_values(["completion_rate", "average_progress", "overdue", "unit"],
                                     ascending=[False, False, True, True]).reset_index(drop=True)


def _section_two(doc, session: Session, board: Dashboard, f: Facts, render) -> None:
    P = layout.paragraph
    h = board.headline
    P(doc, SECTIONS[1], bold=True, indent=False)
    P(doc, "1. Kết quả chung", bold=True, indent=False)
    P(doc, f"Tính đến hết ngày {format_date(f.cutoff)}, {summary_sentence(h)}.")
    if render is not None:
        moves = board.flow if not board.flow.empty else flow(session, filters=board.filters, today=f.cutoff,
                                                               year=board.plan_year)
        _figure(doc, charts.cumulative_flow(moves), render)
    P(doc, f"2. Kết quả theo từng {board.task_label.lower()}", bold=True, indent=False)
    _figure(doc, charts.task_status(board.by_task, task_label=board.task_label), render)
    layout.table(doc, TASK_TABLE, [_task_row(t) for t in board.by_task.to_dict("records")])
    for t in board.by_task[board.by_task["text"].isna()].itertuples():
        P(doc, f"{board.task_label} ({t.label}): {NOT_PUBLISHED}"
               + (f", {n(t.items)} công việc đã giao." if t.items else ", chưa giao công việc."))
    forms = board.forms[board.forms["target"] > 0] if not board.forms.empty else board.forms
    if not forms.empty:
        P(doc, "Sản phẩm theo hình thức (đã đạt/chỉ tiêu): " + "; ".join(
            f"{n(r.achieved)}/{n(r.target)} {r.output_unit or 'sản phẩm'} ({r.form.lower()})"
            for r in forms.itertuples()) + ".")
    budget = board.budget
    planned, spent = (int(budget["planned"].sum()), int(budget["spent"].sum())) if not budget.empty else (0, 0)
    if planned or spent:
        used = f" ({format_percent(100.0 * spent / planned)})" if planned else ""
        P(doc, f"Kinh phí: kế hoạch {n(planned)} đồng, đã chi {n(spent)} đồng{used}; theo nhiệm vụ: " + "; ".join(
            f"({r.label}) {n(r.spent)}/{n(r.planned)} đồng" for r in budget.itertuples() if r.planned or r.spent)
          + ".")
    P(doc, "3. Kết quả theo đơn vị chủ trì", bold=True, indent=False)
    _figure(doc, charts.unit_ranking(board.by_unit), render)
    ranked = ranked_units(board)
    if not ranked.empty:
        best = ranked.head(TOP)
        P(doc, "Các đơn vị có tỷ lệ hoàn thành cao nhất: " + "; ".join(
            f"{r.unit} {format_percent(r.completion_rate)} ({n(r.done)}/{n(r.items)} việc)" for r in best.itertuples())
          + ".")
        worst = ranked.iloc[max(TOP, len(ranked) - TOP):].iloc[::-1]
        if not worst.empty:
            P(doc, "Các đơn vị có tỷ lệ hoàn thành thấp nhất: " + "; ".join(
                f"{r.unit} {format_percent(r.completion_rate)} ({n(r.done)}/{n(r.items)} việc, quá hạn {n(r.overdue)})"
                for r in worst.itertuples()) + ".")
        P(doc, "Kết quả của từng đơn vị, xếp theo tỷ lệ hoàn thành, tại Phụ lục I kèm theo Báo cáo này.")


def _section_three(doc, board: Dashboard, f: Facts) -> None:
    P = layout.paragraph
    h = board.headline
    P(doc, SECTIONS[2], bold=True, indent=False)
    P(doc, "1. Tồn tại, hạn chế", bold=True, indent=False)
    if not f.problems_total:
        P(doc, "Không có công việc quá hạn hoặc đang vướng mắc tại ngày chốt số liệu.")
    else:
        P(doc, f"Còn {n(h.overdue)} công việc quá hạn (tỷ lệ quá hạn {format_percent(h.overdue_rate)}, trên "
               f"{n(h.due_passed)} việc đã đến hạn) và {n(h.blocked)} công việc đang vướng mắc.")
        most = board.by_unit[board.by_unit["overdue"] > 0].sort_values(["overdue", "unit"], ascending=[False, True])
        if not most.empty:
            P(doc, "Các đơn vị có nhiều việc quá hạn nhất: " + "; ".join(
                f"{r.unit} ({n(r.overdue)} việc)" for r in most.head(TOP).itertuples()) + ".")
    P(doc, "2. Nguyên nhân", bold=True, indent=False)
    if f.problems_total:
        P(doc, "Theo giải trình của các đơn vị và lý do vướng mắc được ghi nhận trên hệ thống:")
        for cause, count in f.causes[:8]:
            P(doc, f"- {cause} ({n(count)} việc).")
        rest = f.causes[8:]
        if rest:
            P(doc, f"- Các nguyên nhân khác ({n(sum(c for _, c in rest))} việc, {n(len(rest))} nguyên nhân).")
        if f.unexplained:
            P(doc, f"- {NO_EXPLANATION} ({n(f.unexplained)} việc).")
        P(doc, "Danh sách công việc quá hạn, vướng mắc tại Phụ lục II kèm theo Báo cáo này.")
    else:
        P(doc, "Không có nguyên nhân cần giải trình trong kỳ.")


def _section_four(doc, board: Dashboard, f: Facts) -> None:
    P = layout.paragraph
    P(doc, SECTIONS[3], bold=True, indent=False)
    P(doc, f"Từ ngày {format_date(f.next_start)} đến ngày {format_date(f.next_end)} có {n(f.next_total)} công việc "
           "đến hạn cần tập trung thực hiện" + (":" if f.next_total else "."))
    if f.next_total:
        by_task = f.next_by.groupby("label", sort=False)["items"].sum()
        P(doc, f"- Theo {board.task_label.lower()}: " + "; ".join(f"({k}) {n(v)} việc" for k, v in by_task.items()) + ".")
        by_unit = f.next_by.groupby("unit")["items"].sum().sort_values(ascending=False)
        P(doc, "- Các đơn vị có nhiều việc đến hạn nhất: " + "; ".join(
            f"{k} ({n(v)} việc)" for k, v in by_unit.head(TOP).items()) + ".")
        P(doc, "Danh sách công việc đến hạn kỳ tới tại Phụ lục III kèm theo Báo cáo này.")
    if board.headline.overdue:
        P(doc, f"- Khẩn trương hoàn thành {n(board.headline.overdue)} công việc đã quá hạn; đơn vị chủ trì giải "
               "trình rõ nguyên nhân và cam kết thời hạn hoàn thành.")
    if board.headline.blocked:
        P(doc, f"- Tháo gỡ vướng mắc của {n(board.headline.blocked)} công việc đang gặp khó khăn.")


def _section_five(doc, f: Facts) -> None:
    P = layout.paragraph
    P(doc, SECTIONS[4], bold=True, indent=False)
    if not f.proposals:
        P(doc, "Trong kỳ, các đơn vị không có đề xuất, kiến nghị trong báo cáo gửi Văn phòng Bộ.")
    for p in f.proposals:
        P(doc, f"- {p.unit}: {p.text}.")


def _annexes(doc, board: Dashboard, f: Facts, reference: str) -> None:
    ranked = ranked_units(board)
    layout.annex_heading(doc, "I", "Kết quả thực hiện theo đơn vị chủ trì", reference)
    layout.table(doc, UNIT_TABLE, [
        [n(i), r.unit, n(r.items), n(r.done), n(r.overdue), format_percent(r.completion_rate),
         format_percent(r.average_progress)] for i, r in enumerate(ranked.itertuples(), start=1)])
    layout.annex_heading(doc, "II", "Công việc quá hạn, vướng mắc", reference)
    shown = f.problems
    layout.table(doc, [Column("Số"), Column("Công việc", "left", wide=True), Column("Đơn vị chủ trì", "left"),
                       Column("Hạn"), Column("Tình trạng"), Column("Nguyên nhân", "left")], [
        [str(r.id), r.title, r.unit, format_date(r.due_date),
         ("Quá hạn" if r.standing == Standing.OVERDUE.value else "Vướng mắc"), NO_EXPLANATION if missing(r.cause) else r.cause]
        for r in shown.itertuples()])
    _cut_note(doc, len(shown), f.problems_total)
    layout.annex_heading(doc, "III", "Công việc đến hạn kỳ tới", reference)
    layout.table(doc, [Column("Số"), Column("Công việc", "left", wide=True), Column("Nhiệm vụ"),
                       Column("Đơn vị chủ trì", "left"), Column("Hạn")], [
        [str(r.id), r.title, f"({r.label})", r.unit, format_date(r.due_date)] for r in f.next_listed.itertuples()])
    _cut_note(doc, len(f.next_listed), f.next_total)


def _cut_note(doc, shown: int, total: int) -> None:
    if total > shown:
        layout.paragraph(doc, f"Phụ lục nêu {n(shown)}/{n(total)} công việc; danh sách đầy đủ tại bảng “Danh sách "
                              "công việc” của tệp Excel kèm theo.", italic=True, size=13)


def build(session: Session, *, board: Dashboard, period_label: str, office: Office, render) -> bytes:
    """The report as .docx bytes; `render(chart)` gives a PNG or None (no image)."""
    f = facts(session, board)
    doc = Document()
    layout.setup_page(doc)
    year = board.today.year
    layout.heading(doc, superior=office.superior, issuer=office.issuer, number_line=f"Số:        /{office.symbol}",
                   date_line=f"{office.place}, ngày      tháng      năm {year}")
    layout.title(doc, "Báo cáo", f"Kết quả thực hiện {board.plan_title} {period_label}".strip())
    _section_one(doc, board, f)
    _section_two(doc, session, board, f, render)
    _section_three(doc, board, f)
    _section_four(doc, board, f)
    _section_five(doc, f)
    closing = layout.paragraph(doc, f"Trên đây là Báo cáo kết quả thực hiện {board.plan_title} {period_label}./.")
    closing.paragraph_format.keep_with_next = True
    layout.signature(doc, recipients=list(office.recipients), archive=office.archive, authority=office.authority,
                     authority_of=office.authority_of, signer_title=office.signer_title,
                     signer_name=office.signer_name)
    _annexes(doc, board, f, f"(Kèm theo Báo cáo số      /{office.symbol} ngày      tháng      năm {year})")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
