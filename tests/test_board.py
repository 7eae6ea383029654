"""Reading the board: scope, counts, most urgent first, RAG on dated fixtures, filters, swimlanes, paging."""

import datetime as dt

import pytest
from sqlalchemy import event, select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.models import Form, Plan, PriorityTask, Role, Status, Unit, UnitKind, WorkItem
from tracker.permissions import Actor
from tracker.rag import Rag, classify
from tracker.services.board import (
    PAGE_SIZE,
    BoardFilters,
    Swimlane,
    filter_options,
    more,
    read_board,
    wip_limits,
)
from tracker.services.users import create_user

TODAY = dt.date(2024, 8, 1)
OWN, OTHER = "VU-TCBC", "SNV-HA-NOI"
NS, IP, AW, DN = Status.NOT_STARTED, Status.IN_PROGRESS, Status.AWAITING_CONFIRMATION, Status.DONE


def _actors(session):
    def make(name, role, unit=None):
        return Actor.of(create_user(session, username=name, password="mat-khau-dai", role=role, unit_code=unit))
    return {"admin": make("van.phong", Role.ADMIN), "leader": make("lanh.dao", Role.LEADER), "viewer": make("xem", Role.VIEWER),
            "head": make("truong.tcbc", Role.UNIT_HEAD, OWN), "other": make("truong.hn", Role.UNIT_HEAD, OTHER)}


def _titles(board, status=None):
    return [c.title for lane in board.lanes for s, cards in lane.cards.items() if status in (None, s)
            for c in cards]


@pytest.fixture
def board_db(engine):
    """Dated fixtures: RAG of each is known on TODAY = 01/08/2024."""
    with session_scope(engine) as s:
        actors = _actors(s)
        specs = [
            # title, unit, status, progress, start, due, blocked
            ("Đúng tiến độ xa hạn", OWN, IP, 60, dt.date(2024, 7, 1), dt.date(2024, 12, 31), False),
            ("Quá hạn hai tuần", OWN, IP, 50, dt.date(2024, 3, 1), dt.date(2024, 7, 18), False),
            ("Sắp đến hạn chưa xong", OWN, IP, 30, dt.date(2024, 7, 1), dt.date(2024, 8, 5), False),
            ("Quá hạn một ngày", OWN, IP, 90, dt.date(2024, 3, 1), dt.date(2024, 7, 31), True),
            ("Chậm so với thời gian", OWN, IP, 10, dt.date(2024, 1, 1), dt.date(2024, 12, 31), False),
            ("Tập huấn kỹ năng phát ngôn", OWN, NS, 0, dt.date(2024, 9, 1), dt.date(2024, 10, 30), False),
            ("Chờ Văn phòng xác nhận", OWN, AW, 100, dt.date(2024, 3, 1), dt.date(2024, 9, 30), False),
            ("Đã xong", OWN, DN, 100, dt.date(2024, 3, 1), dt.date(2024, 6, 30), False),
            ("Tọa đàm của Sở Nội vụ Hà Nội", OTHER, IP, 20, dt.date(2024, 7, 1), dt.date(2024, 8, 20), False),
        ]
        ids = {}
        for title, unit, status, progress, start, due, blocked in specs:
            ids[title] = make_item(s, unit_code=unit, title=title, status=status, progress=progress, start=start,
                                   due=due, blocked=blocked).id
    return engine, actors, ids, specs


def _read(engine, actor, **kw):
    limits = kw.pop("limits", None)
    with session_scope(engine) as s:
        return read_board(s, actor=actor, filters=BoardFilters(**kw), today=TODAY, limits=limits, wip={})


def test_most_urgent_first_red_then_amber_then_due_date(board_db):
    engine, actors, _, _ = board_db
    board = _read(engine, actors["head"])
    column = board.lanes[0].cards[IP]
    assert [(c.title, c.rag) for c in column] == [
        ("Quá hạn hai tuần", Rag.RED),
        ("Quá hạn một ngày", Rag.RED),
        ("Sắp đến hạn chưa xong", Rag.AMBER),
        ("Chậm so với thời gian", Rag.AMBER),
        ("Đúng tiến độ xa hạn", Rag.GREEN),
    ]
    # the browser places a card it has just moved by this key, before the server redraws the board
    assert [c.as_data()["order"] for c in column] == sorted(c.order_key for c in column)


