"""checklists: ordered steps inside an item, and whether the item's progress follows them

Revision ID: 0009_checklists
Revises: 0008_calendar_views
Create Date: 2026-12-01 11:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tracker.db import UTCDateTime

revision: str = '0009_checklists'
down_revision: str | None = '0008_calendar_views'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'work_item_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('work_item_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('done', sa.Boolean(), nullable=False),
        sa.Column('done_by_id', sa.Integer(), nullable=True),
        sa.Column('done_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['work_item_id'], ['work_items.id'], name=op.f('fk_work_item_steps_work_item_id_work_items'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_work_item_steps_done_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_work_item_steps')),
    )
    op.create_index('ix_work_item_steps_item', 'work_item_steps', ['work_item_id', 'position'])
    op.create_table(
        'work_item_checklists',
        sa.Column('work_item_id', sa.Integer(), nullable=False),
        sa.Column('progress_follows', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['work_item_id'], ['work_items.id'],
                                name=op.f('fk_work_item_checklists_work_item_id_work_items'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('work_item_id', name=op.f('pk_work_item_checklists')),
    )


def downgrade() -> None:
    op.drop_table('work_item_checklists')
    op.drop_index('ix_work_item_steps_item', table_name='work_item_steps')
    op.drop_table('work_item_steps')
