"""Daily reminder digests: for each unit, what is overdue, due soon, awaiting an explanation or a report.

One digest per unit that has anything to be reminded of, addressed to the unit's active heads
who have an email address. Five grouped queries whatever the number of units or items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from tracker.clock import VN_TZ
from tracker.errors import ValidationFailed
from tracker.figures import Standing, standing
from tracker.models import (
    ExplanationRequest,
    ExplanationStatus,
    ReportingRound,
    Role,
    RoundReport,
    Status,
    Unit,
    User,
    WorkItem,
    reporting_round_units,
)
from tracker.text import format_date, nfc, roman
from tracker.workflow import STATUS_LABELS

SUBJECT_PREFIX = "[Theo dõi truyền thông]"
MAX_WITHIN_DAYS = 90
_TITLE_MAX = 200


@dataclass(frozen=True)
class DigestItem:
    item_id: int
    title: str
    due_date: dt.date
    status_label: str
    progress: int
    days_overdue: int
    days_left: int


@dataclass(frozen=True)
class DigestExplanation:
    request_id: int
    item_id: int
    item_title: str
    question: str
    requested_on: dt.date


@dataclass(frozen=True)
class DigestRound:
    round_id: int
    name: str
    deadline: dt.date
    days_left: int


@dataclass
class Digest:
    unit_id: int
    unit_code: str
    unit_name: str
    recipients: list[str] = field(default_factory=list)
    overdue: list[DigestItem] = field(default_factory=list)
    due_soon: list[DigestItem] = field(default_factory=list)
    explanations: list[DigestExplanation] = field(default_factory=list)
    rounds: list[DigestRound] = field(default_factory=list)
    subject: str = ""
    body: str = ""


DigestFor = Callable[[int], Digest]


def _one_line(text: str, limit: int = _TITLE_MAX) -> str:
    text = nfc(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def compose_digests(session: Session, *, today: dt.date, due_within_days: int = 7) -> list[Digest]:
    """One digest per unit with anything to remind, in unit order; each with subject and plain-text body.

    Overdue: not done, due before today. Due soon: not done and not awaiting the office's
    confirmation (the unit has finished its part), due from today to today + `due_within_days`
    — the same rule as "Việc của tôi". Deleted items are left out everywhere.

    Raises:
        ValidationFailed: `due_within_days` outside 0..90.
    """
    if not 0 <= due_within_days <= MAX_WITHIN_DAYS:
        raise ValidationFailed(f"Số ngày sắp đến hạn phải từ 0 đến {MAX_WITHIN_DAYS}.")
    digests: dict[int, Digest] = {}

    def digest(unit_id: int) -> Digest:
        if unit_id not in digests:
            digests[unit_id] = Digest(unit_id=unit_id, unit_code="", unit_name="")
        return digests[unit_id]

    _add_work(session, digest, today, today + dt.timedelta(days=due_within_days))
    _add_explanations(session, digest)
    _add_rounds(session, digest, today)
    if not digests:
        return []
    _address(session, digests)
    result = [digests[i] for i in sorted(digests)]
    for d in result:
        d.subject = f"{SUBJECT_PREFIX} Nhắc việc ngày {format_date(today)} – {d.unit_name}"
        d.body = _body(d, today, due_within_days)
    return result


def _add_work(session: Session, digest: DigestFor, today: dt.date, horizon: dt.date) -> None:
    items = session.execute(
        select(WorkItem.id, WorkItem.title, WorkItem.due_date, WorkItem.status, WorkItem.progress,
               WorkItem.lead_unit_id, WorkItem.completed_on, WorkItem.submitted_on)
        .where(WorkItem.deleted_at.is_(None), WorkItem.status != Status.DONE,
               WorkItem.due_date.is_not(None), WorkItem.due_date <= horizon)
        .order_by(WorkItem.lead_unit_id, WorkItem.due_date, WorkItem.id)
    )
    for r in items:
        overdue = standing(status=r.status, due=r.due_date, completed_on=r.completed_on, submitted_on=r.submitted_on,
                           cutoff=today) is Standing.OVERDUE
        if not overdue and r.status is Status.AWAITING_CONFIRMATION:
            continue  # in the office's hands: sent by the deadline
        entry = DigestItem(item_id=r.id, title=_one_line(r.title), due_date=r.due_date,
                           status_label=STATUS_LABELS[r.status], progress=r.progress,
                           days_overdue=max((today - r.due_date).days, 0),
                           days_left=(r.due_date - today).days)
        d = digest(r.lead_unit_id)
        (d.overdue if overdue else d.due_soon).append(entry)


def _add_explanations(session: Session, digest: DigestFor) -> None:
    requests = session.execute(
        select(ExplanationRequest.id, ExplanationRequest.unit_id, ExplanationRequest.question,
               ExplanationRequest.requested_at, WorkItem.id.label("item_id"), WorkItem.title)
        .join(WorkItem, WorkItem.id == ExplanationRequest.work_item_id)
        .where(ExplanationRequest.status == ExplanationStatus.OPEN, WorkItem.deleted_at.is_(None))
        .order_by(ExplanationRequest.unit_id, ExplanationRequest.requested_at, ExplanationRequest.id)
    )
    for r in requests:
        digest(r.unit_id).explanations.append(DigestExplanation(
            request_id=r.id, item_id=r.item_id, item_title=_one_line(r.title),
            question=_one_line(r.question, 300),
            requested_on=r.requested_at.astimezone(VN_TZ).date()))


def _add_rounds(session: Session, digest: DigestFor, today: dt.date) -> None:
    rru = reporting_round_units
    rounds = session.execute(
        select(rru.c.unit_id, ReportingRound.id, ReportingRound.name, ReportingRound.deadline)
        .join(ReportingRound, ReportingRound.id == rru.c.round_id)
        .outerjoin(RoundReport, and_(RoundReport.round_id == rru.c.round_id,
                                     RoundReport.unit_id == rru.c.unit_id))
        .where(ReportingRound.closed_at.is_(None), RoundReport.id.is_(None))
        .order_by(rru.c.unit_id, ReportingRound.deadline, ReportingRound.id)
    )
    for r in rounds:
        digest(r.unit_id).rounds.append(DigestRound(round_id=r.id, name=r.name, deadline=r.deadline,
                                                    days_left=(r.deadline - today).days))


def _address(session: Session, digests: dict[int, Digest]) -> None:
    """Unit names, and as recipients the unit's active heads that have an email address."""
    ids = list(digests)
    for unit in session.execute(select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(ids))):
        digests[unit.id].unit_code, digests[unit.id].unit_name = unit.code, unit.name
    heads = session.execute(
        select(User.unit_id, User.email)
        .where(User.unit_id.in_(ids), User.role == Role.UNIT_HEAD, User.active.is_(True),
               User.email.is_not(None), User.email != "")
        .order_by(User.unit_id, User.email)
    )
    for unit_id, email in heads:
        email = email.strip()
        if email and email not in digests[unit_id].recipients:
            digests[unit_id].recipients.append(email)


