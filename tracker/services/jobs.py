"""The scheduled job (`python -m tracker jobs`): reminders, e-mail, expired sessions. Safe to repeat.

1. Reminders in the app, once each per person: an item due within N days, an item newly overdue, a
   reporting round due within N days or passed without the unit's report (a `dedupe_key` per
   notification makes a second run write nothing).
2. E-mail goes through an outbox (`mail_outbox`): each message is written once, keyed by recipient
   and day (or notification), then sent; a message the SMTP server did not take stays unsent and is
   retried at the next run, so a failure never loses it and a repeated run never sends it twice.
   - the unit's reminder digest (tracker/services/reminders.py), one a unit a day, to its heads with
     an address who did not choose "none";
   - each person's notifications (not the reminders the unit digest carries): one message each for
     "immediate", one message a day for "digest".
3. Sessions idle past the timeout or beyond their lifetime are marked ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from tracker import clock, mail
from tracker.models import (
    EmailChoice,
    MailOutbox,
    Notification,
    NotificationKind,
    ReportingRound,
    RoundReport,
    Status,
    User,
    UserSession,
    WorkItem,
    reporting_round_units,
)
from tracker.notifications import Note, notify, short
from tracker.services import reminders
from tracker.services import sessions as session_rules
from tracker.text import format_date

REMINDER_KINDS = (NotificationKind.DUE_SOON, NotificationKind.OVERDUE, NotificationKind.ROUND_DUE_SOON,
                  NotificationKind.ROUND_PASSED)
_ERROR_MAX = 300


@dataclass
class JobReport:
    reminders: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    sessions_ended: int = 0
    errors: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- 1. reminders in the app

def _new_only(session: Session, notes: list[Note]) -> list[Note]:
    """Notes whose (unit, key) was not written before: a reminder goes to a unit once."""
    keys = {n.dedupe_key for n in notes}
    if not keys:
        return []
    done = set(session.execute(select(User.unit_id, Notification.dedupe_key)
                               .join(User, User.id == Notification.user_id)
                               .where(Notification.dedupe_key.in_(keys))).all())
    return [n for n in notes if (n.unit_id, n.dedupe_key) not in done]


def write_reminders(session: Session, *, today: dt.date, within_days: int = 7) -> int:
    """Due-soon and newly-overdue items, rounds due soon or passed without a report: each once per person."""
    notes: list[Note] = []
    horizon = today + dt.timedelta(days=within_days)
    for r in session.execute(select(WorkItem.id, WorkItem.title, WorkItem.due_date, WorkItem.lead_unit_id,
                                    WorkItem.status)
                             .where(WorkItem.deleted_at.is_(None), WorkItem.due_date.is_not(None),
                                    WorkItem.due_date <= horizon,
                                    WorkItem.status.in_([Status.NOT_STARTED, Status.IN_PROGRESS]))):
        if r.due_date < today:
            notes.append(Note(NotificationKind.OVERDUE, f"Quá hạn từ ngày {format_date(r.due_date)}: "
                              f"“{short(r.title)}”.", actor_id=None, unit_id=r.lead_unit_id, work_item_id=r.id,
                              dedupe_key=f"overdue:{r.id}:{r.due_date.isoformat()}"))
        else:
            notes.append(Note(NotificationKind.DUE_SOON, f"Đến hạn ngày {format_date(r.due_date)}: "
                              f"“{short(r.title)}”.", actor_id=None, unit_id=r.lead_unit_id, work_item_id=r.id,
                              dedupe_key=f"due_soon:{r.id}:{r.due_date.isoformat()}"))
    rru = reporting_round_units
    reported = select(RoundReport.id).where(RoundReport.round_id == ReportingRound.id,
                                            RoundReport.unit_id == rru.c.unit_id).exists()
    for r in session.execute(select(ReportingRound.id, ReportingRound.name, ReportingRound.deadline, rru.c.unit_id)
                             .join(rru, rru.c.round_id == ReportingRound.id)
                             .where(ReportingRound.closed_at.is_(None), ReportingRound.deadline <= horizon,
                                    ~reported)):
        passed = r.deadline < today
        notes.append(Note(NotificationKind.ROUND_PASSED if passed else NotificationKind.ROUND_DUE_SOON,
                          f"{'Đã quá' if passed else 'Sắp đến'} hạn nộp báo cáo “{r.name}” "
                          f"(hạn {format_date(r.deadline)}).", actor_id=None, unit_id=r.unit_id, round_id=r.id,
                          dedupe_key=f"{'round_passed' if passed else 'round_due'}:{r.id}"))
    return notify(session, _new_only(session, notes))


# ---------------------------------------------------------------- 2. e-mail through the outbox

def _queue(session: Session, key: str, recipient: str, subject: str, body: str) -> bool:
    if session.scalar(select(MailOutbox.id).where(MailOutbox.dedupe_key == key)) is not None:
        return False
    session.add(MailOutbox(dedupe_key=key, recipient=recipient, subject=subject, body=body))
    return True


def queue_mail(session: Session, *, today: dt.date, within_days: int = 7) -> int:
    """Write today's messages into the outbox (nothing twice); returns how many were added."""
    queued = 0
    quiet = set(session.scalars(select(User.email).where(User.email_choice == EmailChoice.NONE)))
    for d in reminders.compose_digests(session, today=today, due_within_days=within_days):
        to = [a for a in d.recipients if a not in quiet]
        if to:
            queued += _queue(session, f"unit:{d.unit_id}:{today.isoformat()}", ", ".join(to), d.subject, d.body)
    now = clock.now()
    people = session.execute(select(User.id, User.email, User.email_choice)
                             .where(User.active.is_(True), User.email.is_not(None), User.email != "",
                                    User.email_choice != EmailChoice.NONE))
    for user_id, email, choice in people:
        pending = session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.emailed_at.is_(None),
            Notification.kind.not_in(REMINDER_KINDS)).order_by(Notification.id)).all()
        if not pending:
            continue
        if choice is EmailChoice.IMMEDIATE:
            for n in pending:
                queued += _queue(session, f"note:{n.id}", email, f"{reminders.SUBJECT_PREFIX} {short(n.text)}",
                                 _body([n]))
                n.emailed_at = now
        elif _queue(session, f"digest:{user_id}:{today.isoformat()}", email,
                    f"{reminders.SUBJECT_PREFIX} Thông báo ngày {format_date(today)}", _body(pending)):
            queued += 1
            for n in pending:
                n.emailed_at = now
    session.flush()
    return queued


