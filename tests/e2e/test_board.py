"""Bảng Kanban in a real browser: drag with the mouse, refusals snap back, keyboard moves, escaped titles.

A move is drawn in the browser before the server answers ("Đang lưu…"). To see that state without
timing anything, `_Gate` holds back the server's WebSocket messages to the page: the move reaches
the server, its answer waits until the test opens the gate.
"""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect
from sqlalchemy import select
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.e2e.conftest import open_tab, screenshot, sign_in, unfold, wait_for_app
from tests.item_factories import make_item
from tracker.db import make_engine, session_scope
from tracker.models import Role, Status, Unit, WorkItem
from tracker.services.users import create_user

pytestmark = pytest.mark.e2e

TODAY = "2024-08-01"
OWN, OTHER = "VU-TCBC", "SNV-HA-NOI"
XSS = "<img src=x onerror=alert(1)>"
PENDING = re.compile(r"\bkb-pending\b")
BOARD_JS = Path(__file__).resolve().parents[2] / "tracker" / "ui" / "board_assets" / "board.js"


class _Gate:
    """Passes Streamlit's WebSocket through, but while closed keeps the server's messages from the page."""

    def __init__(self, page: Page):
        self.closed = False
        self.held: list = []
        self.received: list = []  # every message from the server, in order (protobuf ForwardMsg bytes)
        self.page_side: WebSocketRoute | None = None
        page.route_web_socket(re.compile(r"/_stcore/stream$"), self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        self.page_side, self.held = ws, []
        ws.on_message(server.send)
        server.on_message(self._from_server)

    def _from_server(self, message) -> None:
        self.received.append(message)
        if self.closed:
            self.held.append(message)
        else:
            self.page_side.send(message)

    def close(self) -> None:
        self.closed = True

    def open(self) -> None:
        self.closed = False
        held, self.held = self.held, []
        for message in held:
            self.page_side.send(message)


def _card(page: Page, title: str):
    return page.locator("[data-testid='kanban-card']", has_text=title)


def _cell(page: Page, status: str):
    return page.locator(f"[data-testid='kanban-cell'][data-status='{status}']").first


def _in(page: Page, status: str, title: str):
    return _cell(page, status).locator("[data-testid='kanban-card']", has_text=title)


def _head(page: Page, status: str):
    return page.locator(f"[data-testid='kanban-column-head'][data-status='{status}'] .kb-count")


def _drag(page: Page, card, target, *, wait: bool = True) -> None:
    """Press the mouse on the card, move it over the target column in steps, release."""
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 12)
    page.mouse.down()
    tbox = target.bounding_box()
    page.mouse.move(tbox["x"] + tbox["width"] / 2, tbox["y"] + 20, steps=12)
    page.mouse.move(tbox["x"] + tbox["width"] / 2, tbox["y"] + 30, steps=4)
    page.mouse.up()
    if wait:
        wait_for_app(page, settle_ms=500)


def _status(engine, item_id) -> Status:
    with session_scope(engine) as s:
        return s.get(WorkItem, item_id).status


@pytest.fixture
def board_app(app_server):
    server = app_server(env={"TRACKER_TODAY": TODAY, "TRACKER_BOARD_WIP_LIMITS": "in_progress=2"})
    engine = make_engine(server.env["TRACKER_DATABASE_URL"])
    with session_scope(engine) as s:
        create_user(s, username="truong.tcbc", password="mat-khau-don-vi", role=Role.UNIT_HEAD, unit_code=OWN,
                    full_name="Trưởng Vụ Tổ chức - Biên chế")
        create_user(s, username="van.phong", password="mat-khau-van-phong", role=Role.ADMIN,
                    full_name="Văn phòng Bộ")
        ids = {
            "drag": make_item(s, unit_code=OWN, title="Chuyên mục cải cách tiền lương", status=Status.NOT_STARTED,
                              progress=0, due=dt.date(2024, 9, 30)).id,
            "keys": make_item(s, unit_code=OWN, title="Thông cáo báo chí tháng 8", status=Status.IN_PROGRESS,
                              progress=40, due=dt.date(2024, 8, 20)).id,
            "reassigned": make_item(s, unit_code=OWN, title="Hội nghị tập huấn phát ngôn", status=Status.NOT_STARTED,
                                    progress=0, due=dt.date(2024, 10, 15)).id,
            "xss": make_item(s, unit_code=OWN, title=XSS, status=Status.IN_PROGRESS, progress=10,
                             due=dt.date(2024, 7, 20), blocked=True).id,
        }
    yield server, engine, ids
    engine.dispose()


