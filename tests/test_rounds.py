"""Reporting rounds: opening (with every validation), submitting, resubmitting, closing, who has not reported."""

import datetime as dt

import pytest
from sqlalchemy import event, select, update

from tracker.clock import VN_TZ
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import AuditEvent, ReportingRound, Role, RoundReport, Unit, UnitKind
from tracker.permissions import Actor
from tracker.services import rounds
from tracker.services.rounds import MINISTRY_KINDS, ReportStatus
from tracker.services.users import create_user

JUNE_15 = dt.date(2024, 6, 15)
UTC = dt.timezone.utc
REAL_TODAY = dt.datetime.now(VN_TZ).date()  # submissions are stamped with the real clock


def actor(session, username, role, unit_code=None):
    return Actor.of(create_user(session, username=username, password="mat-khau-thu-nghiem", role=role,
                                unit_code=unit_code))


def unit_id(session, code):
    return session.scalars(select(Unit.id).where(Unit.code == code)).one()


@pytest.fixture
def people(session):
    return {
        "admin": actor(session, "van.phong", Role.ADMIN),
        "leader": actor(session, "lanh.dao", Role.LEADER),
        "tcbc": actor(session, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"),
        "hanoi": actor(session, "snv.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI"),
        "pc": actor(session, "truong.pc", Role.UNIT_HEAD, "VU-PC"),
    }


def open_six_months(session, admin, codes=("VU-TCBC", "SNV-HA-NOI", "VU-PC"), deadline=JUNE_15, **kw):
    return rounds.open_round(session, actor=admin, name="Báo cáo 6 tháng 2024", period_start=dt.date(2024, 1, 1),
                             period_end=dt.date(2024, 6, 30), deadline=deadline,
                             unit_ids=[unit_id(session, c) for c in codes], **kw)


def by_code(rows):
    return {r.unit_code: r for r in rows}


def test_open_round_for_chosen_units_is_audited(session, people):
    r = open_six_months(session, people["admin"], note="Theo Kế hoạch 184/QĐ-BNV")
    assert [u.code for u in r.units] == ["VU-TCBC", "VU-PC", "SNV-HA-NOI"]
    assert r.opened_by_id == people["admin"].user_id and r.closed_at is None
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "round_opened")).one()
    assert audit.target_id == r.id and audit.details["unit_count"] == 3 and audit.details["deadline"] == "2024-06-15"


@pytest.mark.parametrize("kind, deadline, count", [
    (UnitKind.PROVINCIAL, dt.date(2025, 6, 30), 63),
    (UnitKind.PROVINCIAL, dt.date(2025, 7, 1), 34),
    (MINISTRY_KINDS, dt.date(2024, 6, 15), 20),
    (MINISTRY_KINDS, dt.date(2025, 3, 15), 22),
])
def test_unit_kind_means_every_unit_of_that_kind_active_on_the_deadline(session, people, kind, deadline, count):
    r = rounds.open_round(session, actor=people["admin"], name="Báo cáo quý", period_start=dt.date(2024, 1, 1),
                          period_end=deadline, deadline=deadline, unit_kind=kind)
    assert len(r.units) == count
    assert all(u.active_on(deadline) for u in r.units)


def test_unit_kind_and_chosen_units_combine_without_duplicates(session, people):
    r = open_six_months(session, people["admin"], codes=("VU-TCBC", "SNV-HA-NOI"), unit_kind=UnitKind.PROVINCIAL)
    assert len(r.units) == 63 + 1


