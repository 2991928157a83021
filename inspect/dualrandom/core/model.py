"""Typed value objects for the registries (两库), the item list (一单) and plans.

Each class rejects invalid state at construction with a ``ValueError`` that
names the offending value, so a record or plan that exists is a valid one.
Lists are held as sorted, de-duplicated tuples so that equal content always
compares (and serialises) equal, whatever order the source file used.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Any, TypeVar

__all__ = [
    "CONFLICT_RULES",
    "DISTRICT_RULES",
    "FILTER_KEYS",
    "OBJECT_FIELDS",
    "ConflictRecord",
    "DepartmentRecord",
    "DrawKind",
    "EntropySource",
    "Exclusions",
    "HistoryRecord",
    "InspectorRecord",
    "InspectorStatus",
    "ItemClass",
    "ItemRecord",
    "ObjectFilter",
    "ObjectRecord",
    "ObjectStatus",
    "ObjectType",
    "Plan",
    "Publication",
    "Relation",
    "RiskClass",
    "Stratum",
    "TeamRequirement",
    "TeamRules",
    "nfc",
    "object_record",
    "parse_ratio",
]

_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}\Z")
_PLAN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_INDUSTRY = re.compile(r"[A-T][0-9]{0,4}\Z")
_BATCH = re.compile(r"(Q[1-4]|H[12]|B[0-9]{1,3})\Z")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode normal form C, the only form the core stores."""
    return unicodedata.normalize("NFC", text)


def _sorted_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({nfc(v) for v in values}))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def parse_ratio(text: str) -> Fraction:
    """Parse a ratio written as a decimal (``"0.05"``) or percentage (``"5%"``).

    Floats are never involved: ``Fraction("0.1")`` is exactly one tenth.
    The result must lie in (0, 1].
    """
    raw = text.strip()
    try:
        value = Fraction(raw[:-1]) / 100 if raw.endswith("%") else Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"ratio {text!r} is not a decimal such as 0.05 or 5%") from None
    _require(0 < value <= 1, f"ratio {text!r} must be greater than 0 and at most 1")
    return value


class ObjectType(StrEnum):
    ENTERPRISE = "企业"
    INDIVIDUAL = "个体工商户"
    COOPERATIVE = "农民专业合作社"
    FOREIGN_OFFICE = "外国企业常驻代表机构"
    OTHER = "其他"


class ObjectStatus(StrEnum):
    ACTIVE = "存续"
    OPERATING = "在业"
    DEREGISTERED = "注销"
    REVOKED = "吊销"
    MOVED_OUT = "迁出"
    CANCELLED = "撤销"


class RiskClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class InspectorStatus(StrEnum):
    ON_DUTY = "在岗"
    ON_LEAVE = "休假"
    SECONDED = "借调"
    LEFT = "离岗"


class Relation(StrEnum):
    KIN = "亲属"
    FORMER_EMPLOYER = "原单位"
    SHAREHOLDING = "持股"
    GIFT = "受礼"
    PRIOR_CASE = "办理过案件"
    OTHER = "其他"


class ItemClass(StrEnum):
    GENERAL = "一般"
    KEY = "重点"


class DrawKind(StrEnum):
    TARGETED = "定向"
    UNTARGETED = "不定向"
    SPECIAL = "专项"


class EntropySource(StrEnum):
    DICE = "dice"
    BEACON = "beacon"
    TYPED = "typed"


METHODS = frozenset({"现场检查", "书面检查", "网络监测", "抽样检测", "其他"})
DEPARTMENT_LEVELS = frozenset({"省", "市", "区县", "乡镇"})
CONFLICT_RULES = frozenset({"declared", "previous_team", "home_district"})
DISTRICT_RULES = frozenset({"any", "same"})
FILTER_KEYS = (
    "type",
    "district",
    "industry",
    "risk_class",
    "status",
    "department",
    "tag",
    "list",
)
LISTS = frozenset({"abnormal", "serious_illegal"})


E = TypeVar("E", bound=StrEnum)
_MEMBERS: dict[type[StrEnum], dict[str, StrEnum]] = {}


