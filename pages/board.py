"""Bảng Kanban: work items as cards in four status columns; drag or "Chuyển sang…" to move them.

Filters live in the URL (a link shows the same board); moves go through the move service and
a refused move is explained and the card redrawn where it was. A card opens in a dialog.
"""

import streamlit as st

from tracker import clock
from tracker.db import session_scope
from tracker.errors import TrackerError
from tracker.limits import max_chars
from tracker.models import Status, UnitKind
from tracker.rag import RAG_LABELS, Rag
from tracker.services import board as board_service
from tracker.services import evidence as evidence_service
from tracker.services import items as item_service
from tracker.services import progress as progress_service
from tracker.services.board import SWIMLANE_LABELS, BoardFilters, Swimlane
from tracker.text import format_date, parse_id
from tracker.ui import board as board_ui
from tracker.ui import item_view, saved_views
from tracker.ui.auth import current_actor, require_actor
from tracker.ui.data import clear_after_write
from tracker.ui.engine import get_engine
from tracker.ui.text import md

BOARD_KEY = "board_component"
LAST = "board_last_params"  # plain state: outlives the filter widgets, dropped while on another page
ALL = "all"  # the "Tất cả" choice: a plain string, so it survives reruns in st.session_state

actor = require_actor()
today = clock.today()
st.session_state.setdefault("board_rev", 0)


def _flash(kind: str, message: str) -> None:
    st.session_state["board_flash"] = (kind, message)
    st.session_state["board_rev"] += 1  # redraw even if nothing changed: a refused card snaps back


def _on_move() -> None:
    payload = board_ui.event(BOARD_KEY, "move")
    request = board_ui.MoveRequest.parse(payload)
    # The browser has already drawn the card in its new column ("Đang lưu…"): this run's board,
    # drawn from the database, answers that move (the component drops its guess on seeing the ack).
    ack = {"nonce": board_ui.event_nonce(payload), "ok": False}
    st.session_state["board_ack"] = ack
    if request is None:
        st.session_state["board_rev"] += 1
        return
    # The day of the board that was drawn: a callback runs before app.py sets the database's today.
    outcome = board_ui.apply_move(get_engine(), actor=current_actor(), request=request, today=today)
    ack["ok"] = outcome.ok
    if outcome.needs_reason or outcome.needs_evidence:
        st.session_state["board_pending"] = {"move": request.as_dict(), "message": outcome.message,
                                             "reason": outcome.needs_reason, "evidence": outcome.needs_evidence}
        st.session_state["board_rev"] += 1
        return
    if outcome.ok:
        _moved(request.item_id)
    _flash("success" if outcome.ok else "error", outcome.message)


def _moved(item_id: int) -> None:
    clear_after_write()
    st.session_state.pop(f"item_base_version_{item_id}", None)  # the card dialog's form starts anew
    st.session_state["board_recent"] = item_id  # drawn in its new column even below the first cards


def _on_open() -> None:
    value = board_ui.event(BOARD_KEY, "open")
    if isinstance(value, dict) and (item_id := parse_id(value.get("id"))) is not None:
        st.session_state["board_open"] = item_id


def _on_more() -> None:
    value = board_ui.event(BOARD_KEY, "more")
    try:
        status = Status(value.get("status")) if isinstance(value, dict) else None
    except ValueError:
        status = None
    if status is not None:
        paging = st.session_state.get("board_paging", {})
        st.session_state["board_paging"] = {**paging, "limits": board_service.more(
            paging.get("limits", {}), status, BoardFilters.from_params(st.query_params).lanes)}


@st.dialog("Chuyển công việc", on_dismiss=lambda: st.session_state.pop("board_pending", None))
def _details_dialog(pending: dict) -> None:
    request = board_ui.MoveRequest.parse(pending["move"])
    st.warning(md(pending["message"]))
    with st.form("board_details_form"):
        reason = st.text_area("Lý do", key="board_details_reason", max_chars=max_chars("progress_note")) if pending["reason"] else ""
        evidence, uploads = "", []
        if pending["evidence"]:
            evidence = st.text_area("Đường dẫn minh chứng (mỗi dòng một đường dẫn http/https)",
                                    key="board_details_evidence")
            uploads = item_view.evidence_uploader("board_details_files")
        if not st.form_submit_button("Chuyển", type="primary"):
            return
    outcome = board_ui.apply_move(get_engine(), actor=actor, request=request, today=today, reason=reason,
                                  evidence=evidence, files=tuple(evidence_service.Upload(u.name, u.getvalue())
                                                                 for u in uploads or []))
    if outcome.needs_reason or outcome.needs_evidence or not outcome.ok:
        st.error(md(outcome.message))
        return
    st.session_state.pop("board_pending", None)
    _moved(request.item_id)
    _flash("success", outcome.message)
    st.rerun()


@st.dialog("Chi tiết công việc", width="large", on_dismiss=lambda: st.session_state.pop("board_open", None))
def _card_dialog(item_id: int) -> None:
    try:
        with session_scope(get_engine()) as session:
            item = item_service.get_item(session, actor=actor, item_id=item_id, today=today)
            entries = progress_service.item_history(session, actor=actor, item_id=item_id)
    except TrackerError as exc:
        st.error(md(str(exc)))
        return
    st.subheader(md(item.title), anchor=False)
    st.caption(f"Công việc số {item.id} · phiên bản {item.version}")
    item_view.facts(item, today)
    tab_report, tab_history = st.tabs(["Báo cáo tiến độ", f"Lịch sử ({len(entries)})"])
    with tab_report:
        item_view.report_tab(actor, item, today)
    with tab_history:
        item_view.history(entries)
    st.page_link("pages/item.py", label="Mở trang chi tiết", query_params={"id": str(item.id)},
                 icon=":material/open_in_new:")


