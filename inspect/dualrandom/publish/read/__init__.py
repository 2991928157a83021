"""Stage 1, read: what the site is built from, read once from the database.

    _catalog    departments, items, plans and every draw as it was drawn
    _visits     the drawn objects of one draw, streamed, with public columns only
    _runs       every draw's visits, spilled sorted by object id for the object pages

Only public columns are selected: personal fields and the risk class are
never read, so no later stage can publish them.
"""

from __future__ import annotations

from dualrandom.publish.read._catalog import Catalog, DrawRecord, read_catalog
from dualrandom.publish.read._runs import Runs
from dualrandom.publish.read._visits import Visit, read_visits

__all__ = ["Catalog", "DrawRecord", "Runs", "Visit", "read_catalog", "read_visits"]
