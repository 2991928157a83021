"""Draws around the pure core: the commit–reveal protocol, bundles and verification.

This package reads and writes the database (through a caller's ``Session``)
and bundle folders; every decision of a draw is made by ``dualrandom.core``.
It owns the facts of a draw: its states (:class:`DrawState`), which attempt
is a plan's latest (:func:`latest_draw`), the inputs it was drawn from
(:func:`stored_inputs`), its commitment notice
(:func:`write_commitment_notice`) and, for internal users, what it drew:
each visit's business, items and team by name (:func:`visit_views`).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
        stored_visits,
        visit_cells,
        visit_count,
        visit_fingerprint,
        visit_json,
        visit_views,
    )

# Loaded on first use (PEP 562): ``dualrandom verify`` imports the verifier
# modules alone, without the database layer every other name here needs.
_MODULE_OF = {
    "BEACON_ROUND_FILE": "dualrandom.draws.protocol",
    "DrawState": "dualrandom.draws.states",
    "ExportReport": "dualrandom.draws.bundle",
    "Officer": "dualrandom.draws.view",
    "Prepared": "dualrandom.draws.protocol",
    "RecordedDice": "dualrandom.draws.protocol",
    "SALT_KEY_FILE": "dualrandom.draws.protocol",
    "SecretStore": "dualrandom.draws.secrets",
    "TIERS": "dualrandom.draws.bundle",
    "UNKNOWN_ITEM": "dualrandom.draws.view",
    "VISIT_COLUMNS": "dualrandom.draws.view",
    "Verification": "dualrandom.draws.verify",
    "VisitItem": "dualrandom.draws.view",
    "VisitView": "dualrandom.draws.view",
    "beacon_pin": "dualrandom.draws.protocol",
    "dice_expected": "dualrandom.draws.protocol",
    "dr2_draw_values": "dualrandom.draws.stored",
    "draw_files": "dualrandom.draws._inputs",
    "draw_outdated_by_plan": "dualrandom.draws.affected",
    "draw_summary": "dualrandom.draws.view",
    "export_bundle": "dualrandom.draws.bundle",
    "get_draw": "dualrandom.draws.protocol",
    "latest_draw": "dualrandom.draws.protocol",
    "latest_draws": "dualrandom.draws.protocol",
    "plan_draws": "dualrandom.draws.protocol",
    "prepare_draw": "dualrandom.draws.protocol",
    "prepared_draw": "dualrandom.draws.protocol",
    "prepared_draws_outdated": "dualrandom.draws.affected",
    "public_entropy": "dualrandom.draws.protocol",
    "record_ceremony_dice": "dualrandom.draws.protocol",
    "recorded_ceremony_dice": "dualrandom.draws.protocol",
    "role_label": "dualrandom.draws.view",
    "run_draw": "dualrandom.draws.protocol",
    "stored_inputs": "dualrandom.draws._inputs",
    "stored_preparation": "dualrandom.draws.stored",
    "stored_salt_key": "dualrandom.draws.stored",
    "stored_visits": "dualrandom.draws.view",
    "verify_bundle": "dualrandom.draws.verify",
    "visit_cells": "dualrandom.draws.view",
    "visit_count": "dualrandom.draws.view",
    "visit_fingerprint": "dualrandom.draws.view",
    "visit_json": "dualrandom.draws.view",
    "visit_views": "dualrandom.draws.view",
    "write_commitment_notice": "dualrandom.draws._commitment",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


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
    "stored_visits",
    "verify_bundle",
    "visit_cells",
    "visit_count",
    "visit_fingerprint",
    "visit_json",
    "visit_views",
    "write_commitment_notice",
]