def _body(notes: list[Notification]) -> str:
    lines = ["Thông báo mới trên hệ thống Theo dõi kế hoạch truyền thông Bộ Nội vụ:", ""]
    for k, n in enumerate(notes, start=1):
        where = f" (công việc #{n.work_item_id})" if n.work_item_id else ""
        lines.append(f"{k}. {n.text}{where}")
    lines += ["", "Xem và đánh dấu đã đọc tại trang “Thông báo” của hệ thống.",
              "Thư này được gửi tự động, vui lòng không trả lời thư."]
    return "\n".join(lines) + "\n"


def send_outbox(session: Session, *, settings: mail.SmtpSettings, report: JobReport) -> None:
    """Send every unsent message, one by one, committing after each: one the server took is marked sent
    (never sent again), one it did not take waits for the next run with its error."""
    now = clock.now()
    for row in session.scalars(select(MailOutbox).where(MailOutbox.sent_at.is_(None)).order_by(MailOutbox.id)):
        message = mail.build_message(sender=settings.sender, to=row.recipient.split(", "), subject=row.subject,
                                     body=row.body)
        row.attempts += 1
        try:
            refused = mail.send([message], settings=settings)
        except mail.MailError as exc:
            row.last_error = str(exc)[:_ERROR_MAX]
            report.failed += 1
            report.errors.append(str(exc))
            session.commit()
            continue
        if refused:
            row.last_error = "; ".join(f"{a}: {r}" for a, r in refused.items())[:_ERROR_MAX]
        row.sent_at = now
        report.sent += 1
        session.commit()
    session.flush()


# ---------------------------------------------------------------- 3. sessions

def end_expired_sessions(session: Session, *, now: dt.datetime) -> int:
    """Mark ended the sessions idle past the timeout or older than their lifetime."""
    s = UserSession
    expired = and_(s.ended_at.is_(None), (s.last_seen_at < now - session_rules.idle_timeout())
                   | (s.created_at < now - session_rules.max_lifetime()))
    result = session.execute(update(s).where(expired).values(ended_at=now, end_reason="expired"))
    return result.rowcount or 0


def prepare(session: Session, *, today: dt.date, within_days: int = 7) -> JobReport:
    """Reminders, the outbox and expired sessions, in the caller's transaction (commit it before sending)."""
    report = JobReport()
    report.reminders = write_reminders(session, today=today, within_days=within_days)
    report.queued = queue_mail(session, today=today, within_days=within_days)
    report.sessions_ended = end_expired_sessions(session, now=clock.now())
    return report
