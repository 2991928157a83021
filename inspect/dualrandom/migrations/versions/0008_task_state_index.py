"""an index on a draw's tasks by state (issue 13: the console's speed floor)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_inspection_tasks_draw_state",
        "inspection_tasks",
        ["draw_id", "state", "visit"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_inspection_tasks_draw_state", table_name="inspection_tasks")
