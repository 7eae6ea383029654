"""Reminder digests: exactly which items reach which unit, the dry run on demo data, a real SMTP send."""

import datetime as dt
import email
import re
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event, select

from tests.item_factories import make_item
from tracker.__main__ import main
from tracker.db import session_scope
from tracker.errors import ValidationFailed
from tracker.mail import SmtpSettings, build_message, send, smtp_settings
from tracker.models import ExplanationRequest, ExplanationStatus, Role, Status, Unit, WorkItem
from tracker.permissions import Actor
from tracker.services import rounds
from tracker.services.reminders import compose_digests
from tracker.services.users import create_user

TODAY = dt.date(2024, 6, 20)
UTC = dt.timezone.utc
SMTP_PASSWORD = "Mật-khẩu-SMTP-bí-mật"


def _user(session, username, role, unit_code=None, email=None, active=True):
    user = create_user(session, username=username, password="mat-khau-thu-nghiem", role=role, unit_code=unit_code)
    user.email, user.active = email, active
    return user


def _unit(session, code):
    return session.scalars(select(Unit).where(Unit.code == code)).one()


def build_fixture(session):
    """Two units with dated work, an explanation request and a round; returns the ids that must appear."""
    d = dt.date
    item = lambda title, **kw: make_item(session, title=title, start=d(2024, 1, 1), **kw).id  # noqa: E731
    tcbc = {
        "late": item("Họp báo quý II về tinh giản biên chế", due=d(2024, 6, 10)),
        "late_awaiting": item("Thông cáo báo chí chờ xác nhận", due=d(2024, 6, 15),
                              status=Status.AWAITING_CONFIRMATION, progress=100),
        "due_today": item("Chuyên mục “Cải cách hành chính” số 6", due=d(2024, 6, 20), status=Status.NOT_STARTED,
                          progress=0),
        "due_in_7": item("Tập huấn nghiệp vụ truyền thông", due=d(2024, 6, 27)),
    }
    tcbc_absent = [
        item("Đã xong trước hạn", due=d(2024, 6, 1), status=Status.DONE, progress=100),
        item("Còn 8 ngày", due=d(2024, 6, 28)),
        item("Đã làm xong, chờ xác nhận, còn 2 ngày", due=d(2024, 6, 22), status=Status.AWAITING_CONFIRMATION,
             progress=100),
    ]
    deleted = session.get(WorkItem, item("Công việc đã xóa", due=d(2024, 6, 5)))
    deleted.deleted_at = dt.datetime(2024, 6, 6, tzinfo=UTC)
    tcbc_absent.append(deleted.id)
    undated = make_item(session, title="Không có hạn", start=None, due=None)
    tcbc_absent.append(undated.id)

    hanoi_late = make_item(session, unit_code="SNV-HA-NOI", title="Tọa đàm <b>chuyển đổi số</b> & cải cách",
                           due=d(2024, 5, 31), start=d(2024, 1, 1), blocked=True)
    hanoi_answered = make_item(session, unit_code="SNV-HA-NOI", title="Đã giải trình", due=d(2024, 8, 31),
                               start=d(2024, 1, 1))
    late = session.get(WorkItem, tcbc["late"])
    late.coordinating_units.append(_unit(session, "SNV-HA-NOI"))
    session.flush()

    admin = _user(session, "van.phong", Role.ADMIN, email="vanphong@moha.gov.vn")
    office = Actor.of(admin)
    tcbc_head = _user(session, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC", email="tcbc@moha.gov.vn")
    _user(session, "pho.tcbc", Role.UNIT_HEAD, "VU-TCBC", email="pho.tcbc@moha.gov.vn")
    _user(session, "cu.tcbc", Role.UNIT_HEAD, "VU-TCBC", email="cu@moha.gov.vn", active=False)
    _user(session, "khong.thu", Role.UNIT_HEAD, "VU-TCBC")
    _user(session, "snv.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI")
    session.flush()
    request = ExplanationRequest(work_item_id=hanoi_late.id, unit_id=hanoi_late.lead_unit_id,
                                 requested_by_id=admin.id, question="Vì sao tọa đàm chưa tổ chức?",
                                 requested_at=dt.datetime(2024, 6, 18, 2, 0, tzinfo=UTC))
    answered = ExplanationRequest(work_item_id=hanoi_answered.id, unit_id=hanoi_answered.lead_unit_id,
                                  requested_by_id=admin.id, question="Đã hỏi", status=ExplanationStatus.ANSWERED,
                                  answer="Đã trả lời")
    session.add_all([request, answered])

    ids = [_unit(session, c).id for c in ("VU-TCBC", "SNV-HA-NOI")]
    pending = rounds.open_round(session, actor=office, name="Báo cáo 6 tháng 2024", period_start=d(2024, 1, 1),
                                period_end=d(2024, 6, 30), deadline=d(2024, 6, 18), unit_ids=ids)
    rounds.submit_report(session, actor=Actor.of(tcbc_head), round_id=pending.id, summary="Đã nộp")
    closed = rounds.open_round(session, actor=office, name="Báo cáo quý I", period_start=d(2024, 1, 1),
                               period_end=d(2024, 3, 31), deadline=d(2024, 4, 15), unit_ids=ids)
    rounds.close_round(session, actor=office, round_id=closed.id)
    session.flush()
    return {"tcbc": tcbc, "tcbc_absent": tcbc_absent, "hanoi_late": hanoi_late.id, "request": request.id,
            "round": pending.id}


def test_digests_list_exactly_each_units_reminders(session):
    ids = build_fixture(session)
    digests = {d.unit_code: d for d in compose_digests(session, today=TODAY, due_within_days=7)}
    assert list(digests) == ["VU-TCBC", "SNV-HA-NOI"]

    tcbc = digests["VU-TCBC"]
    assert [i.item_id for i in tcbc.overdue] == [ids["tcbc"]["late"], ids["tcbc"]["late_awaiting"]]
    assert [i.item_id for i in tcbc.due_soon] == [ids["tcbc"]["due_today"], ids["tcbc"]["due_in_7"]]
    assert [i.days_overdue for i in tcbc.overdue] == [10, 5]
    assert tcbc.explanations == [] and tcbc.rounds == []
    assert tcbc.recipients == ["pho.tcbc@moha.gov.vn", "tcbc@moha.gov.vn"]
    listed = {i.item_id for i in tcbc.overdue + tcbc.due_soon}
    assert not listed & set(ids["tcbc_absent"])

    hanoi = digests["SNV-HA-NOI"]
    assert [i.item_id for i in hanoi.overdue] == [ids["hanoi_late"]] and hanoi.due_soon == []
    assert [(e.request_id, e.requested_on) for e in hanoi.explanations] == [(ids["request"], dt.date(2024, 6, 18))]
    assert [(r.round_id, r.deadline, r.days_left) for r in hanoi.rounds] == [(ids["round"], dt.date(2024, 6, 18), -2)]
    assert hanoi.recipients == []


def test_digest_subject_and_body_are_vietnamese_with_dd_mm_yyyy(session):
    ids = build_fixture(session)
    digests = {d.unit_code: d for d in compose_digests(session, today=TODAY)}
    tcbc, hanoi = digests["VU-TCBC"], digests["SNV-HA-NOI"]
    assert tcbc.subject == "[Theo dõi truyền thông] Nhắc việc ngày 20/06/2024 – Vụ Tổ chức - Biên chế"
    body = tcbc.body
    assert body.startswith("Kính gửi: Vụ Tổ chức - Biên chế\n")
    assert "I. CÔNG VIỆC QUÁ HẠN (2)" in body and "II. CÔNG VIỆC ĐẾN HẠN TRONG 7 NGÀY TỚI (2)" in body
    assert (f"1. #{ids['tcbc']['late']} Họp báo quý II về tinh giản biên chế — hạn 10/06/2024, quá hạn 10 ngày "
            "(Đang thực hiện, 20%)") in body
    assert f"#{ids['tcbc']['due_today']} Chuyên mục “Cải cách hành chính” số 6 — hạn 20/06/2024, đến hạn hôm nay" in body
    assert "hạn 27/06/2024, còn 7 ngày" in body
    assert "GIẢI TRÌNH" not in body and "KỲ BÁO CÁO" not in body
    assert "I. CÔNG VIỆC QUÁ HẠN (1)" in hanoi.body and "ĐẾN HẠN" not in hanoi.body
    assert (f"II. YÊU CẦU GIẢI TRÌNH CHƯA TRẢ LỜI (1)\n1. #{ids['hanoi_late']} Tọa đàm <b>chuyển đổi số</b> & cải cách"
            " — yêu cầu ngày 18/06/2024: “Vì sao tọa đàm chưa tổ chức?”") in hanoi.body
    assert "III. KỲ BÁO CÁO CHƯA NỘP (1)\n1. Báo cáo 6 tháng 2024 — hạn nộp 18/06/2024, quá hạn 2 ngày" in hanoi.body
    assert "Tọa đàm <b>chuyển đổi số</b> & cải cách" in hanoi.body  # plain text: shown as written


def test_nothing_to_remind_gives_no_digests(session):
    assert compose_digests(session, today=TODAY) == []


@pytest.mark.parametrize("within", [-1, 91])
def test_within_days_is_bounded(session, within):
    with pytest.raises(ValidationFailed):
        compose_digests(session, today=TODAY, due_within_days=within)


def test_digests_take_a_few_grouped_queries(session):
    build_fixture(session)
    for n in range(30):
        make_item(session, unit_code="SNV-HUE", title=f"Việc {n}", start=dt.date(2024, 1, 1),
                  due=dt.date(2024, 6, 1) + dt.timedelta(days=n))
    session.flush()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listener)
    try:
        digests = compose_digests(session, today=TODAY)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listener)
    assert len(digests) == 3 and len(statements) <= 5


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _section(out: str, unit_name: str) -> str:
    start = out.index(f"=== {unit_name} (")
    end = out.find("\n=== ", start + 1)
    return out[start: end if end >= 0 else len(out)]


