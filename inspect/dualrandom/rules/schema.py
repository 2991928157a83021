"""Every key the rules files accept, table by table.

The readers may only read keys declared here (they assert it), and the tests
check this module against docs/FORMATS.md, so the contract, the code and the
documentation cannot drift apart.
"""

from __future__ import annotations

from dualrandom.core.model import FILTER_KEYS

__all__ = [
    "EXCLUSIONS_KEYS",
    "FILTER_KEYS",
    "FILTER_TABLES",
    "ITEMS_FILE_KEYS",
    "ITEM_KEYS",
    "PLAN_KEYS",
    "PUBLICATION_KEYS",
    "REQUIRE_KEYS",
    "STRATUM_KEYS",
    "TEAM_KEYS",
    "WINDOW_KEYS",
    "item_paths",
    "plan_paths",
]

ITEMS_FILE_KEYS = ("item",)
ITEM_KEYS = (
    "code",
    "name",
    "sub_item",
    "legal_basis",
    "department",
    "class",
    "methods",
    "specialty",
    "ratio",
    "max_per_year",
    "scope",
)
PLAN_KEYS = (
    "id",
    "title",
    "year",
    "batch",
    "type",
    "department",
    "co_departments",
    "items",
    "schedule",
    "prepare_days_before",
    "entropy",
    "dice",
    "window",
    "scope",
    "stratum",
    "exclusions",
    "team",
    "publication",
)
WINDOW_KEYS = ("start", "end")
STRATUM_KEYS = ("name", "where", "ratio", "min", "max")
EXCLUSIONS_KEYS = ("statuses", "lookback_months", "annual_cap")
TEAM_KEYS = ("size", "leader", "district", "load_cap", "require", "conflict_rules")
REQUIRE_KEYS = ("department", "count")
PUBLICATION_KEYS = ("inspector_names", "mask_person_names")

# Keys whose value is an object filter (its keys are FILTER_KEYS).
FILTER_TABLES = frozenset({"item.scope", "scope", "stratum.where"})

_PLAN_SUBTABLES = {
    "window": WINDOW_KEYS,
    "stratum": STRATUM_KEYS,
    "exclusions": EXCLUSIONS_KEYS,
    "team": TEAM_KEYS,
    "team.require": REQUIRE_KEYS,
    "publication": PUBLICATION_KEYS,
}


def item_paths() -> frozenset[str]:
    """Dotted paths of items.toml, array positions left out: ``item.code``…"""
    return frozenset({"item"} | {f"item.{key}" for key in ITEM_KEYS})


def plan_paths() -> frozenset[str]:
    """Dotted paths of a plan file: ``id``, ``window.start``, ``team.require.count``…"""
    paths = set(PLAN_KEYS)
    for table, keys in _PLAN_SUBTABLES.items():
        paths |= {f"{table}.{key}" for key in keys}
    return frozenset(paths)
