"""completion by delivery day (submitted_on, confirmed_on), each item's state by day (work_item_states), app settings

Revision ID: 0005_item_states
Revises: 0004_status_flow_days
Create Date: 2026-12-01 05:00:00

The data step replays the history with tracker.item_states (redate_completions, then rebuild); it reads
only the columns this revision knows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = '0005_item_states'
down_revision: str | None = '0004_status_flow_days'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ix_work_items_dashboard as revision 0003 made it.
DASHBOARD_COLUMNS = ['plan_id', 'lead_unit_id', 'priority_task_id', 'form_id', 'deleted_at', 'status', 'progress',
                     'blocked', 'due_date', 'start_date', 'completed_on', 'target_qty', 'achieved_qty',
                     'budget_planned', 'budget_spent', 'created_at']
_STATUS = sa.Enum('not_started', 'in_progress', 'awaiting_confirmation', 'done', name='state_status',
                  native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_on', sa.Date(), nullable=True))
    op.create_table('work_item_states',
    sa.Column('work_item_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('priority_task_id', sa.Integer(), nullable=False),
    sa.Column('lead_unit_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', _STATUS, nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('target_qty', sa.Integer(), nullable=True),
    sa.Column('achieved_qty', sa.Integer(), nullable=True),
    sa.Column('budget_planned', sa.BigInteger(), nullable=True),
    sa.Column('budget_spent', sa.BigInteger(), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.CheckConstraint('valid_to IS NULL OR valid_to > valid_from', name=op.f('ck_work_item_states_valid_order')),
    sa.ForeignKeyConstraint(['work_item_id'], ['work_items.id'], name=op.f('fk_work_item_states_work_item_id_work_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_item_id', 'valid_from', name=op.f('pk_work_item_states'))
    )
    op.create_index('ix_work_item_states_asof', 'work_item_states', ['plan_id', 'valid_from', 'valid_to'], unique=False)
    op.create_index('ix_work_item_states_start', 'work_item_states', ['plan_id', 'start_date', 'due_date'], unique=False)
    # The dashboard's covering index also holds submitted_on (work sent by its deadline is not overdue).
    op.drop_index('ix_work_items_dashboard', table_name='work_items')
    op.create_index('ix_work_items_dashboard', 'work_items', [*DASHBOARD_COLUMNS, 'submitted_on'], unique=False)
    op.create_table('cutoff_figures',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('cutoff', sa.Date(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_cutoff_figures_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'cutoff', name=op.f('pk_cutoff_figures'))
    )
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_app_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_settings'))
    )

    from tracker import item_states

    session = Session(bind=op.get_bind())
    item_states.redate_completions(session)
    item_states.rebuild(session)
    session.flush()


def downgrade() -> None:
    op.drop_index('ix_work_items_dashboard', table_name='work_items')
    op.create_index('ix_work_items_dashboard', 'work_items', DASHBOARD_COLUMNS, unique=False)
    op.drop_index('ix_work_item_states_start', table_name='work_item_states')
    op.drop_table('app_settings')
    op.drop_table('cutoff_figures')
    op.drop_index('ix_work_item_states_asof', table_name='work_item_states')
    op.drop_table('work_item_states')
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_column('confirmed_on')
        batch_op.drop_column('submitted_on')