def _open_board(page: Page, server, username: str, password: str) -> None:
    """Sign in (unless the session cookie still holds one) and open Bảng Kanban from the navigation."""
    page.goto(server.url)
    wait_for_app(page)
    nav = page.get_by_role("link", name="Bảng Kanban")
    expect(page.get_by_label("Tên đăng nhập").or_(nav)).to_be_visible(timeout=30_000)  # which one: drawn by now
    if page.get_by_label("Tên đăng nhập").count():
        sign_in(page, username, password)
    page.get_by_role("link", name="Bảng Kanban").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Bảng Kanban")).to_be_visible()
    expect(page.locator("[data-testid='kanban-board']")).to_be_visible()


def test_drag_with_the_mouse_moves_the_card_at_once_and_it_stays_after_reload(board_app, page, outside_requests):
    server, engine, ids = board_app
    gate = _Gate(page)
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    title = "Chuyên mục cải cách tiền lương"
    card = _card(page, title)
    expect(card).to_have_attribute("data-status", "not_started")
    expect(_head(page, "in_progress")).to_have_text("2 / 2")
    expect(_head(page, "in_progress")).to_have_class("kb-count")
    gate.close()  # the server's answer to the drop waits: what shows now, the browser drew alone
    _drag(page, card, _cell(page, "in_progress"), wait=False)
    pending = _in(page, "in_progress", title)
    expect(pending).to_have_class(PENDING)
    expect(pending).to_have_attribute("aria-busy", "true")
    expect(pending.get_by_text("Đang lưu…")).to_be_visible()
    expect(_in(page, "not_started", title)).to_have_count(0)
    expect(_head(page, "not_started")).to_have_text("1")
    expect(_head(page, "in_progress")).to_have_text("3 / 2")  # over the WIP limit of 2: the header turns red
    expect(_head(page, "in_progress")).to_have_class("kb-count kb-over")
    page.locator("[data-testid='kanban-board']").scroll_into_view_if_needed()
    screenshot(page, "board_drop_pending.png")

    gate.open()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã chuyển “Chuyên mục cải cách tiền lương” sang “Đang thực hiện”.")).to_be_visible()
    saved = _in(page, "in_progress", title)
    expect(saved).to_have_count(1)
    expect(saved).not_to_have_class(PENDING)
    expect(saved).to_have_attribute("data-status", "in_progress")
    assert _status(engine, ids["drag"]) is Status.IN_PROGRESS

    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")  # a reload: still signed in (session cookie)
    moved = _cell(page, "in_progress").locator("[data-testid='kanban-card']", has_text="Chuyên mục cải cách tiền lương")
    expect(moved).to_be_visible()
    expect(moved).to_have_attribute("data-status", "in_progress")
    # the WIP limit of Đang thực hiện is 2 here: its header shows count/limit in red
    head = page.locator("[data-testid='kanban-column-head'][data-status='in_progress'] .kb-count")
    expect(head).to_have_text("3 / 2")
    expect(head).to_have_class("kb-count kb-over")
    assert outside_requests == []


def test_unit_head_drag_of_another_units_card_is_refused_and_the_card_returns(board_app, page):
    """A unit head's board shows only the unit's cards, so the other unit's card is one reassigned
    to Hà Nội by the office after the head opened the board: the drag reaches the service, which refuses."""
    server, engine, ids = board_app
    gate = _Gate(page)
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    card = _card(page, "Hội nghị tập huấn phát ngôn")
    expect(card).to_be_visible()
    with session_scope(engine) as s:
        item = s.get(WorkItem, ids["reassigned"])
        item.lead_unit_id = s.scalars(select(Unit.id).where(Unit.code == OTHER)).one()
    gate.close()
    _drag(page, card, _cell(page, "in_progress"), wait=False)
    # the browser still believes the card is the unit's: it shows the move until the server answers
    expect(_in(page, "in_progress", "Hội nghị tập huấn phát ngôn")).to_have_class(PENDING)
    gate.open()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Bạn chỉ được chuyển trạng thái công việc do đơn vị mình chủ trì.")).to_be_visible()
    assert _status(engine, ids["reassigned"]) is Status.NOT_STARTED
    # redrawn from the database: the card is not in Đang thực hiện (and, no longer the unit's, not on this board)
    expect(_cell(page, "in_progress").locator("[data-testid='kanban-card']",
                                              has_text="Hội nghị tập huấn phát ngôn")).to_have_count(0)

    # the office sees it back in Chưa triển khai
    page.get_by_role("button", name="Đăng xuất").click()
    wait_for_app(page)
    _open_board(page, server, "van.phong", "mat-khau-van-phong")
    expect(_card(page, "Hội nghị tập huấn phát ngôn")).to_have_attribute("data-status", "not_started")


