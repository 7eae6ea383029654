"""covering indexes for the dashboard's GROUP BY and the flow rebuilt from history

Revision ID: 0003_dashboard_indexes
Revises: 0002_accounts_rounds
Create Date: 2026-11-23 18:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0003_dashboard_indexes'
down_revision: str | None = '0002_accounts_rounds'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DASHBOARD_COLUMNS = ['plan_id', 'lead_unit_id', 'priority_task_id', 'form_id', 'deleted_at', 'status', 'progress',
                     'blocked', 'due_date', 'start_date', 'completed_on', 'target_qty', 'achieved_qty',
                     'budget_planned', 'budget_spent', 'created_at']


def upgrade() -> None:
    op.create_index('ix_work_items_dashboard', 'work_items', DASHBOARD_COLUMNS, unique=False)
    op.create_index('ix_progress_events_status_moves', 'progress_events',
                    ['to_status', 'work_item_id', 'at', 'from_status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_progress_events_status_moves', table_name='progress_events')
    op.drop_index('ix_work_items_dashboard', table_name='work_items')
