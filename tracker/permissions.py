"""Who may do what: the one place for authorization rules.

Every mutating service calls `require(actor, action, obj)` first; pages call `can(...)` only
to show or hide controls. Reading is open: the ministry works in the open, so anyone signed in
may read every unit's items, their history, evidence and explanations, the dashboards and the
exports (VIEW_ITEM, VIEW_DASHBOARD); writing is limited to the lead unit's head and the office. `obj` is the thing acted on (a WorkItem, a unit id for unit-scoped
actions, an ExplanationRequest...), or None for actions that are not about one object.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tracker.errors import PermissionDenied
from tracker.models import ExplanationRequest, Role, User, WorkItem
from tracker.workflow import confirmed_lock


@dataclass(frozen=True)
class Actor:
    """The signed-in person, as plain data (safe to keep across reruns)."""

    user_id: int
    username: str
    role: Role
    unit_id: int | None = None
    full_name: str | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user_id=user.id, username=user.username, role=user.role, unit_id=user.unit_id,
                   full_name=user.full_name)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Action(str, enum.Enum):
    VIEW_ITEM = "view_item"
    UPDATE_PROGRESS = "update_progress"
    MOVE_ITEM = "move_item"
    CONFIRM_ITEM = "confirm_item"
    MANAGE_ITEMS = "manage_items"
    REQUEST_EXPLANATION = "request_explanation"
    ANSWER_EXPLANATION = "answer_explanation"
    MANAGE_USERS = "manage_users"
    MANAGE_ROUNDS = "manage_rounds"
    SUBMIT_ROUND_REPORT = "submit_round_report"
    VIEW_ROUND_STATUS = "view_round_status"
    EDIT_CATALOG = "edit_catalog"
    VIEW_DASHBOARD = "view_dashboard"


MESSAGES = {
    Action.VIEW_ITEM: "Bạn không có quyền xem công việc này.",
    Action.UPDATE_PROGRESS: "Bạn chỉ được cập nhật tiến độ công việc do đơn vị mình chủ trì.",
    Action.MOVE_ITEM: "Bạn chỉ được chuyển trạng thái công việc do đơn vị mình chủ trì.",
    Action.CONFIRM_ITEM: "Chỉ Văn phòng (quản trị) được xác nhận hoàn thành hoặc trả lại công việc.",
    Action.MANAGE_ITEMS: "Chỉ Văn phòng (quản trị) được tạo, sửa, xóa công việc.",
    Action.REQUEST_EXPLANATION: "Chỉ Lãnh đạo Bộ hoặc Văn phòng được yêu cầu giải trình.",
    Action.ANSWER_EXPLANATION: "Chỉ đơn vị được yêu cầu mới được giải trình.",
    Action.MANAGE_USERS: "Chỉ quản trị viên được quản lý tài khoản.",
    Action.MANAGE_ROUNDS: "Chỉ Văn phòng (quản trị) được mở và đóng kỳ báo cáo.",
    Action.SUBMIT_ROUND_REPORT: "Bạn chỉ được nộp báo cáo cho đơn vị mình, trong kỳ báo cáo có tên đơn vị.",
    Action.VIEW_ROUND_STATUS: "Bạn không có quyền xem tình hình nộp báo cáo.",
    Action.EDIT_CATALOG: "Chỉ quản trị viên được sửa danh mục.",
    Action.VIEW_DASHBOARD: "Bạn không có quyền xem trang tổng quan.",
}

_ADMIN_ONLY = {Action.CONFIRM_ITEM, Action.MANAGE_ITEMS, Action.MANAGE_USERS, Action.MANAGE_ROUNDS,
               Action.EDIT_CATALOG}


def _unit_of(obj: object) -> int | None:
    """The unit an object belongs to: a work item's lead unit, a request's asked unit, a unit id."""
    if isinstance(obj, WorkItem):
        return obj.lead_unit_id
    if isinstance(obj, ExplanationRequest):
        return obj.unit_id
    if isinstance(obj, int):
        return obj
    return getattr(obj, "unit_id", None)


def can(actor: Actor | None, action: Action, obj: object = None) -> bool:
    """True when the actor may do `action` on `obj`. Anonymous users may do nothing."""
    if actor is None:
        return False
    role = actor.role
    if action in _ADMIN_ONLY:
        return role is Role.ADMIN
    if action in (Action.VIEW_ITEM, Action.VIEW_DASHBOARD):
        return True
    if action in (Action.UPDATE_PROGRESS, Action.MOVE_ITEM):
        if role is Role.ADMIN:
            return True
        if isinstance(obj, WorkItem) and confirmed_lock(role, obj.status):
            return False
        return role is Role.UNIT_HEAD and actor.unit_id is not None and _unit_of(obj) == actor.unit_id
    if action is Action.REQUEST_EXPLANATION:
        return role in (Role.ADMIN, Role.LEADER)
    if action is Action.ANSWER_EXPLANATION:
        return role is Role.UNIT_HEAD and actor.unit_id is not None and _unit_of(obj) == actor.unit_id
    if action is Action.SUBMIT_ROUND_REPORT:
        # obj is the round's unit ids plus the unit: (round_unit_ids, unit_id)
        unit_ids, unit_id = obj if isinstance(obj, tuple) else ((), None)
        return (role is Role.UNIT_HEAD and actor.unit_id is not None and unit_id == actor.unit_id
                and unit_id in unit_ids)
    if action is Action.VIEW_ROUND_STATUS:
        return role in (Role.ADMIN, Role.LEADER)
    return False


def require(actor: Actor | None, action: Action, obj: object = None) -> None:
    """Raise PermissionDenied (with a Vietnamese reason) unless `can(...)`."""
    if actor is None:
        raise PermissionDenied("Vui lòng đăng nhập.")
    if not can(actor, action, obj):
        raise PermissionDenied(MESSAGES[action])
