"""The working rules (一细则): the item list and the plans, read, checked and stored.

    rules/items.toml        the item list (一单), unless imported from a spreadsheet
    rules/plans/<id>.toml   one plan (a batch of the annual plan) per file

:func:`read_rules` reads and validates the files alone, collecting every
problem with its file, line and key; :func:`check_rules` adds the checks
against the database and raises :class:`~dualrandom.errors.RulesError`;
:func:`store_rules` saves checked rules. :mod:`dualrandom.rules.store` holds
the functions the rest of the program reads items and plans with.
"""

from __future__ import annotations

from dualrandom.rules.check import (
    LoadReport,
    check_items_text,
    check_plan_text,
    check_rules,
    cross_check,
    store_rules,
)
from dualrandom.rules.files import RuleSet, read_rules
from dualrandom.rules.store import (
    Changes,
    StoredPlan,
    get_plan,
    list_plans,
    load_items,
    load_plan,
    save_items,
    save_plans,
)
from dualrandom.tomlfile import Located

__all__ = [
    "Changes",
    "LoadReport",
    "Located",
    "RuleSet",
    "StoredPlan",
    "check_items_text",
    "check_plan_text",
    "check_rules",
    "cross_check",
    "get_plan",
    "list_plans",
    "load_items",
    "load_plan",
    "read_rules",
    "save_items",
    "save_plans",
    "store_rules",
]
