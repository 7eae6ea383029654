"""The calendar: items on their due dates and starts, overdue as the figures say, the .ics file and feed tokens."""

import datetime as dt

import icalendar
import pytest
from sqlalchemy import select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import NotFound
from tracker.figures import Standing, standing
from tracker.models import CalendarToken, Plan, Role, Status, Unit
from tracker.permissions import Actor
from tracker.services import calendar as cal
from tracker.services import calendar_feed as feed
from tracker.services import users as user_service

TODAY = dt.date(2024, 6, 12)


@pytest.fixture
def ctx(engine):
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        late = make_item(s, title="Họp báo quý II; tiền lương, bảo hiểm", due=dt.date(2024, 6, 10),
                         start=dt.date(2024, 6, 3), progress=40)
        sent = make_item(s, title="Bài viết đã gửi xác nhận đúng hạn", due=dt.date(2024, 6, 10),
                         status=Status.AWAITING_CONFIRMATION, progress=100)
        sent.submitted_on = dt.date(2024, 6, 9)
        later = make_item(s, title="Chuyên mục tháng 6", due=dt.date(2024, 6, 28), unit_code="VU-TL")
        other_month = make_item(s, title="Tọa đàm tháng 8", due=dt.date(2024, 8, 20), start=dt.date(2024, 5, 20))
        deleted = make_item(s, title="Việc đã xóa", due=dt.date(2024, 6, 11))
        deleted.deleted_at = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
        plan_id = s.scalar(select(Plan.id).where(Plan.code == "184/QĐ-BNV"))
        tl = s.scalar(select(Unit.id).where(Unit.code == "VU-TL"))
        ids = dict(late=late.id, sent=sent.id, later=later.id, other=other_month.id, deleted=deleted.id)
    return dict(engine=engine, admin=admin, head=head, plan_id=plan_id, tl=tl, **ids)


def test_window_is_whole_weeks_monday_to_sunday():
    assert cal.window(cal.View.MONTH, dt.date(2024, 6, 12)) == (dt.date(2024, 5, 27), dt.date(2024, 6, 30))
    assert cal.window(cal.View.WEEK, dt.date(2024, 6, 12)) == (dt.date(2024, 6, 10), dt.date(2024, 6, 16))
    assert cal.step(cal.View.MONTH, dt.date(2024, 12, 31), 1) == dt.date(2025, 1, 1)
    assert cal.step(cal.View.WEEK, dt.date(2024, 6, 12), -1) == dt.date(2024, 6, 5)


def test_filters_round_trip_through_the_address_and_ignore_junk():
    f = cal.CalendarFilter(plan=3, unit=7, status=Status.DONE, view=cal.View.WEEK, day=dt.date(2024, 6, 1))
    assert cal.CalendarFilter.from_params(f.to_params()) == f
    assert cal.CalendarFilter.from_params({"plan": "x", "status": "nope", "day": "31/02", "view": "year"}) == \
        cal.CalendarFilter()


def test_month_holds_due_dates_and_starts_overdue_as_the_figures_say(ctx):
    with session_scope(ctx["engine"]) as s:
        month = cal.read_calendar(s, actor=ctx["head"], filters=cal.CalendarFilter(day=TODAY), today=TODAY)
    on_10 = {e.id: e for e in month.days[dt.date(2024, 6, 10)].entries}
    assert set(on_10) == {ctx["late"], ctx["sent"]}
    assert on_10[ctx["late"]].overdue is True
    # Sent for confirmation by its deadline: "đang thực hiện trong hạn" in the figures, so not red here.
    assert on_10[ctx["sent"]].overdue is False
    assert standing(status=Status.AWAITING_CONFIRMATION, due=dt.date(2024, 6, 10), completed_on=None,
                    submitted_on=dt.date(2024, 6, 9), cutoff=TODAY) is Standing.IN_PROGRESS_ON_TIME
    assert [e.kind for e in month.days[dt.date(2024, 6, 3)].entries] == ["start"]
    assert dt.date(2024, 6, 11) not in month.days  # deleted items never show
    assert month.items == 3 and month.overdue == 1  # the August item's start (20/5) is outside the window


def test_filters_narrow_by_unit_and_status_and_cells_are_capped_with_a_count(ctx):
    with session_scope(ctx["engine"]) as s:
        by_unit = cal.read_calendar(s, actor=ctx["admin"], filters=cal.CalendarFilter(unit=ctx["tl"], day=TODAY),
                                    today=TODAY)
        by_status = cal.read_calendar(s, actor=ctx["admin"], today=TODAY, filters=cal.CalendarFilter(
            status=Status.AWAITING_CONFIRMATION, day=TODAY))
        capped = cal.read_calendar(s, actor=ctx["admin"], filters=cal.CalendarFilter(day=TODAY), today=TODAY,
                                   per_day=1)
    assert {e.id for d in by_unit.days.values() for e in d.entries} == {ctx["later"]}
    assert {e.id for d in by_status.days.values() for e in d.entries} == {ctx["sent"]}
    cell = capped.days[dt.date(2024, 6, 10)]
    assert cell.total == 2 and [e.id for e in cell.entries] == [ctx["late"]]  # overdue first


