"""a draw's files compressed with lz4 on PostgreSQL (issue 12)

A provincial draw stores about 45 MB of result files (3,000,000 objects);
PostgreSQL's default TOAST compression, pglz, takes 0.89 s of the draw's
transaction to squeeze them, lz4 0.23 s, for 8 % more bytes. A server built
without lz4 (it is an option of PostgreSQL's build) keeps pglz; SQLite does not
compress.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _compress_with(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    methods = bind.execute(
        sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar()
    if methods is not None and method in methods:  # PostgreSQL 14 and later, built with it
        # Files stored from now on; those stored already stay as they are.
        op.execute(f"ALTER TABLE draw_files ALTER COLUMN content SET COMPRESSION {method}")


def upgrade() -> None:
    _compress_with("lz4")


def downgrade() -> None:
    _compress_with("pglz")
