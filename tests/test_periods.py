"""Reporting periods of Nghị định 09/2019/NĐ-CP: presets with their cut-off, under both rules, and the office's
choice of rule (audited, office only)."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tracker import periods
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import AuditEvent, Role
from tracker.periods import Kind, Rule, period
from tracker.permissions import Actor
from tracker.services import settings

D = dt.date


@pytest.mark.parametrize("kind, number, start, end", [
    (Kind.MONTH, 1, D(2023, 12, 15), D(2024, 1, 14)),   # crosses the year
    (Kind.MONTH, 3, D(2024, 2, 15), D(2024, 3, 14)),    # February of a leap year inside
    (Kind.QUARTER, 1, D(2023, 12, 15), D(2024, 3, 14)),
    (Kind.QUARTER, 2, D(2024, 3, 15), D(2024, 6, 14)),
    (Kind.QUARTER, 4, D(2024, 9, 15), D(2024, 12, 14)),
    (Kind.HALF_YEAR, 0, D(2023, 12, 15), D(2024, 6, 14)),
    (Kind.NINE_MONTHS, 0, D(2023, 12, 15), D(2024, 9, 14)),
    (Kind.YEAR, 0, D(2023, 12, 15), D(2024, 12, 14)),
])
def test_the_decree_cuts_off_on_the_14th(kind, number, start, end):
    p = period(kind, 2024, number, rule=Rule.ND09)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("kind, number, year, start, end", [
    (Kind.MONTH, 2, 2024, D(2024, 2, 1), D(2024, 2, 29)),  # 29/02 in a leap year
    (Kind.MONTH, 2, 2023, D(2023, 2, 1), D(2023, 2, 28)),
    (Kind.QUARTER, 3, 2024, D(2024, 7, 1), D(2024, 9, 30)),
    (Kind.HALF_YEAR, 0, 2024, D(2024, 1, 1), D(2024, 6, 30)),
    (Kind.NINE_MONTHS, 0, 2024, D(2024, 1, 1), D(2024, 9, 30)),
    (Kind.YEAR, 0, 2024, D(2024, 1, 1), D(2024, 12, 31)),
])
def test_calendar_periods(kind, number, year, start, end):
    p = period(kind, year, number, rule=Rule.CALENDAR)
    assert (p.start, p.end) == (start, end)


def test_presets_names_codes_and_deadlines():
    ps = periods.presets(2024)
    assert len(ps) == 19 and [p.code for p in ps][12:] == ["quarter-1", "quarter-2", "quarter-3", "quarter-4",
                                                            "6m", "9m", "year"]
    half = periods.from_code("6m", 2024)
    assert half.name == "Báo cáo 6 tháng năm 2024" and half.deadline(5) == D(2024, 6, 19)
    assert periods.from_code("quarter-2", 2024).name == "Báo cáo quý II năm 2024"
    assert half.label == "Báo cáo 6 tháng năm 2024 (15/12/2023 – 14/06/2024)"
    for bad in ("quarter-5", "month-0", "week", ""):
        with pytest.raises(ValueError, match="Không hiểu kỳ"):
            periods.from_code(bad, 2024)


def test_the_office_chooses_the_rule_once_and_it_is_audited(session):
    assert settings.reporting(session) == settings.Reporting(Rule.ND09, 5)
    office = Actor.of(make_user(session, "van.phong", Role.ADMIN))
    leader = Actor.of(make_user(session, "lanh.dao", Role.LEADER))
    with pytest.raises(PermissionDenied):
        settings.set_reporting(session, actor=leader, rule=Rule.CALENDAR, send_within_days=3)
    with pytest.raises(ValidationFailed):
        settings.set_reporting(session, actor=office, rule="weekly", send_within_days=3)
    with pytest.raises(ValidationFailed):
        settings.set_reporting(session, actor=office, rule=Rule.CALENDAR, send_within_days=90)
    settings.set_reporting(session, actor=office, rule=Rule.CALENDAR, send_within_days=3)
    chosen = settings.reporting(session)
    assert chosen == settings.Reporting(Rule.CALENDAR, 3)
    assert (chosen.period(Kind.HALF_YEAR, 2024).end, chosen.period(Kind.HALF_YEAR, 2024).deadline(3)) == (
        D(2024, 6, 30), D(2024, 7, 3))
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.reporting")).one()
    assert audit.details == {"rule": ["nd09", "calendar"], "send_within_days": [5, 3]}
