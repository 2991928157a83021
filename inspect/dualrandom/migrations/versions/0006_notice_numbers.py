"""notice numbers (文号), given once

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_numbers",
        sa.Column("notice", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("doc_no", sa.String(length=100), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notice", name=op.f("pk_notice_numbers")),
        sa.UniqueConstraint(
            "department", "year", "number", name=op.f("uq_notice_numbers_department")
        ),
        sa.UniqueConstraint("doc_no", name=op.f("uq_notice_numbers_doc_no")),
    )


def downgrade() -> None:
    op.drop_table("notice_numbers")
