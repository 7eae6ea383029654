"""A calendar as an iCalendar file (RFC 5545) and the secret feed addresses that serve it to Outlook.

One all-day event per item on its due date (the Hà Nội date: VALUE=DATE, calendar in Asia/Ho_Chi_Minh),
its UID stable across downloads so a calendar program updates rather than duplicates. A feed address
carries a random token; the database keeps only its SHA-256. A person has at most one live token:
making a new one revokes the old, and revoking closes the address at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker import clock
from tracker.errors import NotFound
from tracker.models import CalendarToken, Plan, Unit, User
from tracker.permissions import Action, Actor, require
from tracker.services.calendar import FeedItem, feed_items
from tracker.text import fold, format_date
from tracker.workflow import STATUS_LABELS

PRODID = "-//Bo Noi vu//Theo doi ke hoach truyen thong//VI"
TZID = "Asia/Ho_Chi_Minh"
UID_DOMAIN = "theo-doi-ke-hoach.noivu"
FEED_CLOSED = "Địa chỉ lịch không còn hiệu lực (đã thu hồi, hoặc tài khoản đã bị khóa)."


def _escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> bytes:
    """Lines of at most 75 octets, continued with CRLF and a space (RFC 5545 3.1), never inside a character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data
    parts, start, width = [], 0, 75
    while len(data) - start > width:
        cut = start + width
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its character
            cut -= 1
        parts.append(data[start:cut])
        start, width = cut, 74
    parts.append(data[start:])
    return b"\r\n ".join(parts)


def _event(item: FeedItem, stamp: str, item_url: str | None) -> list[str]:
    title = ("[Quá hạn] " if item.overdue else "") + f"Hạn: {item.title}"
    lines = [f"Công việc số {item.id} · {item.plan_code} · nhiệm vụ ({item.task_label})",
             f"Đơn vị chủ trì: {item.unit}",
             f"Trạng thái: {STATUS_LABELS[item.status]} · tiến độ {item.progress}%"]
    if item.start:
        lines.append(f"Bắt đầu: {format_date(item.start)} · hạn: {format_date(item.due)}")
    event = ["BEGIN:VEVENT", f"UID:cong-viec-{item.id}@{UID_DOMAIN}", f"DTSTAMP:{stamp}",
             f"DTSTART;VALUE=DATE:{item.due:%Y%m%d}",
             f"DTEND;VALUE=DATE:{item.due + dt.timedelta(days=1):%Y%m%d}",
             f"SUMMARY:{_escape(title)}", f"DESCRIPTION:{_escape(chr(10).join(lines))}",
             "TRANSP:TRANSPARENT"]
    if item_url:
        event.append(f"URL:{item_url}?id={item.id}")
    return event + ["END:VEVENT"]


def to_ics(items: list[FeedItem], *, name: str, now: dt.datetime, item_url: str | None = None) -> bytes:
    """The items as one VCALENDAR, UTF-8 with CRLF line ends."""
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_escape(name)}", f"X-WR-TIMEZONE:{TZID}",
             "BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19700101T000000",
             "TZOFFSETFROM:+0700", "TZOFFSETTO:+0700", "TZNAME:ICT", "END:STANDARD", "END:VTIMEZONE"]
    for item in items:
        lines += _event(item, stamp, item_url)
    lines.append("END:VCALENDAR")
    return b"\r\n".join(_fold(line) for line in lines) + b"\r\n"


def calendar_name(session: Session, *, plan_id: int | None, unit_id: int | None) -> str:
    plan = session.get(Plan, plan_id) if plan_id is not None else None
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    parts = ["Hạn công việc", plan.code if plan else "mọi kế hoạch", unit.name if unit else "mọi đơn vị"]
    return " · ".join(parts)


def download(session: Session, *, actor: Actor, plan_id: int | None, unit_id: int | None, today: dt.date,
             item_url: str | None = None) -> bytes:
    """The .ics file of a plan (or all) and a unit (or all), as the actor may read it."""
    items = feed_items(session, actor=actor, plan_id=plan_id, unit_id=unit_id, today=today)
    return to_ics(items, name=calendar_name(session, plan_id=plan_id, unit_id=unit_id), now=clock.now(),
                  item_url=item_url)


def file_name(plan_code: str | None, unit_code: str | None) -> str:
    """An ASCII file name: lich-184-qd-bnv-vu-tcbc.ics."""
    words = re.sub(r"[^a-z0-9]+", "-", fold(" ".join(p for p in (plan_code or "tat ca", unit_code) if p)))
    return f"lich-{words.strip('-')}.ics"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Feed:
    created_at: dt.datetime
    plan_id: int | None
    unit_id: int | None


def current_feed(session: Session, *, actor: Actor) -> Feed | None:
    """The actor's live feed address, if any (its token is not kept: only when made is it shown)."""
    require(actor, Action.VIEW_ITEM)
    row = session.scalar(select(CalendarToken).where(CalendarToken.user_id == actor.user_id,
                                                     CalendarToken.revoked_at.is_(None)))
    return Feed(row.created_at, row.plan_id, row.unit_id) if row else None


def revoke(session: Session, *, actor: Actor) -> int:
    """Close the actor's feed addresses; returns how many were live."""
    require(actor, Action.VIEW_ITEM, session=session)
    result = session.execute(update(CalendarToken)
                             .where(CalendarToken.user_id == actor.user_id, CalendarToken.revoked_at.is_(None))
                             .values(revoked_at=clock.now()))
    return result.rowcount or 0


def make_feed(session: Session, *, actor: Actor, plan_id: int | None, unit_id: int | None) -> str:
    """A new secret feed token for the actor (the old one revoked); returned once, never stored."""
    require(actor, Action.VIEW_ITEM, session=session)
    revoke(session, actor=actor)
    token = secrets.token_urlsafe(32)
    session.add(CalendarToken(user_id=actor.user_id, token_hash=_hash(token), plan_id=plan_id, unit_id=unit_id))
    session.flush()
    return token


def feed(session: Session, *, token: str, today: dt.date, item_url: str | None = None) -> bytes:
    """The .ics a feed token opens, read as its owner would read it now.

    Raises:
        NotFound: an unknown or revoked token, or an owner no longer active.
    """
    row = session.scalar(select(CalendarToken).where(CalendarToken.token_hash == _hash(str(token or "")),
                                                     CalendarToken.revoked_at.is_(None)))
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        raise NotFound(FEED_CLOSED)
    return download(session, actor=Actor.of(user), plan_id=row.plan_id, unit_id=row.unit_id, today=today,
                    item_url=item_url)
