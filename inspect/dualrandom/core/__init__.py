"""The pure core of dual-random: value objects, canonical bytes and the draw.

Everything under ``dualrandom.core`` imports only the Python standard library
and numpy. It performs no I/O: no database, no files, no clock, no
environment, no randomness of its own. It takes values and returns values, so
that a draw is a pure function of its published inputs and can be re-run by
anyone (see ``docs/SPEC.md``). The database, the CLI, publishing and the
scheduler call into the core; the core never calls them.

Two algorithms run through the same code: DR-2 (``algorithm="DR-2"``, every
new draw: SPEC Part II) and DR-1 (the default of every function, kept only
to verify draws made before DR-2: SPEC Part I). The DR-2 pieces: bucketed
snapshot digests (``buckets``), the risk-class Merkle commitment (``risk``,
``merkle``), the seed from commitment, beacon and dice (``seed``), the public
files (``public``) and the public check both verifiers use (``public_check``).
"""

from dualrandom.core.buckets import BucketedDigest, combine_buckets, file_digest
from dualrandom.core.canonical import (
    ObjectDigestStream,
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
    snapshot_digest,
)
from dualrandom.core.conflicts import ConflictTable, conflict_snapshot
from dualrandom.core.draw import (
    DrawInputs,
    Preparation,
    Replacement,
    Substitution,
    draw,
    draw_selected,
    prepare,
    substitute,
)
from dualrandom.core.encoding import ALGORITHM, ALGORITHMS, DR1, DR2
from dualrandom.core.plan_json import parse_plan, plan_canonical, plan_digest
from dualrandom.core.pools import REASONS, Exclusion, months_before
from dualrandom.core.public import PublicOutputs, PublicView, public_digest, public_outputs
from dualrandom.core.public_check import PoolAccount, PublicCheck, public_check
from dualrandom.core.quotas import Quota, quota_size, reserve_size
from dualrandom.core.result import (
    FILE_NAMES,
    DrawResult,
    Selected,
    Visit,
    internal_digest,
    output_digests,
    result_digest,
    result_digest_dr2,
)
from dualrandom.core.risk import RiskCommitment, RiskProof, RiskTree, risk_commitment, risk_rows
from dualrandom.core.seed import (
    CommittedDigests,
    Digests,
    check_dice,
    derive_seed,
    derive_seed_dr2,
    record_dice,
    secret_commitment,
)
from dualrandom.core.slots import SlotSpec, team_slots
from dualrandom.core.teams import Member
from dualrandom.core.tickets import OfficerOrder, target_ticket, target_tickets, ticket_hex

__all__ = [
    "ALGORITHM",
    "ALGORITHMS",
    "DR1",
    "DR2",
    "FILE_NAMES",
    "REASONS",
    "BucketedDigest",
    "CommittedDigests",
    "ConflictTable",
    "Digests",
    "DrawInputs",
    "DrawResult",
    "Exclusion",
    "Member",
    "ObjectDigestStream",
    "ObjectSnapshot",
    "OfficerOrder",
    "PoolAccount",
    "Preparation",
    "PublicCheck",
    "PublicOutputs",
    "PublicView",
    "Quota",
    "Replacement",
    "RiskCommitment",
    "RiskProof",
    "RiskTree",
    "Selected",
    "SlotSpec",
    "Snapshot",
    "Substitution",
    "Visit",
    "check_dice",
    "combine_buckets",
    "combine_object_digests",
    "conflict_snapshot",
    "conflicts_snapshot",
    "derive_seed",
    "derive_seed_dr2",
    "draw",
    "draw_selected",
    "file_digest",
    "history_snapshot",
    "inspectors_snapshot",
    "internal_digest",
    "months_before",
    "objects_snapshot",
    "output_digests",
    "parse_conflicts",
    "parse_history",
    "parse_inspectors",
    "parse_objects",
    "parse_plan",
    "plan_canonical",
    "plan_digest",
    "prepare",
    "public_check",
    "public_digest",
    "public_outputs",
    "quota_size",
    "record_dice",
    "reserve_size",
    "result_digest",
    "result_digest_dr2",
    "risk_commitment",
    "risk_rows",
    "secret_commitment",
    "snapshot_digest",
    "substitute",
    "target_ticket",
    "target_tickets",
    "team_slots",
    "ticket_hex",
]
