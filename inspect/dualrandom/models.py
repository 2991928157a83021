"""The database schema as typed SQLAlchemy 2 models.

Registries are versioned, never overwritten: every import is a
:class:`RegistryVersion`, and each registry row carries the version range in
which it held (``version_from`` inclusive, ``version_to`` exclusive, NULL
while current). A changed row is closed and a new row opened; an object
missing from a full import gets a new row with ``gone`` set. So the registry
as of any version can be read back exactly, which is what makes an old draw
re-runnable years later.

Lists are stored as ``;``-joined text in sorted order, dates as DATE, and
every timestamp in UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditEntry",
    "Base",
    "ConflictRow",
    "Department",
    "InspectorRow",
    "Item",
    "ObjectRow",
    "PlanRow",
    "RegistryVersion",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DIGEST = String(64)  # SHA-256 as 64 lowercase hex digits


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(8))


class RegistryVersion(Base):
    """One import of one registry kind: objects, inspectors, conflicts, departments or items."""

    __tablename__ = "registry_versions"
    __table_args__ = (UniqueConstraint("kind", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(8))  # full | partial
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(DIGEST)
    rows_in_file: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    gone: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(DIGEST)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class _Versioned:
    """Columns shared by every versioned registry row."""

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_from: Mapped[int] = mapped_column(Integer)
    version_to: Mapped[int | None] = mapped_column(Integer, default=None)
    gone: Mapped[bool] = mapped_column(Boolean, default=False)


def _current_unique(table: str, *columns: str) -> Index:
    """At most one current (open) row per natural key."""
    return Index(
        f"uq_{table}_current",
        *columns,
        unique=True,
        sqlite_where=text("version_to IS NULL"),
        postgresql_where=text("version_to IS NULL"),
    )


class ObjectRow(_Versioned, Base):
    """A version of one inspection object (检查对象)."""

    __tablename__ = "object_rows"
    __table_args__ = (
        _current_unique("object_rows", "object_id"),
        Index("ix_object_rows_object_id_version", "object_id", "version_from"),
    )

    object_id: Mapped[str] = mapped_column(String(64))
    id_type: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    industry: Mapped[str] = mapped_column(String(8))
    district: Mapped[str] = mapped_column(String(50))
    registration_authority: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(8))
    established: Mapped[date | None] = mapped_column(Date)
    risk_class: Mapped[str] = mapped_column(String(1))  # internal: never published
    abnormal_list: Mapped[bool] = mapped_column(Boolean, default=False)
    serious_illegal_list: Mapped[bool] = mapped_column(Boolean, default=False)
    departments: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="")
    last_inspected: Mapped[date | None] = mapped_column(Date)
    # Personal data (个人信息): kept for the inspectors, never published or hashed.
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")


class InspectorRow(_Versioned, Base):
    """A version of one law-enforcement inspector (执法检查人员)."""

    __tablename__ = "inspector_rows"
    __table_args__ = (_current_unique("inspector_rows", "cert_no"),)

    cert_no: Mapped[str] = mapped_column(String(32))  # personal: never published
    name: Mapped[str] = mapped_column(String(50))
    department: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    post: Mapped[str] = mapped_column(String(50), default="")
    specialties: Mapped[str] = mapped_column(Text, default="")
    leader: Mapped[bool] = mapped_column(Boolean, default=False)
    expert: Mapped[bool] = mapped_column(Boolean, default=False)
    cert_valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    unavailable: Mapped[str] = mapped_column(Text, default="")  # "2027-01-10..2027-01-20;…"
    district: Mapped[str] = mapped_column(String(50), default="")
    # Personal data (个人信息): never published.
    home_district: Mapped[str] = mapped_column(String(50), default="")
    id_number: Mapped[str] = mapped_column(String(18), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")


class ConflictRow(_Versioned, Base):
    """A version of one declared recusal (回避) relation."""

    __tablename__ = "conflict_rows"
    __table_args__ = (_current_unique("conflict_rows", "cert_no", "object_id", "relation"),)

    cert_no: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")  # never published


class Item(Base):
    """One inspection item (抽查事项) of the item list (一单), as last loaded."""

    __tablename__ = "items"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sub_item: Mapped[str] = mapped_column(String(200), default="")
    legal_basis: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    item_class: Mapped[str] = mapped_column(String(4))
    methods: Mapped[str] = mapped_column(Text)
    specialty: Mapped[str] = mapped_column(String(50), default="")
    ratio: Mapped[str] = mapped_column(String(32))  # exact fraction text, e.g. "1/20"
    max_per_year: Mapped[int | None] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON of the filter


class PlanRow(Base):
    """A plan (one batch of the annual plan) as last loaded from rules/plans/."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    batch: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(Text)  # canonical JSON of the plan alone
    digest: Mapped[str] = mapped_column(DIGEST)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One entry of the append-only, hash-chained audit log."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(DIGEST)
    hash: Mapped[str] = mapped_column(DIGEST, unique=True)
