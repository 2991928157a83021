"""Draws around the pure core: the commit–reveal protocol, bundles and verification.

This package reads and writes the database (through a caller's ``Session``)
and bundle folders; every decision of a draw is made by ``dualrandom.core``.
It owns the facts of a draw: its states (:class:`DrawState`), which attempt
is a plan's latest (:func:`latest_draw`), the inputs it was drawn from
(:func:`stored_inputs`) and its commitment notice
(:func:`write_commitment_notice`).
"""

from dualrandom.draws._commitment import write_commitment_notice
from dualrandom.draws._inputs import draw_files, stored_inputs
from dualrandom.draws.bundle import TIERS, ExportReport, export_bundle
from dualrandom.draws.protocol import (
    Prepared,
    draw_summary,
    get_draw,
    latest_draw,
    prepare_draw,
    run_draw,
)
from dualrandom.draws.secrets import SecretStore
from dualrandom.draws.states import DrawState
from dualrandom.draws.verify import Verification, verify_bundle

__all__ = [
    "TIERS",
    "DrawState",
    "ExportReport",
    "Prepared",
    "SecretStore",
    "Verification",
    "draw_files",
    "draw_summary",
    "export_bundle",
    "get_draw",
    "latest_draw",
    "prepare_draw",
    "run_draw",
    "stored_inputs",
    "verify_bundle",
    "write_commitment_notice",
]
