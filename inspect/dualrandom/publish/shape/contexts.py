"""The typed contexts the templates render: one frozen dataclass per page type.

Everything a page shows is here, already public: the gatherers never put a
risk class, a personal field or an internal note into a context, so a
template cannot print one by mistake. Links (``href``) are relative to the
site root; the renderer turns them into page-relative links.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "Appearance",
    "BarChart",
    "ChartBar",
    "CountRow",
    "DepartmentDraw",
    "Digest",
    "Download",
    "DrawFacts",
    "DrawNoticePage",
    "DrawRow",
    "IndexPage",
    "ItemGroup",
    "ItemListPage",
    "ItemRef",
    "ItemRow",
    "Link",
    "NoticeGroup",
    "NoticeHead",
    "NoticeListPage",
    "ObjectListPage",
    "ObjectListRow",
    "ObjectPage",
    "PageLink",
    "Pager",
    "PlanNoticePage",
    "PlanSummary",
    "PreDrawPage",
    "QuotaRow",
    "ResultNoticePage",
    "ResultRow",
    "StatsIndexPage",
    "StatsIndexRow",
    "StatsPage",
    "StratumRule",
    "Supersession",
    "YearLink",
]


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True, slots=True)
class Download:
    label: str
    href: str
    kind: str  # CSV | JSON | ZIP | GZ (the registry snapshot, not among the attachments)
    size: str  # human-readable, e.g. "12.3 KB"


@dataclass(frozen=True, slots=True)
class NoticeHead:
    """The heading every notice carries: what, which number, who, when."""

    kind: str  # items | plan | predraw | draw | result | stats
    title: str
    doc_no: str
    issuer: str
    date: date
    href: str
    year: int
    batch: str  # "" for notices of a whole year
    departments: tuple[str, ...]  # codes of the issuing departments
    status: str  # "" | "已作废" | "已撤回"
    summary: str
    updated: datetime  # the notice's own time, for the Atom feed


@dataclass(frozen=True, slots=True)
class PageLink:
    number: int
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class Pager:
    page: int
    pages: int
    links: tuple[PageLink, ...]
    first_row: int  # 1-based number of this page's first row
    rows: int  # rows in the whole list


@dataclass(frozen=True, slots=True)
class Supersession:
    attempt: int
    href: str
    reason: str
    date: date


@dataclass(frozen=True, slots=True)
class Digest:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class DrawFacts:
    """One draw (one attempt of one plan), as every notice about it shows it."""

    plan_id: str
    plan_title: str
    attempt: int
    year: int
    batch: str
    kind: str  # 定向 / 不定向 / 专项
    window_start: date
    window_end: date
    department: str
    co_departments: tuple[str, ...]
    state: str  # prepared | drawn | superseded | withdrawn
    state_label: str
    algorithm: str
    prepared_at: datetime
    drawn_at: datetime | None
    commitment_hash: str
    secret_commitment: str  # DR-1; "" for DR-2, which has no operator secret
    entropy_source: str
    entropy_description: str
    entropy: str  # DR-1: the public value; DR-2: the witnesses' dice ("" if none)
    secret: str
    seed: str
    result_digest: str
    visits: int
    predraw: Link
    notice: Link | None
    results: Link | None
    stats: Link | None
    bundle: Download | None
    supersedes: Supersession | None  # the earlier attempt this one replaced
    superseded_by: Supersession | None  # the later attempt that replaced this one
    # DR-2: the pinned beacon round, its chain (a demo chain says 演示 in its label)
    beacon_round: int | None = None
    beacon_time: datetime | None = None
    beacon_chain: str = ""
    beacon_demo: bool = False
    dice_expected: bool = False
    # DR-2: the registry snapshot the bundle refers to, published once per version
    snapshot: Download | None = None


@dataclass(frozen=True, slots=True)
class YearLink:
    year: int
    href: str
    notices: int


@dataclass(frozen=True, slots=True)
class IndexPage:
    latest: tuple[NoticeHead, ...]
    years: tuple[YearLink, ...]
    departments: tuple[Link, ...]
    items: Link
    stats: Link
    objects: Link
    search_index: str
    objects_count: int


@dataclass(frozen=True, slots=True)
class NoticeGroup:
    label: str
    notices: tuple[NoticeHead, ...]


@dataclass(frozen=True, slots=True)
class NoticeListPage:
    title: str
    intro: str
    groups: tuple[NoticeGroup, ...]


@dataclass(frozen=True, slots=True)
class ItemRow:
    code: str
    name: str
    sub_item: str
    legal_basis: str
    department: str
    methods: str
    item_class: str
    ratio: str
    max_per_year: str


@dataclass(frozen=True, slots=True)
class ItemGroup:
    department: str
    rows: tuple[ItemRow, ...]


@dataclass(frozen=True, slots=True)
class ItemListPage:
    head: NoticeHead | None  # None until an item list is loaded
    groups: tuple[ItemGroup, ...]
    downloads: tuple[Download, ...]


@dataclass(frozen=True, slots=True)
class StratumRule:
    name: str
    where: str
    ratio: str
    bounds: str


@dataclass(frozen=True, slots=True)
class PlanSummary:
    id: str
    title: str
    batch: str
    kind: str
    window_start: date
    window_end: date
    department: str
    co_departments: tuple[str, ...]
    items: tuple[ItemRef, ...]
    scope: str
    strata: tuple[StratumRule, ...]  # public strata only
    hidden_strata: int  # strata on the (unpublished) risk class
    exclusions: tuple[str, ...]
    team: tuple[str, ...]
    entropy: str
    schedule: str
    draws: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class PlanNoticePage:
    head: NoticeHead
    plans: tuple[PlanSummary, ...]
    downloads: tuple[Download, ...]


@dataclass(frozen=True, slots=True)
class QuotaRow:
    item: str
    item_name: str
    stratum: str  # a public stratum's name, or the label of the risk-class aggregate
    aggregate: bool
    pool: int
    ratio: str
    k: int
    reserve: int
    shortfall: int


@dataclass(frozen=True, slots=True)
class CountRow:
    label: str
    count: int
    share: str


@dataclass(frozen=True, slots=True)
class PreDrawPage:
    head: NoticeHead
    draw: DrawFacts
    software: str
    registry_versions: tuple[CountRow, ...]
    digests: tuple[Digest, ...]
    quotas: tuple[QuotaRow, ...]
    exclusions: tuple[CountRow, ...]
    outside_strata: int
    draw_time: str
    downloads: tuple[Download, ...]


@dataclass(frozen=True, slots=True)
class ItemRef:
    code: str
    name: str
    department: str


@dataclass(frozen=True, slots=True)
class DrawRow:
    number: int
    name: str
    object_id: str
    href: str
    items: str  # item codes, joined with 、
    departments: str  # department names, joined with 、
    inspectors: str  # "name（role）、…", only where the plan publishes names
    status: str
    status_href: str


@dataclass(frozen=True, slots=True)
class DrawNoticePage:
    head: NoticeHead
    draw: DrawFacts
    items: tuple[ItemRef, ...]
    rows: tuple[DrawRow, ...]
    pager: Pager
    downloads: tuple[Download, ...]
    show_inspectors: bool
    masked_names: bool


@dataclass(frozen=True, slots=True)
class ResultRow:
    number: int
    name: str
    object_id: str
    href: str
    departments: str  # names, joined with 、
    kind: str
    checked_on: date | None
    result: str
    follow_up: str


@dataclass(frozen=True, slots=True)
class ResultNoticePage:
    head: NoticeHead
    draw: DrawFacts
    rows: tuple[ResultRow, ...]
    pager: Pager
    downloads: tuple[Download, ...]
    published: int
    pending: int


@dataclass(frozen=True, slots=True)
class ChartBar:
    label: str
    value_text: str
    y: int
    width: int


@dataclass(frozen=True, slots=True)
class BarChart:
    id: str
    title: str
    description: str
    bars: tuple[ChartBar, ...]
    label_width: int
    bar_area: int
    width: int
    height: int
    bar_height: int


@dataclass(frozen=True, slots=True)
class StatsPage:
    head: NoticeHead
    draw: DrawFacts
    quotas: tuple[QuotaRow, ...]
    results: tuple[CountRow, ...]
    states: tuple[CountRow, ...]
    charts: tuple[BarChart, ...]
    downloads: tuple[Download, ...]


@dataclass(frozen=True, slots=True)
class StatsIndexRow:
    draw: DrawFacts
    head: NoticeHead
    published: int
    problems: int


@dataclass(frozen=True, slots=True)
class StatsIndexPage:
    rows: tuple[StatsIndexRow, ...]


@dataclass(frozen=True, slots=True)
class Appearance:
    plan_title: str
    attempt: int
    draw_href: str
    kind: str
    window: str  # "2027-01-04 至 2027-03-31"
    items: str  # item codes, joined with 、
    departments: str  # department names, joined with 、
    ticket: str
    status: str


@dataclass(frozen=True, slots=True)
class DepartmentDraw:
    department: str
    kind: str
    checked_on: date | None
    result: str
    follow_up: str
    notice_href: str


@dataclass(frozen=True, slots=True)
class ObjectPage:
    name: str
    object_id: str
    id_label: str
    type: str
    district: str
    appearances: tuple[Appearance, ...]
    results: tuple[DepartmentDraw, ...]


@dataclass(frozen=True, slots=True)
class ObjectListRow:
    name: str
    object_id: str
    href: str
    draws: int


@dataclass(frozen=True, slots=True)
class ObjectListPage:
    rows: tuple[ObjectListRow, ...]
    pager: Pager
