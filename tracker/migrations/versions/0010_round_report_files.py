"""a unit's round report may carry the signed report as a file (name, size, checksum; bytes in the evidence store)

Revision ID: 0010_round_report_files
Revises: 0009_checklists
Create Date: 2026-12-01 11:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_round_report_files'
down_revision: str | None = '0009_checklists'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('round_reports') as batch:
        batch.add_column(sa.Column('file_name', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('file_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('file_size', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('round_reports') as batch:
        batch.drop_column('file_size')
        batch.drop_column('file_sha256')
        batch.drop_column('file_name')
