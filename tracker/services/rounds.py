"""Reporting rounds: the office opens a round for chosen units, units submit, everyone sees who has not.

A unit's status in a round is decided here and nowhere else: "Đã nộp" (on or before the
deadline, by the Vietnamese calendar day), "Nộp muộn" (after it), "Chưa nộp" (deadline passed or
round closed, nothing submitted) and "Chưa đến hạn" (nothing yet, deadline still ahead).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.clock import VN_TZ
from tracker.errors import NotFound, ValidationFailed
from tracker.models import (
    AuditEvent,
    NotificationKind,
    Plan,
    ReportingRound,
    RoundReport,
    Unit,
    UnitKind,
    User,
    reporting_round_units,
)
from tracker import notifications
from tracker.limits import max_chars, too_long
from tracker.permissions import Action, Actor, require
from tracker.services import evidence
from tracker.text import clean, format_date, has_words, nfc, search_words

MINISTRY_KINDS = (UnitKind.MINISTRY_ADMIN, UnitKind.MINISTRY_SERVICE)


class ReportStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"


REPORT_STATUS_LABELS = {
    ReportStatus.SUBMITTED: "Đã nộp",
    ReportStatus.LATE: "Nộp muộn",
    ReportStatus.MISSING: "Chưa nộp",
    ReportStatus.PENDING: "Chưa đến hạn",
}


@dataclass(frozen=True)
class RoundInfo:
    id: int
    name: str
    plan_code: str | None
    period_start: dt.date
    period_end: dt.date
    deadline: dt.date
    closed: bool
    closed_at: dt.datetime | None
    note: str | None
    unit_count: int
    reported_count: int
    deadline_passed: bool


@dataclass(frozen=True)
class UnitRoundStatus:
    unit_id: int
    unit_code: str
    unit_name: str
    status: ReportStatus
    status_label: str
    submitted_at: dt.datetime | None
    submitted_by: str | None
    summary: str | None
    revision: int | None
    file_name: str | None = None


@dataclass(frozen=True)
class UnitRound:
    """A round still open that includes the unit, with the unit's own submission (if any)."""

    round_id: int
    name: str
    period_start: dt.date
    period_end: dt.date
    deadline: dt.date
    days_left: int
    status: ReportStatus
    status_label: str
    submitted: bool
    submitted_at: dt.datetime | None
    summary: str | None
    revision: int | None


def local_day(moment: dt.datetime) -> dt.date:
    """The Vietnamese calendar day of a moment: sent at 23:30 in Hà Nội on the deadline is on time."""
    return moment.astimezone(VN_TZ).date()


def report_status(*, submitted_at: dt.datetime | None, deadline: dt.date, today: dt.date,
                  closed: bool) -> ReportStatus:
    """The one rule for a unit's status in a round; a closed round no longer waits for anyone."""
    if submitted_at is not None:
        return ReportStatus.LATE if local_day(submitted_at) > deadline else ReportStatus.SUBMITTED
    if closed or today > deadline:
        return ReportStatus.MISSING
    return ReportStatus.PENDING


def count_statuses(rows: Collection[UnitRoundStatus]) -> dict[ReportStatus, int]:
    """How many units are in each status, every status present (zero included), in label order."""
    counts = Counter(r.status for r in rows)
    return {s: counts.get(s, 0) for s in REPORT_STATUS_LABELS}


def _audit(session: Session, actor: Actor, action: str, round_id: int, **details) -> None:
    session.add(AuditEvent(actor_id=actor.user_id, action=action, target_type="reporting_round",
                           target_id=round_id, details=details))


def _active_on(day: dt.date):
    return and_(or_(Unit.valid_from.is_(None), Unit.valid_from <= day),
                or_(Unit.valid_to.is_(None), Unit.valid_to >= day))


def _kinds(unit_kind: UnitKind | Collection[UnitKind] | None) -> list[UnitKind]:
    if unit_kind is None:
        return []
    return [unit_kind] if isinstance(unit_kind, UnitKind) else list(unit_kind)


def existed_during(unit: Unit, start: dt.date, end: dt.date) -> bool:
    """True when the unit existed on at least one day of start–end (a 2024 period may ask a unit merged in 2025)."""
    return (unit.valid_from is None or unit.valid_from <= end) and (unit.valid_to is None or unit.valid_to >= start)


