"""Saved views: who sees a view (private, the unit's, everyone's), who may share with everyone, who deletes."""

import pytest

from tests.factories import make_user
from tracker.db import session_scope
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import Role, ViewVisibility
from tracker.permissions import Actor
from tracker.services import saved_views as svc


@pytest.fixture
def people(engine):
    with session_scope(engine) as s:
        return dict(
            engine=engine,
            office=Actor.of(make_user(s, "van.phong", Role.ADMIN)),
            head=Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC")),
            colleague=Actor.of(make_user(s, "pho.tcbc", Role.VIEWER, "VU-TCBC")),
            other_unit=Actor.of(make_user(s, "truong.tl", Role.UNIT_HEAD, "VU-TL")),
            leader=Actor.of(make_user(s, "lanh.dao", Role.LEADER)),
        )


def _save(people, who, name, visibility, page="board", params=None):
    with session_scope(people["engine"]) as s:
        return svc.save_view(s, actor=people[who], page=page, name=name, params=params or {"plan": "1"},
                             visibility=visibility)


def _names(people, who, page="board"):
    with session_scope(people["engine"]) as s:
        return [v.name for v in svc.list_views(s, actor=people[who], page=page)]


def test_private_view_is_its_owners_alone(people):
    _save(people, "head", "Việc quá hạn của Vụ", ViewVisibility.PRIVATE)
    assert _names(people, "head") == ["Việc quá hạn của Vụ"]
    for other in ("colleague", "other_unit", "leader", "office"):
        assert _names(people, other) == []


def test_unit_view_is_seen_by_the_unit_only(people):
    _save(people, "head", "Tuần này", ViewVisibility.UNIT)
    assert _names(people, "colleague") == ["Tuần này"]
    assert _names(people, "other_unit") == [] and _names(people, "leader") == []


@pytest.mark.parametrize("who", ["head", "colleague", "leader", "other_unit"])
def test_only_the_office_shares_with_everyone(people, who):
    with pytest.raises(PermissionDenied, match="Chỉ Văn phòng"):
        _save(people, who, "Cho mọi người", ViewVisibility.EVERYONE)


def test_the_offices_view_for_everyone_is_seen_by_all_on_that_page_only(people):
    _save(people, "office", "Thứ Hai hằng tuần", ViewVisibility.EVERYONE, params={"plan": "2", "rag": "red"})
    for who in ("head", "colleague", "other_unit", "leader"):
        assert _names(people, who) == ["Thứ Hai hằng tuần"]
        assert _names(people, who, page="calendar") == []
    with session_scope(people["engine"]) as s:
        (view,) = svc.list_views(s, actor=people["leader"], page="board")
    assert view.params == {"plan": "2", "rag": "red"} and not view.mine


def test_a_unit_view_needs_a_unit(people):
    with pytest.raises(PermissionDenied):
        _save(people, "leader", "Của đơn vị", ViewVisibility.UNIT)


def test_names_are_required_and_unique_per_owner_and_page(people):
    with pytest.raises(ValidationFailed):
        _save(people, "head", "   ", ViewVisibility.PRIVATE)
    _save(people, "head", "Tháng 6", ViewVisibility.PRIVATE)
    with pytest.raises(ValidationFailed, match="Tháng 6"):
        _save(people, "head", " Tháng  6 ", ViewVisibility.PRIVATE)
    _save(people, "head", "Tháng 6", ViewVisibility.PRIVATE, page="calendar")
    _save(people, "colleague", "Tháng 6", ViewVisibility.PRIVATE)


def test_an_unknown_page_is_refused_and_params_are_bounded(people):
    with pytest.raises(ValidationFailed):
        _save(people, "head", "X", ViewVisibility.PRIVATE, page="users")
    params = {f"k{i}": "v" * 500 for i in range(50)}
    view = _save(people, "head", "Dài", ViewVisibility.PRIVATE, params=params)
    assert len(view.params) == svc.MAX_PARAMS and all(len(v) == svc.PARAM_MAX for v in view.params.values())


def test_the_owner_or_the_office_deletes(people):
    view = _save(people, "head", "Của đơn vị", ViewVisibility.UNIT)
    with session_scope(people["engine"]) as s, pytest.raises(PermissionDenied):
        svc.delete_view(s, actor=people["colleague"], view_id=view.id)
    with session_scope(people["engine"]) as s:
        svc.delete_view(s, actor=people["office"], view_id=view.id)
    assert _names(people, "head") == []


def test_the_owner_or_the_office_renames_and_the_name_stays_unique(people):
    view = _save(people, "head", "Tuần này", ViewVisibility.UNIT, params={"plan": "3"})
    _save(people, "head", "Tháng này", ViewVisibility.PRIVATE)
    with session_scope(people["engine"]) as s, pytest.raises(PermissionDenied, match="đổi tên"):
        svc.rename_view(s, actor=people["colleague"], view_id=view.id, name="Của tôi")
    for taken in ("  Tháng   này ", "   "):
        with session_scope(people["engine"]) as s, pytest.raises(ValidationFailed):
            svc.rename_view(s, actor=people["head"], view_id=view.id, name=taken)
    with session_scope(people["engine"]) as s:
        renamed = svc.rename_view(s, actor=people["head"], view_id=view.id, name=" Tuần  này ")  # its own name
        assert renamed.name == "Tuần này"
        svc.rename_view(s, actor=people["office"], view_id=view.id, name="Việc tuần này của Vụ")
    assert _names(people, "colleague") == ["Việc tuần này của Vụ"]
    with session_scope(people["engine"]) as s:
        (shared,) = svc.list_views(s, actor=people["colleague"], page="board")
    assert shared.params == {"plan": "3"} and shared.visibility is ViewVisibility.UNIT
