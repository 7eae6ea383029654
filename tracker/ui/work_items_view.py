"""Widgets of the "Công việc" page: URL filters, the item table, item and fan-out forms, delete, import."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import MutableMapping

import pandas as pd
import streamlit as st

from tracker import deadlines
from tracker.db import session_scope
from tracker.errors import TrackerError
from tracker.limits import max_chars
from tracker.models import Plan, Status
from tracker.permissions import Action, Actor, can
from tracker.services import imports as import_service
from tracker.services import rollover
from tracker.services import settings as settings_service
from tracker.services import work_items as svc
from tracker.services import progress as progress_service
from tracker.services import work_item_lists as lists
from tracker.services.work_item_lists import ItemFilter, ItemListRow, PlanChoices
from tracker.services.sheet_layout import FIELD_LABELS, IGNORE, Layout
from tracker.services.work_items import ItemInput
from tracker.text import format_date, format_money, shorten
from tracker.ui import data, item_view
from tracker.ui.engine import get_engine
from tracker.ui.text import md
from tracker.ui.writes import attempt
from tracker.workflow import STATUS_LABELS

DATE = "DD/MM/YYYY"
FLASH = "work_items_flash"
LIST_LIMIT = 1000
GENERATION = "work_items_generation"
PARSED_KEY = "work_items_import_parsed"
SEEN_KEY = "work_items_import_seen_versions"
LAYOUT_KEY = "work_items_import_layout"
CHOSEN_KEY = "work_items_import_chosen_units"
ANY = None


@data.catalog_read()
def _choices(url: str, plan_id: int) -> PlanChoices:
    with session_scope(get_engine()) as session:
        return lists.plan_choices(session, plan_id=plan_id)


def choices(plan_id: int) -> PlanChoices:
    return _choices(data._url(), plan_id)


def write(action, done) -> None:
    """Run one service call in its own transaction; show every problem, or flash `done` and rerun.

    `done` is the message, or a function of the call's result that makes it.
    """
    ok, result = attempt(action)
    if not ok:
        return
    # Widgets whose defaults come from the data (the rollover's item choice) start afresh.
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
    st.session_state[FLASH] = done(result) if callable(done) else done
    st.rerun()


def fresh_key(base: str) -> str:
    """A form's key, new after each saved write: the form comes back empty (the browser would
    otherwise send the submitted values again), and stays filled after a refusal."""
    generation = st.session_state.get(GENERATION, 0)
    return f"{base}_{generation}" if generation else base


def _param_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filters(actor: Actor, ch: PlanChoices, plan_id: int) -> ItemFilter:
    """Filter widgets seeded from st.query_params and written back, so a link shows the same list."""
    qp = st.query_params
    task_key = f"work_items_task_{plan_id}"  # task ids belong to one plan
    seeds = {
        task_key: next((o.id for o in ch.tasks if o.code == qp.get("nv")), ANY),
        "work_items_unit": next((o.id for o in ch.units if o.code == qp.get("dv")), ANY),
        "work_items_form": next((o.id for o in ch.forms if o.code == qp.get("ht")), ANY),
        "work_items_status": qp.get("tt") if qp.get("tt") in {s.value for s in Status} else ANY,
        "work_items_due": tuple(d for d in (_param_date(qp.get("tu")), _param_date(qp.get("den"))) if d),
        "work_items_text": qp.get("q", ""),
    }
    for key, value in seeds.items():
        st.session_state.setdefault(key, value)
    text = st.text_input("Tìm theo số hoặc tên công việc", key="work_items_text", max_chars=max_chars("search"),
                         placeholder="Ví dụ: tien luong (không cần dấu)")
    cols = st.columns([2, 2, 2, 2, 2])
    tasks = {o.id: o.label for o in ch.tasks}
    units = {o.id: o.label for o in ch.units}
    forms = {o.id: o.label for o in ch.forms}
    task = cols[0].selectbox("Nhiệm vụ", [ANY, *tasks], key=task_key, placeholder="Tất cả",
                             format_func=lambda v: "Tất cả" if v is None else shorten(tasks[v], 60))
    unit = cols[1].selectbox("Đơn vị chủ trì", [ANY, *units], key="work_items_unit", placeholder="Tất cả",
                             format_func=lambda v: "Tất cả" if v is None else units[v])
    form = cols[2].selectbox("Hình thức", [ANY, *forms], key="work_items_form", placeholder="Tất cả",
                             format_func=lambda v: "Tất cả" if v is None else forms[v])
    status = cols[3].selectbox("Trạng thái", [ANY, *(s.value for s in Status)], key="work_items_status", placeholder="Tất cả",
                               format_func=lambda v: "Tất cả" if v is None else STATUS_LABELS[Status(v)])
    due = cols[4].date_input("Hạn trong khoảng", key="work_items_due", format=DATE)
    deleted = False
    if can(actor, Action.MANAGE_ITEMS):
        st.session_state.setdefault("work_items_deleted", qp.get("da_xoa") == "1")
        deleted = st.toggle("Hiện cả công việc đã xóa", key="work_items_deleted")
    due_from, due_to = (tuple(due) + (None, None))[:2] if due else (None, None)
    params = {
        "nv": next((o.code for o in ch.tasks if o.id == task), None),
        "dv": next((o.code for o in ch.units if o.id == unit), None),
        "ht": next((o.code for o in ch.forms if o.id == form), None),
        "tt": status, "tu": due_from.isoformat() if due_from else None, "den": due_to.isoformat() if due_to else None,
        "da_xoa": "1" if deleted else None, "q": text.strip() or None,
    }
    for name, value in params.items():
        if value:
            qp[name] = value
        elif name in qp:
            del qp[name]
    return ItemFilter(plan_id=plan_id, task_id=task, unit_id=unit, form_id=form,
                      status=Status(status) if status else None, due_from=due_from, due_to=due_to,
                      include_deleted=deleted, text=text.strip())


def table(rows: list[ItemListRow]) -> ItemListRow | None:
    """The sortable list; returns the row the user selected."""
    if not rows:
        st.info("Không có công việc nào phù hợp với bộ lọc.")
        return None
    arabic = all(r.task_label.isdigit() for r in rows)  # roman-numbered plans (2023) show their labels
    frame = pd.DataFrame([{
        "Số": r.id, "Nhiệm vụ": r.task_number if arabic else f"({r.task_label})", "Nội dung công việc": r.title, "Đơn vị chủ trì": r.lead_unit,
        "Đơn vị phối hợp": "; ".join(r.coordinating_units), "Hình thức": r.form, "Bắt đầu": r.start_date,
        "Hạn": r.due_date, "Chỉ tiêu": f"{r.target_qty or ''} {r.target_unit or ''}".strip(),
        "Kinh phí (đồng)": r.budget_planned, "Trạng thái": "Đã xóa" if r.deleted else r.status_label,
        "Tiến độ": r.progress,
    } for r in rows])
    frame["Kinh phí (đồng)"] = frame["Kinh phí (đồng)"].astype("Int64")
    event = st.dataframe(
        frame, key="work_items_table", hide_index=True, on_select="rerun", selection_mode="single-row",
        width="stretch", placeholder="—",
        column_config={
            "Bắt đầu": st.column_config.DateColumn(format=DATE), "Hạn": st.column_config.DateColumn(format=DATE),
            "Nhiệm vụ": st.column_config.NumberColumn(format="(%d)") if arabic else None,
            "Kinh phí (đồng)": st.column_config.NumberColumn(format="localized"),
            "Tiến độ": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d%%"),
        },
    )
    st.caption(f"{len(rows)} công việc. Bấm tiêu đề cột để sắp xếp; chọn một dòng để xem, sửa hoặc xóa.")
    return rows[event.selection.rows[0]] if event.selection.rows else None


def item_form(key: str, ch: PlanChoices, initial: ItemInput | None = None, *,
              fan_out: bool = False) -> tuple[ItemInput, dict] | None:
    """The fields of a work item in a form; returns (input, extra) when submitted."""
    tasks = {o.id: o.label for o in ch.tasks}
    units = {o.id: o.label for o in ch.units}
    forms = {o.id: o.label for o in ch.forms}
    init = initial or ItemInput(priority_task_id=None, title="", lead_unit_id=None, form_id=None)
    extra: dict = {}

    def index(options, value):
        return list(options).index(value) if value in options else None

    with st.form(key, clear_on_submit=False):
        task = st.selectbox("Nhiệm vụ trọng tâm", list(tasks), index=index(tasks, init.priority_task_id),
                            format_func=lambda v: tasks[v], key=f"{key}_task", placeholder="Chọn nhiệm vụ")
        title = st.text_area("Nội dung công việc", value=init.title, key=f"{key}_title", max_chars=max_chars("title"))
        if fan_out:
            extra["scope"] = st.radio("Giao cho", ["units", *svc.SCOPE_LABELS], horizontal=True, key=f"{key}_scope",
                                      format_func=lambda v: svc.SCOPE_LABELS.get(v, "Các đơn vị chọn dưới đây"))
            extra["unit_ids"] = st.multiselect("Đơn vị chủ trì (mỗi đơn vị một công việc)", list(units),
                                               format_func=lambda v: units[v], key=f"{key}_units",
                                               placeholder="Chọn đơn vị")
            lead = None
        else:
            lead = st.selectbox("Đơn vị chủ trì", list(units), index=index(units, init.lead_unit_id),
                                format_func=lambda v: units[v], key=f"{key}_lead", placeholder="Chọn đơn vị")
        coord = st.multiselect("Đơn vị phối hợp", list(units), default=[u for u in init.coordinating_unit_ids if u in units],
                               format_func=lambda v: units[v], key=f"{key}_coord",
                               placeholder="Chọn đơn vị (không bắt buộc)")
        c1, c2 = st.columns(2)
        form = c1.selectbox("Hình thức", list(forms), index=index(forms, init.form_id),
                            format_func=lambda v: forms[v], key=f"{key}_form", placeholder="Chọn hình thức")
        shown_channel = next((o.label for o in ch.channels if o.id == init.channel_id), init.channel_text or "")
        channel = c2.text_input("Kênh/Sản phẩm", value=shown_channel, key=f"{key}_channel",
                                max_chars=max_chars("channel_text"))
        start = c1.date_input("Ngày bắt đầu", value=init.start_date, format=DATE, key=f"{key}_start")
        due = c2.date_input("Hạn hoàn thành", value=init.due_date, format=DATE, key=f"{key}_due")
        qty = c1.number_input("Chỉ tiêu (số lượng)", value=init.target_qty, step=1, key=f"{key}_qty")
        unit_text = c2.text_input("Đơn vị tính (tin bài, cuộc...)", value=init.target_unit or "", key=f"{key}_qty_unit",
                                  max_chars=max_chars("target_unit"))
        budget = c1.number_input("Kinh phí (đồng)", value=init.budget_planned, step=1_000_000, key=f"{key}_budget")
        recurring = c2.checkbox("Lặp lại hằng năm", value=init.recurring, key=f"{key}_recurring")
        note = st.text_area("Ghi chú", value=init.note or "", key=f"{key}_note", max_chars=max_chars("item_note"))
        label = "Giao việc" if fan_out else ("Lưu thay đổi" if initial else "Thêm công việc")
        if not st.form_submit_button(label, type="primary"):
            return None
    return ItemInput(
        priority_task_id=task, title=title, lead_unit_id=lead, form_id=form, coordinating_unit_ids=tuple(coord),
        channel_id=ch.channel_id(channel), channel_text=None if ch.channel_id(channel) else channel,
        start_date=start, due_date=due,
        target_qty=int(qty) if qty is not None else None, target_unit=unit_text,
        budget_planned=int(budget) if budget is not None else None, note=note, recurring=recurring,
        description=initial.description if initial else None,
    ), extra


def deleted_section(actor: Actor, row: ItemListRow) -> None:
    """A deleted item: its whole history (who created, changed and deleted it) and a way back."""
    st.subheader(f"Công việc số {row.id} (đã xóa): {md(row.title)}", anchor=False)
    with session_scope(get_engine()) as session:
        entries = progress_service.item_history(session, actor=actor, item_id=row.id)
    item_view.history(entries)
    if st.button("Khôi phục công việc", key="work_items_restore", icon=":material/restore_from_trash:"):
        write(lambda s: svc.restore_item(s, actor=actor, item_id=row.id), f"Đã khôi phục công việc số {row.id}.")


def _close_delete() -> None:
    st.session_state.pop("work_items_deleting", None)


def edit_section(actor: Actor, item_id: int, ch: PlanChoices) -> None:
    """The edit form of one item, pinned to the version it was drawn from.

    The version is kept in session state: if someone else saves meanwhile, the save is refused as
    stale (the typed values stay in the form) instead of silently applying over their change.
    """
    try:
        with session_scope(get_engine()) as session:
            initial, version = svc.get_input(session, actor=actor, item_id=item_id)
    except TrackerError as exc:
        st.error(md(str(exc)))
        return
    pinned_key = f"work_items_edit_version_{item_id}"
    drawn = st.session_state.setdefault(pinned_key, version)
    if drawn != version and st.button("Bỏ nội dung đang sửa, tải bản mới nhất", key=f"work_items_reload_{item_id}"):
        st.session_state.pop(pinned_key, None)
        st.rerun()
    submitted = item_form(f"work_items_edit_{item_id}_{drawn}", ch, initial)
    if submitted:
        new, _ = submitted

        def save(session):
            item = svc.update_item(session, actor=actor, item_id=item_id, expected_version=drawn, data=new)
            st.session_state.pop(pinned_key, None)
            return item

        write(save, f"Đã lưu công việc số {item_id}.")


@st.dialog("Xóa công việc", on_dismiss=_close_delete)
def confirm_delete(actor: Actor, row: ItemListRow) -> None:
    st.markdown(f"Xóa công việc **{md(row.title)}** ({md(row.lead_unit)})? Công việc không còn trong các danh sách "
                "nhưng lịch sử vẫn được giữ lại.")
    reason = st.text_input("Lý do xóa", key="work_items_delete_reason", max_chars=max_chars("progress_note"))
    left, right = st.columns(2)
    if right.button("Không xóa", key="work_items_delete_cancel"):
        st.session_state.pop("work_items_deleting", None)
        st.rerun()
    if left.button("Xóa", type="primary", key="work_items_delete_confirm"):
        st.session_state.pop("work_items_deleting", None)
        write(lambda s: svc.delete_item(s, actor=actor, item_id=row.id, expected_version=row.version, reason=reason),
              f"Đã xóa công việc số {row.id}.")


def error_table(errors: list[import_service.RowError]) -> None:
    st.error(f"Tệp có {len(errors)} lỗi, chưa nhập công việc nào. Sửa các lỗi dưới đây rồi tải lên lại.")
    # The reason is the column people need: it comes first after the row and takes the rest of the width,
    # three lines high, so a long reason reads whole instead of being cut at the right edge.
    st.dataframe(pd.DataFrame([{"Dòng": e.row, "Lỗi": e.reason, "Cột": e.column, "Giá trị": e.value}
                               for e in errors]), hide_index=True, width="stretch", key="work_items_import_errors",
                 row_height=64, column_config={"Dòng": st.column_config.NumberColumn(width="small"),
                                               "Lỗi": st.column_config.TextColumn(width="large"),
                                               "Cột": st.column_config.TextColumn(width="small")})


def preview_frame(preview: import_service.ImportResult, ch: PlanChoices) -> pd.DataFrame:
    """Every field the file gives an item, one row per sheet row, and what the import would do with it."""
    units = {o.id: o.label for o in ch.units}
    forms = {o.id: o.label for o in ch.forms}
    channels = {o.id: o.label for o in ch.channels}
    return pd.DataFrame([{  # the guesses next to what they decided, not past the right edge
        "Dòng": str(r.slot), "Nhiệm vụ": f"({r.task_label})", "Nội dung công việc": r.data.title,
        "Đơn vị chủ trì": r.lead_unit, "Hạn": format_date(r.data.due_date),
        "Đối chiếu, suy đoán": "; ".join(r.notes),
        "Đơn vị phối hợp": "; ".join(units.get(u, str(u)) for u in r.data.coordinating_unit_ids),
        "Hình thức": forms.get(r.data.form_id, ""),
        "Kênh/Sản phẩm": channels.get(r.data.channel_id, "") if r.data.channel_id else (r.data.channel_text or ""),
        "Bắt đầu": format_date(r.data.start_date),
        "Chỉ tiêu": f"{r.data.target_qty or ''} {r.data.target_unit or ''}".strip(),
        "Kinh phí": format_money(r.data.budget_planned), "Sẽ": preview.would.get(r.slot, ""),
    } for r in preview.rows])


def read_once(store: MutableMapping, *, actor: Actor, plan_id: int, content: bytes,
              mapping: dict[str, str] | None = None, recurrence: str = deadlines.MONTH,
              chosen_units: dict[str, str] | None = None) -> list:
    """The uploaded file's rows, parsed once: kept with the file's hash (and the mapping chosen), so a rerun
    (any click) does not re-parse.

    Raises:
        ImportFailed: the file's problems (kept too, and raised again on each rerun).
    """
    tag = (plan_id, hashlib.sha256(content).hexdigest(), tuple(sorted((mapping or {}).items())), recurrence,
           tuple(sorted((chosen_units or {}).items())))
    kept = store.get(PARSED_KEY)
    if kept is None or kept[0] != tag:
        try:
            with session_scope(get_engine()) as session:
                kept = (tag, import_service.read_file(session, actor=actor, plan_id=plan_id, data=content,
                                                      mapping=mapping, recurrence=recurrence,
                                                      chosen_units=chosen_units), None)
        except import_service.ImportFailed as exc:
            kept = (tag, None, exc.errors)
        store[PARSED_KEY] = kept
    if kept[2] is not None:
        raise import_service.ImportFailed(kept[2])
    return kept[1]


def layout_once(store: MutableMapping, *, plan_id: int, content: bytes) -> Layout:
    """The file's layout (proposed, or as mapped last time), found once per file."""
    tag = (plan_id, hashlib.sha256(content).hexdigest())
    kept = store.get(LAYOUT_KEY)
    if kept is None or kept[0] != tag:
        with session_scope(get_engine()) as session:
            kept = (tag, import_service.detect_layout(session, plan=session.get(Plan, plan_id), data=content))
        store[LAYOUT_KEY] = kept
    return kept[1]


