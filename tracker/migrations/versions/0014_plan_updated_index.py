"""index for a plan's data version (the dashboard's cached figures, issue 16)

Revision ID: 0014_plan_updated_index
Revises: 0012_staff
Create Date: 2026-12-01 16:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0014_plan_updated_index'
down_revision: str | None = '0013_throttle_window'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_work_items_plan_updated', 'work_items', ['plan_id', 'updated_at', 'version'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_work_items_plan_updated', table_name='work_items')