def _choice(label: str, options: list, names: dict, key: str, current, container) -> object:
    """A selectbox whose first choice is "Tất cả" (returned as None); starts from the URL's value."""
    values = [ALL, *options]
    if key not in st.session_state:
        st.session_state[key] = current if current in options else ALL
    elif st.session_state[key] not in values:
        st.session_state[key] = ALL
    value = container.selectbox(label, values, key=key, format_func=lambda v: "Tất cả" if v == ALL else names[v])
    return None if value == ALL else value


st.title("Bảng Kanban")
# Back from another page through the sidebar, the address has no filters: show the last ones.
filters = BoardFilters.from_params(st.query_params.to_dict() or st.session_state.get(LAST, {}))
with session_scope(get_engine()) as session:
    options = board_service.filter_options(session, actor=actor, plan_id=filters.plan)

# Folded unless a filter is in use (on a phone the open filters filled more than the first screen); the
# label counts those in use, and the key keeps the fold as the person left it when that count changes.
in_use = len(filters.to_params())
with st.expander("Bộ lọc và cách hiển thị" + (f" · {in_use} đang dùng" if in_use else ""), expanded=bool(in_use),
                 key="board_filters_fold", icon=":material/filter_list:"):
    row1 = st.columns([1.2, 1.6, 1.6, 1])
    plan = _choice("Kế hoạch", [p for p, _ in options.plans], dict(options.plans), "board_filter_plan",
                   filters.plan, row1[0])
    task = _choice("Nhiệm vụ trọng tâm", [t for t, _ in options.tasks], dict(options.tasks), "board_filter_task",
                   filters.task if plan == filters.plan else None, row1[1])
    unit = _choice("Đơn vị chủ trì", [u for u, _ in options.units], dict(options.units), "board_filter_unit",
                   filters.unit, row1[2])
    kind = _choice("Loại đơn vị", [UnitKind(k) for k, _ in options.kinds],
                   {UnitKind(k): n for k, n in options.kinds}, "board_filter_kind", filters.kind, row1[3])
    row2 = st.columns([1.3, 1, 0.8, 1, 1.6])
    form = _choice("Hình thức", [f for f, _ in options.forms], dict(options.forms), "board_filter_form",
                   filters.form, row2[0])
    rag = _choice("Mức độ", list(Rag), RAG_LABELS, "board_filter_rag", filters.rag, row2[1])
    blocked = _choice("Vướng mắc", [True, False], {True: "Có", False: "Không"}, "board_filter_blocked",
                      filters.blocked, row2[2])
    due = _choice("Đến hạn trong", [7, 14, 30, 60, 90], {d: f"{d} ngày" for d in (7, 14, 30, 60, 90)},
                  "board_filter_due", filters.due, row2[3])
    st.session_state.setdefault("board_filter_q", filters.q)
    q = row2[4].text_input("Tìm theo số hoặc tên công việc", key="board_filter_q", max_chars=max_chars("search"))
    st.session_state.setdefault("board_filter_lanes", filters.lanes)
    lanes = st.segmented_control("Chia làn", list(Swimlane), key="board_filter_lanes",
                                 format_func=lambda v: SWIMLANE_LABELS[v]) or Swimlane.NONE

filters = BoardFilters(plan=plan, task=task, unit=unit, kind=kind, form=form, rag=rag, blocked=blocked, due=due,
                       q=q.strip(), lanes=lanes)
params = filters.to_params()
st.session_state[LAST] = params
if dict(st.query_params) != params:
    st.query_params.from_dict(params)
saved_views.box("board")
if st.session_state.get("board_paging", {}).get("filters") != params:
    st.session_state["board_paging"] = {"filters": params, "limits": {}}


@st.fragment
def _board_part(filters: BoardFilters) -> None:
    """The board, its messages and dialogs. A move, "Xem thêm" or a card opened reruns only this part
    (a fragment), not the filters above: the server's answer to a drag comes back sooner."""
    if flash := st.session_state.pop("board_flash", None):
        (st.success if flash[0] == "success" else st.error)(md(flash[1]))
    if item_flash := st.session_state.pop("item_flash", None):
        st.success(md(item_flash))

    with session_scope(get_engine()) as session:
        recent = st.session_state.get("board_recent")
        board = board_service.read_board(session, actor=actor, filters=filters, today=today,
                                         limits=st.session_state["board_paging"].get("limits") or None,
                                         include_ids=[recent] if recent is not None else None)
    st.caption(f"Hôm nay: {format_date(today)} · {sum(board.totals.values())} công việc · thẻ gấp nhất ở trên "
               "cùng (quá hạn, có nguy cơ chậm, rồi theo hạn). Kéo thẻ sang cột khác hoặc dùng “Chuyển sang…”.")
    if board.lane_count > len(board.lanes):
        st.info(f"Đang hiển thị {len(board.lanes)}/{board.lane_count} làn đầu tiên; hãy lọc thêm để xem các làn "
                "khác.")

    data = board.as_data()
    data["rev"] = st.session_state["board_rev"]
    data["ack"] = st.session_state.get("board_ack")
    board_ui.board(data, key=BOARD_KEY, on_move=_on_move, on_open=_on_open, on_more=_on_more)

    if pending := st.session_state.get("board_pending"):
        _details_dialog(pending)
    elif (open_id := st.session_state.get("board_open")) is not None:
        _card_dialog(open_id)


_board_part(filters)