def test_dry_run_on_demo_data_matches_a_direct_query(db_env, engine, capsys):
    assert run(capsys, "demo", "--items", "200", "--seed", "1")[0] == 0
    today = dt.date(2024, 9, 30)
    code, out, err = run(capsys, "remind", "--dry-run", "--today", "30/09/2024")
    assert code == 0, err
    with session_scope(engine) as s:
        unit_id, name = s.execute(
            select(WorkItem.lead_unit_id, Unit.name).join(Unit, Unit.id == WorkItem.lead_unit_id)
            .where(WorkItem.status != Status.DONE, WorkItem.due_date < today)
            .group_by(WorkItem.lead_unit_id, Unit.name).order_by(WorkItem.lead_unit_id)
        ).first()
        overdue = s.scalars(select(WorkItem.id).where(
            WorkItem.lead_unit_id == unit_id, WorkItem.deleted_at.is_(None), WorkItem.status != Status.DONE,
            WorkItem.due_date < today)).all()
        soon = s.scalars(select(WorkItem.id).where(
            WorkItem.lead_unit_id == unit_id, WorkItem.deleted_at.is_(None),
            WorkItem.status.not_in([Status.DONE, Status.AWAITING_CONFIRMATION]),
            WorkItem.due_date >= today, WorkItem.due_date <= today + dt.timedelta(days=7))).all()
    section = _section(out, name)
    assert "Người nhận: (chưa có địa chỉ thư – sẽ không gửi)" in section
    assert f"Tiêu đề: [Theo dõi truyền thông] Nhắc việc ngày 30/09/2024 – {name}" in section
    overdue_part, _, rest = section.partition("CÔNG VIỆC ĐẾN HẠN")
    assert overdue
    assert sorted(int(i) for i in re.findall(r"^\d+\. #(\d+) ", overdue_part, re.M)) == sorted(overdue)
    assert sorted(int(i) for i in re.findall(r"^\d+\. #(\d+) ", rest, re.M)) == sorted(soon)
    assert re.search(r"^Tổng: \d+ đơn vị có việc cần nhắc; 0 thư sẽ được gửi; \d+ đơn vị chưa có địa chỉ thư\.$",
                     out, re.M)