def mapping_section(layout: Layout) -> tuple[dict[str, str], str]:
    """The columns of a file not in our template, each with the field proposed, for the office to confirm
    or change; and how a "Thường xuyên" row is split."""
    st.markdown(f"**Tệp không theo mẫu.** Dòng tiêu đề là dòng {layout.header_row} (trang “{md(layout.sheet)}”). "
                "Kiểm tra cột nào ứng với trường nào rồi xem trước bên dưới"
                + (" (cách gán cột lần trước cho tệp cùng bố cục)." if layout.remembered else "."))
    options = [k for k in FIELD_LABELS if k not in ("item_id", "version")]
    chosen: dict[str, str] = {}
    headed = [(c, h) for c, h in enumerate(layout.headers) if h]
    grid = st.columns(4)
    for n, (c, header) in enumerate(headed):
        current = layout.columns.get(c, IGNORE)
        label = md(shorten(header, 40)) + (" (cột ẩn)" if c in layout.hidden else "")
        with grid[n % 4]:
            chosen[header] = st.selectbox(label, options, index=options.index(current) if current in options else 0,
                                          format_func=FIELD_LABELS.get, key=f"work_items_map_{layout.signature}_{c}",
                                          help=layout.guesses.get(c))
    recurrence = st.radio("Việc ghi “Thường xuyên”", list(deadlines.RECURRENCE_LABELS), horizontal=True,
                          format_func=deadlines.RECURRENCE_LABELS.get, key="work_items_import_recurring")
    return chosen, recurrence


