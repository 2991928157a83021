"""identifiers in PostgreSQL's "C" collation: object ids and certificate numbers
compare by code point, as the core sorts them (issue 12: cheaper indexes, and the
snapshot's ordered read walks an index instead of sorting)

SQLite compares bytes already (its BINARY collation): nothing to do there.
On PostgreSQL the rows stay as they are, but each table is locked while the
indexes on those columns are built again (the 1,000,000 objects' two: about
1.5 s here); upgrade a large registry outside a draw's ceremony.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 03:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (  # table, column, length
    ("object_rows", "object_id", 64),
    ("conflict_rows", "object_id", 64),
    ("draw_visits", "object_id", 64),
    ("inspection_tasks", "object_id", 64),
    ("inspector_rows", "cert_no", 32),
    ("conflict_rows", "cert_no", 32),
    ("draw_members", "cert_no", 32),
    ("users", "cert_no", 32),
)


def _collate(collation: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in _COLUMNS:
        # The same type in another collation: PostgreSQL keeps the rows and rebuilds
        # the column's indexes.
        op.alter_column(
            table,
            column,
            type_=sa.String(length, collation=collation),
            existing_type=sa.String(length),
            existing_nullable=False,
        )


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
