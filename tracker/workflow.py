"""Work-item statuses: their Vietnamese names and which transitions each role may make.

One place for the rule, used by progress updates and (later) by moves on the board:
a unit head takes its own work from "Chưa triển khai" to "Chờ xác nhận" (with evidence);
only the communications office confirms ("Hoàn thành") or returns work, with a reason.
"""

from __future__ import annotations

import datetime as dt

from tracker.models import Role, Status

STATUS_LABELS = {
    Status.NOT_STARTED: "Chưa triển khai",
    Status.IN_PROGRESS: "Đang thực hiện",
    Status.AWAITING_CONFIRMATION: "Chờ xác nhận",
    Status.DONE: "Hoàn thành",
}
STATUS_ORDER = list(STATUS_LABELS)

_UNIT_HEAD_MOVES = {
    (Status.NOT_STARTED, Status.IN_PROGRESS),
    (Status.IN_PROGRESS, Status.NOT_STARTED),
    (Status.NOT_STARTED, Status.AWAITING_CONFIRMATION),
    (Status.IN_PROGRESS, Status.AWAITING_CONFIRMATION),
    (Status.AWAITING_CONFIRMATION, Status.IN_PROGRESS),
}
# Moves that send work back from the office's desk: the unit must be told why.
_RETURNS = {
    (Status.AWAITING_CONFIRMATION, Status.IN_PROGRESS),
    (Status.AWAITING_CONFIRMATION, Status.NOT_STARTED),
    (Status.DONE, Status.IN_PROGRESS),
    (Status.DONE, Status.NOT_STARTED),
    (Status.DONE, Status.AWAITING_CONFIRMATION),
}


def transition_problem(role: Role, frm: Status, to: Status, *, has_evidence: bool,
                       reason: str | None) -> str | None:
    """Why this role may not move work from `frm` to `to` (Vietnamese), or None when it may."""
    if frm == to:
        return None
    move = f"“{STATUS_LABELS[frm]}” sang “{STATUS_LABELS[to]}”"
    if role is Role.ADMIN:
        if (frm, to) in _RETURNS and not (reason and reason.strip()):
            return f"Trả lại công việc từ {move} cần ghi rõ lý do."
    elif role in (Role.UNIT_HEAD, Role.STAFF):  # staff move only the items assigned to them (permissions)
        if to is Status.DONE:
            return ("Đơn vị không tự chuyển sang “Hoàn thành”: hãy chuyển sang “Chờ xác nhận” kèm minh chứng "
                    "để Văn phòng xác nhận.")
        if (frm, to) not in _UNIT_HEAD_MOVES:
            return f"Đơn vị không được chuyển công việc từ {move}."
    else:
        return "Vai trò của bạn không được chuyển trạng thái công việc."
    if to in (Status.AWAITING_CONFIRMATION, Status.DONE) and not has_evidence:
        return f"Chuyển {move} cần có minh chứng (đường dẫn bài viết, văn bản hoặc tệp đính kèm)."
    return None


def status_days(frm: Status, to: Status, *, submitted_on: dt.date | None, today: dt.date) -> dict[str, dt.date | None]:
    """The days a move sets: submitted_on (sent for confirmation), completed_on (the day the unit delivered)
    and confirmed_on (the office's confirmation).

    Work sent for confirmation and then confirmed counts as done on the day it was sent, so the office's
    delay is not the unit's: on time or late is judged on that day. Confirmed straight from another column,
    it is done on the day of the confirmation. A return clears all three.
    """
    if to is Status.AWAITING_CONFIRMATION:
        return {"submitted_on": today, "completed_on": None, "confirmed_on": None}
    if to is Status.DONE:
        delivered = submitted_on if frm is Status.AWAITING_CONFIRMATION and submitted_on else today
        return {"submitted_on": submitted_on if frm is Status.AWAITING_CONFIRMATION else None,
                "completed_on": delivered, "confirmed_on": today}
    return {"submitted_on": None, "completed_on": None, "confirmed_on": None}


def coherent_progress(status: Status) -> int | None:
    """The progress a status demands: 0 not started, 100 sent for confirmation or done; None: any."""
    if status in (Status.AWAITING_CONFIRMATION, Status.DONE):
        return 100
    if status is Status.NOT_STARTED:
        return 0
    return None


def progress_problem(status: Status, progress: int | None) -> str | None:
    """Why a reported progress contradicts the status it is reported with (Vietnamese), or None."""
    wanted = coherent_progress(status)
    if progress is None or wanted is None or progress == wanted:
        return None
    if status is Status.AWAITING_CONFIRMATION:
        return ("Gửi “Chờ xác nhận” nghĩa là đã hoàn thành: tiến độ phải là 100%. Hãy nhập 100% "
                "hoặc giữ trạng thái “Đang thực hiện”.")
    if status is Status.NOT_STARTED:
        return "“Chưa triển khai” nghĩa là tiến độ 0%."
    return None


CONFIRMED_LOCK_MESSAGE = ("Công việc đã được Văn phòng xác nhận “Hoàn thành”: đơn vị không sửa tiến độ, kết quả, "
                          "kinh phí hay vướng mắc nữa. Cần thay đổi, hãy đề nghị Văn phòng trả lại công việc (kèm lý do).")


def confirmed_lock(role: Role, status: Status) -> str | None:
    """Why this role may not change an item in this status at all (Vietnamese), or None.

    Confirmed work ("Hoàn thành") is read-only for everyone but the office; the office reopens it
    with a return, which needs a reason and is kept in the history (see `transition_problem`).
    """
    if status is Status.DONE and role is not Role.ADMIN:
        return CONFIRMED_LOCK_MESSAGE
    return None


def is_done_late(due: dt.date | None, completed: dt.date | None) -> bool | None:
    """Done late (True), on time (False), or not done / no deadline (None)."""
    if completed is None or due is None:
        return None
    return completed > due