def import_section(actor: Actor, plan_id: int, plan_code: str) -> None:
    """Upload, map the columns of a file in the office's own layout, check the whole file (a dry run),
    show errors or a preview with every guess, then import on confirmation."""
    st.caption("Cũng có thể tải lên bảng kế hoạch của đơn vị theo bố cục riêng: các cột được nhận diện để bạn "
               "kiểm tra, mọi chỗ đối chiếu hoặc suy đoán được ghi trong bản xem trước.")
    upload_key = f"work_items_upload_{st.session_state.get('work_items_upload_n', 0)}"
    upload = st.file_uploader("Tệp Excel (theo mẫu, hoặc bảng kế hoạch của đơn vị) (.xlsx)", type=["xlsx"],
                              key=upload_key, max_upload_size=import_service.MAX_BYTES // (1024 * 1024))
    if upload is None:
        return
    mapping, recurrence, layout = None, deadlines.MONTH, None
    try:
        content = upload.getvalue()
        layout = layout_once(st.session_state, plan_id=plan_id, content=content)
        if not layout.template:
            mapping, recurrence = mapping_section(layout)
        chosen = chosen_units(content)
        rows = read_once(st.session_state, actor=actor, plan_id=plan_id, content=content, mapping=mapping,
                         recurrence=recurrence, chosen_units=chosen)
        with session_scope(get_engine()) as session:
            preview = import_service.import_items(session, actor=actor, plan_id=plan_id, rows=rows, dry_run=True)
    except import_service.ImportFailed as exc:
        error_table(exc.errors)
        unit_choices(exc.errors, choices(plan_id), chosen_units(content))
        return
    except TrackerError as exc:
        st.error(md(str(exc)))
        return
    # The versions the user saw on the previous run are those the confirm holds the import to.
    tag = (plan_id, hashlib.sha256(content).hexdigest())
    shown = st.session_state.get(SEEN_KEY)
    seen = shown[1] if shown and shown[0] == tag else preview.versions
    st.session_state[SEEN_KEY] = (tag, preview.versions)
    st.success(md(preview.summary()))
    guessed = sum(1 for r in preview.rows if r.notes)
    if guessed:
        st.info(f"{guessed} công việc có chỗ được đối chiếu hoặc suy đoán (cột “Đối chiếu, suy đoán”): "
                "hãy kiểm tra trước khi nhập.", icon=":material/rule:")
    st.dataframe(preview_frame(preview, choices(plan_id)), hide_index=True, width="stretch",
                 key="work_items_import_preview", column_config={"Dòng": st.column_config.TextColumn(width="small"),
                                                                 "Đối chiếu, suy đoán": st.column_config.TextColumn(
                                                                     width="large")})
    choice = conflict_choice(preview.conflicts)
    if st.button(f"Nhập {preview.lines()} vào kế hoạch {plan_code}", type="primary", key="work_items_import_go",
                 disabled=bool(preview.conflicts) and choice is None):
        def run(session):
            result = import_service.import_items(session, actor=actor, plan_id=plan_id, rows=rows,
                                                 seen_versions=seen, on_conflict=choice)
            if mapping is not None:
                settings_service.remember_import_mapping(session, actor=actor, signature=layout.signature,
                                                         mapping=mapping)
            st.session_state["work_items_upload_n"] = st.session_state.get("work_items_upload_n", 0) + 1
            st.session_state.pop(PARSED_KEY, None)
            st.session_state.pop(LAYOUT_KEY, None)
            st.session_state.pop(CHOSEN_KEY, None)
            return result

        write(run, lambda result: result.summary())


def chosen_units(content: bytes) -> dict[str, str]:
    """The units the office chose for unknown names in this file (a new file starts with none)."""
    tag = hashlib.sha256(content).hexdigest()
    kept = st.session_state.get(CHOSEN_KEY)
    if kept is None or kept[0] != tag:
        kept = st.session_state[CHOSEN_KEY] = (tag, {})
    return kept[1]


def unit_choices(errors: list[import_service.RowError], ch: PlanChoices, chosen: dict[str, str]) -> None:
    """For each unit name the catalog does not know, the closest units first, to choose one for this file."""
    unknown: dict[str, tuple[str, ...]] = {}
    for e in errors:
        if e.unknown_unit:
            unknown.setdefault(e.unknown_unit, e.closest)
    if not unknown:
        return
    st.markdown("**Tên đơn vị chưa có trong danh mục.** Chọn đơn vị đúng cho từng tên (chỉ dùng cho tệp này), "
                "hoặc sửa tệp rồi tải lên lại:")
    codes = {o.label: o.code for o in ch.units}
    for n, (name, near) in enumerate(sorted(unknown.items())):
        options = [u for u in near if u in codes] + [u for u in codes if u not in near]
        pick = st.selectbox(md(f"“{name}”"), options, index=None, placeholder="Chọn đơn vị",
                            key=f"work_items_import_unit_{hashlib.sha256(name.encode()).hexdigest()[:12]}")
        if pick is not None and chosen.get(name) != codes[pick]:
            chosen[name] = codes[pick]
            st.rerun()


def conflict_choice(conflicts: list[import_service.ImportConflictRow]) -> str | None:
    """List the rows whose items changed after the export; the user must say what to do with them."""
    if not conflicts:
        return None
    st.warning(f"{len(conflicts)} dòng trong tệp thuộc công việc đã được sửa trên hệ thống sau khi tệp được xuất. "
               "Chọn cách xử lý trước khi nhập.", icon=":material/warning:")
    st.dataframe(pd.DataFrame([{
        "Dòng": c.row, "Công việc": f"#{c.item_id} {c.title}", "Đã sửa sau khi xuất": c.describe(), "Người sửa": c.who(),
    } for c in conflicts]), hide_index=True, width="stretch", key="work_items_import_conflicts")
    return st.radio("Với các dòng xung đột", [import_service.KEEP, import_service.OVERWRITE], index=None,
                    format_func={import_service.KEEP: "Giữ nội dung trên hệ thống (bỏ qua các dòng này trong tệp)",
                                 import_service.OVERWRITE: "Ghi đè bằng nội dung trong tệp"}.get,
                    key="work_items_import_conflict_choice")


def rollover_section(actor: Actor, plan_id: int, plan_year: int) -> None:
    """Next year's plan from this one: choose items, see every unit replacement, then confirm."""
    with session_scope(get_engine()) as session:
        rows = lists.list_items(session, actor=actor, filters=ItemFilter(plan_id=plan_id))
    labels = {r.id: f"#{r.id} ({r.task_label}) {r.title} — {r.lead_unit}" for r in rows}
    c1, c2 = st.columns([1, 3])
    code = c1.text_input("Mã kế hoạch mới", value=f"KH-{plan_year + 1}", key="work_items_roll_code",
                         max_chars=max_chars("plan_code"))
    title = c2.text_input("Tên kế hoạch mới (để trống: thay năm trong tên hiện tại)", key="work_items_roll_title",
                          max_chars=max_chars("plan_title"))
    chosen = st.multiselect("Công việc chuyển sang (mặc định: các việc lặp lại hằng năm)", list(labels),
                            default=[r.id for r in rows if r.recurring], format_func=lambda i: labels[i],
                            placeholder="Chọn công việc",
                            key=f"work_items_roll_items_{plan_id}_{st.session_state.get(GENERATION, 0)}")
    try:
        with session_scope(get_engine()) as session:
            preview = rollover.preview_rollover(session, actor=actor, source_plan_id=plan_id, new_code=code,
                                                new_title=title or None, item_ids=chosen)
    except TrackerError as exc:
        st.error(md(str(exc)))
        return
    st.markdown(f"**Xem trước:** {md(preview.summary())}")
    for problem in preview.problems:
        st.error(md(problem))
    if preview.replacements:
        st.dataframe(pd.DataFrame([{
            "Công việc": f"#{r.source_item_id} {r.title}", "Vai trò": r.role, "Đơn vị cũ": r.old_unit,
            "Thay bằng": r.new_unit or "— (bỏ, không có đơn vị kế thừa)",
        } for r in preview.replacements]), hide_index=True, width="stretch", key="work_items_roll_replacements")
    else:
        st.caption("Không có đơn vị nào phải thay.")
    if preview.merges:
        st.markdown("**Công việc gộp** (trùng nhiệm vụ, nội dung và đơn vị chủ trì sau khi thay đơn vị: chỉ tiêu, "
                    "kinh phí được cộng lại):")
        st.dataframe(pd.DataFrame([{
            "Công việc": f"#{m.source_item_id} {m.title}", "Gộp vào": f"#{m.into_source_item_id}",
            "Đơn vị chủ trì": m.lead_unit,
        } for m in preview.merges]), hide_index=True, width="stretch", key="work_items_roll_merges")
    if st.button(f"Tạo kế hoạch năm {preview.new_year}", type="primary", key="work_items_roll_go",
                 disabled=bool(preview.problems)):
        write(lambda s: rollover.apply_rollover(s, actor=actor, source_plan_id=plan_id, new_code=code,
                                                new_title=title or None, item_ids=chosen),
              lambda result: f"Đã tạo kế hoạch {result[0].code} với {len(result[1].items)} công việc.")
