"""Stage 2, shape: records become the typed, already-public contexts pages render.

    contexts    one frozen dataclass per page type and part (the templates' contract)
    _notices    facts and headings of the notices: titles, issuers, dates
    _quotas     pool sizes and quotas, risk-class strata summed
    _charts     bar charts laid out for inline SVG
    _pager      long lists cut into pages of a fixed number of rows
    _json       the JSON form of a heading and of a draw's facts, for downloads
"""

from __future__ import annotations

from dualrandom.publish.shape._charts import bar_chart
from dualrandom.publish.shape._json import facts_json, head_json
from dualrandom.publish.shape._notices import (
    draw_facts,
    draw_heads,
    items_head,
    notice_heads,
    plan_heads,
)
from dualrandom.publish.shape._pager import page_of, pager, paginate, rows_per_page
from dualrandom.publish.shape._quotas import percent, quota_rows

__all__ = [
    "bar_chart",
    "draw_facts",
    "draw_heads",
    "facts_json",
    "head_json",
    "items_head",
    "notice_heads",
    "page_of",
    "pager",
    "paginate",
    "percent",
    "plan_heads",
    "quota_rows",
    "rows_per_page",
]
