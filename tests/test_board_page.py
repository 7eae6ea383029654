"""Bảng Kanban through AppTest (the component itself is an unknown element there) and its move handler."""

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.factories import make_user, sign_in
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.models import Role, Status, WorkItem
from tracker.permissions import Actor
from tracker.ui.board import MoveRequest, apply_move, event_nonce

TIMEOUT = 30
APP = Path(__file__).resolve().parent.parent / "app.py"
TODAY = dt.date(2024, 8, 1)


@pytest.fixture
def people(db_env, engine, monkeypatch):
    monkeypatch.setenv("TRACKER_TODAY", TODAY.isoformat())
    with session_scope(engine) as s:
        users = {"admin": make_user(s, "van.phong", Role.ADMIN), "leader": make_user(s, "lanh.dao", Role.LEADER),
                 "tcbc": make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC")}
        own = make_item(s, unit_code="VU-TCBC", title="Chuyên mục cải cách tiền lương", status=Status.NOT_STARTED)
        other = make_item(s, unit_code="SNV-HA-NOI", title="Tọa đàm của Sở Nội vụ Hà Nội", due=dt.date(2024, 7, 1))
        ids = {"own": own.id, "other": other.id}
    return users, ids


def _open(user, query=None, state=None):
    """The board as `user`, with `query` in the address and `state` (e.g. a dialog to open) set first."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    sign_in(at, user)
    at.run()
    at.switch_page("pages/board.py")
    # in the app a page switch clears the query (st.switch_page, the sidebar); AppTest keeps that of the page
    # signed in to (Tổng quan, with its plan, for a leader)
    at.query_params.clear()
    if query:
        at.query_params.update(query)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_board_page_opens_with_filters_from_the_url(people):
    users, _ = people
    at = _open(users["admin"], {"rag": "red", "lanes": "unit", "q": "tọa đàm", "due": "banana"})
    assert at.title[0].value == "Bảng Kanban"
    assert at.selectbox(key="board_filter_rag").value.value == "red"
    assert at.text_input(key="board_filter_q").value == "tọa đàm"
    assert at.selectbox(key="board_filter_due").value == "all"  # malformed values are ignored: "Tất cả"
    assert "1 công việc" in at.caption[0].value
    assert dict(at.query_params) == {"rag": "red", "lanes": "unit", "q": "tọa đàm"}


def test_changing_a_filter_writes_it_to_the_url(people):
    users, _ = people
    at = _open(users["leader"])
    assert "2 công việc" in at.caption[0].value
    at.selectbox(key="board_filter_blocked").set_value(True).run()
    assert dict(at.query_params) == {"blocked": "1"}
    assert "0 công việc" in at.caption[0].value


def test_the_filters_are_still_there_after_a_visit_to_another_page(people):
    """The sidebar opens a page without its filters in the address: the board shows the last ones."""
    users, _ = people
    at = _open(users["leader"])
    at.selectbox(key="board_filter_blocked").set_value(True).run()
    at.text_input(key="board_filter_q").input("tọa đàm").run()
    at.switch_page("pages/my_work.py")
    at.query_params.clear()
    at.run()
    assert at.title[0].value == "Việc của tôi"
    at.switch_page("pages/board.py")
    at.query_params.clear()
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="board_filter_blocked").value is True
    assert at.text_input(key="board_filter_q").value == "tọa đàm"
    assert dict(at.query_params) == {"blocked": "1", "q": "tọa đàm"}


def test_unit_head_board_counts_only_the_unit(people):
    users, _ = people
    at = _open(users["tcbc"])
    assert "1 công việc" in at.caption[0].value
    assert len(at.selectbox(key="board_filter_unit").options) == 2  # "Tất cả" and the own unit


def _request(engine, item_id, to):
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        return MoveRequest.parse({"id": item.id, "from": item.status.value, "to": to, "version": item.version})


def test_move_handler_moves_and_reports(people, engine):
    users, ids = people
    head = Actor.of(users["tcbc"])
    outcome = apply_move(engine, actor=head, request=_request(engine, ids["own"], "in_progress"), today=TODAY)
    assert outcome.ok and outcome.message == "Đã chuyển “Chuyên mục cải cách tiền lương” sang “Đang thực hiện”."
    with session_scope(engine) as s:
        assert s.get(WorkItem, ids["own"]).status is Status.IN_PROGRESS


@pytest.mark.parametrize("who, message", [
    ("tcbc", "Bạn chỉ được chuyển trạng thái công việc do đơn vị mình chủ trì."),
    ("leader", "Bạn chỉ được chuyển trạng thái công việc do đơn vị mình chủ trì."),
])
def test_move_handler_refuses_with_the_reason_and_changes_nothing(people, engine, who, message):
    users, ids = people
    outcome = apply_move(engine, actor=Actor.of(users[who]), request=_request(engine, ids["other"], "not_started"),
                         today=TODAY)
    assert not outcome.ok and outcome.message == message
    with session_scope(engine) as s:
        assert s.get(WorkItem, ids["other"]).version == 1


def test_move_handler_asks_for_evidence_then_accepts_it(people, engine):
    users, ids = people
    head = Actor.of(users["tcbc"])
    request = _request(engine, ids["own"], "awaiting_confirmation")
    outcome = apply_move(engine, actor=head, request=request, today=TODAY)
    assert not outcome.ok and outcome.needs_evidence and "minh chứng" in outcome.message
    outcome = apply_move(engine, actor=head, request=request, today=TODAY, evidence="https://moha.gov.vn/bai-1")
    assert outcome.ok


def test_move_handler_takes_an_evidence_file_instead_of_a_link(people, engine, tmp_path, monkeypatch):
    """The dialog asks for "minh chứng (đường dẫn … hoặc tệp đính kèm)": a file is enough, and it is stored."""
    from tracker.models import EvidenceFile
    from tracker.services.evidence import Upload

    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path))
    users, ids = people
    request = _request(engine, ids["own"], "awaiting_confirmation")
    outcome = apply_move(engine, actor=Actor.of(users["tcbc"]), request=request, today=TODAY,
                         files=(Upload("bao-cao.pdf", b"%PDF-1.4 minh chung"),))
    assert outcome.ok, outcome.message
    assert outcome.message == "Đã chuyển công việc sang “Chờ xác nhận”."
    with session_scope(engine) as s:
        assert s.get(WorkItem, ids["own"]).status is Status.AWAITING_CONFIRMATION
        assert [f.filename for f in s.query(EvidenceFile).filter_by(work_item_id=ids["own"])] == ["bao-cao.pdf"]


def test_move_handler_reports_a_stale_card(people, engine):
    users, ids = people
    admin = Actor.of(users["admin"])
    request = _request(engine, ids["own"], "in_progress")
    assert apply_move(engine, actor=admin, request=request, today=TODAY).ok
    again = apply_move(engine, actor=admin, request=request, today=TODAY)
    assert not again.ok and "vừa được" in again.message


@pytest.mark.parametrize("payload", [
    None, "move", {"id": "x", "from": "done", "to": "done", "version": 1},
    {"id": 1, "from": "done", "to": "finished", "version": 1}, {"id": 1, "to": "done"},
])
def test_malformed_component_events_are_ignored(payload):
    assert MoveRequest.parse(payload) is None


@pytest.mark.parametrize("payload, nonce", [
    ({"id": 1, "nonce": 1732380000123}, 1732380000123), ({"nonce": 17.5}, 17.5), ({"nonce": "17"}, None),
    ({"nonce": True}, None), ({"nonce": float("nan")}, None), ({"nonce": 1e300}, None), ({}, None), (None, None),
])
def test_the_nonce_of_a_component_event_is_a_plain_number(payload, nonce):
    """The page hands it back to the board (`ack`) so the browser knows which of its moves are answered."""
    assert event_nonce(payload) == nonce


def test_card_dialog_shows_facts_history_and_the_form_to_the_lead_unit(people):
    users, ids = people
    at = _open(users["tcbc"], state={"board_open": ids["own"]})
    assert at.subheader[0].value == "Chuyên mục cải cách tiền lương"
    assert [t.label for t in at.tabs] == ["Báo cáo tiến độ", "Lịch sử (0)"]
    assert at.number_input(key=f"item_progress_{ids['own']}").value == 20


def test_pending_move_dialog_asks_for_what_is_missing(people):
    users, ids = people
    at = _open(users["admin"], state={"board_pending": {
        "move": {"id": ids["other"], "from": "in_progress", "to": "awaiting_confirmation", "version": 1},
        "message": "Chuyển cần có minh chứng.", "reason": False, "evidence": True}})
    assert at.warning[0].value == "Chuyển cần có minh chứng."
    at.text_area(key="board_details_evidence").set_value("https://moha.gov.vn/bai-2")
    next(b for b in at.button if b.label == "Chuyển").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Đã chuyển “Tọa đàm của Sở Nội vụ Hà Nội” sang “Chờ xác nhận”."
    assert "board_pending" not in at.session_state


def test_pending_move_dialog_shows_a_refusal_and_stays(people, engine):
    users, ids = people
    with session_scope(engine) as s:
        s.get(WorkItem, ids["other"]).status = Status.AWAITING_CONFIRMATION
    at = _open(users["admin"], state={"board_pending": {
        "move": {"id": ids["other"], "from": "awaiting_confirmation", "to": "in_progress", "version": 2},
        "message": "Trả lại cần ghi rõ lý do.", "reason": True, "evidence": False}})
    next(b for b in at.button if b.label == "Chuyển").click().run()  # no reason typed
    assert "cần ghi rõ lý do" in at.error[0].value
    with session_scope(engine) as s:
        assert s.get(WorkItem, ids["other"]).status is Status.AWAITING_CONFIRMATION


def test_card_dialog_shows_a_blocked_reason_as_typed(people, engine):
    """Markdown in a reason (an image link would make the browser fetch from outside) is shown as text."""
    users, ids = people
    reason = "![x](https://example.com/a.png) **gấp**"
    with session_scope(engine) as s:
        item = s.get(WorkItem, ids["own"])
        item.blocked, item.blocked_reason = True, reason
    at = _open(users["admin"], state={"board_open": ids["own"]})
    warning = next(w.value for w in at.warning if w.value.startswith("Vướng mắc"))
    assert warning == "Vướng mắc: !\\[x\\](https\u2060://example.com/a.png) \\*\\*gấp\\*\\*"  # shown as typed
