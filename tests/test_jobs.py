"""`python -m tracker jobs`: reminders once each, e-mail once per recipient per day, retried after an SMTP
failure without loss, each person's e-mail choice, expired sessions ended."""

import datetime as dt
import email
from email import policy

from sqlalchemy import func, select

from tests.item_factories import make_item
from tests.test_reminders import smtp_server  # noqa: F401  (the test SMTP server fixture)
from tracker import clock
from tracker.__main__ import main
from tracker.db import session_scope
from tracker.models import (EmailChoice, MailOutbox, Notification, NotificationKind, Role, Status, User,
                            UserSession)
from tracker.permissions import Actor
from tracker.services import comments, jobs
from tracker.services import sessions as session_rules
from tracker.services.users import create_user

TODAY = dt.date(2024, 6, 20)


def _setup(engine):
    with session_scope(engine) as s:
        head = create_user(s, username="truong.tl", password="mat-khau-dai", role=Role.UNIT_HEAD,
                           unit_code="VU-TL", email="tl@moha.gov.vn")
        leader = create_user(s, username="lanh.dao", password="mat-khau-dai", role=Role.LEADER,
                             email="lanhdao@moha.gov.vn")
        leader.email_choice = EmailChoice.IMMEDIATE
        quiet = create_user(s, username="khong.thu", password="mat-khau-dai", role=Role.LEADER,
                            email="khongthu@moha.gov.vn")
        quiet.email_choice = EmailChoice.NONE
        late = make_item(s, unit_code="VU-TL", title="Họp báo quý II", due=dt.date(2024, 6, 10))
        make_item(s, unit_code="VU-TL", title="Tọa đàm tiền lương", due=dt.date(2024, 6, 25))
        make_item(s, unit_code="VU-TL", title="Đã gửi xác nhận", due=dt.date(2024, 6, 22),
                  status=Status.AWAITING_CONFIRMATION, progress=100)
        comments.add_comment(s, actor=Actor.of(head), item_id=late.id,
                             body="Nhờ @lanh.dao và @khong.thu cho ý kiến.")
        return head.id, leader.id, quiet.id


def _smtp(monkeypatch, port):
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(port))
    monkeypatch.setenv("TRACKER_SMTP_FROM", "nhac-viec@moha.gov.vn")
    monkeypatch.delenv("TRACKER_SMTP_USER", raising=False)
    monkeypatch.delenv("TRACKER_SMTP_STARTTLS", raising=False)


def _run(capsys, *argv):
    code = main(["jobs", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_second_run_the_same_day_sends_nothing_twice(db_env, engine, capsys, monkeypatch, smtp_server):  # noqa: F811
    port, inbox = smtp_server
    head_id, leader_id, quiet_id = _setup(engine)
    _smtp(monkeypatch, port)
    code, out, err = _run(capsys, "--today", "20/06/2024")
    assert code == 0, err
    assert out.strip() == ("Ngày 20/06/2024: 2 thông báo nhắc việc; 2 thư mới; 2 thư đã gửi; 0 thư chưa gửi "
                           "được; 0 phiên đăng nhập hết hạn.")
    by_to = {tuple(e.rcpt_tos): email.message_from_bytes(e.original_content, policy=policy.default)
             for e in inbox.envelopes}
    assert set(by_to) == {("tl@moha.gov.vn",), ("lanhdao@moha.gov.vn",)}  # "none" gets nothing
    assert "Họp báo quý II — hạn 10/06/2024, quá hạn 10 ngày" in by_to[("tl@moha.gov.vn",)].get_content()
    assert "nhắc tên bạn trong “Họp báo quý II”" in by_to[("lanhdao@moha.gov.vn",)].get_content()
    with session_scope(engine) as s:
        kinds = s.scalars(select(Notification.kind).where(Notification.user_id == head_id)
                          .order_by(Notification.kind)).all()
        assert kinds == [NotificationKind.DUE_SOON, NotificationKind.OVERDUE]  # not the item awaiting the office

    code, out, _ = _run(capsys, "--today", "20/06/2024")
    assert code == 0 and out.startswith("Ngày 20/06/2024: 0 thông báo nhắc việc; 0 thư mới; 0 thư đã gửi")
    assert len(inbox.envelopes) == 2
    code, out, _ = _run(capsys, "--today", "21/06/2024")  # the next day: the unit's digest again, no new reminder
    assert "0 thông báo nhắc việc; 1 thư mới; 1 thư đã gửi" in out
    assert len(inbox.envelopes) == 3


def test_a_daily_digest_gathers_the_days_notifications(db_env, engine, capsys, monkeypatch, smtp_server):  # noqa: F811
    port, inbox = smtp_server
    _, leader_id, _ = _setup(engine)
    with session_scope(engine) as s:
        s.get(User, leader_id).email_choice = EmailChoice.DIGEST
    _smtp(monkeypatch, port)
    assert _run(capsys, "--today", "20/06/2024")[0] == 0
    [digest] = [e for e in inbox.envelopes if e.rcpt_tos == ["lanhdao@moha.gov.vn"]]
    message = email.message_from_bytes(digest.original_content, policy=policy.default)
    assert message["Subject"] == "[Theo dõi truyền thông] Thông báo ngày 20/06/2024"


def test_an_smtp_failure_keeps_every_message_for_the_next_run(db_env, engine, capsys, monkeypatch,
                                                              smtp_server):  # noqa: F811
    port, inbox = smtp_server
    _setup(engine)
    _smtp(monkeypatch, port)
    monkeypatch.setenv("TRACKER_SMTP_PORT", "1")  # nobody listens there
    code, out, err = _run(capsys, "--today", "20/06/2024")
    assert code == 1 and "2 thư mới; 0 thư đã gửi; 2 thư chưa gửi được" in out
    assert "thư được giữ lại để gửi lần sau" in err
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(MailOutbox).where(MailOutbox.sent_at.is_(None))) == 2
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(port))
    code, out, _ = _run(capsys, "--today", "20/06/2024")
    assert code == 0 and "0 thư mới; 2 thư đã gửi; 0 thư chưa gửi được" in out
    assert len(inbox.envelopes) == 2


def test_without_smtp_the_messages_wait(db_env, engine, capsys, monkeypatch):
    _setup(engine)
    monkeypatch.delenv("TRACKER_SMTP_HOST", raising=False)
    code, out, err = _run(capsys, "--today", "20/06/2024")
    assert code == 0 and "2 thư mới; 0 thư đã gửi" in out and "giữ lại" in err


def test_expired_sessions_are_ended(engine):
    now = dt.datetime(2024, 6, 20, 8, 0, tzinfo=dt.timezone.utc)
    with session_scope(engine) as s:
        user = create_user(s, username="truong.tl", password="mat-khau-dai", role=Role.UNIT_HEAD, unit_code="VU-TL")
        idle, _ = session_rules.start(s, user=user, client="a", now=now - dt.timedelta(hours=2))
        live, _ = session_rules.start(s, user=user, client="b", now=now - dt.timedelta(minutes=5))
        ids = idle.id, live.id
    with clock.frozen(now), session_scope(engine) as s:
        assert jobs.end_expired_sessions(s, now=now) == 1
    with session_scope(engine) as s:
        assert s.get(UserSession, ids[0]).end_reason == "expired" and s.get(UserSession, ids[1]).ended_at is None
