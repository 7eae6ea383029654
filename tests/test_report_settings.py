"""Who issues, signs and receives the official report: the office's settings, checked, audited, used."""

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import AuditEvent, Role
from tracker.permissions import Actor
from tracker.services import settings
from tracker.services.settings import Office


def test_defaults_until_the_office_changes_them(session):
    o = settings.office(session)
    assert (o.issuer, o.symbol, o.place, o.authority, o.authority_of, o.signer_title) == (
        "BỘ NỘI VỤ", "BC-BNV", "Hà Nội", "KT.", "BỘ TRƯỞNG", "THỨ TRƯỞNG")


def test_only_the_office_changes_them_and_each_change_is_audited(session):
    office = Actor.of(make_user(session, "van.phong", Role.ADMIN))
    leader = Actor.of(make_user(session, "lanh.dao", Role.LEADER))
    wanted = Office(authority="TL.", authority_of="bộ trưởng", signer_title="chánh văn phòng",
                    signer_name="Nguyễn  Văn A", recipients=("- Bộ trưởng (để báo cáo);", "  ", "Văn phòng Chính phủ"))
    with pytest.raises(PermissionDenied):
        settings.set_office(session, actor=leader, office_settings=wanted)
    saved = settings.set_office(session, actor=office, office_settings=wanted)
    assert settings.office(session) == saved
    assert (saved.authority_of, saved.signer_title, saved.signer_name) == ("BỘ TRƯỞNG", "CHÁNH VĂN PHÒNG", "Nguyễn Văn A")
    assert saved.recipients == ("Bộ trưởng (để báo cáo)", "Văn phòng Chính phủ")
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.office")).one()
    assert audit.actor_id == office.user_id and audit.details["authority"] == ["KT.", "TL."]
    assert audit.details["signer_title"] == ["THỨ TRƯỞNG", "CHÁNH VĂN PHÒNG"]


@pytest.mark.parametrize("change, message", [
    ({"authority": "KÝ THAY"}, "Quyền hạn ký"),
    ({"symbol": " "}, "Ký hiệu văn bản"),
    ({"signer_title": ""}, "Chức vụ người ký"),
    ({"authority": "KT.", "authority_of": ""}, "chức vụ của người đứng đầu"),
    ({"place": "x" * 201}, "quá dài"),
])
def test_bad_settings_are_refused(session, change, message):
    office = Actor.of(make_user(session, "van.phong", Role.ADMIN))
    with pytest.raises(ValidationFailed, match=message):
        settings.set_office(session, actor=office, office_settings=Office(**change))
