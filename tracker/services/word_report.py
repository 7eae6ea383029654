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

import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import charts
from tracker import docx_layout as layout
from tracker.charts import format_percent
from tracker.docx_layout import Column
from tracker.figures import Standing
from tracker.models import (ExplanationRequest, ExplanationStatus, Plan, PriorityTask, ReportingRound, RoundReport,
                            Status, Unit, UnitKind, WorkItem)
from tracker.services import dashboard
from tracker.services import rounds as round_service
from tracker.services.dashboard import UNIT_KIND_LABELS, Dashboard
from tracker.services.dashboard_filters import conditions
from tracker.services.flow import flow
from tracker.services.settings import Office
from tracker.text import format_date, format_number

SECTIONS = [
    "I. TÌNH HÌNH TRIỂN KHAI",
    "II. KẾT QUẢ THỰC HIỆN",
    "III. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN",
    "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ KỲ TỚI",
    "V. ĐỀ XUẤT, KIẾN NGHỊ",
]
ANNEX_ROWS = 500  # an annex in Word lists at most this many items, and says so; the Excel list is whole
TOP = 5
TASK_TEXT_CHARS = 110
NOT_PUBLISHED = "nội dung chưa được công bố trong văn bản nguồn"
NO_EXPLANATION = "Đơn vị chưa giải trình"
PROPOSAL_MARK = re.compile(r"(đề xuất|kiến nghị)\s*[:：]?\s*", re.IGNORECASE)


def n(value) -> str:
    return format_number(int(value))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip()


def _short(text: str, limit: int = TASK_TEXT_CHARS) -> str:
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


# ---------------------------------------------------------------- what the report reads


@dataclass(frozen=True)
class RoundLine:
    name: str
    deadline: dt.date
    expected: int
    on_time: int
    late: int
    missing: int


@dataclass(frozen=True)
class Proposal:
    unit: str
    text: str


@dataclass
class Facts:
    """What the report says beyond the dashboard's figures, read once (no query per row)."""

    plan: Plan
    period_start: dt.date | None
    cutoff: dt.date
    tasks_total: int
    units_total: int
    child_plans: int
    rounds: list[RoundLine]
    proposals: list[Proposal]
    problems: pd.DataFrame  # overdue or blocked, at most ANNEX_ROWS listed, with `cause`
    problems_total: int
    causes: list[tuple[str, int]]  # over all problems_total items, most frequent first
    unexplained: int
    next_start: dt.date
    next_end: dt.date
    next_by: pd.DataFrame = field(default_factory=pd.DataFrame)  # label, unit, items
    next_listed: pd.DataFrame = field(default_factory=pd.DataFrame)
    next_total: int = 0


def _causes(session: Session, board: Dashboard) -> dict[int, str | None]:
    """Each overdue or blocked item's cause: the unit's latest answered explanation, else its blocked reason."""
    reasons = dashboard.problem_reasons(session, filters=board.filters, today=board.today)
    wanted = {i for i, _ in reasons}
    answers: dict[int, str] = {}
    for item_id, answer in session.execute(
        select(ExplanationRequest.work_item_id, ExplanationRequest.answer)
        .join(WorkItem, WorkItem.id == ExplanationRequest.work_item_id)
        .where(WorkItem.plan_id == board.plan_id, ExplanationRequest.status == ExplanationStatus.ANSWERED)
        .order_by(ExplanationRequest.answered_at, ExplanationRequest.id)
    ):
        if item_id in wanted and not _missing(answer):
            answers[item_id] = answer  # the latest answer wins
    out = {}
    for item_id, reason in reasons:
        text = answers.get(item_id) or (None if _missing(reason) else reason)
        out[item_id] = " ".join(str(text).split()).rstrip(". ") if text else None
    return out


def _rounds(session: Session, board: Dashboard, start: dt.date | None, cutoff: dt.date
            ) -> tuple[list[RoundLine], list[Proposal]]:
    found = session.scalars(
        select(ReportingRound).where(ReportingRound.plan_id == board.plan_id, ReportingRound.period_end <= cutoff,
                                     *([ReportingRound.period_end >= start] if start else []))
        .order_by(ReportingRound.deadline, ReportingRound.id)).all()
    lines, proposals = [], []
    for r in found:
        reports = {rep.unit_id: rep for rep in session.scalars(select(RoundReport).where(RoundReport.round_id == r.id))}
        statuses = Counter(round_service.report_status(
            submitted_at=reports[u.id].submitted_at if u.id in reports else None, deadline=r.deadline,
            today=board.today, closed=r.closed_at is not None) for u in r.units)
        lines.append(RoundLine(r.name, r.deadline, len(r.units), statuses[round_service.ReportStatus.SUBMITTED],
                               statuses[round_service.ReportStatus.LATE],
                               statuses[round_service.ReportStatus.MISSING] + statuses[round_service.ReportStatus.PENDING]))
        names = {u.id: u.name for u in r.units}
        for unit_id, rep in sorted(reports.items(), key=lambda kv: names.get(kv[0], "")):
            mark = PROPOSAL_MARK.search(rep.summary or "")
            if mark:
                text = " ".join(rep.summary[mark.end():].split()).rstrip(". ")
                if text:
                    proposals.append(Proposal(names.get(unit_id) or session.get(Unit, unit_id).name, text))
    return lines, proposals