def _member(enum: type[E], value: str) -> E:
    """``enum(value)`` through a dict: the enum call costs more than the rest
    of building a record. Unknown values still raise the enum's ValueError."""
    members = _MEMBERS.get(enum)
    if members is None:
        members = _MEMBERS[enum] = {m.value: m for m in enum}
    found = members.get(value)
    return found if found is not None else enum(value)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class DepartmentRecord:
    code: str
    name: str
    level: str

    def __post_init__(self) -> None:
        _require(
            bool(_CODE.match(self.code)),
            f"department code {self.code!r} is not 1-32 of A-Z a-z 0-9 _ -",
        )
        _require(bool(self.name.strip()), f"department {self.code!r} has an empty name")
        _require(
            self.level in DEPARTMENT_LEVELS,
            f"department level {self.level!r} is not one of {sorted(DEPARTMENT_LEVELS)}",
        )


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    """One inspection object (检查对象). Personal fields are not part of it:
    they are stored by the registry but never enter a draw or a digest."""

    id: str
    name: str
    type: ObjectType
    industry: str
    district: str
    status: ObjectStatus
    risk_class: RiskClass
    id_type: str = "uscc"
    registration_authority: str = ""
    address: str = ""
    established: date | None = None
    abnormal_list: bool = False
    serious_illegal_list: bool = False
    departments: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    last_inspected: date | None = None

    def __post_init__(self) -> None:
        # Plain ifs, not _require: messages are formatted only on failure, and
        # this runs once per object of registries with millions of rows.
        if not self.id or not unicodedata.is_normalized("NFC", self.id):
            raise ValueError(f"object id {self.id!r} is empty or not NFC")
        if self.id_type != "uscc" and self.id_type != "other":
            raise ValueError(f"id type {self.id_type!r} is not uscc or other")
        if not _INDUSTRY.match(self.industry):
            raise ValueError(f"industry code {self.industry!r} is not a GB/T 4754 code")
        object.__setattr__(self, "type", _member(ObjectType, self.type))
        object.__setattr__(self, "status", _member(ObjectStatus, self.status))
        object.__setattr__(self, "risk_class", _member(RiskClass, self.risk_class))
        if self.departments or type(self.departments) is not tuple:
            object.__setattr__(self, "departments", _sorted_tuple(self.departments))
        if self.tags or type(self.tags) is not tuple:
            object.__setattr__(self, "tags", _sorted_tuple(self.tags))

    @property
    def lists(self) -> tuple[str, ...]:
        return tuple(
            name
            for name, on in (
                ("abnormal", self.abnormal_list),
                ("serious_illegal", self.serious_illegal_list),
            )
            if on
        )


# ObjectRecord's fields in their order: the columns of a registry snapshot as
# the engines read it (the database names the first one object_id).
OBJECT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ObjectRecord))


def object_record(values: Mapping[str, Any]) -> ObjectRecord:
    """The record of a row that holds (at least) every field by name, lists as
    any sequence of strings (the record sorts them): a database or Spark row."""
    return ObjectRecord(**{name: values[name] for name in OBJECT_FIELDS})


@dataclass(frozen=True, slots=True)
class InspectorRecord:
    """One certified law-enforcement inspector (执法检查人员)."""

    cert_no: str
    name: str
    department: str
    cert_valid_until: date
    status: InspectorStatus
    post: str = ""
    specialties: tuple[str, ...] = ()
    leader: bool = False
    expert: bool = False
    unavailable: tuple[tuple[date, date], ...] = ()
    district: str = ""
    home_district: str = ""

    def __post_init__(self) -> None:
        _require(
            self.cert_no == nfc(self.cert_no) and bool(self.cert_no),
            f"certificate number {self.cert_no!r} is empty or not NFC",
        )
        object.__setattr__(self, "status", InspectorStatus(self.status))
        object.__setattr__(self, "specialties", _sorted_tuple(self.specialties))
        for start, end in self.unavailable:
            _require(start <= end, f"unavailable range {start}..{end} ends before it starts")
        object.__setattr__(self, "unavailable", tuple(sorted(set(self.unavailable))))

    def available_during(self, start: date, end: date) -> bool:
        """True when on duty and no unavailable range touches [start, end]."""
        if self.status is not InspectorStatus.ON_DUTY:
            return False
        return all(u_end < start or u_start > end for u_start, u_end in self.unavailable)


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    """A declared recusal (回避) relation between an inspector and an object."""

    cert_no: str
    object_id: str
    relation: Relation
    valid_from: date | None = None
    valid_until: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "relation", _member(Relation, self.relation))
        if self.valid_from and self.valid_until:
            _require(
                self.valid_from <= self.valid_until,
                f"conflict valid from {self.valid_from} is after valid until {self.valid_until}",
            )

    def applies_during(self, start: date, end: date) -> bool:
        """True when the relation is in force on any day of [start, end]."""
        return (self.valid_from is None or self.valid_from <= end) and (
            self.valid_until is None or self.valid_until >= start
        )


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """A past planned inspection of an object, as recorded by earlier draws:
    the input of look-back exclusions, annual caps and the previous-team rule."""

    object_id: str
    item_code: str
    date: date
    officers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "officers", _sorted_tuple(self.officers))