def test_drop_on_a_column_the_role_may_not_use_leaves_the_card_in_place(board_app, page):
    server, engine, ids = board_app
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    card = _card(page, "Thông cáo báo chí tháng 8")
    _drag(page, card, _cell(page, "done"))  # only the office confirms: Hoàn thành accepts no drop from a unit
    expect(card).to_have_attribute("data-status", "in_progress")
    expect(_cell(page, "in_progress").locator("[data-testid='kanban-card']",
                                              has_text="Thông cáo báo chí tháng 8")).to_be_visible()
    assert _status(engine, ids["keys"]) is Status.IN_PROGRESS


def test_chuyen_sang_control_moves_a_card_with_the_keyboard_only(board_app, page):
    server, engine, ids = board_app
    gate = _Gate(page)
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    card = _card(page, "Thông cáo báo chí tháng 8")
    select_box = card.get_by_label("Chuyển sang… (Thông cáo báo chí tháng 8)")
    select_box.focus()
    page.keyboard.press("ArrowDown")  # first choice: Chưa triển khai
    expect(select_box).to_have_value("not_started")
    page.keyboard.press("Tab")  # to the "Chuyển" button
    gate.close()
    page.keyboard.press("Enter")
    pending = _in(page, "not_started", "Thông cáo báo chí tháng 8")  # drawn at once, as a drag is
    expect(pending).to_have_class(PENDING)
    expect(pending.locator(".kb-title")).to_be_focused()
    expect(_head(page, "in_progress")).to_have_text("1 / 2")
    gate.open()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã chuyển “Thông cáo báo chí tháng 8” sang “Chưa triển khai”.")).to_be_visible()
    expect(_cell(page, "not_started").locator("[data-testid='kanban-card']",
                                              has_text="Thông cáo báo chí tháng 8")).to_be_visible()
    assert _status(engine, ids["keys"]) is Status.NOT_STARTED
    # keyboard users keep their place: focus returns to the moved card in its new column
    expect(_card(page, "Thông cáo báo chí tháng 8").locator(".kb-title")).to_be_focused()
    screenshot(page, "board_unit_head.png")


def _runs(messages: list) -> tuple[list, list]:
    """From the server's messages: how each script run finished, and the elements sent that belong to
    no fragment (drawn by a rerun of the whole page)."""
    finished, outside = [], []
    for raw in messages:
        msg = ForwardMsg.FromString(raw if isinstance(raw, bytes) else raw.encode())
        if msg.WhichOneof("type") == "script_finished":
            finished.append(ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished))
        elif msg.WhichOneof("type") == "delta" and not msg.delta.fragment_id:
            outside.append(msg.delta.WhichOneof("type"))
    return finished, outside


def _unfold_filters(page: Page) -> None:
    """The filters are folded while none is in use: open them."""
    expect(page.locator(".st-key-board_filter_lanes")).not_to_be_visible()
    unfold(page, "Bộ lọc và cách hiển thị")
    expect(page.locator(".st-key-board_filter_lanes")).to_be_visible()


def _lanes_by_unit(page: Page) -> None:
    """Choose "Theo đơn vị chủ trì" (a filter kept in the URL). A click that lands while the fold is
    still opening can miss the control on a loaded machine: click again until the address has it."""
    for _ in range(3):
        page.get_by_text("Theo đơn vị chủ trì", exact=True).click()
        wait_for_app(page)
        if re.search(r"[?&]lanes=unit\b", page.url):
            break
    expect(page).to_have_url(re.compile(r"[?&]lanes=unit\b"))


