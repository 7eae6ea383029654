"""Who may do what: the one place for authorization rules.

Every mutating service calls `require(actor, action, obj, session=session)` first; pages call
`can(...)` only to show or hide controls. Reading is open: the ministry works in the open, so
anyone signed in may read every unit's items, their history, evidence and explanations, the
dashboards and the exports (VIEW_ITEM, VIEW_DASHBOARD), so a unit's staff (chuyên viên) read their unit's
board and every other item, read-only. Writing is limited to the office, the lead unit's head, and the
staff the head assigned the item to (progress and moves of that item only); a coordinating unit's head
and staff comment and attach evidence of their contribution, never report progress or move the card. `obj` is the thing acted on (a WorkItem, a unit id for
unit-scoped actions, an ExplanationRequest...), or None for actions that are not about one object.

A write is authorised against the account as it is now, re-read in the write's own transaction
(active, role, unit, auth_version and the sign-in session), never against the Actor the page
built at its last full run: a fragment, a dialog or a board message reruns without that page.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tracker.errors import PermissionDenied
from tracker.models import ExplanationRequest, Role, User, UserSession, WorkItem
from tracker.services import sessions as session_rules
from tracker.workflow import confirmed_lock

# The operator at the command line (no account: whoever can reach the database is trusted).
CONSOLE_USER_ID = 0
SIGNED_OUT = "Vui lòng đăng nhập."
SESSION_OVER = ("Phiên đăng nhập đã kết thúc (hết thời gian chờ, đã đăng xuất, hoặc tài khoản đã được đổi "
                "mật khẩu, vai trò hay bị khóa). Thay đổi chưa được lưu; vui lòng đăng nhập lại.")


@dataclass(frozen=True)
class Actor:
    """The signed-in person, as plain data (safe to keep across reruns)."""

    user_id: int
    username: str
    role: Role
    unit_id: int | None = None
    full_name: str | None = None
    # What the account looked like at sign-in, and the sign-in session (None: no web session).
    auth_version: int | None = None
    session_id: int | None = None

    @classmethod
    def of(cls, user: User, *, session_id: int | None = None) -> Actor:
        return cls(user_id=user.id, username=user.username, role=user.role, unit_id=user.unit_id,
                   full_name=user.full_name, auth_version=user.auth_version, session_id=session_id)

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
    COMMENT = "comment"
    EDIT_COMMENT = "edit_comment"
    DELETE_COMMENT = "delete_comment"
    FOLLOW_ITEM = "follow_item"
    ASSIGN_STAFF = "assign_staff"
    ADD_CONTRIBUTION = "add_contribution"
    READ_NOTIFICATION = "read_notification"
    OWN_SETTINGS = "own_settings"


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
    Action.COMMENT: ("Chỉ Văn phòng, Lãnh đạo Bộ và đơn vị chủ trì hoặc phối hợp được bình luận "
                     "về công việc này."),
    Action.ASSIGN_STAFF: "Chỉ Trưởng đơn vị chủ trì (hoặc Văn phòng) được giao công việc cho chuyên viên của đơn vị.",
    Action.ADD_CONTRIBUTION: ("Chỉ đơn vị phối hợp (trưởng đơn vị và chuyên viên) được gửi minh chứng phần phối hợp "
                              "của công việc này."),
    Action.EDIT_COMMENT: "Bạn chỉ được sửa bình luận của mình.",
    Action.DELETE_COMMENT: "Bạn chỉ được xóa bình luận của mình (Văn phòng được xóa mọi bình luận).",
    Action.FOLLOW_ITEM: "Bạn không có quyền theo dõi công việc này.",
    Action.READ_NOTIFICATION: "Thông báo này không phải của bạn.",
    Action.OWN_SETTINGS: "Bạn chỉ được đổi cài đặt của chính mình.",
}
# What a staff member (chuyên viên) is told instead: their rule is the items assigned to them.
STAFF_MESSAGES = {
    Action.UPDATE_PROGRESS: "Chuyên viên chỉ được cập nhật tiến độ công việc của đơn vị mình được giao cho mình.",
    Action.MOVE_ITEM: "Chuyên viên chỉ được chuyển trạng thái công việc của đơn vị mình được giao cho mình.",
}


def refusal(actor: Actor, action: Action) -> str:
    """The Vietnamese refusal of `action` for this actor (a staff member's rule is their assigned items)."""
    if actor.role is Role.STAFF and action in STAFF_MESSAGES:
        return STAFF_MESSAGES[action]
    return MESSAGES[action]

_READS = frozenset({Action.VIEW_ITEM, Action.VIEW_DASHBOARD, Action.VIEW_ROUND_STATUS})

_ADMIN_ONLY = {Action.CONFIRM_ITEM, Action.MANAGE_ITEMS, Action.MANAGE_USERS, Action.MANAGE_ROUNDS,
               Action.EDIT_CATALOG}


@dataclass(frozen=True)
class ItemRef:
    """An item as the rules need it, without loading it (the board's cards): its lead unit and assigned staff."""

    lead_unit_id: int
    staff_ids: frozenset[int] = frozenset()


# Roles that belong to a unit and take part in its work.
UNIT_ROLES = (Role.UNIT_HEAD, Role.STAFF)


def _unit_of(obj: object) -> int | None:
    """The unit an object belongs to: a work item's lead unit, a request's asked unit, a unit id."""
    if isinstance(obj, (WorkItem, ItemRef)):
        return obj.lead_unit_id
    if isinstance(obj, ExplanationRequest):
        return obj.unit_id
    if isinstance(obj, int):
        return obj
    return getattr(obj, "unit_id", None)


def _coordinates(actor: Actor, obj: object) -> bool:
    """True when the actor's unit is one of the item's coordinating units (đơn vị phối hợp)."""
    return (isinstance(obj, WorkItem) and actor.unit_id is not None
            and any(u.id == actor.unit_id for u in obj.coordinating_units))


def _assigned(actor: Actor, obj: object) -> bool:
    """True when the item (a WorkItem or an ItemRef) is assigned to the actor."""
    if isinstance(obj, ItemRef):
        return actor.user_id in obj.staff_ids
    return isinstance(obj, WorkItem) and any(u.id == actor.user_id for u in obj.staff)


def _works_on(actor: Actor, obj: object) -> bool:
    """The lead unit's head, or a staff member of the lead unit the item is assigned to."""
    if actor.unit_id is None or _unit_of(obj) != actor.unit_id:
        return False
    return actor.role is Role.UNIT_HEAD or (actor.role is Role.STAFF and _assigned(actor, obj))


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
        return _works_on(actor, obj)
    if action is Action.ASSIGN_STAFF:  # obj: a WorkItem (or its lead unit id)
        if role is Role.ADMIN:
            return True
        return role is Role.UNIT_HEAD and actor.unit_id is not None and _unit_of(obj) == actor.unit_id
    if action is Action.ADD_CONTRIBUTION:  # obj: a WorkItem
        if isinstance(obj, WorkItem) and confirmed_lock(role, obj.status):
            return False
        return role in UNIT_ROLES and _coordinates(actor, obj) and _unit_of(obj) != actor.unit_id
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
    if action is Action.COMMENT:
        if role in (Role.ADMIN, Role.LEADER):
            return True
        return role in UNIT_ROLES and actor.unit_id is not None and (
            _unit_of(obj) == actor.unit_id or _coordinates(actor, obj))
    if action is Action.EDIT_COMMENT:  # obj: an ItemComment
        return getattr(obj, "author_id", None) == actor.user_id and getattr(obj, "deleted_at", None) is None
    if action is Action.DELETE_COMMENT:
        if getattr(obj, "deleted_at", None) is not None:
            return False
        return role is Role.ADMIN or getattr(obj, "author_id", None) == actor.user_id
    if action is Action.FOLLOW_ITEM:  # anyone who may see the item
        return can(actor, Action.VIEW_ITEM, obj)
    if action is Action.READ_NOTIFICATION:  # obj: a Notification
        return getattr(obj, "user_id", None) == actor.user_id
    if action is Action.OWN_SETTINGS:  # obj: the user id whose settings change
        return obj == actor.user_id
    return False


def check_live(session: Session, actor: Actor, *, now=None) -> None:
    """Re-read the actor's account (and sign-in session) in `session`; refuse if either moved on.

    The account must exist, be active and still have the actor's role, unit and auth_version;
    a web actor's session must be live (not ended, not idle past the timeout, within its
    lifetime) and is marked as seen. The console operator has no account and is not re-read.

    Raises:
        PermissionDenied: with SESSION_OVER.
    """
    if actor.user_id == CONSOLE_USER_ID and actor.session_id is None:
        return
    now = now or session_rules.utcnow()
    user = session.get(User, actor.user_id, populate_existing=True)
    if (user is None or not user.active or (user.role, user.unit_id) != (actor.role, actor.unit_id)
            or (actor.auth_version is not None and user.auth_version != actor.auth_version)):
        raise PermissionDenied(SESSION_OVER)
    if actor.session_id is not None:
        row = session.get(UserSession, actor.session_id, populate_existing=True)
        if session_rules.problem(row, user, now) is not None:
            raise PermissionDenied(SESSION_OVER)
        session_rules.touch(row, now)


def require(actor: Actor | None, action: Action, obj: object = None, *, session: Session | None = None) -> None:
    """Raise PermissionDenied (with a Vietnamese reason) unless `can(...)`.

    A write must pass the service's `session`: the account is re-read there (check_live) before
    the rule is applied. A read may omit it (the page re-read the account at its run).

    Raises:
        PermissionDenied: not signed in, the session is over, or the rule refuses.
        TypeError: a write action without `session` (a programming error, never a user's).
    """
    if actor is None:
        raise PermissionDenied(SIGNED_OUT)
    if session is not None:
        check_live(session, actor)
    elif action not in _READS:
        raise TypeError(f"require({action.value}) is a write: pass the service's session=")
    if not can(actor, action, obj):
        raise PermissionDenied(refusal(actor, action))