def _round_units(session: Session, *, unit_ids: list[int] | None,
                 unit_kind: UnitKind | Collection[UnitKind] | None, deadline: dt.date | None,
                 problems: list[str], period: tuple[dt.date, dt.date] | None = None) -> list[int]:
    """The round's unit ids: the chosen ones (each existing during the period — it reports on that period's work,
    even if it has since been merged) and the kinds' units active on the deadline."""
    chosen = sorted(set(unit_ids or []))
    kinds = _kinds(unit_kind)
    if not chosen and not kinds:
        problems.append("Vui lòng chọn ít nhất một đơn vị.")
        return []
    if deadline is None:
        return []
    ids: set[int] = set()
    if chosen:
        found = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(chosen)))}
        unknown = [i for i in chosen if i not in found]
        if unknown:
            problems.append(f"Không tìm thấy đơn vị số {', '.join(map(str, unknown))}.")
        if period is not None:
            absent = [u.name for u in found.values() if not existed_during(u, *period)]
            if absent:
                problems.append(f"Đơn vị không hoạt động trong kỳ {format_date(period[0])} – "
                                f"{format_date(period[1])}: {'; '.join(sorted(absent))}.")
        ids.update(found)
    if kinds:
        ids.update(session.scalars(select(Unit.id).where(Unit.kind.in_(kinds), _active_on(deadline))))
        if not ids:
            problems.append("Không có đơn vị nào thuộc nhóm đã chọn còn hoạt động vào "
                            f"{format_date(deadline)}.")
    return sorted(ids)


def open_round(session: Session, *, actor: Actor, name: str, period_start: dt.date, period_end: dt.date,
               deadline: dt.date, unit_ids: list[int] | None = None,
               unit_kind: UnitKind | Collection[UnitKind] | None = None, plan_id: int | None = None,
               note: str | None = None) -> ReportingRound:
    """Open a round for the chosen units and/or every unit of a kind active on the deadline.

    `unit_kind` may be one kind or several (MINISTRY_KINDS: "all ministry units").

    Raises:
        PermissionDenied: not the office. ValidationFailed: every problem found, listed.
    """
    require(actor, Action.MANAGE_ROUNDS, session=session)
    name = nfc(name or "")
    note = clean(note)
    problems: list[str] = []
    if not name:
        problems.append("Vui lòng nhập tên kỳ báo cáo.")
    elif problem := too_long("round_name", name):
        problems.append(problem)
    if period_start is None or period_end is None or deadline is None:
        problems.append("Vui lòng nhập đủ thời gian của kỳ (từ ngày, đến ngày) và hạn nộp.")
    else:
        if period_end < period_start:
            problems.append("Ngày kết thúc kỳ phải sau hoặc bằng ngày bắt đầu.")
        if deadline < period_start:
            problems.append("Hạn nộp phải sau hoặc bằng ngày bắt đầu kỳ.")
    if problem := too_long("round_note", note):
        problems.append(problem)
    if plan_id is not None and session.get(Plan, plan_id) is None:
        problems.append(f"Không tìm thấy kế hoạch số {plan_id}.")
    period = (period_start, period_end) if period_start and period_end and period_start <= period_end else None
    ids = _round_units(session, unit_ids=unit_ids, unit_kind=unit_kind, deadline=deadline, problems=problems,
                       period=period)
    if problems:
        raise ValidationFailed(problems[0], problems)

    round_ = ReportingRound(name=name, plan_id=plan_id, period_start=period_start, period_end=period_end,
                            deadline=deadline, opened_by_id=actor.user_id, note=note)
    session.add(round_)
    session.flush()
    session.execute(reporting_round_units.insert(), [{"round_id": round_.id, "unit_id": i} for i in ids])
    notifications.notify(session, [notifications.Note(
        NotificationKind.ROUND_OPENED, f"Kỳ báo cáo mới: “{name}”, hạn nộp {format_date(deadline)}.",
        actor_id=actor.user_id, unit_id=i, round_id=round_.id) for i in ids])
    _audit(session, actor, "round_opened", round_.id, name=name, period_start=period_start.isoformat(),
           period_end=period_end.isoformat(), deadline=deadline.isoformat(), unit_count=len(ids),
           unit_kinds=[k.value for k in _kinds(unit_kind)])
    session.flush()
    session.expire(round_, ["units"])
    return round_


def _get_round(session: Session, round_id: int, *, lock: bool = False) -> ReportingRound:
    stmt = select(ReportingRound).where(ReportingRound.id == round_id)
    round_ = session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
    if round_ is None:
        raise NotFound(f"Không tìm thấy kỳ báo cáo số {round_id}.")
    return round_


def close_round(session: Session, *, actor: Actor, round_id: int) -> ReportingRound:
    """Close a round: no more submissions; units that have not submitted count as "Chưa nộp".

    Raises:
        PermissionDenied, NotFound, ValidationFailed (already closed).
    """
    require(actor, Action.MANAGE_ROUNDS, session=session)
    round_ = _get_round(session, round_id, lock=True)
    if round_.closed_at is not None:
        raise ValidationFailed(f"Kỳ báo cáo “{round_.name}” đã được đóng trước đó.")
    round_.closed_at = dt.datetime.now(dt.timezone.utc)
    _audit(session, actor, "round_closed", round_.id, name=round_.name)
    session.flush()
    return round_


