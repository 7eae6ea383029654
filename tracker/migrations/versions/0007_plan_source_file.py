"""a plan keeps the Decision file it was read from (name and checksum; the bytes are in the evidence store)

Revision ID: 0007_plan_source_file
Revises: 0006_user_sessions
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_plan_source_file'
down_revision: str | None = '0006_user_sessions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.add_column(sa.Column('source_filename', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('source_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('plans') as batch:
        batch.drop_column('source_sha256')
        batch.drop_column('source_filename')
