"""The registries (两库) and the department list: import, versions, snapshots.

    registry import    check every row of a CSV/XLSX file, store a new version
    snapshot           the registries as core records, as of any version
    items              the item list (一单) from a spreadsheet

Every function takes the caller's session and never commits; a file with
problems raises :class:`~dualrandom.errors.ValidationError` listing all of
them, and the caller's transaction then writes nothing. Files are read with
:mod:`dualrandom.sheets`; the columns of each registry are here. Formats are
in docs/FORMATS.md.
"""

from __future__ import annotations

from dualrandom.registry._columns import COLUMNS, KINDS, REGISTRY_KINDS
from dualrandom.registry._import import ImportSummary, import_registry
from dualrandom.registry._overview import COUNTED_BY, list_versions, registry_counts
from dualrandom.registry._read import Progress
from dualrandom.registry.diff import HIDDEN_FIELDS, RowChange, VersionDiff, version_diff
from dualrandom.registry.items import ItemsSummary, import_items
from dualrandom.registry.snapshot import (
    conflicts_as_of,
    current_version,
    departments,
    get_version,
    inspectors_as_of,
    object_table_as_of,
    objects_as_of,
    registry_digest,
)

__all__ = [
    "COLUMNS",
    "COUNTED_BY",
    "HIDDEN_FIELDS",
    "KINDS",
    "REGISTRY_KINDS",
    "ImportSummary",
    "ItemsSummary",
    "Progress",
    "RowChange",
    "VersionDiff",
    "conflicts_as_of",
    "current_version",
    "departments",
    "get_version",
    "import_items",
    "import_registry",
    "inspectors_as_of",
    "list_versions",
    "object_table_as_of",
    "objects_as_of",
    "registry_counts",
    "registry_digest",
    "version_diff",
]
