"""Every action × role × own/other unit, at the service layer and in the one rule table."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.item_factories import make_item as _make_item
from tracker.errors import PermissionDenied
from tracker.models import EvidenceFile, ItemAssignment, Role, Status
from tracker.permissions import Action, Actor, can, require
from tracker.services import evidence
from tracker.services.assignments import assign_staff
from tracker.services.contributions import add_contribution
from tracker.services.moves import move_item
from tracker.services.comments import add_comment, set_following
from tracker.services.evidence import Upload
from tracker.services.explanations import answer_explanation, request_explanation
from tracker.services.progress import ProgressInput, update_progress
from tracker.services.rounds import close_round, open_round, round_status, submit_report
from tracker.services.units import find_unit
from tracker.services.users import add_user, create_user

TODAY = dt.date(2024, 8, 1)
OWN, OTHER, COORDINATING = "VU-TCBC", "SNV-HA-NOI", "VU-PC"

# who: (role, unit) ; None = not signed in
WHO = {
    "anonymous": None,
    "viewer": (Role.VIEWER, None),
    "leader": (Role.LEADER, None),
    "head_own_unit": (Role.UNIT_HEAD, OWN),
    "head_other_unit": (Role.UNIT_HEAD, OTHER),
    "head_coordinating_unit": (Role.UNIT_HEAD, COORDINATING),  # đơn vị phối hợp of every item made here
    "admin": (Role.ADMIN, None),
    # Staff (chuyên viên): of the lead unit, of the coordinating unit, of another unit; every item made here
    # is assigned to the "assigned" ones (a row written directly for the last two, as if they had been moved
    # from the lead unit after the assignment).
    "staff_own_assigned": (Role.STAFF, OWN),
    "staff_own_unassigned": (Role.STAFF, OWN),
    "staff_coordinating_assigned": (Role.STAFF, COORDINATING),
    "staff_coordinating_unassigned": (Role.STAFF, COORDINATING),
    "staff_other_assigned": (Role.STAFF, OTHER),
    "staff_other_unassigned": (Role.STAFF, OTHER),
}
STAFF = {w for w in WHO if w.startswith("staff_")}
ALLOWED = {
    "report_progress": {"head_own_unit", "staff_own_assigned", "admin"},
    "move_to_in_progress": {"head_own_unit", "staff_own_assigned", "admin"},
    "send_for_confirmation": {"head_own_unit", "staff_own_assigned", "admin"},
    "confirm_done": {"admin"},
    "request_explanation": {"leader", "admin"},
    "answer_explanation": {"head_own_unit"},
    "open_round": {"admin"},
    "close_round": {"admin"},
    "submit_round_report": {"head_own_unit"},  # the round lists the own unit only
    "view_round_status": {"leader", "admin"},
    "manage_accounts": {"admin"},
    "read_evidence_file": {"viewer", "leader", "head_own_unit", "head_other_unit", "head_coordinating_unit",
                           "admin"} | STAFF,
    "comment": {"leader", "head_own_unit", "head_coordinating_unit", "admin", "staff_own_assigned",
                "staff_own_unassigned", "staff_coordinating_assigned", "staff_coordinating_unassigned"},
    "follow_item": {"viewer", "leader", "head_own_unit", "head_other_unit", "head_coordinating_unit", "admin"} | STAFF,
    "assign_staff": {"head_own_unit", "admin"},
    "add_contribution": {"head_coordinating_unit", "staff_coordinating_assigned", "staff_coordinating_unassigned"},
    "move_on_the_board": {"head_own_unit", "staff_own_assigned", "admin"},
}


def make_item(session, **kw):
    """An item of the own unit with the coordinating unit as its đơn vị phối hợp, assigned to the staff
    member under test when they are an "assigned" one."""
    item = _make_item(session, **kw)
    item.coordinating_units = [find_unit(session, COORDINATING)]
    if (assignee := session.info.get("assignee")) is not None:
        session.add(ItemAssignment(work_item_id=item.id, user_id=assignee))
    session.flush()
    return item


def _actor(session, who):
    spec = WHO[who]
    if spec is None:
        return None
    role, unit = spec
    user = create_user(session, username=f"u.{who.replace('_', '.')}", password="mat-khau-dai", role=role,
                       unit_code=unit)
    if who.endswith("_assigned"):
        session.info["assignee"] = user.id
    return Actor.of(user)


def _do(session, action, actor):
    if action == "report_progress":
        item = make_item(session, unit_code=OWN, status=Status.IN_PROGRESS)
        update_progress(session, actor=actor, item_id=item.id, expected_version=item.version,
                        change=ProgressInput(progress=50, note="Đã đăng 6/12 bài."), today=TODAY)
    elif action == "move_to_in_progress":
        item = make_item(session, unit_code=OWN, status=Status.NOT_STARTED, progress=0)
        update_progress(session, actor=actor, item_id=item.id, expected_version=item.version,
                        change=ProgressInput(status=Status.IN_PROGRESS), today=TODAY)
    elif action == "send_for_confirmation":
        item = make_item(session, unit_code=OWN)
        update_progress(session, actor=actor, item_id=item.id, expected_version=item.version,
                        change=ProgressInput(status=Status.AWAITING_CONFIRMATION, progress=100,
                                             evidence_urls=("https://moha.gov.vn/tin-tuc/1",)), today=TODAY)
    elif action == "confirm_done":
        item = make_item(session, unit_code=OWN, status=Status.AWAITING_CONFIRMATION, progress=100)
        update_progress(session, actor=actor, item_id=item.id, expected_version=item.version,
                        change=ProgressInput(status=Status.DONE,
                                             evidence_urls=("https://moha.gov.vn/tin-tuc/2",)), today=TODAY)
    elif action == "request_explanation":
        item = make_item(session, unit_code=OWN, due=dt.date(2024, 6, 30))
        request_explanation(session, actor=actor, item_id=item.id, question="Vì sao chậm?", today=TODAY)
    elif action == "answer_explanation":
        item = make_item(session, unit_code=OWN, due=dt.date(2024, 6, 30))
        leader = Actor.of(create_user(session, username="lanh.dao.hoi", password="mat-khau-dai", role=Role.LEADER))
        request = request_explanation(session, actor=leader, item_id=item.id, question="Vì sao chậm?", today=TODAY)
        answer_explanation(session, actor=actor, request_id=request.id, answer="Chờ kinh phí.")
    elif action in ("open_round", "close_round", "submit_round_report", "view_round_status"):
        office = Actor.of(create_user(session, username="van.phong.mo", password="mat-khau-dai", role=Role.ADMIN))
        opener = actor if action == "open_round" else office
        round_ = open_round(session, actor=opener, name="Báo cáo 6 tháng 2024", period_start=dt.date(2024, 1, 1),
                            period_end=dt.date(2024, 6, 30), deadline=dt.date(2024, 6, 15),
                            unit_ids=[find_unit(session, OWN).id])
        if action == "close_round":
            close_round(session, actor=actor, round_id=round_.id)
        elif action == "submit_round_report":
            submit_report(session, actor=actor, round_id=round_.id, summary="Đã hoàn thành 8/12 bài.")
        elif action == "view_round_status":
            round_status(session, actor=actor, round_id=round_.id, today=TODAY)
    elif action == "manage_accounts":
        add_user(session, actor=actor, username="moi.tao", password="mat-khau-dai", role=Role.VIEWER)
    elif action == "read_evidence_file":
        head = Actor.of(create_user(session, username="truong.nop", password="mat-khau-dai",
                                    role=Role.UNIT_HEAD, unit_code=OWN))
        item = make_item(session, unit_code=OWN)
        update_progress(session, actor=head, item_id=item.id, expected_version=item.version,
                        change=ProgressInput(progress=60), today=TODAY,
                        files=[Upload("bao-cao.pdf", "%PDF-1.4 minh chứng".encode())])
        record = session.scalars(select(EvidenceFile).where(EvidenceFile.work_item_id == item.id)).one()
        evidence.load_file(session, actor=actor, file_id=record.id)
    elif action == "comment":
        add_comment(session, actor=actor, item_id=make_item(session, unit_code=OWN).id, body="Góp ý bản thảo.")
    elif action == "follow_item":
        set_following(session, actor=actor, item_id=make_item(session, unit_code=OWN).id, following=True)
    elif action == "assign_staff":
        staff = create_user(session, username="cv.duoc.giao", password="mat-khau-dai", role=Role.STAFF,
                            unit_code=OWN)
        assign_staff(session, actor=actor, item_id=make_item(session, unit_code=OWN).id, user_ids=[staff.id])
    elif action == "add_contribution":
        add_contribution(session, actor=actor, item_id=make_item(session, unit_code=OWN).id,
                         evidence_urls=("https://moha.gov.vn/tin-tuc/phoi-hop",),
                         files=[Upload("phoi-hop.pdf", "%PDF-1.4 phần phối hợp".encode())])
    elif action == "move_on_the_board":
        item = make_item(session, unit_code=OWN, status=Status.NOT_STARTED, progress=0)
        move_item(session, actor=actor, item_id=item.id, to_status=Status.IN_PROGRESS,
                  expected_version=item.version, today=TODAY)


@pytest.mark.parametrize("who", list(WHO))
@pytest.mark.parametrize("action", list(ALLOWED))
def test_action_by_role_and_unit(session, action, who, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    actor = _actor(session, who)
    if who in ALLOWED[action]:
        _do(session, action, actor)
    else:
        with pytest.raises(PermissionDenied) as err:
            _do(session, action, actor)
        assert str(err.value)  # a Vietnamese reason, never empty


def test_unit_head_cannot_confirm_even_own_work(session):
    actor = _actor(session, "head_own_unit")
    item = make_item(session, unit_code=OWN, status=Status.AWAITING_CONFIRMATION, progress=100)
    with pytest.raises(PermissionDenied, match="Chỉ Văn phòng"):
        update_progress(session, actor=actor, item_id=item.id, expected_version=item.version,
                        change=ProgressInput(status=Status.DONE), today=TODAY)


@pytest.mark.parametrize("action", list(Action))
def test_anonymous_can_do_nothing(action):
    assert not can(None, action)
    with pytest.raises(PermissionDenied, match="đăng nhập"):
        require(None, action)


@pytest.mark.parametrize("action", [Action.MANAGE_USERS, Action.MANAGE_ROUNDS, Action.EDIT_CATALOG,
                                    Action.MANAGE_ITEMS, Action.CONFIRM_ITEM])
@pytest.mark.parametrize("role", list(Role))
def test_admin_only_actions(action, role):
    actor = Actor(user_id=1, username="x", role=role, unit_id=5 if role in (Role.UNIT_HEAD, Role.STAFF) else None)
    assert can(actor, action) is (role is Role.ADMIN)


def test_round_submission_needs_own_unit_in_the_round():
    head = Actor(user_id=1, username="x", role=Role.UNIT_HEAD, unit_id=5)
    assert can(head, Action.SUBMIT_ROUND_REPORT, ((5, 6), 5))
    assert not can(head, Action.SUBMIT_ROUND_REPORT, ((6,), 5))
    assert not can(head, Action.SUBMIT_ROUND_REPORT, ((5, 6), 6))
    admin = Actor(user_id=2, username="y", role=Role.ADMIN)
    assert not can(admin, Action.SUBMIT_ROUND_REPORT, ((5,), 5))


def test_unit_lookup_used_by_heads_exists(session):
    assert find_unit(session, OWN).id != find_unit(session, OTHER).id
