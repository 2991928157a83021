"""Draws around the pure core: the commit–reveal protocol, bundles and verification.

This package reads and writes the database (through a caller's ``Session``)
and bundle folders; every decision of a draw is made by ``dualrandom.core``.
It owns the facts of a draw: its states (:class:`DrawState`), which attempt
is a plan's latest (:func:`latest_draw`), the inputs it was drawn from
(:func:`stored_inputs`), its commitment notice
(:func:`write_commitment_notice`) and, for internal users, what it drew:
each visit's business, items and team by name (:func:`visit_views`).
"""

from dualrandom.draws._commitment import write_commitment_notice
from dualrandom.draws._inputs import draw_files, stored_inputs
from dualrandom.draws.affected import draw_outdated_by_plan, prepared_draws_outdated
from dualrandom.draws.bundle import TIERS, ExportReport, export_bundle
from dualrandom.draws.protocol import (
    BEACON_ROUND_FILE,
    SALT_KEY_FILE,
    Prepared,
    RecordedDice,
    beacon_pin,
    dice_expected,
    get_draw,
    latest_draw,
    latest_draws,
    plan_draws,
    prepare_draw,
    prepared_draw,
    public_entropy,
    record_ceremony_dice,
    recorded_ceremony_dice,
    run_draw,
)
from dualrandom.draws.secrets import SecretStore
from dualrandom.draws.states import DrawState
from dualrandom.draws.stored import (
    dr2_draw_values,
    stored_preparation,
    stored_salt_key,
)
from dualrandom.draws.verify import Verification, verify_bundle
from dualrandom.draws.view import (
    UNKNOWN_ITEM,
    VISIT_COLUMNS,
    Officer,
    VisitItem,
    VisitView,
    draw_summary,
    role_label,
    visit_cells,
    visit_count,
    visit_json,
    visit_views,
)

__all__ = [
    "BEACON_ROUND_FILE",
    "SALT_KEY_FILE",
    "TIERS",
    "UNKNOWN_ITEM",
    "VISIT_COLUMNS",
    "DrawState",
    "ExportReport",
    "Officer",
    "Prepared",
    "RecordedDice",
    "SecretStore",
    "Verification",
    "VisitItem",
    "VisitView",
    "beacon_pin",
    "dice_expected",
    "dr2_draw_values",
    "draw_files",
    "draw_outdated_by_plan",
    "draw_summary",
    "export_bundle",
    "get_draw",
    "latest_draw",
    "latest_draws",
    "plan_draws",
    "prepare_draw",
    "prepared_draw",
    "prepared_draws_outdated",
    "public_entropy",
    "record_ceremony_dice",
    "recorded_ceremony_dice",
    "role_label",
    "run_draw",
    "stored_inputs",
    "stored_preparation",
    "stored_salt_key",
    "verify_bundle",
    "visit_cells",
    "visit_count",
    "visit_json",
    "visit_views",
    "write_commitment_notice",
]