def test_card_rag_agrees_with_classify_on_every_fixture(board_db):
    engine, actors, _, specs = board_db
    board = _read(engine, actors["admin"])
    by_title = {c.title: c for lane in board.lanes for cards in lane.cards.values() for c in cards}
    for title, _unit, status, progress, start, due, _blocked in specs:
        expected = classify(status=status, progress=progress, start=start, due=due, today=TODAY)
        assert by_title[title].rag is expected, title


@pytest.mark.parametrize("who, sees_other_unit", [
    ("admin", True), ("leader", True), ("viewer", True), ("head", False), ("other", True),
])
def test_scope_unit_head_sees_own_unit_only(board_db, who, sees_other_unit):
    engine, actors, _, _ = board_db
    titles = _titles(_read(engine, actors[who]))
    if who == "other":  # the Hà Nội department's head sees only the Hà Nội card
        assert titles == ["Tọa đàm của Sở Nội vụ Hà Nội"]
        return
    assert ("Tọa đàm của Sở Nội vụ Hà Nội" in titles) is sees_other_unit
    assert "Quá hạn hai tuần" in titles


def test_counts_come_from_all_rows_while_cards_are_limited(board_db):
    engine, actors, _, _ = board_db
    board = _read(engine, actors["admin"], limits={IP: 2})
    assert board.totals == {NS: 1, IP: 6, AW: 1, DN: 1}
    assert len(board.lanes[0].cards[IP]) == 2 and board.lanes[0].counts[IP] == 6
    assert more({IP: 2}, IP, Swimlane.NONE)[IP] == 2 + PAGE_SIZE


def test_targets_follow_role_and_unit(board_db):
    engine, actors, _, _ = board_db
    head = {c.title: c.targets for c in _read(engine, actors["head"]).lanes[0].cards[IP]}
    assert head["Quá hạn hai tuần"] == (NS, AW)
    admin = {c.title: c.targets for lane in _read(engine, actors["admin"]).lanes for c in lane.cards.get(IP, [])}
    assert admin["Tọa đàm của Sở Nội vụ Hà Nội"] == (NS, AW, DN)
    leader = [c.targets for lane in _read(engine, actors["leader"]).lanes for cs in lane.cards.values() for c in cs]
    assert leader and all(t == () for t in leader)


@pytest.mark.parametrize("filters, expected", [
    ({"rag": Rag.RED}, {"Quá hạn hai tuần", "Quá hạn một ngày"}),
    ({"rag": Rag.AMBER}, {"Sắp đến hạn chưa xong", "Chậm so với thời gian", "Tọa đàm của Sở Nội vụ Hà Nội"}),
    ({"blocked": True}, {"Quá hạn một ngày"}),
    ({"due": 7}, {"Sắp đến hạn chưa xong"}),
    ({"due": 30}, {"Sắp đến hạn chưa xong", "Tọa đàm của Sở Nội vụ Hà Nội"}),
    ({"q": "tap huan"}, {"Tập huấn kỹ năng phát ngôn"}),
    ({"q": "TỌA ĐÀM"}, {"Tọa đàm của Sở Nội vụ Hà Nội"}),
    ({"kind": UnitKind.PROVINCIAL}, {"Tọa đàm của Sở Nội vụ Hà Nội"}),
])
def test_filters(board_db, filters, expected):
    engine, actors, _, _ = board_db
    assert set(_titles(_read(engine, actors["admin"], **filters))) == expected


def test_filters_by_plan_task_unit_form_and_number(board_db):
    engine, actors, ids, _ = board_db
    with session_scope(engine) as s:
        plan = s.scalars(select(Plan).where(Plan.code == "184/QĐ-BNV")).one()
        task2 = s.scalars(select(PriorityTask).where(PriorityTask.plan_id == plan.id, PriorityTask.number == 2)).one()
        other_plan = s.scalars(select(Plan).where(Plan.code != "184/QĐ-BNV")).first()
        hanoi = s.scalars(select(Unit).where(Unit.code == OTHER)).one()
        form = s.scalars(select(Form).order_by(Form.sort_order)).first()
        other_form = s.scalars(select(Form).where(Form.id != form.id)).first()
        plan_id, task_id, other_plan_id, hanoi_id = plan.id, task2.id, other_plan.id, hanoi.id
        form_id, other_form_id = form.id, other_form.id
    admin = actors["admin"]
    assert len(_titles(_read(engine, admin, plan=plan_id, task=task_id))) == 9
    assert _titles(_read(engine, admin, plan=other_plan_id)) == []
    assert _titles(_read(engine, admin, unit=hanoi_id)) == ["Tọa đàm của Sở Nội vụ Hà Nội"]
    assert len(_titles(_read(engine, admin, form=form_id))) == 9
    assert _titles(_read(engine, admin, form=other_form_id)) == []
    assert _titles(_read(engine, admin, q=str(ids["Đã xong"]))) == ["Đã xong"]
    # The words of the search in any order, accents ignored: the rule of every search box (tracker.text).
    assert _titles(_read(engine, admin, q="ha noi  TOA")) == ["Tọa đàm của Sở Nội vụ Hà Nội"]
    assert _titles(_read(engine, admin, q="toa dam ha noi thu")) == []