@pytest.mark.parametrize("changes, message", [
    ({"name": "  "}, "Vui lòng nhập tên kỳ báo cáo."),
    ({"name": "x" * 201}, "không được dài quá 200 ký tự"),
    ({"period_end": dt.date(2023, 12, 31)}, "Ngày kết thúc kỳ phải sau hoặc bằng ngày bắt đầu."),
    ({"deadline": dt.date(2023, 12, 31)}, "Hạn nộp phải sau hoặc bằng ngày bắt đầu kỳ."),
    ({"unit_ids": []}, "Vui lòng chọn ít nhất một đơn vị."),
    ({"unit_ids": ["VU-TL"], "period_start": dt.date(2025, 3, 1), "period_end": dt.date(2025, 6, 30),
      "deadline": dt.date(2025, 7, 15)},
     "Đơn vị không hoạt động trong kỳ 01/03/2025 – 30/06/2025: Vụ Tiền lương."),
    ({"unit_ids": [], "unit_kind": UnitKind.PROVINCIAL, "deadline": dt.date(2030, 1, 1), "period_end": None},
     "Vui lòng nhập đủ thời gian"),
    ({"plan_id": 999_999}, "Không tìm thấy kế hoạch số 999999."),
])
def test_open_round_validation(session, people, changes, message):
    args = dict(name="Báo cáo 6 tháng 2024", period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 6, 30),
                deadline=JUNE_15, unit_ids=["VU-TCBC"])
    args.update(changes)
    args["unit_ids"] = [unit_id(session, c) for c in args["unit_ids"]]
    with pytest.raises(ValidationFailed) as exc:
        rounds.open_round(session, actor=people["admin"], **args)
    assert any(message in p for p in exc.value.problems), exc.value.problems
    assert session.scalar(select(ReportingRound.id)) is None


def test_open_round_lists_every_problem_at_once(session, people):
    with pytest.raises(ValidationFailed) as exc:
        rounds.open_round(session, actor=people["admin"], name="", period_start=dt.date(2024, 6, 1),
                          period_end=dt.date(2024, 1, 1), deadline=dt.date(2024, 5, 1), unit_ids=[])
    assert len(exc.value.problems) == 4


@pytest.mark.parametrize("who", ["leader", "tcbc"])
def test_only_the_office_opens_and_closes_rounds(session, people, who):
    with pytest.raises(PermissionDenied, match="Chỉ Văn phòng"):
        open_six_months(session, people[who])
    r = open_six_months(session, people["admin"])
    with pytest.raises(PermissionDenied, match="Chỉ Văn phòng"):
        rounds.close_round(session, actor=people[who], round_id=r.id)
    assert r.closed_at is None


def test_every_status_with_an_injected_today(session, people):
    r = open_six_months(session, people["admin"])
    rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="Đã hoàn thành 12/12 nhiệm vụ.")
    rounds.submit_report(session, actor=people["hanoi"], round_id=r.id, summary="Sở Nội vụ Hà Nội báo cáo.")
    # Deadlines are Hà Nội days: 23:30 on 15/06 is on time, 00:30 on 16/06 is late.
    for code, at in (("VU-TCBC", dt.datetime(2024, 6, 15, 16, 30, tzinfo=UTC)),
                     ("SNV-HA-NOI", dt.datetime(2024, 6, 15, 17, 30, tzinfo=UTC))):
        session.execute(update(RoundReport).where(RoundReport.unit_id == unit_id(session, code))
                        .values(submitted_at=at))

    on_deadline = by_code(rounds.round_status(session, actor=people["admin"], round_id=r.id, today=JUNE_15))
    assert on_deadline["VU-TCBC"].status is ReportStatus.SUBMITTED and on_deadline["VU-TCBC"].status_label == "Đã nộp"
    assert on_deadline["SNV-HA-NOI"].status is ReportStatus.LATE
    assert on_deadline["SNV-HA-NOI"].status_label == "Nộp muộn"
    assert on_deadline["VU-PC"].status is ReportStatus.PENDING and on_deadline["VU-PC"].status_label == "Chưa đến hạn"
    assert on_deadline["VU-PC"].submitted_at is None and on_deadline["VU-PC"].submitted_by is None

    after = rounds.round_status(session, actor=people["leader"], round_id=r.id, today=JUNE_15 + dt.timedelta(days=1))
    assert by_code(after)["VU-PC"].status is ReportStatus.MISSING and by_code(after)["VU-PC"].status_label == "Chưa nộp"
    assert by_code(after)["VU-TCBC"].submitted_by == "truong.tcbc"
    assert by_code(after)["VU-TCBC"].summary == "Đã hoàn thành 12/12 nhiệm vụ."
    assert rounds.count_statuses(after) == {ReportStatus.SUBMITTED: 1, ReportStatus.LATE: 1,
                                            ReportStatus.MISSING: 1, ReportStatus.PENDING: 0}


