"""One blueprint per area of the console."""

from __future__ import annotations

from flask import Blueprint

from dualrandom.console.pages import (
    admin,
    audit,
    auth,
    ceremony,
    dashboard,
    draws,
    plans,
    registries,
    tasks,
)

__all__ = ["BLUEPRINTS"]

BLUEPRINTS: tuple[Blueprint, ...] = tuple(
    module.bp
    for module in (auth, dashboard, registries, plans, ceremony, draws, tasks, audit, admin)
)
