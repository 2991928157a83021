"""Stage 4, write: bytes on disk, beside the live site, then swapped in.

    _render     the one Jinja2 environment (autoescape, StrictUndefined) and its filters
    _downloads  CSV for Excel, JSON for programs, the deterministic bundle zip
    _writer     files of one build: safe paths, size limit, threads, SHA256SUMS
    _swap       build beside the live site, swap it in atomically (kept or undone with
                its transaction), recover a killed build

Nothing here knows what a notice is: this stage takes paths and bytes.
"""

from __future__ import annotations

from dualrandom.publish.write._downloads import (
    compact_json_bytes,
    json_bytes,
    write_csv,
    write_json,
    zip_folder,
)
from dualrandom.publish.write._render import Renderer, human_size
from dualrandom.publish.write._swap import Stage, Swap, staged
from dualrandom.publish.write._writer import MAX_PAGE_BYTES, Previous, SiteWriter

__all__ = [
    "MAX_PAGE_BYTES",
    "Previous",
    "Renderer",
    "SiteWriter",
    "Stage",
    "Swap",
    "compact_json_bytes",
    "human_size",
    "json_bytes",
    "staged",
    "write_csv",
    "write_json",
    "zip_folder",
]
