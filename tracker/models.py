"""The core schema: catalog (plans, tasks, units, forms, channels), work, history, people.

Designed for all later work, not only the catalog: work items carry everything the board,
the planning pages and the dashboard need; progress events are the append-only history.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker import clock
from tracker.db import Base, UTCDateTime


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Enums stored as their values in a VARCHAR with a CHECK: portable and easy to migrate."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class UnitKind(str, enum.Enum):
    MINISTRY_ADMIN = "ministry_admin"
    MINISTRY_SERVICE = "ministry_service"
    PROVINCIAL = "provincial"


class Numbering(str, enum.Enum):
    ARABIC = "arabic"
    ROMAN = "roman"


class Status(str, enum.Enum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    DONE = "done"


class Role(str, enum.Enum):
    ADMIN = "admin"
    UNIT_HEAD = "unit_head"
    LEADER = "leader"
    VIEWER = "viewer"
    STAFF = "staff"  # chuyên viên: belongs to one unit, works on the items its head assigns them


class EmailChoice(str, enum.Enum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    NONE = "none"


class EventKind(str, enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    MOVED = "moved"
    PROGRESS = "progress"
    CONFIRMED = "confirmed"
    RETURNED = "returned"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    EXPLANATION_REQUESTED = "explanation_requested"
    EXPLANATION_GIVEN = "explanation_given"
    UNIT_REPLACED = "unit_replaced"
    DELETED = "deleted"
    RESTORED = "restored"


def _now() -> dt.datetime:
    return clock.now()


class Unit(Base):
    """A ministry department or a provincial Department of Home Affairs, valid for a period."""

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="valid_period"
        ),
        CheckConstraint("successor_id IS NULL OR successor_id <> id", name="not_own_successor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"), index=True)
    province: Mapped[str | None] = mapped_column(String(100))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))

    successor: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[successor_id])

    def active_on(self, day: dt.date) -> bool:
        """True when the unit exists on that day."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Plan(Base):
    """A yearly communications plan (ministry) or a provincial department's plan built on it."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer, index=True)
    decision_no: Mapped[str | None] = mapped_column(String(60))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    issuer: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)
    numbering: Mapped[Numbering] = mapped_column(_enum(Numbering, "numbering"))
    task_label: Mapped[str] = mapped_column(String(60), default="Nhiệm vụ trọng tâm")
    parent_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    # The Decision file the plan was read from (python -m tracker plan-from, "Kế hoạch" page); its bytes are
    # kept by checksum in the evidence store, so the backup carries them.
    source_filename: Mapped[str | None] = mapped_column(String(255))
    source_sha256: Mapped[str | None] = mapped_column(String(64))

    tasks: Mapped[list[PriorityTask]] = relationship(
        back_populates="plan", order_by="PriorityTask.number", cascade="all, delete-orphan"
    )
    parent: Mapped[Plan | None] = relationship(remote_side=[id])
    owner_unit: Mapped[Unit | None] = relationship()


class PriorityTask(Base):
    """A numbered priority task ("nhiệm vụ trọng tâm") of a plan; its text may be missing."""

    __tablename__ = "priority_tasks"
    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("text_missing OR text IS NOT NULL", name="text_or_missing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(10))
    text: Mapped[str | None] = mapped_column(Text)
    text_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_task_id: Mapped[int | None] = mapped_column(
        ForeignKey("priority_tasks.id", ondelete="SET NULL")
    )
    note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="tasks")


class Form(Base):
    """A communication form (hình thức): press release, press conference, training..."""

    __tablename__ = "forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    output_unit: Mapped[str | None] = mapped_column(String(40))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Channel(Base):
    """A channel (kênh) where communication is published: a portal, a journal, the press."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(300))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