@pytest.mark.parametrize("lanes", [Swimlane.UNIT, Swimlane.TASK])
def test_swimlanes(board_db, lanes):
    engine, actors, _, _ = board_db
    with session_scope(engine) as s:
        make_item(s, unit_code=OTHER, title="Nhiệm vụ ba của Hà Nội", task_number=3)
    board = _read(engine, actors["admin"], lanes=lanes)
    assert len(board.lanes) == 2 and board.lane_count == 2
    labels = [lane.label for lane in board.lanes]
    if lanes is Swimlane.UNIT:
        assert "Sở Nội vụ thành phố Hà Nội" in labels[1] or "Hà Nội" in labels[1]
        assert sum(lane.counts.get(IP, 0) for lane in board.lanes) == board.totals[IP] == 7
    else:
        assert labels[0].startswith("184/QĐ-BNV · Nhiệm vụ (2)") and labels[1].startswith("184/QĐ-BNV · Nhiệm vụ (3)")
        assert _titles(board)[-1] == "Nhiệm vụ ba của Hà Nội"
        assert [c.title for c in board.lanes[1].cards[IP]] == ["Nhiệm vụ ba của Hà Nội"]


def test_board_is_a_fixed_number_of_queries_however_many_items(engine):
    """Two queries (counts, cards), the office's WIP limits, plus lane labels: not one per card, column or lane."""
    with session_scope(engine) as s:
        admin = _actors(s)["admin"]

    def statements(lanes):
        seen = []
        listener = lambda *args: seen.append(args[2])  # (conn, cursor, statement, ...)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            with session_scope(engine) as s:
                read_board(s, actor=admin, filters=BoardFilters(lanes=lanes), today=TODAY, wip={})
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    with session_scope(engine) as s:
        for i in range(5):
            make_item(s, title=f"Việc {i}", status=list(Status)[i % 4])
    few = {lanes: statements(lanes) for lanes in Swimlane}
    with session_scope(engine) as s:
        for i in range(120):
            make_item(s, unit_code=OTHER if i % 2 else OWN, title=f"Việc thêm {i}", status=list(Status)[i % 4],
                      task_number=1 + i % 3)
    many = {lanes: statements(lanes) for lanes in Swimlane}
    assert few == many
    assert many[Swimlane.NONE] == 3 and many[Swimlane.UNIT] == 4


def test_filters_round_trip_through_the_url():
    filters = BoardFilters(plan=1, task=4, unit=7, kind=UnitKind.PROVINCIAL, form=2, rag=Rag.RED, blocked=False,
                           due=7, q="tập huấn", lanes=Swimlane.TASK)
    params = filters.to_params()
    assert params == {"plan": "1", "task": "4", "unit": "7", "kind": "provincial", "form": "2", "rag": "red",
                      "blocked": "0", "due": "7", "q": "tập huấn", "lanes": "task"}
    assert BoardFilters.from_params(params) == filters
    assert BoardFilters.from_params({"plan": "x", "rag": "purple", "lanes": "<b>", "due": "-3"}) == BoardFilters()
    assert BoardFilters().to_params() == {}


def test_wip_limits_setting():
    assert wip_limits("in_progress=12, awaiting_confirmation = 3, nonsense=4, done=x") == {IP: 12, AW: 3}
    assert wip_limits("none") == {}
    assert wip_limits("")[IP] > 0  # unset: the defaults


def test_header_marks_a_column_over_its_wip_limit(board_db):
    engine, actors, _, _ = board_db
    with session_scope(engine) as s:
        board = read_board(s, actor=actors["admin"], filters=BoardFilters(), today=TODAY, wip={IP: 5, AW: 1})
    columns = {c["status"]: c for c in board.as_data()["columns"]}
    assert (columns["in_progress"]["count"], columns["in_progress"]["wip"], columns["in_progress"]["over"]) == (6, 5, True)
    assert columns["awaiting_confirmation"]["over"] is False and columns["done"]["wip"] is None


