"""sign-in throttle: a window per key (an address's failures stop counting after it)

Revision ID: 0013_throttle_window
Revises: 0012_staff
Create Date: 2026-12-01 16:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013_throttle_window'
down_revision: str | None = '0012_staff'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_start', sa.DateTime(timezone=True), nullable=True))
    # A key counted so far begins its window at its last attempt: an address's old failures are
    # forgotten within the hour, not at once (a guesser then would start afresh too).
    op.execute("UPDATE login_throttles SET window_start = updated_at")
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.alter_column('window_start', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.drop_column('window_start')