def test_a_report_sent_today_before_a_future_deadline_is_on_time(session, people):
    deadline = REAL_TODAY + dt.timedelta(days=10)
    r = open_six_months(session, people["admin"], deadline=deadline)
    rounds.submit_report(session, actor=people["pc"], round_id=r.id, summary="Báo cáo của Vụ Pháp chế")
    rows = by_code(rounds.round_status(session, actor=people["admin"], round_id=r.id, today=REAL_TODAY))
    assert rows["VU-PC"].status is ReportStatus.SUBMITTED and rows["VU-TCBC"].status is ReportStatus.PENDING


def test_round_status_is_one_query_for_the_units(session, people):
    r = rounds.open_round(session, actor=people["admin"], name="Sở Nội vụ 6 tháng", period_start=dt.date(2024, 1, 1),
                          period_end=dt.date(2024, 6, 30), deadline=JUNE_15, unit_kind=UnitKind.PROVINCIAL)
    rounds.submit_report(session, actor=people["hanoi"], round_id=r.id, summary="Đã nộp")
    session.flush()
    session.expunge_all()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listener)
    try:
        rows = rounds.round_status(session, actor=people["admin"], round_id=r.id, today=JUNE_15)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listener)
    assert len(rows) == 63 and len(statements) == 2


def test_resubmission_updates_summary_time_and_revision(session, people):
    r = open_six_months(session, people["admin"])
    first = rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="Bản đầu")
    first_id, first_at = first.id, first.submitted_at
    assert first.revision == 1
    second = rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="  Bản sửa: bổ sung số liệu ")
    assert second.id == first_id and second.revision == 2 and second.summary == "Bản sửa: bổ sung số liệu"
    assert second.submitted_at >= first_at
    assert session.scalar(select(RoundReport.revision).where(RoundReport.id == first_id)) == 2
    assert len(session.scalars(select(RoundReport)).all()) == 1
    audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "round_report_submitted")
                             .order_by(AuditEvent.id)).all()
    assert [a.details["revision"] for a in audits] == [1, 2]


def test_closed_round_refuses_reports_and_counts_silence_as_missing(session, people):
    deadline = REAL_TODAY + dt.timedelta(days=30)
    r = open_six_months(session, people["admin"], deadline=deadline)
    rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="Kịp trước khi đóng")
    rounds.close_round(session, actor=people["admin"], round_id=r.id)
    with pytest.raises(ValidationFailed, match="đã đóng"):
        rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="Sửa lại")
    with pytest.raises(ValidationFailed, match="đã đóng"):
        rounds.submit_report(session, actor=people["pc"], round_id=r.id, summary="Nộp sau khi đóng")
    with pytest.raises(ValidationFailed, match="đã được đóng"):
        rounds.close_round(session, actor=people["admin"], round_id=r.id)
    rows = by_code(rounds.round_status(session, actor=people["admin"], round_id=r.id, today=REAL_TODAY))
    assert rows["VU-TCBC"].summary == "Kịp trước khi đóng" and rows["VU-TCBC"].status is ReportStatus.SUBMITTED
    assert rows["VU-PC"].status is ReportStatus.MISSING
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "round_closed")) is not None


def test_unit_head_cannot_submit_for_a_round_without_their_unit(session, people):
    r = open_six_months(session, people["admin"], codes=("VU-TCBC",))
    with pytest.raises(PermissionDenied, match="chỉ được nộp báo cáo cho đơn vị mình"):
        rounds.submit_report(session, actor=people["hanoi"], round_id=r.id, summary="Không thuộc kỳ này")
    assert session.scalar(select(RoundReport.id)) is None