def _next_period(start: dt.date | None, cutoff: dt.date, year: int) -> tuple[dt.date, dt.date]:
    """The period after the report's: as many calendar months from the day after the cut-off (the next
    half-year after 01/01–30/06 is 01/07–31/12); without a start, to the end of the plan's year."""
    begin = cutoff + dt.timedelta(days=1)
    if start is None:
        return begin, max(dt.date(year, 12, 31), begin)
    months = (cutoff.year - start.year) * 12 + cutoff.month - start.month + 1
    last = cutoff.month - 1 + months + 1  # the month after the last one, counted from January = 0
    first_after = dt.date(cutoff.year + last // 12, last % 12 + 1, 1)
    return begin, first_after - dt.timedelta(days=1)


def _due_next(session: Session, board: Dashboard, begin: dt.date, end: dt.date) -> tuple[pd.DataFrame, int]:
    """Items not done whose deadline falls in [begin, end], as they stand at the cut-off (at most ANNEX_ROWS
    listed, all counted by task and unit)."""
    src = dashboard.source_for(board.filters, board.today)
    t = src.t
    where = [*conditions(board.filters, src), t.status != Status.DONE, t.due_date >= begin, t.due_date <= end]
    counts = session.execute(
        select(PriorityTask.label, Unit.name, func.count(src.id))
        .join(PriorityTask, PriorityTask.id == t.priority_task_id).join(Unit, Unit.id == t.lead_unit_id)
        .where(*where).group_by(PriorityTask.label, PriorityTask.number, Unit.name)
        .order_by(PriorityTask.number, Unit.name)).all()
    frame = pd.DataFrame([tuple(r) for r in counts], columns=["label", "unit", "items"])
    stmt = select(src.id, WorkItem.title, PriorityTask.label, Unit.name, t.due_date)
    if src.historical:
        stmt = stmt.join(WorkItem, WorkItem.id == src.id)
    rows = session.execute(stmt.join(PriorityTask, PriorityTask.id == t.priority_task_id)
                           .join(Unit, Unit.id == t.lead_unit_id).where(*where)
                           .order_by(t.due_date, src.id).limit(ANNEX_ROWS)).all()
    listed = pd.DataFrame([tuple(r) for r in rows], columns=["id", "title", "label", "unit", "due_date"])
    return frame, listed


def facts(session: Session, board: Dashboard) -> Facts:
    plan = session.get(Plan, board.plan_id)
    start, cutoff = board.headline.period_start, board.cutoff
    cause_of = _causes(session, board)
    counted = Counter(c for c in cause_of.values() if c)
    causes = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = dashboard.items(session, filters=board.filters, today=board.today, problems_only=True, limit=ANNEX_ROWS)
    problems = listed.assign(cause=[cause_of.get(int(i)) for i in listed["id"]])
    rounds, proposals = _rounds(session, board, start, cutoff)
    begin, end = _next_period(start, cutoff, plan.year)
    by, listed = _due_next(session, board, begin, end)
    return Facts(
        plan=plan, period_start=start, cutoff=cutoff,
        tasks_total=int(session.scalar(select(func.count(PriorityTask.id)).where(PriorityTask.plan_id == plan.id))),
        units_total=len(board.by_unit),
        child_plans=int(session.scalar(select(func.count(Plan.id)).where(Plan.parent_plan_id == plan.id))),
        rounds=rounds, proposals=proposals, problems=problems, problems_total=len(cause_of), causes=causes,
        unexplained=sum(1 for c in cause_of.values() if not c), next_start=begin, next_end=end,
        next_by=by, next_listed=listed, next_total=int(by["items"].sum()) if not by.empty else 0,
    )


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
    text = f"({NOT_PUBLISHED[0].upper()}{NOT_PUBLISHED[1:]})" if _missing(t["text"]) else _short(t["text"])
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
    shown = f.problems.head(ANNEX_ROWS)
    layout.table(doc, [Column("Số"), Column("Công việc", "left", wide=True), Column("Đơn vị chủ trì", "left"),
                       Column("Hạn"), Column("Tình trạng"), Column("Nguyên nhân", "left")], [
        [str(r.id), r.title, r.unit, format_date(r.due_date),
         ("Quá hạn" if r.standing == Standing.OVERDUE.value else "Vướng mắc"), NO_EXPLANATION if _missing(r.cause) else r.cause]
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
