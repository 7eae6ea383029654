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


def test_the_list_of_items_searches_by_number_or_words_without_accents(session):
    import datetime as dt

    from tests.factories import make_user
    from tests.item_factories import make_item
    from tracker.models import Role
    from tracker.permissions import Actor
    from tracker.services.work_item_lists import ItemFilter, count_items, list_items

    actor = Actor.of(make_user(session, "lanh.dao.tim", Role.LEADER))
    wage = make_item(session, title="Chuyên mục cải cách tiền lương", due=dt.date(2024, 7, 15))
    make_item(session, title="Tọa đàm về tiền lương và bảo hiểm", due=dt.date(2024, 8, 1))
    make_item(session, title="Thông cáo báo chí", due=dt.date(2024, 9, 1))

    def titles(text):
        rows = list_items(session, actor=actor, filters=ItemFilter(text=text))
        assert count_items(session, actor=actor, filters=ItemFilter(text=text)) == len(rows)
        return sorted(r.title for r in rows)

    assert titles("tien luong") == ["Chuyên mục cải cách tiền lương", "Tọa đàm về tiền lương và bảo hiểm"]
    assert titles("LƯƠNG  cải") == ["Chuyên mục cải cách tiền lương"]  # every word, in any order
    assert titles(str(wage.id)) == ["Chuyên mục cải cách tiền lương"]
    assert titles("hội nghị") == []
    assert len(titles("")) == 3