@pytest.mark.parametrize("who", ["admin", "leader"])
def test_only_unit_heads_submit(session, people, who):
    r = open_six_months(session, people["admin"])
    with pytest.raises(PermissionDenied):
        rounds.submit_report(session, actor=people[who], round_id=r.id, summary="Nộp thay")


def test_a_head_submits_only_for_their_own_unit(session, people):
    """The unit is the actor's: a Hà Nội head's report lands on Hà Nội, never on another unit of the round."""
    r = open_six_months(session, people["admin"])
    report = rounds.submit_report(session, actor=people["hanoi"], round_id=r.id, summary="Hà Nội")
    assert report.unit_id == unit_id(session, "SNV-HA-NOI")
    forged = Actor(user_id=people["hanoi"].user_id, username="snv.hanoi", role=Role.UNIT_HEAD,
                   unit_id=unit_id(session, "SNV-HO-CHI-MINH"))
    with pytest.raises(PermissionDenied):
        rounds.submit_report(session, actor=forged, round_id=r.id, summary="Giả danh")


@pytest.mark.parametrize("summary, message", [("   ", "Vui lòng nhập nội dung báo cáo."),
                                              ("x" * 10_001, "không được dài quá 10.000 ký tự")])
def test_summary_required_and_bounded(session, people, summary, message):
    r = open_six_months(session, people["admin"])
    with pytest.raises(ValidationFailed, match=message):
        rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary=summary)
    assert rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="x" * 10_000).revision == 1


def test_unit_heads_do_not_see_the_status_of_every_unit(session, people):
    r = open_six_months(session, people["admin"])
    with pytest.raises(PermissionDenied):
        rounds.round_status(session, actor=people["tcbc"], round_id=r.id, today=JUNE_15)
    with pytest.raises(PermissionDenied):
        rounds.list_rounds(session, actor=people["tcbc"], today=JUNE_15)


def test_list_rounds_open_first_with_counts(session, people):
    old = open_six_months(session, people["admin"], deadline=dt.date(2024, 1, 20))
    new = open_six_months(session, people["admin"], codes=("VU-TCBC", "VU-PC"), deadline=dt.date(2024, 7, 15))
    rounds.submit_report(session, actor=people["tcbc"], round_id=old.id, summary="Quý IV")
    rounds.submit_report(session, actor=people["pc"], round_id=old.id, summary="Quý IV")
    rounds.close_round(session, actor=people["admin"], round_id=old.id)
    listed = rounds.list_rounds(session, actor=people["leader"], today=JUNE_15)
    assert [(i.id, i.closed, i.unit_count, i.reported_count, i.deadline_passed) for i in listed] == [
        (new.id, False, 2, 0, False), (old.id, True, 3, 2, True)]


def test_open_rounds_for_unit_shows_own_submission(session, people):
    a = open_six_months(session, people["admin"], deadline=dt.date(2024, 7, 10))
    b = open_six_months(session, people["admin"], codes=("VU-TCBC",), deadline=dt.date(2024, 6, 10))
    closed = open_six_months(session, people["admin"], deadline=dt.date(2024, 6, 1))
    not_ours = open_six_months(session, people["admin"], codes=("VU-PC",))
    rounds.close_round(session, actor=people["admin"], round_id=closed.id)
    rounds.submit_report(session, actor=people["tcbc"], round_id=a.id, summary="Đã nộp kỳ A")
    rows = rounds.open_rounds_for_unit(session, unit_id=unit_id(session, "VU-TCBC"), today=JUNE_15)
    assert [r.round_id for r in rows] == [b.id, a.id]
    assert not_ours.id not in [r.round_id for r in rows]
    assert (rows[0].submitted, rows[0].status, rows[0].days_left) == (False, ReportStatus.MISSING, -5)
    assert (rows[1].submitted, rows[1].summary, rows[1].revision) == (True, "Đã nộp kỳ A", 1)
    assert rows[1].days_left == 25