def test_ics_parses_one_all_day_event_per_item_on_the_hanoi_due_date(ctx):
    with session_scope(ctx["engine"]) as s:
        data = feed.download(s, actor=ctx["head"], plan_id=ctx["plan_id"], unit_id=None, today=TODAY,
                             item_url="http://noibo.local/cong-viec")
    assert b"\r\n" in data and all(len(line) <= 75 for line in data.split(b"\r\n"))
    parsed = icalendar.Calendar.from_ical(data)
    assert str(parsed["X-WR-TIMEZONE"]) == "Asia/Ho_Chi_Minh"
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    assert set(events) == {f"cong-viec-{ctx[k]}@{feed.UID_DOMAIN}" for k in ("late", "sent", "later", "other")}
    late = events[f"cong-viec-{ctx['late']}@{feed.UID_DOMAIN}"]
    assert late.decoded("DTSTART") == dt.date(2024, 6, 10)
    assert late.decoded("DTEND") == dt.date(2024, 6, 11)
    assert str(late["SUMMARY"]) == "[Quá hạn] Hạn: Họp báo quý II; tiền lương, bảo hiểm"
    assert "Bắt đầu: 03/06/2024" in str(late["DESCRIPTION"])
    assert str(late["URL"]) == f"http://noibo.local/cong-viec?id={ctx['late']}"
    sent = events[f"cong-viec-{ctx['sent']}@{feed.UID_DOMAIN}"]
    assert not str(sent["SUMMARY"]).startswith("[Quá hạn]")


def test_ics_of_a_unit_holds_only_its_items(ctx):
    with session_scope(ctx["engine"]) as s:
        data = feed.download(s, actor=ctx["admin"], plan_id=None, unit_id=ctx["tl"], today=TODAY)
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(data).walk("VEVENT")]
    assert uids == [f"cong-viec-{ctx['later']}@{feed.UID_DOMAIN}"]


def test_feed_token_opens_the_calendar_until_revoked_and_only_its_hash_is_kept(ctx):
    with session_scope(ctx["engine"]) as s:
        token = feed.make_feed(s, actor=ctx["head"], plan_id=None, unit_id=ctx["tl"])
    with session_scope(ctx["engine"]) as s:
        stored = s.scalars(select(CalendarToken.token_hash)).all()
        assert token not in stored and len(stored) == 1
        assert b"Chuy\xc3\xaan m\xe1\xbb\xa5c th\xc3\xa1ng 6" in feed.feed(s, token=token, today=TODAY)
        assert feed.current_feed(s, actor=ctx["head"]).unit_id == ctx["tl"]
    with session_scope(ctx["engine"]) as s:
        assert feed.revoke(s, actor=ctx["head"]) == 1
    with session_scope(ctx["engine"]) as s, pytest.raises(NotFound):
        feed.feed(s, token=token, today=TODAY)
    with session_scope(ctx["engine"]) as s:
        assert feed.current_feed(s, actor=ctx["head"]) is None


def test_a_new_feed_address_closes_the_old_one(ctx):
    with session_scope(ctx["engine"]) as s:
        old = feed.make_feed(s, actor=ctx["head"], plan_id=None, unit_id=None)
    with session_scope(ctx["engine"]) as s:
        new = feed.make_feed(s, actor=ctx["head"], plan_id=ctx["plan_id"], unit_id=None)
    with session_scope(ctx["engine"]) as s:
        assert feed.feed(s, token=new, today=TODAY)
        with pytest.raises(NotFound):
            feed.feed(s, token=old, today=TODAY)


def test_feed_closes_when_its_owner_is_deactivated(ctx):
    with session_scope(ctx["engine"]) as s:
        token = feed.make_feed(s, actor=ctx["head"], plan_id=None, unit_id=None)
    with session_scope(ctx["engine"]) as s:
        user_service.set_active(s, actor=ctx["admin"], user_id=ctx["head"].user_id, active=False)
    with session_scope(ctx["engine"]) as s, pytest.raises(NotFound):
        feed.feed(s, token=token, today=TODAY)


def test_unknown_token_is_refused(ctx):
    with session_scope(ctx["engine"]) as s, pytest.raises(NotFound):
        feed.feed(s, token="khong-co", today=TODAY)


def test_ics_serve_answers_a_live_token_and_refuses_a_revoked_one_without_logging_it(ctx, capsys):
    import threading
    import urllib.error
    import urllib.request

    from tracker.ics_server import make_server

    with session_scope(ctx["engine"]) as s:
        token = feed.make_feed(s, actor=ctx["head"], plan_id=None, unit_id=None)
    server = make_server(ctx["engine"], "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/lich/{token}.ics"
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.headers["Content-Type"].startswith("text/calendar")
            assert len(icalendar.Calendar.from_ical(answer.read()).walk("VEVENT")) == 4
        with session_scope(ctx["engine"]) as s:
            feed.revoke(s, actor=ctx["head"])
        for address in (url, f"http://127.0.0.1:{server.server_port}/khac"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(address, timeout=10)
            assert refused.value.code == 404
    finally:
        server.shutdown()
        server.server_close()
    assert token not in capsys.readouterr().out


def test_ics_file_names_are_ascii():
    assert feed.file_name("184/QĐ-BNV", "Vụ Tổ chức - Biên chế") == "lich-184-qd-bnv-vu-to-chuc-bien-che.ics"
    assert feed.file_name(None, None) == "lich-tat-ca.ics"