work_item_coordinators = Table(
    "work_item_coordinators",
    Base.metadata,
    Column("work_item_id", ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class User(Base):
    """A person who signs in: communications office, unit head, staff of a unit, leader or viewer."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role <> 'unit_head' OR unit_id IS NOT NULL", name="unit_head_has_unit"),
        CheckConstraint("role <> 'staff' OR unit_id IS NOT NULL", name="staff_has_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sso_subject: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Bumped on password reset, deactivation or role change: open sessions of the user end.
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    # How notifications reach the person by e-mail (account page): at once, in a daily digest, or not.
    email_choice: Mapped[EmailChoice] = mapped_column(_enum(EmailChoice, "email_choice"),
                                                      default=EmailChoice.DIGEST, server_default="digest")

    unit: Mapped[Unit | None] = relationship()



class UserSession(Base):
    """A browser's sign-in: the database keeps the SHA-256 of the cookie's token, never the token."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The account's auth_version when the session began: a reset, deactivation or role change ends it.
    auth_version: Mapped[int] = mapped_column(Integer)
    client: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(40))


class LoginThrottle(Base):
    """Sign-in attempts counted per key (account, account and address, address), whether or not
    the account exists; an attempt is allowed only once `blocked_until` has passed. A key whose
    limit has a window (the address) counts only the attempts since `window_start`."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())

class WorkItem(Base):
    """A concrete piece of work under a priority task, led by one unit."""

    __tablename__ = "work_items"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        CheckConstraint(
            "due_date IS NULL OR start_date IS NULL OR due_date >= start_date", name="due_after_start"
        ),
        CheckConstraint("target_qty IS NULL OR target_qty >= 0", name="target_non_negative"),
        CheckConstraint("achieved_qty IS NULL OR achieved_qty >= 0", name="achieved_non_negative"),
        CheckConstraint("budget_planned IS NULL OR budget_planned >= 0", name="budget_non_negative"),
        CheckConstraint("budget_spent IS NULL OR budget_spent >= 0", name="spent_non_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_work_items_board", "plan_id", "status", "due_date"),
        Index("ix_work_items_lead_status", "lead_unit_id", "status"),
        # A plan's data version for the cached figures (tracker/services/data_versions.py), read on every page run.
        Index("ix_work_items_plan_updated", "plan_id", "updated_at", "version"),
        # Covers the dashboard's one GROUP BY (unit, task, form): read from the index, in its order.
        Index("ix_work_items_dashboard", "plan_id", "lead_unit_id", "priority_task_id", "form_id", "deleted_at",
              "status", "progress", "blocked", "due_date", "start_date", "completed_on", "target_qty",
              "achieved_qty", "budget_planned", "budget_spent", "created_at", "submitted_on"),
        UniqueConstraint("plan_id", "source_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"))
    priority_task_id: Mapped[int] = mapped_column(
        ForeignKey("priority_tasks.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="RESTRICT"), index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    channel_text: Mapped[str | None] = mapped_column(String(300))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    target_qty: Mapped[int | None] = mapped_column(Integer)
    target_unit: Mapped[str | None] = mapped_column(String(40))
    achieved_qty: Mapped[int | None] = mapped_column(Integer)
    budget_planned: Mapped[int | None] = mapped_column(BigInteger)
    budget_spent: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.NOT_STARTED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    # The day the unit delivered (see workflow.status_days); confirmed_on is the office's confirmation.
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    source_key: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now, onupdate=_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    plan: Mapped[Plan] = relationship()
    priority_task: Mapped[PriorityTask] = relationship()
    lead_unit: Mapped[Unit] = relationship(foreign_keys=[lead_unit_id])
    form: Mapped[Form] = relationship()
    channel: Mapped[Channel | None] = relationship()
    coordinating_units: Mapped[list[Unit]] = relationship(secondary=work_item_coordinators)
    # The lead unit's staff its head assigned the item to (cán bộ phụ trách); written through ItemAssignment.
    staff: Mapped[list[User]] = relationship(
        secondary="item_assignments", primaryjoin="WorkItem.id == ItemAssignment.work_item_id",
        secondaryjoin="User.id == ItemAssignment.user_id", viewonly=True, order_by="User.username")

    __mapper_args__: dict[str, Any] = {"version_id_col": version}


class ProgressEvent(Base):
    """Append-only history of a work item: who, when, what changed (old -> new)."""

    __tablename__ = "progress_events"
    __table_args__ = (
        CheckConstraint("progress IS NULL OR (progress >= 0 AND progress <= 100)", name="progress_range"),
        Index("ix_progress_events_item_at", "work_item_id", "at"),
        # Status moves only, for the cumulative flow rebuilt from history.
        Index("ix_progress_events_status_moves", "to_status", "work_item_id", "at", "from_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now, index=True)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "event_kind"))
    from_status: Mapped[Status | None] = mapped_column(_enum(Status, "event_from_status"))
    to_status: Mapped[Status | None] = mapped_column(_enum(Status, "event_to_status"))
    progress: Mapped[int | None] = mapped_column(Integer)
    achieved_qty: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    evidence_urls: Mapped[list[str]] = mapped_column(JSON, default=list)

    actor: Mapped[User | None] = relationship()


class StatusFlowDay(Base):
    """The cumulative flow's summary: net change, per plan, lead unit kind, Hà Nội day and status, in the
    number of live items in that status. Derived data, kept by tracker/flow_ledger.py on every write."""

    __tablename__ = "status_flow_days"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    unit_kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "flow_unit_kind"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    status: Mapped[Status] = mapped_column(_enum(Status, "flow_status"), primary_key=True)
    net_change: Mapped[int] = mapped_column(Integer, default=0)


class WorkItemState(Base):
    """What a work item was, for the figures, from Hà Nội day `valid_from` up to (not including) `valid_to`.

    Derived data, kept by tracker/item_states.py on every write; the open row (valid_to NULL) equals the
    item as it is now. The figures of a past cut-off read the row valid at the end of that day.
    """

    __tablename__ = "work_item_states"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_order"),
        Index("ix_work_item_states_asof", "plan_id", "valid_from", "valid_to"),
        # The timeline at a past cut-off reads the first rows by start date: walked in this order, not sorted.
        Index("ix_work_item_states_start", "plan_id", "start_date", "due_date"),
    )

    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True)
    valid_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    plan_id: Mapped[int] = mapped_column(Integer)
    priority_task_id: Mapped[int] = mapped_column(Integer)
    lead_unit_id: Mapped[int] = mapped_column(Integer)
    form_id: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[Status] = mapped_column(_enum(Status, "state_status"))
    progress: Mapped[int] = mapped_column(Integer)
    blocked: Mapped[bool] = mapped_column(Boolean)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    target_qty: Mapped[int | None] = mapped_column(Integer)
    achieved_qty: Mapped[int | None] = mapped_column(Integer)
    budget_planned: Mapped[int | None] = mapped_column(BigInteger)
    budget_spent: Mapped[int | None] = mapped_column(BigInteger)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class CutoffFigures(Base):
    """The dashboard's counts of a whole plan at a past cut-off, per (lead unit, task, form), as JSON rows.

    A day that has ended never changes, so these are computed once (tracker/services/cutoff_cache.py);
    replaying the history (item_states.rebuild) drops them.
    """

    __tablename__ = "cutoff_figures"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    cutoff: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    rows: Mapped[list[Any]] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class ExplanationStatus(str, enum.Enum):
    OPEN = "open"
    ANSWERED = "answered"


class ExplanationRequest(Base):
    """Leadership or the office asks the lead unit to explain an overdue or blocked item."""

    __tablename__ = "explanation_requests"
    __table_args__ = (Index("ix_explanation_requests_unit_status", "unit_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[ExplanationStatus] = mapped_column(
        _enum(ExplanationStatus, "explanation_status"), default=ExplanationStatus.OPEN
    )
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)

    work_item: Mapped[WorkItem] = relationship()
    unit: Mapped[Unit] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])


reporting_round_units = Table(
    "reporting_round_units",
    Base.metadata,
    Column("round_id", ForeignKey("reporting_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class ReportingRound(Base):
    """A reporting round the office opens ("Báo cáo 6 tháng 2024", due 15/6) for chosen units."""

    __tablename__ = "reporting_rounds"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[Plan | None] = relationship()
    units: Mapped[list[Unit]] = relationship(secondary=reporting_round_units, order_by="Unit.id")


class RoundReport(Base):
    """A unit's submission to a reporting round: a short summary (its item updates are events)."""

    __tablename__ = "round_reports"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("reporting_rounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    summary: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # The signed report as sent (PDF/DOCX): its bytes kept by checksum with the evidence files.
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(Integer)

    round: Mapped[ReportingRound] = relationship()
    unit: Mapped[Unit] = relationship()


class WorkItemStep(Base):
    """One step of an item's checklist (a press conference: invitation, press release, venue, publication)."""

    __tablename__ = "work_item_steps"
    __table_args__ = (Index("ix_work_item_steps_item", "work_item_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(500))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    done_by: Mapped[User | None] = relationship()


class WorkItemChecklist(Base):
    """The office's choice per item: its progress follows its checklist (done steps ÷ steps)."""

    __tablename__ = "work_item_checklists"

    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True)
    progress_follows: Mapped[bool] = mapped_column(Boolean, default=False)


class EvidenceFile(Base):
    """A file attached as evidence; the bytes live outside the database, addressed by checksum."""

    __tablename__ = "evidence_files"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("progress_events.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class AppSetting(Base):
    """One of the office's choices that holds for the whole app (e.g. the reporting periods' cut-off rule)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now, onupdate=_now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AuditEvent(Base):
    """Who did what to accounts, rounds and the catalog (work items have their own history)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ViewVisibility(str, enum.Enum):
    PRIVATE = "private"
    UNIT = "unit"
    EVERYONE = "everyone"


class SavedView(Base):
    """A page's filters (its URL query parameters) saved under a name: private, the unit's or everyone's."""

    __tablename__ = "saved_views"
    __table_args__ = (
        UniqueConstraint("owner_id", "page", "name"),
        CheckConstraint("visibility <> 'unit' OR unit_id IS NOT NULL", name="unit_view_has_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    page: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(120))
    params: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    visibility: Mapped[ViewVisibility] = mapped_column(_enum(ViewVisibility, "view_visibility"))
    # The owner's unit when shared with it (kept: the view stays the unit's if the owner moves on).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)

    owner: Mapped[User] = relationship()


class CalendarToken(Base):
    """A person's secret calendar-feed address: the database keeps its SHA-256, never the token."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What the feed holds: one plan or all, one lead unit or all (None: every one).
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


# The flow summary's listeners watch every session's writes to the models above.

class NotificationKind(str, enum.Enum):
    ASSIGNED = "assigned"
    RETURNED = "returned"
    CONFIRMED = "confirmed"
    EXPLANATION_REQUESTED = "explanation_requested"
    EXPLANATION_GIVEN = "explanation_given"
    ROUND_OPENED = "round_opened"
    ROUND_DUE_SOON = "round_due_soon"
    ROUND_PASSED = "round_passed"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MENTION = "mention"
    COMMENT = "comment"


class Notification(Base):
    """Something that happened that one person should know about; written with the change that caused it
    (tracker/notifications.py). `dedupe_key` makes a reminder once per recipient (NULL: no such rule)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_read", "user_id", "read_at", "id"),
        UniqueConstraint("user_id", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(_enum(NotificationKind, "notification_kind"))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_rounds.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When it went out by e-mail (immediately or in a digest); NULL: not yet, or the person chose none.
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ItemComment(Base):
    """A comment in an item's thread: plain text, editable for a while by its author, deleted as a mark."""

    __tablename__ = "item_comments"
    __table_args__ = (Index("ix_item_comments_item_at", "work_item_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class ItemFollow(Base):
    """A person's choice to follow an item or not; without a row, the lead unit's heads follow it."""

    __tablename__ = "item_follows"

    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    following: Mapped[bool] = mapped_column(Boolean, default=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class ItemAssignment(Base):
    """An item assigned by its lead unit's head to one of the unit's staff (chuyên viên); the history
    records each change. The staff member's rights follow their account as it is now (tracker/permissions.py)."""

    __tablename__ = "item_assignments"

    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)


class MailOutbox(Base):
    """A message to send: kept until the SMTP server took it, so a failure is retried and nothing is lost.
    `dedupe_key` (recipient, kind, day) makes a job run repeated the same day write nothing twice."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=_now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))

# The flow summary's, the item states' and the notifications' listeners watch every session's writes.
import tracker.flow_ledger  # noqa: E402,F401
import tracker.item_states  # noqa: E402,F401
import tracker.notifications  # noqa: E402,F401