def test_send_without_smtp_settings_exits_2(db_env, capsys, monkeypatch):
    monkeypatch.delenv("TRACKER_SMTP_HOST", raising=False)
    code, out, err = run(capsys, "remind", "--today", "20/06/2024")
    assert code == 2 and out == ""
    assert "Chưa cấu hình máy chủ thư (TRACKER_SMTP_HOST)" in err


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_remind_sends_utf8_digests_to_a_real_smtp_server(db_env, engine, capsys, monkeypatch, smtp_server):
    port, inbox = smtp_server
    with session_scope(engine) as s:
        build_fixture(s)
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(port))
    monkeypatch.setenv("TRACKER_SMTP_FROM", "nhac-viec@moha.gov.vn")
    monkeypatch.delenv("TRACKER_SMTP_USER", raising=False)
    monkeypatch.delenv("TRACKER_SMTP_STARTTLS", raising=False)
    code, out, err = run(capsys, "remind", "--today", "20/06/2024")
    assert code == 0, err
    assert "Đã gửi 1 thư nhắc việc ngày 20/06/2024; 1 đơn vị không gửi được" in out
    assert "Cảnh báo: không gửi cho Sở Nội vụ thành phố Hà Nội (SNV-HA-NOI)" in err

    [envelope] = inbox.envelopes
    assert envelope.mail_from == "nhac-viec@moha.gov.vn"
    assert sorted(envelope.rcpt_tos) == ["pho.tcbc@moha.gov.vn", "tcbc@moha.gov.vn"]
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["Subject"] == "[Theo dõi truyền thông] Nhắc việc ngày 20/06/2024 – Vụ Tổ chức - Biên chế"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "Kính gửi: Vụ Tổ chức - Biên chế" in body
    assert "Họp báo quý II về tinh giản biên chế — hạn 10/06/2024, quá hạn 10 ngày" in body


