"""The pure core of dual-random: value objects, canonical bytes and the draw.

Everything under ``dualrandom.core`` imports only the Python standard library
and numpy. It performs no I/O: no database, no files, no clock, no
environment, no randomness of its own. It takes values and returns values, so
that a draw is a pure function of its published inputs and can be re-run by
anyone (see ``docs/SPEC.md``). The database, the CLI, publishing and the
scheduler call into the core; the core never calls them.
"""