@dataclass(frozen=True, slots=True)
class ObjectFilter:
    """Selects objects: AND across keys, OR within a key (see docs/FORMATS.md)."""

    clauses: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, Iterable[str]]) -> ObjectFilter:
        return cls(tuple(sorted((key, _sorted_tuple(values)) for key, values in mapping.items())))

    def __post_init__(self) -> None:
        for key, values in self.clauses:
            _require(
                key in FILTER_KEYS, f"filter key {key!r} is not one of {', '.join(FILTER_KEYS)}"
            )
            _require(bool(values), f"filter key {key!r} lists no values")
            if key == "list":
                _require(
                    set(values) <= LISTS,
                    f"list {sorted(set(values) - LISTS)!r} is not one of {sorted(LISTS)}",
                )
            if key == "risk_class":
                for value in values:
                    RiskClass(value)

    def as_dict(self) -> dict[str, list[str]]:
        return {key: list(values) for key, values in self.clauses}

    def matches(self, obj: ObjectRecord) -> bool:
        return all(_clause_matches(key, values, obj) for key, values in self.clauses)

    def fields(self) -> frozenset[str]:
        """The object fields this filter reads."""
        return frozenset(key for key, _ in self.clauses)

    def may_overlap(self, other: ObjectFilter) -> bool:
        """False only when no object can match both filters."""
        mine, theirs = dict(self.clauses), dict(other.clauses)
        for key in mine.keys() & theirs.keys():
            if key in ("department", "tag", "list"):
                continue  # multi-valued fields: one object can carry both values
            if key == "industry":
                if not any(
                    a.startswith(b) or b.startswith(a) for a in mine[key] for b in theirs[key]
                ):
                    return False
            elif not set(mine[key]) & set(theirs[key]):
                return False
        return True


