"""Finding plans and units the way people type them."""

import pytest

from tracker.errors import NotFound
from tracker.services.plans import find_plan, list_plans
from tracker.services.units import find_unit


@pytest.mark.parametrize("ref", ["184/QĐ-BNV", "184/qđ-bnv", "184/QD-BNV", " 184/QĐ-BNV ", "2024"])
def test_find_plan(session, ref):
    assert find_plan(session, ref).code == "184/QĐ-BNV"


def test_find_plan_unknown(session):
    with pytest.raises(NotFound, match="Không tìm thấy kế hoạch"):
        find_plan(session, "2030")


@pytest.mark.parametrize("ref", ["SNV-HA-NOI", "snv-ha-noi", "Sở Nội vụ thành phố Hà Nội", "Hà Nội", "ha noi"])
def test_find_unit_by_code_name_or_alias(session, ref):
    assert find_unit(session, ref).code == "SNV-HA-NOI"


def test_find_unit_unknown(session):
    with pytest.raises(NotFound, match="Không tìm thấy đơn vị “Atlantis”"):
        find_unit(session, "Atlantis")


def test_list_plans_newest_first(session):
    plans = list_plans(session)
    assert [p.year for p in plans] == sorted((p.year for p in plans), reverse=True)
    assert plans[0].code == "184/QĐ-BNV" and plans[0].missing_count == 1
