"""Draws around the pure core: the commit–reveal protocol, bundles and verification.

This package reads and writes the database (through a caller's ``Session``)
and bundle folders; every decision of a draw is made by ``dualrandom.core``.
"""

from dualrandom.draws.bundle import TIERS, ExportReport, export_bundle
from dualrandom.draws.protocol import (
    Prepared,
    draw_summary,
    get_draw,
    prepare_draw,
    run_draw,
)
from dualrandom.draws.secrets import SecretStore
from dualrandom.draws.verify import Verification, verify_bundle

__all__ = [
    "TIERS",
    "ExportReport",
    "Prepared",
    "SecretStore",
    "Verification",
    "draw_summary",
    "export_bundle",
    "get_draw",
    "prepare_draw",
    "run_draw",
    "verify_bundle",
]