def test_a_move_reruns_only_the_board_not_the_filters_and_its_answer_still_shows(board_app, page):
    """The server's answer to a drag comes sooner when only the board part of the page reruns."""
    server, engine, ids = board_app
    gate = _Gate(page)
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    _unfold_filters(page)
    _lanes_by_unit(page)
    gate.received.clear()
    _drag(page, _card(page, "Chuyên mục cải cách tiền lương"), _cell(page, "in_progress"))
    expect(page.get_by_text("Đã chuyển “Chuyên mục cải cách tiền lương” sang “Đang thực hiện”.")).to_be_visible()
    moved = _in(page, "in_progress", "Chuyên mục cải cách tiền lương")
    expect(moved).not_to_have_class(PENDING)
    assert _status(engine, ids["drag"]) is Status.IN_PROGRESS
    wait_for_app(page)  # the run's end has reached the page (and so passed the gate)
    finished, outside = _runs(gate.received)
    assert finished == ["FINISHED_FRAGMENT_RUN_SUCCESSFULLY"]
    assert outside == []  # the title and the filters were not drawn again
    expect(page.get_by_role("heading", name="Bảng Kanban")).to_be_visible()
    expect(page.locator(".st-key-board_filter_lanes")).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]lanes=unit\b"))
    expect(page.get_by_test_id("kanban-lane")).to_have_count(1)

    gate.received.clear()  # a refused move: also answered by the board alone, and the card snaps back
    with session_scope(engine) as s:
        s.get(WorkItem, ids["reassigned"]).lead_unit_id = s.scalars(select(Unit.id).where(Unit.code == OTHER)).one()
    _drag(page, _card(page, "Hội nghị tập huấn phát ngôn"), _cell(page, "in_progress"))
    expect(page.get_by_text("Bạn chỉ được chuyển trạng thái công việc do đơn vị mình chủ trì.")).to_be_visible()
    expect(_in(page, "in_progress", "Hội nghị tập huấn phát ngôn")).to_have_count(0)
    wait_for_app(page)
    assert _runs(gate.received) == (["FINISHED_FRAGMENT_RUN_SUCCESSFULLY"], [])
    page.locator("[data-testid='kanban-board']").scroll_into_view_if_needed()
    screenshot(page, "board_after_move_unit_head.png")