def _when(days_left: int) -> str:
    if days_left < 0:
        return f"quá hạn {-days_left} ngày"
    if days_left == 0:
        return "đến hạn hôm nay"
    return f"còn {days_left} ngày"


def _body(d: Digest, today: dt.date, within: int) -> str:
    sections: list[tuple[str, list[str]]] = []
    if d.overdue:
        sections.append((f"CÔNG VIỆC QUÁ HẠN ({len(d.overdue)})", [
            f"#{i.item_id} {i.title} — hạn {format_date(i.due_date)}, quá hạn {i.days_overdue} ngày "
            f"({i.status_label}, {i.progress}%)" for i in d.overdue]))
    if d.due_soon:
        sections.append((f"CÔNG VIỆC ĐẾN HẠN TRONG {within} NGÀY TỚI ({len(d.due_soon)})", [
            f"#{i.item_id} {i.title} — hạn {format_date(i.due_date)}, {_when(i.days_left)} "
            f"({i.status_label}, {i.progress}%)" for i in d.due_soon]))
    if d.explanations:
        sections.append((f"YÊU CẦU GIẢI TRÌNH CHƯA TRẢ LỜI ({len(d.explanations)})", [
            f"#{e.item_id} {e.item_title} — yêu cầu ngày {format_date(e.requested_on)}: “{e.question}”"
            for e in d.explanations]))
    if d.rounds:
        sections.append((f"KỲ BÁO CÁO CHƯA NỘP ({len(d.rounds)})", [
            f"{r.name} — hạn nộp {format_date(r.deadline)}, {_when(r.days_left)}" for r in d.rounds]))
    lines = [f"Kính gửi: {d.unit_name}", "",
             f"Hệ thống Theo dõi kế hoạch truyền thông Bộ Nội vụ xin nhắc các việc của đơn vị "
             f"tính đến ngày {format_date(today)}:"]
    for n, (heading, entries) in enumerate(sections, start=1):
        lines += ["", f"{roman(n).upper()}. {heading}"]
        lines += [f"{k}. {text}" for k, text in enumerate(entries, start=1)]
    lines += ["", "Đề nghị đơn vị cập nhật tiến độ, giải trình và nộp báo cáo trên hệ thống.",
              "Số sau dấu # là mã công việc trên hệ thống.", "",
              "Thư này được gửi tự động, vui lòng không trả lời thư."]
    return "\n".join(lines) + "\n"