def test_smtp_failure_never_prints_the_password(db_env, engine, capsys, monkeypatch, smtp_server):
    port, inbox = smtp_server
    with session_scope(engine) as s:
        build_fixture(s)
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(port))
    monkeypatch.setenv("TRACKER_SMTP_USER", "nhac-viec@moha.gov.vn")
    monkeypatch.setenv("TRACKER_SMTP_PASSWORD", SMTP_PASSWORD)
    code, out, err = run(capsys, "remind", "--today", "20/06/2024")
    assert code == 1 and "Lỗi: Không gửi được thư qua 127.0.0.1:" in err  # the test server offers no AUTH
    assert SMTP_PASSWORD not in out + err and inbox.envelopes == []
    assert SMTP_PASSWORD not in repr(smtp_settings())


@pytest.mark.parametrize("env, message", [
    ({"TRACKER_SMTP_HOST": "mail.local", "TRACKER_SMTP_PORT": "abc", "TRACKER_SMTP_FROM": "a@b.vn"}, "không hợp lệ"),
    ({"TRACKER_SMTP_HOST": "mail.local", "TRACKER_SMTP_STARTTLS": "maybe", "TRACKER_SMTP_FROM": "a@b.vn"}, "0 hoặc 1"),
    ({"TRACKER_SMTP_HOST": "mail.local"}, "TRACKER_SMTP_FROM"),
])
def test_bad_smtp_settings_are_refused(env, message):
    with pytest.raises(ValidationFailed, match=message):
        smtp_settings(env)


def test_smtp_settings_defaults():
    assert smtp_settings({}) is None
    settings = smtp_settings({"TRACKER_SMTP_HOST": "mail.moha.gov.vn", "TRACKER_SMTP_USER": "bot@moha.gov.vn",
                              "TRACKER_SMTP_STARTTLS": "1"})
    assert settings == SmtpSettings(host="mail.moha.gov.vn", port=25, user="bot@moha.gov.vn", sender="bot@moha.gov.vn",
                                    starttls=True)


def test_send_one_message_directly(smtp_server):
    port, inbox = smtp_server
    message = build_message(sender="a@moha.gov.vn", to=["b@moha.gov.vn"], subject="Thử tiếng Việt: Đắk Lắk",
                            body="Nội dung có dấu: Sở Nội vụ tỉnh Đắk Lắk.\n")
    assert send([message], settings=SmtpSettings(host="127.0.0.1", port=port, sender="a@moha.gov.vn")) == {}
    received = email.message_from_bytes(inbox.envelopes[0].original_content, policy=policy.default)
    assert received["Subject"] == "Thử tiếng Việt: Đắk Lắk"
    assert received.get_content().replace("\r\n", "\n") == "Nội dung có dấu: Sở Nội vụ tỉnh Đắk Lắk.\n"