def test_filter_options_for_a_unit_head_list_only_the_unit(board_db):
    engine, actors, _, _ = board_db
    with session_scope(engine) as s:
        head = filter_options(s, actor=actors["head"], plan_id=None)
        admin = filter_options(s, actor=actors["admin"], plan_id=head.plans[0][0])
    assert len(head.units) == 1 and head.tasks == []
    assert len(admin.units) > 10 and admin.tasks and admin.forms


def test_done_cards_say_whether_they_were_done_on_time(board_db):
    engine, actors, ids, _ = board_db
    with session_scope(engine) as s:
        s.get(WorkItem, ids["Đã xong"]).completed_on = dt.date(2024, 7, 2)  # due 30/06/2024
    card = _read(engine, actors["admin"]).lanes[0].cards[DN][0]
    assert card.as_data()["done"] == "Xong 02/07/2024 · muộn hạn"
    assert _read(engine, actors["admin"]).lanes[0].cards[IP][0].as_data()["done"] == ""


def _read_including(engine, actor, include_ids, **kw):
    limits = kw.pop("limits", None)
    with session_scope(engine) as s:
        return read_board(s, actor=actor, filters=BoardFilters(**kw), today=TODAY, limits=limits, wip={},
                          include_ids=include_ids)


def test_an_included_card_is_drawn_in_its_cell_after_the_first_cards_and_marked(board_db):
    engine, actors, ids, _ = board_db
    moved = ids["Đúng tiến độ xa hạn"]  # green and due last: sixth of six in Đang thực hiện
    plain = _read(engine, actors["admin"], limits={IP: 2})
    assert moved not in [c.id for c in plain.lanes[0].cards[IP]]
    board = _read_including(engine, actors["admin"], [moved], limits={IP: 2})
    column = board.lanes[0].cards[IP]
    assert [c.title for c in column] == ["Quá hạn hai tuần", "Quá hạn một ngày", "Đúng tiến độ xa hạn"]
    assert [c.recent for c in column] == [False, False, True]
    assert column[-1].as_data()["recent"] is True and column[0].as_data()["recent"] is False
    assert board.lanes[0].counts[IP] == 6 and board.totals == plain.totals  # counts are not changed by it
    assert _titles(board, NS) == _titles(plain, NS)  # other columns keep their own first cards


def test_an_included_card_among_the_first_cards_is_marked_not_repeated(board_db):
    engine, actors, ids, _ = board_db
    board = _read_including(engine, actors["admin"], [ids["Quá hạn hai tuần"], 10**8])  # unknown ids: nothing
    column = board.lanes[0].cards[IP]
    assert [c.title for c in column].count("Quá hạn hai tuần") == 1
    assert {c.title for c in column if c.recent} == {"Quá hạn hai tuần"}
    assert len(_titles(board)) == 9


def test_include_ids_keep_the_unit_heads_scope_and_the_filters(board_db):
    engine, actors, ids, _ = board_db
    hanoi, own = ids["Tọa đàm của Sở Nội vụ Hà Nội"], ids["Đúng tiến độ xa hạn"]
    head = _read_including(engine, actors["head"], [hanoi, own], limits={IP: 1})
    assert _titles(head, IP) == ["Quá hạn hai tuần", "Đúng tiến độ xa hạn"]  # never the other unit's card
    assert "Tọa đàm của Sở Nội vụ Hà Nội" not in _titles(head)
    red = _read_including(engine, actors["admin"], [own], rag=Rag.RED)
    assert set(_titles(red)) == {"Quá hạn hai tuần", "Quá hạn một ngày"}  # the filter still applies


def test_an_included_card_shows_in_its_swimlane(board_db):
    engine, actors, ids, _ = board_db
    with session_scope(engine) as s:
        for i in range(3):
            make_item(s, unit_code=OTHER, title=f"Hà Nội gấp {i}", status=IP, due=dt.date(2024, 7, 1))
    hanoi = ids["Tọa đàm của Sở Nội vụ Hà Nội"]  # amber: after the three red Hà Nội cards
    board = _read_including(engine, actors["admin"], [hanoi], lanes=Swimlane.UNIT, limits={IP: 1})
    lanes = {lane.label: [c.title for c in lane.cards.get(IP, [])] for lane in board.lanes}
    hanoi_lane = next(titles for label, titles in lanes.items() if "Hà Nội" in label)
    assert hanoi_lane == ["Hà Nội gấp 0", "Tọa đàm của Sở Nội vụ Hà Nội"]
    assert all("Tọa đàm của Sở Nội vụ Hà Nội" not in titles for label, titles in lanes.items() if "Hà Nội" not in label)


