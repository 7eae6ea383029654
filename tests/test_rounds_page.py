"""The Kỳ báo cáo page through AppTest: the office opens and closes, leaders read, unit heads submit."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, sign_in
from tracker.db import session_scope
from tracker.models import ReportingRound, Role, RoundReport, Unit
from tracker.permissions import Actor
from tracker.services import rounds

TIMEOUT = 30
ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PAGE = ROOT / "pages" / "rounds.py"


@pytest.fixture
def accounts(db_env, engine):
    with session_scope(engine) as s:
        users = {
            "admin": make_user(s, "van.phong", Role.ADMIN),
            "leader": make_user(s, "lanh.dao", Role.LEADER),
            "tcbc": make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"),
            "hanoi": make_user(s, "snv.hanoi", Role.UNIT_HEAD, "SNV-HA-NOI"),
            "viewer": make_user(s, "nguoi.xem", Role.VIEWER),
        }
    return users


def open_round(engine, accounts, name="Báo cáo 6 tháng 2024", codes=("VU-TCBC", "VU-PC", "SNV-HA-NOI"),
               deadline=dt.date(2024, 6, 15), submit_as=("tcbc",)):
    with session_scope(engine) as s:
        ids = [s.scalars(select(Unit.id).where(Unit.code == c)).one() for c in codes]
        r = rounds.open_round(s, actor=Actor.of(accounts["admin"]), name=name, period_start=dt.date(2024, 1, 1),
                              period_end=dt.date(2024, 6, 30), deadline=deadline, unit_ids=ids)
        for who in submit_as:
            rounds.submit_report(s, actor=Actor.of(accounts[who]), round_id=r.id, summary=f"Báo cáo của {who}")
        return r.id


def page_as(user, monkeypatch, today="2024-06-20") -> AppTest:
    monkeypatch.setenv("TRACKER_TODAY", today)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    sign_in(at, user)
    at.run()
    at.switch_page("pages/rounds.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Kỳ báo cáo"
    return at


def texts(elements):
    return [e.value for e in elements]


def test_a_preset_fills_the_decree_period_its_cut_off_and_deadline(accounts, engine, monkeypatch):
    at = page_as(accounts["admin"], monkeypatch, today="2025-06-20")
    at.selectbox(key="rounds_preset").set_value("2025:6m").run()
    assert not at.exception
    assert at.text_input(key="rounds_name").value == "Báo cáo 6 tháng năm 2025"
    assert (at.date_input(key="rounds_period_start").value, at.date_input(key="rounds_period_end").value,
            at.date_input(key="rounds_deadline").value) == (dt.date(2024, 12, 15), dt.date(2025, 6, 14),
                                                            dt.date(2025, 6, 19))
    at.radio(key="rounds_scope").set_value("Tất cả Sở Nội vụ")
    at.button(key="rounds_open").click().run()
    with session_scope(engine) as s:
        r = s.scalars(select(ReportingRound)).one()
        assert (r.period_start, r.period_end, r.deadline) == (dt.date(2024, 12, 15), dt.date(2025, 6, 14),
                                                              dt.date(2025, 6, 19))


def test_admin_opens_a_round_for_all_provincial_departments(accounts, engine, monkeypatch):
    at = page_as(accounts["admin"], monkeypatch, today="2025-06-01")
    at.text_input(key="rounds_name").input("Báo cáo 6 tháng 2025")
    at.radio(key="rounds_scope").set_value("Tất cả Sở Nội vụ")
    at.date_input(key="rounds_period_start").set_value(dt.date(2025, 1, 1))
    at.date_input(key="rounds_period_end").set_value(dt.date(2025, 6, 30))
    at.date_input(key="rounds_deadline").set_value(dt.date(2025, 7, 15))
    at.button(key="rounds_open").click().run()
    assert not at.exception and texts(at.error) == []
    assert texts(at.success) == ["Đã mở kỳ báo cáo “Báo cáo 6 tháng 2025”."]
    with session_scope(engine) as s:
        r = s.scalars(select(ReportingRound)).one()
        assert (r.name, r.deadline, len(r.units)) == ("Báo cáo 6 tháng 2025", dt.date(2025, 7, 15), 34)
    assert [m.label for m in at.metric] == ["Đã nộp", "Nộp muộn", "Chưa nộp", "Chưa đến hạn"]
    assert texts(at.metric) == ["0", "0", "0", "34"]
    assert "hạn nộp **15/07/2025**" in "\n".join(texts(at.markdown))


def test_admin_picks_units_and_sees_every_problem(accounts, engine, monkeypatch):
    at = page_as(accounts["admin"], monkeypatch)
    at.date_input(key="rounds_period_end").set_value(dt.date(2023, 12, 1))
    at.button(key="rounds_open").click().run()
    assert texts(at.error) == ["Vui lòng nhập tên kỳ báo cáo.", "Ngày kết thúc kỳ phải sau hoặc bằng ngày bắt đầu.",
                               "Vui lòng chọn ít nhất một đơn vị."]
    at.text_input(key="rounds_name").input("Báo cáo quý II/2024")
    at.date_input(key="rounds_period_end").set_value(dt.date(2024, 6, 30))
    with session_scope(engine) as s:
        ids = s.scalars(select(Unit.id).where(Unit.code.in_(["VU-TCBC", "VU-PC"]))).all()
    at.multiselect(key="rounds_units").set_value(ids)
    at.button(key="rounds_open").click().run()
    assert texts(at.error) == []
    with session_scope(engine) as s:
        assert sorted(u.code for u in s.scalars(select(ReportingRound)).one().units) == ["VU-PC", "VU-TCBC"]


def test_admin_sees_status_counts_and_closes_after_confirming(accounts, engine, monkeypatch):
    round_id = open_round(engine, accounts, name="Kỳ **đậm** <b>thử</b>")
    at = page_as(accounts["admin"], monkeypatch, today="2024-06-20")
    # Submissions are stamped now (after 15/06/2024): late. The two other units have missed the deadline.
    assert texts(at.metric) == ["0", "1", "2", "0"]
    table = at.dataframe[1].value
    assert list(table["Mã"]) == ["VU-TCBC", "VU-PC", "SNV-HA-NOI"]
    assert list(table["Trạng thái"]) == ["Nộp muộn", "Chưa nộp", "Chưa nộp"]
    assert table["Nội dung"][0] == "Báo cáo của tcbc"
    assert list(table["Lần nộp"]) == ["1", "", ""]  # not "None" for a unit that has not reported
    assert "**Kỳ \\*\\*đậm\\*\\* \\<b\\>thử\\</b\\>**" in "\n".join(texts(at.markdown))

    at.button(key="rounds_close").click().run()
    assert "2 đơn vị chưa nộp" in at.warning[0].value
    with session_scope(engine) as s:
        assert s.get(ReportingRound, round_id).closed_at is None
    at.button(key="rounds_close_confirm").click().run()
    assert not at.exception
    assert texts(at.success) == ["Đã đóng kỳ “Kỳ \\*\\*đậm\\*\\* \\<b\\>thử\\</b\\>”."]
    with session_scope(engine) as s:
        assert s.get(ReportingRound, round_id).closed_at is not None
    assert not [b for b in at.button if b.key == "rounds_close"]


def test_status_filter_shows_who_has_not_reported(accounts, engine, monkeypatch):
    open_round(engine, accounts)
    at = page_as(accounts["leader"], monkeypatch)
    at.button_group(key="rounds_status_filter").set_value(["missing"]).run()
    assert list(at.dataframe[1].value["Đơn vị"]) == ["Vụ Pháp chế", "Sở Nội vụ thành phố Hà Nội"]


def test_leader_reads_without_controls(accounts, engine, monkeypatch):
    open_round(engine, accounts)
    at = page_as(accounts["leader"], monkeypatch, today="2024-06-10")
    assert texts(at.metric) == ["0", "1", "0", "2"]
    keys = {b.key for b in at.button}
    assert "rounds_open" not in keys and "rounds_close" not in keys
    assert not at.expander


def test_unit_head_submits_and_resubmits(accounts, engine, monkeypatch):
    round_id = open_round(engine, accounts, submit_as=(), deadline=dt.date(2030, 6, 15))
    open_round(engine, accounts, name="Kỳ không có Vụ TCBC", codes=("SNV-HA-NOI",), submit_as=())
    at = page_as(accounts["tcbc"], monkeypatch)
    assert "Báo cáo 6 tháng 2024" in "\n".join(texts(at.markdown))
    assert "Kỳ không có Vụ TCBC" not in "\n".join(texts(at.markdown))
    assert not at.metric and not at.dataframe

    at.text_area(key=f"rounds_summary_{round_id}").input("Vụ TCBC đã hoàn thành 8/10 nhiệm vụ.")
    at.button(key=f"rounds_submit_{round_id}").click().run()
    assert texts(at.success) == ["Đã nộp báo cáo kỳ “Báo cáo 6 tháng 2024”."]
    assert at.button(key=f"rounds_submit_{round_id}").label == "Nộp lại báo cáo"
    at.text_area(key=f"rounds_summary_{round_id}").input("Bản sửa: đã hoàn thành 9/10 nhiệm vụ.")
    at.button(key=f"rounds_submit_{round_id}").click().run()
    with session_scope(engine) as s:
        report = s.scalars(select(RoundReport)).one()
        assert (report.summary, report.revision) == ("Bản sửa: đã hoàn thành 9/10 nhiệm vụ.", 2)
        assert report.unit.code == "VU-TCBC"


def test_unit_head_sees_the_refusal_when_the_round_was_closed_meanwhile(accounts, engine, monkeypatch):
    round_id = open_round(engine, accounts, submit_as=(), deadline=dt.date(2030, 6, 15))
    at = page_as(accounts["tcbc"], monkeypatch)
    with session_scope(engine) as s:
        rounds.close_round(s, actor=Actor.of(accounts["admin"]), round_id=round_id)
    at.text_area(key=f"rounds_summary_{round_id}").input("Nộp muộn sau khi đóng")
    at.button(key=f"rounds_submit_{round_id}").click().run()
    assert texts(at.error) == ["Kỳ báo cáo “Báo cáo 6 tháng 2024” đã đóng, không nhận báo cáo nữa."]
    assert texts(at.code) == ["Nộp muộn sau khi đóng"]  # what was typed is not lost
    with session_scope(engine) as s:
        assert s.scalar(select(RoundReport.id)) is None


def test_unit_head_without_open_rounds_is_told_so(accounts, monkeypatch):
    at = page_as(accounts["hanoi"], monkeypatch)
    assert texts(at.info) == ["Đơn vị chưa có kỳ báo cáo nào đang mở."]


@pytest.mark.parametrize("who", ["viewer", None])
def test_page_refuses_viewers_and_anonymous(accounts, monkeypatch, who):
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT)
    if who:
        sign_in(at, accounts[who])
    at.run()
    assert not at.exception
    assert texts(at.error) == ["Bạn không có quyền truy cập trang này."]
    assert not at.title


def test_a_round_on_last_year_offers_the_units_of_that_period(accounts, engine, monkeypatch):
    """In March 2025 the office opens a round on 2024: Vụ Tiền lương (ended 28/02/2025) is offered, Cục Tiền lương
    và Bảo hiểm xã hội (from 01/03/2025) is not."""
    at = page_as(accounts["admin"], monkeypatch, today="2025-03-10")
    at.selectbox(key="rounds_preset").set_value("2024:year").run()
    assert not at.exception, at.exception
    offered = at.multiselect(key="rounds_units").options
    assert "Vụ Tiền lương (đến 28/02/2025)" in offered
    assert not any(o.startswith("Cục Tiền lương và Bảo hiểm xã hội") for o in offered)
    with session_scope(engine) as s:
        vu_tl = s.scalars(select(Unit.id).where(Unit.code == "VU-TL")).one()
    at.radio(key="rounds_scope").set_value("Chọn đơn vị")
    at.multiselect(key="rounds_units").set_value([vu_tl])
    at.button(key="rounds_open").click().run()
    assert texts(at.error) == []
    with session_scope(engine) as s:
        assert [u.code for u in s.scalars(select(ReportingRound)).one().units] == ["VU-TL"]


def test_the_search_box_narrows_the_rounds_by_words_without_accents(accounts, engine, monkeypatch):
    open_round(engine, accounts)
    open_round(engine, accounts, name="Báo cáo quý III năm 2024", deadline=dt.date(2024, 10, 5))
    at = page_as(accounts["leader"], monkeypatch)
    assert list(at.dataframe[0].value["Kỳ báo cáo"]) == ["Báo cáo quý III năm 2024", "Báo cáo 6 tháng 2024"]
    at.text_input(key="rounds_search").input("bao cao 6 THANG").run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["Kỳ báo cáo"]) == ["Báo cáo 6 tháng 2024"]
    assert at.selectbox(key="rounds_selected").options == ["Báo cáo 6 tháng 2024 (hạn 15/06/2024)"]
    assert at.query_params["q"] == "bao cao 6 THANG"  # the search is a link
    at.text_input(key="rounds_search").input("quy IV").run()
    assert texts(at.info) == ["Không có kỳ báo cáo nào khớp “quy IV”."]


def test_a_unit_head_searches_only_the_rounds_of_their_unit(accounts, engine, monkeypatch):
    open_round(engine, accounts, submit_as=(), deadline=dt.date(2030, 6, 15))
    open_round(engine, accounts, name="Báo cáo 6 tháng của Sở", codes=("SNV-HA-NOI",), submit_as=(),
               deadline=dt.date(2030, 6, 15))
    at = page_as(accounts["tcbc"], monkeypatch)
    at.text_input(key="rounds_search").input("bao cao 6 thang").run()
    assert not at.exception, at.exception
    shown = "\n".join(texts(at.markdown))
    assert "Báo cáo 6 tháng 2024" in shown and "Báo cáo 6 tháng của Sở" not in shown
    at.text_input(key="rounds_search").input("cua so").run()
    assert texts(at.info) == ["Không có kỳ báo cáo đang mở nào khớp “cua so”."]
