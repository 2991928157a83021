"""stored plans in the core's plan JSON

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 09:00:00.000000

A data migration, no schema change. ``plans.source`` held a storage form of
its own ("format": "dual-random/plan/1", with the TOML keys ``type`` and
``stratum``); it now holds the canonical JSON of the core's plan JSON
(``dualrandom.core.plan_json.plan_to_json``: keys ``kind`` and ``strata``,
no format key). Everything else is the same value, so a plan loaded again
from an unchanged file is reported unchanged. Self-contained on purpose: a
migration must not follow the code as it changes later.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FORMAT_1 = "dual-random/plan/1"
RENAMED = (("type", "kind"), ("stratum", "strata"))  # (format 1, core)

_plans = sa.table("plans", sa.column("id", sa.String), sa.column("source", sa.Text))


def _canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _to_core(value: dict[str, Any]) -> dict[str, Any] | None:
    if value.get("format") != FORMAT_1:
        return None
    del value["format"]
    for old, new in RENAMED:
        value[new] = value.pop(old)
    return value


def _to_format_1(value: dict[str, Any]) -> dict[str, Any] | None:
    if "format" in value:
        return None
    for old, new in RENAMED:
        value[old] = value.pop(new)
    value["format"] = FORMAT_1
    return value


def _rewrite(convert: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
    connection = op.get_bind()
    for plan_id, source in connection.execute(sa.select(_plans.c.id, _plans.c.source)).all():
        value = convert(json.loads(source))
        if value is not None:
            connection.execute(
                _plans.update().where(_plans.c.id == plan_id).values(source=_canonical(value))
            )


def upgrade() -> None:
    _rewrite(_to_core)


def downgrade() -> None:
    _rewrite(_to_format_1)