def test_the_office_sets_wip_limits_per_column_and_per_lane(engine, monkeypatch):
    from tracker.errors import PermissionDenied, ValidationFailed
    from tracker.models import AuditEvent
    from tracker.services import settings

    monkeypatch.setenv("TRACKER_BOARD_WIP_LIMITS", "in_progress=7")
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong.wip", Role.ADMIN))
        head = Actor.of(make_user(s, "truong.wip", Role.UNIT_HEAD, "VU-TCBC"))
        make_item(s, unit_code="VU-TCBC")
        make_item(s, unit_code="SNV-HA-NOI")
    with session_scope(engine) as s:  # until the office sets them: the environment's (or the defaults), no lanes'
        assert settings.board_wip(s) == settings.BoardWip(columns={IP: 7}, lanes={})
    with session_scope(engine) as s:
        with pytest.raises(PermissionDenied):
            settings.set_board_wip(s, actor=head, columns={IP: 3}, lanes={})
    with session_scope(engine) as s:
        with pytest.raises(ValidationFailed, match="Đang thực hiện"):
            settings.set_board_wip(s, actor=admin, columns={IP: -1}, lanes={})
    with session_scope(engine) as s:
        settings.set_board_wip(s, actor=admin, columns={IP: 3, AW: 0}, lanes={IP: 1})
    with session_scope(engine) as s:
        assert settings.board_wip(s) == settings.BoardWip(columns={IP: 3}, lanes={IP: 1})
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "settings.board_wip")).one()
        assert audit.details["columns"] == [{"in_progress": 7}, {"in_progress": 3}]
        flat = read_board(s, actor=admin, filters=BoardFilters(), today=dt.date(2024, 8, 1)).as_data()
        assert next(c["wip"] for c in flat["columns"] if c["status"] == "in_progress") == 3
        by_unit = read_board(s, actor=admin, filters=BoardFilters(lanes=Swimlane.UNIT), today=dt.date(2024, 8, 1))
        lanes = by_unit.as_data()["lanes"]
        assert len(lanes) == 2 and all(lane["cells"]["in_progress"]["wip"] == 1 for lane in lanes)
        assert all(cell["wip"] is None for lane in flat["lanes"] for cell in lane["cells"].values())
    with session_scope(engine) as s:  # 0 everywhere: no limits at all, whatever the environment says
        settings.set_board_wip(s, actor=admin, columns={IP: 0}, lanes={})
    with session_scope(engine) as s:
        assert settings.board_wip(s) == settings.BoardWip(columns={}, lanes={})
def test_a_coordinating_unit_sees_the_card_marked_and_cannot_move_it(board_db):
    from tracker.models import Unit, WorkItem

    engine, actors, ids, _ = board_db
    with session_scope(engine) as s:
        hanoi = s.scalars(select(Unit).where(Unit.code == OTHER)).one()
        s.get(WorkItem, ids["Quá hạn hai tuần"]).coordinating_units = [hanoi]
        hanoi_id = hanoi.id
    cards = {c.title: c for lane in _read(engine, actors["other"]).lanes for cs in lane.cards.values() for c in cs}
    assert set(cards) == {"Tọa đàm của Sở Nội vụ Hà Nội", "Quá hạn hai tuần"}
    assert cards["Quá hạn hai tuần"].coordinating and cards["Quá hạn hai tuần"].targets == ()
    assert cards["Quá hạn hai tuần"].as_data()["coordinating"] is True
    assert not cards["Tọa đàm của Sở Nội vụ Hà Nội"].coordinating and cards["Tọa đàm của Sở Nội vụ Hà Nội"].targets
    by_unit = {c.title: c for lane in _read(engine, actors["admin"], unit=hanoi_id).lanes
               for cs in lane.cards.values() for c in cs}
    assert set(by_unit) == set(cards) and by_unit["Quá hạn hai tuần"].coordinating
    own = [c for lane in _read(engine, actors["head"]).lanes for cs in lane.cards.values() for c in cs]
    assert not any(c.coordinating for c in own)