def _clause_matches(key: str, values: tuple[str, ...], obj: ObjectRecord) -> bool:
    if key == "industry":
        return obj.industry.startswith(values)
    if key == "department":
        return not set(values).isdisjoint(obj.departments)
    if key == "tag":
        return not set(values).isdisjoint(obj.tags)
    if key == "list":
        return not set(values).isdisjoint(obj.lists)
    attribute = {
        "type": obj.type,
        "district": obj.district,
        "risk_class": obj.risk_class,
        "status": obj.status,
    }[key]
    return str(attribute) in values


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One inspection item (抽查事项) of the item list (一单)."""

    code: str
    name: str
    legal_basis: str
    department: str
    item_class: ItemClass
    methods: tuple[str, ...]
    ratio: Fraction
    sub_item: str = ""
    specialty: str = ""
    max_per_year: int | None = None
    scope: ObjectFilter = field(default_factory=ObjectFilter)

    def __post_init__(self) -> None:
        _require(
            bool(_CODE.match(self.code)), f"item code {self.code!r} is not 1-32 of A-Z a-z 0-9 _ -"
        )
        object.__setattr__(self, "item_class", ItemClass(self.item_class))
        object.__setattr__(self, "methods", _sorted_tuple(self.methods))
        _require(bool(self.methods), f"item {self.code!r} lists no inspection method")
        unknown = set(self.methods) - METHODS
        _require(
            not unknown,
            f"item {self.code!r}: method {sorted(unknown)!r} is not one of {sorted(METHODS)}",
        )
        _require(0 < self.ratio <= 1, f"item {self.code!r}: ratio {self.ratio} is not in (0, 1]")
        if self.max_per_year is not None:
            _require(
                self.max_per_year >= 1,
                f"item {self.code!r}: max_per_year {self.max_per_year} is below 1",
            )


@dataclass(frozen=True, slots=True)
class Stratum:
    """A part of the pool with its own quota: k = clamp(ceil(ratio × N), min, max)."""

    name: str
    where: ObjectFilter = field(default_factory=ObjectFilter)
    ratio: Fraction | None = None
    min_count: int = 0
    max_count: int | None = None

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "a stratum has an empty name")
        if self.ratio is not None:
            _require(
                0 < self.ratio <= 1, f"stratum {self.name!r}: ratio {self.ratio} is not in (0, 1]"
            )
        _require(self.min_count >= 0, f"stratum {self.name!r}: min {self.min_count} is negative")
        if self.max_count is not None:
            _require(
                self.max_count >= max(self.min_count, 1),
                f"stratum {self.name!r}: max {self.max_count} is below min {self.min_count} or 1",
            )

    @property
    def public(self) -> bool:
        """Membership of a risk-class stratum cannot be checked from public data."""
        return "risk_class" not in self.where.fields()


@dataclass(frozen=True, slots=True)
class Exclusions:
    statuses: tuple[str, ...] = ("注销", "吊销", "迁出", "撤销")
    lookback_months: int = 0
    annual_cap: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "statuses", _sorted_tuple(self.statuses))
        for status in self.statuses:
            ObjectStatus(status)
        _require(self.lookback_months >= 0, f"lookback_months {self.lookback_months} is negative")
        if self.annual_cap is not None:
            _require(self.annual_cap >= 1, f"annual_cap {self.annual_cap} is below 1")


@dataclass(frozen=True, slots=True)
class TeamRequirement:
    department: str
    count: int

    def __post_init__(self) -> None:
        _require(
            self.count >= 1,
            f"team requirement for {self.department!r}: count {self.count} is below 1",
        )


@dataclass(frozen=True, slots=True)
class TeamRules:
    size: int = 2
    leader: bool = False
    district: str = "any"
    load_cap: int | None = None
    require: tuple[TeamRequirement, ...] = ()
    conflict_rules: tuple[str, ...] = ("declared", "previous_team")

    def __post_init__(self) -> None:
        _require(
            self.size >= 2,
            f"team size {self.size} is below 2 (行政处罚法 Art. 42 needs at least 2 officers)",
        )
        _require(
            self.district in DISTRICT_RULES,
            f"team district rule {self.district!r} is not one of {sorted(DISTRICT_RULES)}",
        )
        if self.load_cap is not None:
            _require(self.load_cap >= 1, f"load_cap {self.load_cap} is below 1")
        object.__setattr__(self, "require", tuple(sorted(self.require, key=lambda r: r.department)))
        departments = [r.department for r in self.require]
        _require(
            len(departments) == len(set(departments)),
            f"team requirement names a department twice: {departments}",
        )
        _require(
            sum(r.count for r in self.require) <= self.size,
            f"team requirements need {sum(r.count for r in self.require)} officers but the team size is {self.size}",
        )
        object.__setattr__(self, "conflict_rules", _sorted_tuple(self.conflict_rules))
        unknown = set(self.conflict_rules) - CONFLICT_RULES
        _require(
            not unknown, f"conflict rule {sorted(unknown)!r} is not one of {sorted(CONFLICT_RULES)}"
        )


@dataclass(frozen=True, slots=True)
class Publication:
    inspector_names: bool = False
    mask_person_names: bool = True


@dataclass(frozen=True, slots=True)
class Plan:
    """A batch of the annual plan: items × object scope × ratio × time window."""

    id: str
    title: str
    year: int
    batch: str
    kind: DrawKind
    department: str
    items: tuple[str, ...]
    window_start: date
    window_end: date
    co_departments: tuple[str, ...] = ()
    scope: ObjectFilter = field(default_factory=ObjectFilter)
    strata: tuple[Stratum, ...] = (Stratum("全部"),)
    exclusions: Exclusions = field(default_factory=Exclusions)
    team: TeamRules = field(default_factory=TeamRules)
    schedule: str = "manual"
    prepare_days_before: int = 7
    entropy: EntropySource = EntropySource.TYPED
    publication: Publication = field(default_factory=Publication)
    # DR-2: the witnesses' dice are mixed into the seed with the beacon (SPEC §19)
    dice: bool = False

    def __post_init__(self) -> None:
        _require(
            bool(_PLAN_ID.match(self.id)), f"plan id {self.id!r} is not 1-64 of A-Z a-z 0-9 _ -"
        )
        _require(bool(self.title.strip()), f"plan {self.id!r} has an empty title")
        _require(2000 <= self.year <= 2200, f"plan {self.id!r}: year {self.year} is out of range")
        _require(
            bool(_BATCH.match(self.batch)),
            f"plan {self.id!r}: batch {self.batch!r} is not Q1-Q4, H1-H2 or Bn",
        )
        object.__setattr__(self, "kind", DrawKind(self.kind))
        object.__setattr__(self, "entropy", EntropySource(self.entropy))
        _require(
            not self.dice or self.entropy == EntropySource.BEACON,
            f'plan {self.id!r}: dice = true goes with entropy = "beacon" only',
        )
        _require(bool(self.items), f"plan {self.id!r} names no item")
        _require(len(set(self.items)) == len(self.items), f"plan {self.id!r} names an item twice")
        object.__setattr__(self, "items", tuple(sorted(self.items)))
        object.__setattr__(self, "co_departments", _sorted_tuple(self.co_departments))
        _require(
            self.department not in self.co_departments,
            f"plan {self.id!r}: {self.department!r} is both initiating and co-operating",
        )
        _require(
            self.window_start <= self.window_end,
            f"plan {self.id!r}: window starts {self.window_start} after it ends {self.window_end}",
        )
        _require(bool(self.strata), f"plan {self.id!r} has no stratum")
        names = [s.name for s in self.strata]
        _require(len(names) == len(set(names)), f"plan {self.id!r}: stratum names repeat: {names}")
        for i, first in enumerate(self.strata):
            for second in self.strata[i + 1 :]:
                _require(
                    not first.where.may_overlap(second.where),
                    f"plan {self.id!r}: strata {first.name!r} and {second.name!r} overlap",
                )
        _require(
            self.prepare_days_before >= 0, f"plan {self.id!r}: prepare_days_before is negative"
        )

    @property
    def departments(self) -> tuple[str, ...]:
        return (self.department, *self.co_departments)
