"""Every error dual-random raises on purpose, in one place.

    DualRandomError                  base of everything below
    ├── UserError                    the user can fix it; the CLI prints "错误：…" and exits 1
    │   ├── ConfigError              config.toml or an environment variable is wrong
    │   ├── ValidationError          a file has bad rows or keys; carries every problem found
    │   │   └── RulesError           the working rules or a plan are invalid
    │   ├── NotFoundError            a plan, item, draw or version that does not exist
    │   ├── DrawStateError           a draw step out of order, or inputs changed since prepare
    │   ├── TaskStateError           an inspection task asked for a transition its state does not allow
    │   ├── SchedulerBusyError       another scheduler already runs on this database
    │   ├── BeaconError              a beacon round is malformed, not the pinned one, or does not verify
    │   └── InfeasibleError          no draw can satisfy the plan (quota or team), with the reason
    └── IntegrityError               stored data fails its own check (audit chain, bundle)

``ValidationError`` is also a ``ValueError`` and ``NotFoundError`` a
``LookupError``, so code that knows only the standard exceptions still
catches them.

This module imports only the standard library, so the pure core may raise
these too. Messages name the offending value and, where there is one, what
to do next.

Every message a user can cause is in Simplified Chinese first, for the clerk
at the keyboard, with English beside it for the code's readers::

    raise NotFoundError(
        f"计划 {plan_id} 不存在；请先运行 dualrandom rules load",
        f"plan {plan_id!r} does not exist; run 'dualrandom rules load' first",
    )

The CLI prints the Chinese line as ``错误：…`` and the English one as
``Error: …``; ``--json`` carries both. A :class:`Problem` (one bad row) does
the same with ``reason`` and ``reason_en``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BeaconError",
    "ConfigError",
    "DrawStateError",
    "DualRandomError",
    "InfeasibleError",
    "IntegrityError",
    "NotFoundError",
    "Problem",
    "RulesError",
    "SchedulerBusyError",
    "TaskStateError",
    "UserError",
    "ValidationError",
]


class DualRandomError(Exception):
    """Base class of every error raised on purpose by dual-random.

    ``message`` is the Chinese text a user reads first; ``english`` says the
    same for the code's readers (empty only in messages not yet translated).
    """

    def __init__(self, message: str, english: str = "") -> None:
        self.message, self.english = message, english
        super().__init__(f"{message}\n{english}" if english else message)


class UserError(DualRandomError):
    """Something the user can fix; the message says what."""


class ConfigError(UserError):
    """The configuration file or an environment variable is invalid."""


class NotFoundError(UserError, LookupError):
    """A named plan, item, draw, version or file does not exist."""


class DrawStateError(UserError):
    """A draw step was asked for out of order, or its inputs changed."""


class TaskStateError(UserError):
    """An inspection task was asked for a transition its state does not allow."""


class SchedulerBusyError(UserError):
    """A second scheduler was started where only one may run (SQLite)."""


class BeaconError(UserError):
    """A public-beacon round was refused; ``fault`` names why in one word.

    ``fault`` is one of the codes of :class:`dualrandom.beacon.Fault`
    (``bad-signature``, ``wrong-round``, …), so callers and tests can tell
    the refusals apart without reading the message.
    """

    def __init__(self, fault: str, message: str, english: str = "") -> None:
        self.fault = fault
        super().__init__(message, english)


class InfeasibleError(UserError):
    """The plan cannot be satisfied; the message names the binding rule."""


class IntegrityError(DualRandomError):
    """Stored or published data fails its own check (hash chain, manifest)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file: where it is and why it is wrong.

    ``row`` is the spreadsheet row (header = 1) or, for TOML, the line;
    ``column`` is the header or key as written in the file.
    """

    file: str
    row: int | None
    column: str
    value: str
    reason: str
    reason_en: str = ""

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        column = f" [{self.column}]" if self.column else ""
        value = f" {self.value!r}:" if self.value else ""
        english = f" ({self.reason_en})" if self.reason_en else ""
        return f"{where}{column}{value} {self.reason}{english}"


class ValidationError(UserError, ValueError):
    """An input file has problems; every one of them is in ``problems``."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        files = ", ".join(sorted({p.file for p in problems}))
        super().__init__(
            f"{files} 中有 {len(problems)} 处问题，未写入任何数据",
            f"{len(problems)} problem(s) in {files}; nothing was written",
        )


class RulesError(ValidationError):
    """The item list, the working rules or a plan are invalid."""
