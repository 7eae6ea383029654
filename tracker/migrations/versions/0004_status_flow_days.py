"""the cumulative flow's summary per plan, unit kind, day and status, filled from the history

Revision ID: 0004_status_flow_days
Revises: 0003_dashboard_indexes
Create Date: 2026-11-23 20:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_status_flow_days'
down_revision: str | None = '0003_dashboard_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The Hà Nội day (UTC+7) of a UTC timestamp; the same as tracker.flow_ledger.vn_day.
_DAY = {
    'sqlite': "date({}, '+7 hours')",
    'postgresql': "(({} AT TIME ZONE 'UTC') + interval '7 hours')::date",
}

# Frozen copy of tracker.flow_ledger.contributions() as it is at this revision (tests check they agree).
_FILL = """
INSERT INTO status_flow_days (plan_id, unit_kind, day, status, net_change)
SELECT plan_id, unit_kind, day, status, SUM(n) FROM (
  SELECT w.plan_id AS plan_id, u.kind AS unit_kind, {created} AS day, w.status AS status, 1 AS n
    FROM work_items w JOIN units u ON u.id = w.lead_unit_id WHERE w.deleted_at IS NULL
  UNION ALL SELECT w.plan_id, u.kind, {at}, e.to_status, 1 {moves}
  UNION ALL SELECT w.plan_id, u.kind, {at}, e.from_status, -1 {moves} AND e.from_status IS NOT NULL
  UNION ALL SELECT w.plan_id, u.kind, {created}, e.to_status, -1 {moves}
  UNION ALL SELECT w.plan_id, u.kind, {created}, e.from_status, 1 {moves} AND e.from_status IS NOT NULL
) AS contributions
GROUP BY plan_id, unit_kind, day, status
HAVING SUM(n) <> 0
"""
_MOVES = ("FROM work_items w JOIN units u ON u.id = w.lead_unit_id JOIN progress_events e ON e.work_item_id = w.id "
          "WHERE w.deleted_at IS NULL AND e.to_status IS NOT NULL")


def upgrade() -> None:
    op.create_table('status_flow_days',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('unit_kind', sa.Enum('ministry_admin', 'ministry_service', 'provincial', name='flow_unit_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('not_started', 'in_progress', 'awaiting_confirmation', 'done', name='flow_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('net_change', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_status_flow_days_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'unit_kind', 'day', 'status', name=op.f('pk_status_flow_days'))
    )
    day = _DAY[op.get_bind().dialect.name]
    op.execute(_FILL.format(created=day.format('w.created_at'), at=day.format('e.at'), moves=_MOVES))


def downgrade() -> None:
    op.drop_table('status_flow_days')
