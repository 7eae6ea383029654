"""staff role (chuyên viên) and item assignments

Revision ID: 0012_staff
Revises: 0011_notifications
Create Date: 2026-12-01 13:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012_staff'
down_revision: str | None = '0011_notifications'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_ROLES = ('admin', 'unit_head', 'leader', 'viewer')
_NEW_ROLES = _OLD_ROLES + ('staff',)


def _role(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name='role', native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    # The role's CHECK constraint lists its values: it is dropped and made again with "staff".
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_role(_OLD_ROLES), type_=_role(_NEW_ROLES),
                              existing_nullable=False)
        batch_op.create_check_constraint('staff_has_unit', "role <> 'staff' OR unit_id IS NOT NULL")

    op.create_table('item_assignments',
    sa.Column('work_item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_item_assignments_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_item_assignments_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['work_item_id'], ['work_items.id'], name=op.f('fk_item_assignments_work_item_id_work_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('work_item_id', 'user_id', name=op.f('pk_item_assignments'))
    )
    with op.batch_alter_table('item_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_assignments_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('item_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_assignments_user_id'))
    op.drop_table('item_assignments')
    # Staff accounts cannot exist under the old role list: they become read-only viewers.
    op.execute("UPDATE users SET role = 'viewer' WHERE role = 'staff'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('staff_has_unit', type_='check')
        batch_op.alter_column('role', existing_type=_role(_NEW_ROLES), type_=_role(_OLD_ROLES),
                              existing_nullable=False)
