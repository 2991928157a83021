"""The ``dualrandom`` command line: a thin layer over the library.

Each command parses its options, calls one library function inside one
transaction, and prints. Every error a user can cause prints ``Error: …``
with what to do next and exits 1; a traceback means a bug.
"""

from __future__ import annotations

from dualrandom.cli._main import main

__all__ = ["main"]