def list_rounds(session: Session, *, actor: Actor, today: dt.date, text: str = "") -> list[RoundInfo]:
    """Every round, open ones first, then by deadline (latest first), with unit and report counts; `text`: only
    the rounds whose name, plan or note hold every word typed (case and accents ignored)."""
    require(actor, Action.VIEW_ROUND_STATUS)
    units = (select(reporting_round_units.c.round_id, func.count().label("n"))
             .group_by(reporting_round_units.c.round_id).subquery())
    reports = (select(RoundReport.round_id, func.count().label("n"))
               .group_by(RoundReport.round_id).subquery())
    stmt = (select(ReportingRound, Plan.code, func.coalesce(units.c.n, 0), func.coalesce(reports.c.n, 0))
            .outerjoin(Plan, Plan.id == ReportingRound.plan_id)
            .outerjoin(units, units.c.round_id == ReportingRound.id)
            .outerjoin(reports, reports.c.round_id == ReportingRound.id)
            .order_by(ReportingRound.closed_at.is_not(None), ReportingRound.deadline.desc(),
                      ReportingRound.id.desc()))
    words = search_words(text[:max_chars("search")])
    return [
        RoundInfo(id=r.id, name=r.name, plan_code=plan_code, period_start=r.period_start,
                  period_end=r.period_end, deadline=r.deadline, closed=r.closed_at is not None,
                  closed_at=r.closed_at, note=r.note, unit_count=n_units, reported_count=n_reports,
                  deadline_passed=today > r.deadline)
        for r, plan_code, n_units, n_reports in session.execute(stmt) if has_words(words, r.name, plan_code, r.note)
    ]


def _upsert(session: Session):
    """INSERT ... ON CONFLICT for this database: two heads of one unit submitting at once both succeed."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(RoundReport)
    if dialect == "sqlite":
        return sqlite.insert(RoundReport)
    raise NotImplementedError(f"unsupported database: {dialect}")


REPORT_FILE_TYPES = (".pdf", ".docx")


def submit_report(session: Session, *, actor: Actor, round_id: int, summary: str,
                  file: evidence.Upload | None = None) -> RoundReport:
    """Submit (or, before the round closes, resubmit) the actor's unit report, optionally with the signed report
    as a PDF or DOCX file (limits as for evidence; a resubmission without a file keeps the one sent before).

    A resubmission replaces the summary, moves submitted_at to now and adds one to the revision.

    Raises:
        PermissionDenied (not a head of a unit in the round), NotFound,
        ValidationFailed (closed, empty, too long).
    """
    require(actor, Action.SUBMIT_ROUND_REPORT, ((actor.unit_id,), actor.unit_id) if actor else None, session=session)
    round_ = _get_round(session, round_id, lock=True)
    unit_ids = tuple(session.scalars(select(reporting_round_units.c.unit_id)
                                     .where(reporting_round_units.c.round_id == round_.id)))
    require(actor, Action.SUBMIT_ROUND_REPORT, (unit_ids, actor.unit_id), session=session)
    if round_.closed_at is not None:
        raise ValidationFailed(f"Kỳ báo cáo “{round_.name}” đã đóng, không nhận báo cáo nữa.")
    summary = clean(summary) or ""
    if not summary:
        raise ValidationFailed("Vui lòng nhập nội dung báo cáo.")
    if problem := too_long("round_summary", summary):
        raise ValidationFailed(problem)
    if file is not None:
        problems = evidence.file_problems([file])
        if not problems and not file.filename.lower().endswith(REPORT_FILE_TYPES):
            problems = ["Tệp báo cáo phải là PDF hoặc DOCX (bản đã ký)."]
        if problems:
            raise ValidationFailed(problems[0], problems)
    now = dt.datetime.now(dt.timezone.utc)
    stmt = _upsert(session).values(round_id=round_.id, unit_id=actor.unit_id, submitted_by_id=actor.user_id,
                                   submitted_at=now, summary=summary, revision=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[RoundReport.round_id, RoundReport.unit_id],
        set_={"summary": stmt.excluded.summary, "submitted_at": stmt.excluded.submitted_at,
              "submitted_by_id": stmt.excluded.submitted_by_id, "revision": RoundReport.revision + 1},
    ).returning(RoundReport.id, RoundReport.revision)
    report_id, revision = session.execute(stmt).one()
    _audit(session, actor, "round_report_submitted", round_.id, unit_id=actor.unit_id, revision=revision,
           late=local_day(now) > round_.deadline)
    session.flush()
    report = session.get(RoundReport, report_id, populate_existing=True)
    assert report is not None
    if file is not None:
        report.file_sha256 = evidence.keep(session, file.data)
        report.file_name, report.file_size = evidence.safe_name(file.filename), len(file.data)
        session.flush()
    return report


def report_file(session: Session, *, actor: Actor, round_id: int, unit_id: int) -> tuple[str, bytes]:
    """The file a unit sent with its round report (name, bytes): for who reads the round's status, or the unit."""
    if actor is None or actor.unit_id != unit_id:
        require(actor, Action.VIEW_ROUND_STATUS)
    report = session.scalar(select(RoundReport).where(RoundReport.round_id == round_id,
                                                      RoundReport.unit_id == unit_id))
    if report is None or not report.file_sha256:
        raise NotFound("Đơn vị chưa gửi tệp báo cáo trong kỳ này.")
    return report.file_name, evidence.read_kept(report.file_sha256)