@pytest.mark.parametrize("submitted_at, today, closed, expected", [
    (None, JUNE_15, False, ReportStatus.PENDING),
    (None, JUNE_15 + dt.timedelta(days=1), False, ReportStatus.MISSING),
    (None, JUNE_15 - dt.timedelta(days=3), True, ReportStatus.MISSING),
    (dt.datetime(2024, 6, 15, 16, 59, tzinfo=UTC), JUNE_15, False, ReportStatus.SUBMITTED),
    (dt.datetime(2024, 6, 15, 17, 0, tzinfo=UTC), JUNE_15, False, ReportStatus.LATE),
    (dt.datetime(2024, 6, 20, tzinfo=UTC), JUNE_15, True, ReportStatus.LATE),
])
def test_report_status_rule(submitted_at, today, closed, expected):
    assert rounds.report_status(submitted_at=submitted_at, deadline=JUNE_15, today=today, closed=closed) is expected


def test_a_round_on_a_past_period_may_ask_a_unit_merged_since(session, people):
    """A 2024 half-year round opened in 2026: Vụ Tiền lương (ended 28/02/2025) existed in the period."""
    r = rounds.open_round(session, actor=people["admin"], name="Báo cáo 6 tháng 2024 (bổ sung)",
                          period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 6, 30),
                          deadline=dt.date(2026, 12, 15), unit_ids=[unit_id(session, "VU-TL")])
    assert [u.code for u in r.units] == ["VU-TL"]


def test_a_unit_attaches_its_signed_report_and_the_office_downloads_every_file_as_one_zip(session, people, tmp_path,
                                                                                          monkeypatch):
    import io
    import zipfile

    from tracker.errors import PermissionDenied
    from tracker.services.evidence import Upload

    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    r = open_six_months(session, people["admin"])
    pdf = Upload("Báo cáo 6 tháng (đã ký).pdf", b"%PDF-1.7 ban da ky")
    with pytest.raises(ValidationFailed, match="PDF hoặc DOCX"):
        rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="Đã thực hiện.",
                             file=Upload("anh.png", b"\x89PNG\r\n\x1a\nxx"))
    with pytest.raises(ValidationFailed, match="nội dung không đúng định dạng PDF"):
        rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="Đã thực hiện.",
                             file=Upload("gia.pdf", b"MZ not a pdf"))
    rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="Đã thực hiện.", file=pdf)
    rounds.submit_report(session, actor=people["tcbc"], round_id=r.id, summary="Bổ sung số liệu.")  # file kept
    rounds.submit_report(session, actor=people["hanoi"], round_id=r.id, summary="Sở đã thực hiện.",
                         file=Upload("BC Sở Nội vụ Hà Nội.pdf", b"%PDF-1.4 so noi vu"))
    status = by_code(rounds.round_status(session, actor=people["leader"], round_id=r.id, today=JUNE_15))
    assert status["VU-TCBC"].file_name == "Báo cáo 6 tháng (đã ký).pdf" and status["VU-PC"].file_name is None
    assert rounds.report_file(session, actor=people["tcbc"], round_id=r.id, unit_id=unit_id(session, "VU-TCBC")) \
        == ("Báo cáo 6 tháng (đã ký).pdf", pdf.data)
    with pytest.raises(PermissionDenied):  # another unit's file
        rounds.report_file(session, actor=people["pc"], round_id=r.id, unit_id=unit_id(session, "VU-TCBC"))
    name, data, count = rounds.round_files_zip(session, actor=people["admin"], round_id=r.id)
    assert (name, count) == (f"bao-cao-ky-{r.id}.zip", 2)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["VU-TCBC - Báo cáo 6 tháng (đã ký).pdf", "SNV-HA-NOI - BC Sở Nội vụ Hà Nội.pdf"]
        assert zf.read("VU-TCBC - Báo cáo 6 tháng (đã ký).pdf") == pdf.data
