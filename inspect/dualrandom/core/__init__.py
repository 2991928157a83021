"""The pure core of dual-random: value objects, canonical bytes and the draw.

Everything under ``dualrandom.core`` imports only the Python standard library
and numpy. It performs no I/O: no database, no files, no clock, no
environment, no randomness of its own. It takes values and returns values, so
that a draw is a pure function of its published inputs and can be re-run by
anyone (see ``docs/SPEC.md``). The database, the CLI, publishing and the
scheduler call into the core; the core never calls them.
"""

from dualrandom.core.canonical import (
    ObjectSnapshot,
    Snapshot,
    combine_object_digests,
    conflicts_snapshot,
    history_snapshot,
    inspectors_snapshot,
    objects_snapshot,
    parse_conflicts,
    parse_history,
    parse_inspectors,
    parse_objects,
)
from dualrandom.core.draw import (
    DrawInputs,
    Preparation,
    Replacement,
    Substitution,
    draw,
    prepare,
    substitute,
)
from dualrandom.core.encoding import ALGORITHM
from dualrandom.core.plan_json import parse_plan, plan_canonical, plan_digest
from dualrandom.core.pools import REASONS, Exclusion, months_before
from dualrandom.core.quotas import Quota, quota_size, reserve_size
from dualrandom.core.result import FILE_NAMES, DrawResult, Selected, Visit, result_digest
from dualrandom.core.seed import Digests, derive_seed, secret_commitment
from dualrandom.core.slots import SlotSpec, team_slots
from dualrandom.core.teams import Member
from dualrandom.core.tickets import OfficerOrder, target_ticket, target_tickets, ticket_hex

__all__ = [
    "ALGORITHM",
    "FILE_NAMES",
    "REASONS",
    "Digests",
    "DrawInputs",
    "DrawResult",
    "Exclusion",
    "Member",
    "ObjectSnapshot",
    "OfficerOrder",
    "Preparation",
    "Quota",
    "Replacement",
    "Selected",
    "SlotSpec",
    "Snapshot",
    "Substitution",
    "Visit",
    "combine_object_digests",
    "conflicts_snapshot",
    "derive_seed",
    "draw",
    "history_snapshot",
    "inspectors_snapshot",
    "months_before",
    "objects_snapshot",
    "parse_conflicts",
    "parse_history",
    "parse_inspectors",
    "parse_objects",
    "parse_plan",
    "plan_canonical",
    "plan_digest",
    "prepare",
    "quota_size",
    "reserve_size",
    "result_digest",
    "secret_commitment",
    "substitute",
    "target_ticket",
    "target_tickets",
    "team_slots",
    "ticket_hex",
]