def test_a_closed_card_dialog_stays_closed_when_the_board_answers_a_move(board_app, page):
    server, engine, ids = board_app
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    _card(page, "Thông cáo báo chí tháng 8").locator(".kb-title").click()
    wait_for_app(page)
    expect(page.get_by_role("dialog")).to_contain_text("Thông cáo báo chí tháng 8")
    page.keyboard.press("Escape")
    wait_for_app(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    _drag(page, _card(page, "Chuyên mục cải cách tiền lương"), _cell(page, "in_progress"))
    expect(page.get_by_text("Đã chuyển “Chuyên mục cải cách tiền lương” sang “Đang thực hiện”.")).to_be_visible()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert _status(engine, ids["drag"]) is Status.IN_PROGRESS


def test_a_card_dropped_below_the_columns_first_cards_stays_in_sight_and_flashes(board_app, page):
    """Đang thực hiện lists its 20 most urgent cards; the dropped card (due later) would be the 23rd."""
    server, engine, ids = board_app
    with session_scope(engine) as s:
        for i in range(20):
            make_item(s, unit_code=OWN, title=f"Bài viết quá hạn số {i + 1}", status=Status.IN_PROGRESS, progress=20,
                      due=dt.date(2024, 7, 10))
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    column = _cell(page, "in_progress")
    expect(column.get_by_role("button", name="Xem thêm (20/22)")).to_be_visible()
    _drag(page, _card(page, "Chuyên mục cải cách tiền lương"), column)
    expect(page.get_by_text("Đã chuyển “Chuyên mục cải cách tiền lương” sang “Đang thực hiện”.")).to_be_visible()
    moved = _in(page, "in_progress", "Chuyên mục cải cách tiền lương")
    expect(moved).to_have_count(1)
    expect(moved).to_have_class(re.compile(r"\bkb-recent\b"))  # briefly highlighted where it landed
    expect(moved).not_to_have_class(PENDING)
    expect(column.locator("[data-testid='kanban-card']")).to_have_count(21)
    expect(column.get_by_role("button", name="Xem thêm (21/23)")).to_be_visible()
    assert _status(engine, ids["drag"]) is Status.IN_PROGRESS


def _card_data(card_id, title, status, targets, order, **extra):
    return {"id": card_id, "version": 1, "title": title, "status": status, "task": "(2)", "plan": "184/QĐ-BNV",
            "unit": "Vụ Tổ chức - Biên chế", "due": "30/09/2024", "progress": 10, "rag": "green",
            "rag_label": "Đúng tiến độ", "blocked": False, "blocked_reason": "", "targets": targets, "done": "",
            "recent": False, "order": order, **extra}


def _board_data(cells, *, ack=None, rev=0):
    labels = {"not_started": "Chưa triển khai", "in_progress": "Đang thực hiện",
              "awaiting_confirmation": "Chờ xác nhận", "done": "Hoàn thành"}
    wip = {"in_progress": 1}
    counts = {s: len(cells.get(s, [])) for s in labels}
    return {"columns": [{"status": s, "label": labels[s], "count": counts[s], "wip": wip.get(s),
                         "over": s in wip and counts[s] > wip[s]} for s in labels],
            "lanes": [{"key": 0, "label": "", "cells": {s: {"count": counts[s], "cards": cells.get(s, [])}
                                                         for s in labels}}],
            "status_labels": labels, "swimlanes": False, "rev": rev, "ack": ack}


def test_the_component_keeps_an_unanswered_move_over_other_redraws_and_the_server_wins(page):
    """The board module alone, called as Streamlit calls it: data in, triggers out."""
    page.set_content("<div id='host'><div class='kb-root'></div></div><div id='again'><div class='kb-root'></div></div>")
    page.evaluate("""async (source) => {
        const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
        const module = await import(url);
        window.sent = [];
        window.draw = (data, host = "host") => module.default({data, parentElement: document.getElementById(host),
            setTriggerValue: (name, value) => window.sent.push({name, ...value})});
    }""", BOARD_JS.read_text(encoding="utf-8"))
    draw = lambda data: page.evaluate("(data) => window.draw(data)", json.loads(json.dumps(data)))
    a = _card_data(1, "Chuyên mục cải cách tiền lương", "not_started", ["in_progress"], "2-2024-09-30-1")
    b = _card_data(2, "Thông cáo báo chí tháng 8", "in_progress", ["not_started"], "2-2024-08-20-2")
    start = {"not_started": [a], "in_progress": [b]}
    draw(_board_data(start))

    def where(card_id):
        return page.locator(f".kb-card[data-id='{card_id}']").get_attribute("data-status")

    _card(page, "Chuyên mục cải cách tiền lương").locator("select").select_option("in_progress")
    _card(page, "Chuyên mục cải cách tiền lương").get_by_role("button", name="Chuyển").click()
    sent = page.evaluate("window.sent")
    assert [(e["name"], e["id"], e["from"], e["to"]) for e in sent] == [("move", 1, "not_started", "in_progress")]
    first = sent[0]["nonce"]
    assert where(1) == "in_progress" and page.locator(".kb-card[data-id='1']").get_attribute("aria-busy") == "true"
    expect(_head(page, "in_progress")).to_have_text("2 / 1")
    expect(_head(page, "in_progress")).to_have_class("kb-count kb-over")
    expect(_head(page, "not_started")).to_have_text("0")
    expect(_cell(page, "not_started")).to_contain_text("Không có công việc")

    # a board drawn for another reason (an earlier run) has not seen the move: the guess stays on top of it
    draw(_board_data(start, rev=1, ack={"nonce": first - 1, "ok": True}))
    assert where(1) == "in_progress"
    expect(page.locator(".kb-card[data-id='1']")).to_have_class(PENDING)
    expect(_head(page, "in_progress")).to_have_text("2 / 1")

    # the server answers that move with the card where it was (refused): the card is back, not busy
    draw(_board_data(start, rev=2, ack={"nonce": first, "ok": False}))
    assert where(1) == "not_started"
    expect(page.locator(".kb-card[data-id='1']")).not_to_have_class(PENDING)
    expect(_head(page, "in_progress")).to_have_text("1 / 1")
    expect(_head(page, "in_progress")).to_have_class("kb-count")

    # moved again and saved: the server's board has it, marked as the card just moved
    _card(page, "Chuyên mục cải cách tiền lương").locator("select").select_option("in_progress")
    _card(page, "Chuyên mục cải cách tiền lương").get_by_role("button", name="Chuyển").click()
    second = page.evaluate("window.sent")[-1]["nonce"]
    assert second > first
    saved = {"in_progress": [b, {**a, "status": "in_progress", "version": 2, "recent": True}]}
    draw(_board_data(saved, rev=3, ack={"nonce": second, "ok": True}))
    assert where(1) == "in_progress"
    expect(page.locator(".kb-card[data-id='1']")).to_have_class(re.compile(r"\bkb-recent\b"))
    expect(page.locator(".kb-card[data-id='1']")).not_to_have_class(PENDING)

    # a guess about a card the server has meanwhile shown elsewhere is dropped: the server's board wins
    _card(page, "Thông cáo báo chí tháng 8").locator("select").select_option("not_started")
    _card(page, "Thông cáo báo chí tháng 8").get_by_role("button", name="Chuyển").click()
    assert where(2) == "not_started"
    elsewhere = {"in_progress": saved["in_progress"][1:], "awaiting_confirmation": [{**b, "status": "awaiting_confirmation"}]}
    draw(_board_data(elsewhere, rev=4, ack={"nonce": second, "ok": True}))
    assert where(2) == "awaiting_confirmation"
    expect(page.locator(".kb-card[data-id='2']")).not_to_have_class(PENDING)
    expect(page.locator(".kb-card[data-id='1']")).not_to_have_class(re.compile(r"\bkb-recent\b"))  # seen already
    assert [e["name"] for e in page.evaluate("window.sent")] == ["move"] * 3  # one event per move, no more

    # the board mounted anew (back from another page) with the same answer: nothing flashes
    page.evaluate("(data) => window.draw(data, 'again')", json.loads(json.dumps(
        _board_data(saved, rev=3, ack={"nonce": second, "ok": True}))))
    expect(page.locator("#again .kb-card[data-id='1']")).to_have_attribute("data-status", "in_progress")
    expect(page.locator("#again .kb-card[data-id='1']")).not_to_have_class(re.compile(r"\bkb-recent\b"))


def test_sending_for_confirmation_asks_for_evidence_then_the_card_dialog_shows_the_history(board_app, page):
    server, engine, ids = board_app
    _open_board(page, server, "truong.tcbc", "mat-khau-don-vi")
    _drag(page, _card(page, "Thông cáo báo chí tháng 8"), _cell(page, "awaiting_confirmation"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("cần có minh chứng")
    assert _status(engine, ids["keys"]) is Status.IN_PROGRESS
    # until the evidence is given the card is drawn where the database has it
    expect(_cell(page, "in_progress").locator("[data-testid='kanban-card']",
                                              has_text="Thông cáo báo chí tháng 8")).to_have_count(1)
    expect(_cell(page, "awaiting_confirmation").locator("[data-testid='kanban-card']")).to_have_count(0)
    dialog.get_by_label("Đường dẫn minh chứng (mỗi dòng một đường dẫn http/https)").fill(
        "https://moha.gov.vn/tin-tuc/thong-cao-thang-8")
    dialog.get_by_role("button", name="Chuyển").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã chuyển “Thông cáo báo chí tháng 8” sang “Chờ xác nhận”.")).to_be_visible()
    assert _status(engine, ids["keys"]) is Status.AWAITING_CONFIRMATION

    _card(page, "Thông cáo báo chí tháng 8").locator(".kb-title").click()
    wait_for_app(page, settle_ms=500)
    dialog = page.get_by_role("dialog")
    open_tab(page, "Lịch sử (1)", within=dialog)
    expect(dialog).to_contain_text("Chuyển trạng thái")
    expect(dialog.get_by_role("link", name="https://moha.gov.vn/tin-tuc/thong-cao-thang-8")).to_be_visible()


def test_progress_reported_from_the_card_dialog_shows_on_the_card(board_app, page):
    server, _, _ = board_app
    _open_board(page, server, "van.phong", "mat-khau-van-phong")
    # work already in progress (progress on work not started would also start it: a move past the WIP limit here)
    _card(page, "Thông cáo báo chí tháng 8").locator(".kb-title").click()
    wait_for_app(page, settle_ms=500)
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Tiến độ (%)").fill("65")
    dialog.get_by_role("button", name="Gửi báo cáo").click()
    wait_for_app(page, settle_ms=500)
    expect(page.get_by_text("Đã ghi nhận báo cáo tiến độ.")).to_be_visible()
    expect(_card(page, "Thông cáo báo chí tháng 8").locator(".kb-pct")).to_have_text("65%")


def test_a_title_with_markup_is_shown_as_text(board_app, page):
    server, _, _ = board_app
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open_board(page, server, "van.phong", "mat-khau-van-phong")
    card = _card(page, XSS)
    expect(card).to_be_visible()
    expect(card.locator(".kb-title")).to_have_text(XSS)
    expect(card).to_contain_text("Vướng mắc")
    assert page.locator("[data-testid='kanban-board'] img").count() == 0
    card.locator(".kb-title").click()  # the card's dialog shows the title as text too
    wait_for_app(page, settle_ms=500)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(XSS)
    assert dialog.locator("img[src='x']").count() == 0
    screenshot(page, "board_card_dialog.png")
    page.wait_for_timeout(300)
    assert dialogs == []


def test_screenshot_of_a_board_with_swimlanes(app_server, page):
    server = app_server(
        setup=[(["demo", "--items", "60", "--seed", "4"], None),
               (["user", "add", "lanhdao", "--role", "leader", "--full-name", "Lãnh đạo Bộ"], "mat-khau-lanh-dao\n")],
        env={"TRACKER_TODAY": "2024-09-30"},
    )
    _open_board(page, server, "lanhdao", "mat-khau-lanh-dao")
    done = _cell(page, "done")
    more = done.get_by_role("button", name="Xem thêm (20/29)")
    expect(more).to_be_visible()
    expect(done.locator("[data-testid='kanban-card']")).to_have_count(20)
    more.click()
    wait_for_app(page)
    expect(done.locator("[data-testid='kanban-card']")).to_have_count(29)
    _unfold_filters(page)
    _lanes_by_unit(page)  # the filters are in the address: a link shows the same board
    lanes = page.locator("[data-testid='kanban-lane']")
    expect(lanes.first).to_be_visible()
    assert lanes.count() >= 2
    expect(page.locator("[data-testid='kanban-column-head']").first).to_contain_text("Chưa triển khai")
    page.get_by_text("Bộ lọc và cách hiển thị").click()  # fold the filters away: more board in the picture
    page.wait_for_timeout(300)
    page.locator("[data-testid='kanban-board']").scroll_into_view_if_needed()
    screenshot(page, "board_swimlanes.png")  # the viewport: column heads and the first lanes, readable


def test_a_lane_over_its_own_wip_limit_is_marked_and_a_move_updates_the_mark(page):
    """The office's per-lane limit (Quản trị danh mục → Bảng Kanban) as the component draws it."""
    page.set_content("<div id='host'><div class='kb-root'></div></div>")
    page.evaluate("""async (source) => {
        const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
        const module = await import(url);
        window.sent = [];
        window.draw = (data) => module.default({data, parentElement: document.getElementById("host"),
            setTriggerValue: (name, value) => window.sent.push({name, ...value})});
    }""", BOARD_JS.read_text(encoding="utf-8"))
    a = _card_data(1, "Chuyên mục cải cách tiền lương", "in_progress", ["not_started"], "2-2024-09-30-1")
    b = _card_data(2, "Thông cáo báo chí tháng 8", "in_progress", ["not_started"], "2-2024-08-20-2")
    data = _board_data({"in_progress": [a, b]})
    data["swimlanes"] = True
    data["lanes"][0]["label"] = "Vụ Tổ chức - Biên chế"
    for status, cell in data["lanes"][0]["cells"].items():
        cell["wip"] = 1 if status == "in_progress" else None
    page.evaluate("(data) => window.draw(data)", json.loads(json.dumps(data)))
    cell = _cell(page, "in_progress")
    expect(cell).to_have_class(re.compile(r"\bkb-cell-over\b"))
    expect(cell.locator(".kb-cell-limit")).to_have_text("Vượt giới hạn WIP của làn: 2 / 1")
    _card(page, "Thông cáo báo chí tháng 8").locator("select").select_option("not_started")
    _card(page, "Thông cáo báo chí tháng 8").get_by_role("button", name="Chuyển").click()
    expect(cell).not_to_have_class(re.compile(r"\bkb-cell-over\b"))
    expect(cell.locator(".kb-cell-limit")).to_have_count(0)