def round_files_zip(session: Session, *, actor: Actor, round_id: int) -> tuple[str, bytes, int]:
    """Every file the round's units sent, in one ZIP ("<mã đơn vị> - <tên tệp>"): (file name, bytes, count)."""
    import io
    import zipfile

    require(actor, Action.VIEW_ROUND_STATUS)
    round_ = _get_round(session, round_id)
    rows = session.execute(select(Unit.code, RoundReport.file_name, RoundReport.file_sha256)
                           .join(Unit, Unit.id == RoundReport.unit_id)
                           .where(RoundReport.round_id == round_.id, RoundReport.file_sha256.is_not(None))
                           .order_by(Unit.id)).all()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for code, name, sha in rows:
            zf.writestr(f"{code} - {name}", evidence.read_kept(sha))
    return f"bao-cao-ky-{round_.id}.zip", buf.getvalue(), len(rows)


def round_status(session: Session, *, actor: Actor, round_id: int, today: dt.date) -> list[UnitRoundStatus]:
    """Every unit of the round with its status, submission time, submitter and summary, in unit order."""
    require(actor, Action.VIEW_ROUND_STATUS)
    round_ = _get_round(session, round_id)
    rru = reporting_round_units
    stmt = (select(Unit.id, Unit.code, Unit.name, RoundReport.submitted_at, RoundReport.summary,
                   RoundReport.revision, RoundReport.file_name, User.full_name, User.username)
            .select_from(rru)
            .join(Unit, Unit.id == rru.c.unit_id)
            .outerjoin(RoundReport, and_(RoundReport.round_id == rru.c.round_id,
                                         RoundReport.unit_id == rru.c.unit_id))
            .outerjoin(User, User.id == RoundReport.submitted_by_id)
            .where(rru.c.round_id == round_.id)
            .order_by(Unit.id))
    closed = round_.closed_at is not None
    rows = []
    for r in session.execute(stmt):
        status = report_status(submitted_at=r.submitted_at, deadline=round_.deadline, today=today,
                               closed=closed)
        rows.append(UnitRoundStatus(
            unit_id=r.id, unit_code=r.code, unit_name=r.name, status=status,
            status_label=REPORT_STATUS_LABELS[status], submitted_at=r.submitted_at,
            submitted_by=(r.full_name or r.username) if r.submitted_at else None,
            summary=r.summary, revision=r.revision, file_name=r.file_name,
        ))
    return rows


def open_rounds_for_unit(session: Session, *, unit_id: int, today: dt.date, text: str = "") -> list[UnitRound]:
    """Rounds not yet closed that include the unit, nearest deadline first, with the unit's submission; `text`:
    only those whose name or the unit's own report holds every word typed (case and accents ignored)."""
    words = search_words(text[:max_chars("search")])
    rru = reporting_round_units
    stmt = (select(ReportingRound, RoundReport.submitted_at, RoundReport.summary, RoundReport.revision)
            .join(rru, rru.c.round_id == ReportingRound.id)
            .outerjoin(RoundReport, and_(RoundReport.round_id == ReportingRound.id,
                                         RoundReport.unit_id == rru.c.unit_id))
            .where(rru.c.unit_id == unit_id, ReportingRound.closed_at.is_(None))
            .order_by(ReportingRound.deadline, ReportingRound.id))
    rows = []
    for r, submitted_at, summary, revision in session.execute(stmt):
        if not has_words(words, r.name, summary):
            continue
        status = report_status(submitted_at=submitted_at, deadline=r.deadline, today=today, closed=False)
        rows.append(UnitRound(
            round_id=r.id, name=r.name, period_start=r.period_start, period_end=r.period_end,
            deadline=r.deadline, days_left=(r.deadline - today).days, status=status,
            status_label=REPORT_STATUS_LABELS[status], submitted=submitted_at is not None,
            submitted_at=submitted_at, summary=summary, revision=revision,
        ))
    return rows
