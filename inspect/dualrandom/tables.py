"""The database tables, as typed SQLAlchemy 2 models: one ``…Row`` class each.

Every class here is a row of a table and is named so (``DrawRow``,
``ObjectRow``), which keeps it apart from the value objects of the pure core
(:mod:`dualrandom.core.model`: ``ObjectRecord``, ``Plan``), which never touch
a database.

Registries are versioned, never overwritten: every import is a
:class:`RegistryVersionRow`, and each registry row carries the version range in
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
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditEntryRow",
    "Base",
    "CalendarDayRow",
    "CalendarYearRow",
    "ConflictRow",
    "ConsoleSessionRow",
    "DepartmentRow",
    "DrawFileRow",
    "DrawMemberRow",
    "DrawRow",
    "DrawVisitRow",
    "InspectionTaskRow",
    "InspectorRow",
    "ItemRow",
    "NoticeNumberRow",
    "ObjectRow",
    "PlanRow",
    "RegistryVersionRow",
    "StepRunRow",
    "UserRow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DIGEST = String(64)  # SHA-256 as 64 lowercase hex digits
# Identifiers compare by code point, as the core sorts them (docs/SPEC.md): PostgreSQL's
# "C" collation, a byte comparison, where the database's default would call the C
# library's locale-aware one. It also makes indexes on them cheaper to build and keep
# (1,000,000 object ids: 1.12 s against 0.70 s) and lets the snapshot's ordered read
# walk the index instead of sorting. SQLite's default collation compares bytes already.
OBJECT_ID = String(64).with_variant(String(64, collation="C"), "postgresql")
CERT_NO = String(32).with_variant(String(32, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DepartmentRow(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(8))


class RegistryVersionRow(Base):
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

    @classmethod
    def held_in(cls, version: int | ColumnElement[int]) -> ColumnElement[bool]:
        """The condition on the rows that held in registry ``version``."""
        open_then = cls.version_to.is_(None) | (cls.version_to > version)
        return (cls.version_from <= version) & open_then & cls.gone.is_(False)


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

    object_id: Mapped[str] = mapped_column(OBJECT_ID)
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

    cert_no: Mapped[str] = mapped_column(CERT_NO)  # personal: never published
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

    cert_no: Mapped[str] = mapped_column(CERT_NO)
    object_id: Mapped[str] = mapped_column(OBJECT_ID)
    relation: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")  # never published


class ItemRow(Base):
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


class AuditEntryRow(Base):
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


class DrawRow(Base):
    """One draw of a plan: prepared (committed), then drawn, perhaps superseded.

    ``attempt`` counts the draws of one plan; a later attempt exists only
    through an explicit supersede with a reason, and both stay on record.
    The operator secret itself is not stored until the draw reveals it; at
    prepare time only its commitment (hash) is.
    """

    __tablename__ = "draws"
    __table_args__ = (UniqueConstraint("plan_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12))  # a draws.DrawState
    algorithm: Mapped[str] = mapped_column(String(16))
    objects_version: Mapped[int] = mapped_column(Integer)
    inspectors_version: Mapped[int] = mapped_column(Integer)
    conflicts_version: Mapped[int] = mapped_column(Integer)
    plan_digest: Mapped[str] = mapped_column(DIGEST)
    objects_digest: Mapped[str] = mapped_column(DIGEST)
    inspectors_digest: Mapped[str] = mapped_column(DIGEST)
    conflicts_digest: Mapped[str] = mapped_column(DIGEST)
    history_digest: Mapped[str] = mapped_column(DIGEST)
    secret_hash: Mapped[str] = mapped_column(DIGEST)
    entropy_source: Mapped[str] = mapped_column(String(16))
    commitment: Mapped[str] = mapped_column(Text)  # canonical JSON, published before the draw
    commitment_hash: Mapped[str] = mapped_column(DIGEST)
    prepared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    secret: Mapped[str | None] = mapped_column(String(64), default=None)  # revealed at the draw
    entropy: Mapped[str | None] = mapped_column(Text, default=None)
    seed: Mapped[str | None] = mapped_column(String(64), default=None)
    result_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("draws.id"), default=None)
    supersede_reason: Mapped[str] = mapped_column(Text, default="")


class DrawFileRow(Base):
    """A canonical file of a draw (plan, history, commitment, result files),
    kept byte for byte so the bundle is exactly what was drawn."""

    __tablename__ = "draw_files"

    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)  # lz4 on PostgreSQL: migration 0010
    sha256: Mapped[str] = mapped_column(DIGEST)


class DrawVisitRow(Base):
    """One drawn object: one visit with all the plan's items it was drawn for."""

    __tablename__ = "draw_visits"

    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[str] = mapped_column(OBJECT_ID, index=True)
    ticket: Mapped[str] = mapped_column(String(16))  # 16 hex digits: never a signed 64-bit column
    items: Mapped[str] = mapped_column(Text)
    departments: Mapped[str] = mapped_column(Text)
    strata: Mapped[str] = mapped_column(Text)  # internal where a stratum is on risk class


class DrawMemberRow(Base):
    """One officer on the team of one visit."""

    __tablename__ = "draw_members"

    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), primary_key=True)
    visit: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    cert_no: Mapped[str] = mapped_column(CERT_NO, index=True)
    department: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)  # place in the visit's seeded officer order


class InspectionTaskRow(Base):
    """The inspection of one drawn visit, from draw to published result.

    States: drawn → notified → in_inspection → result_entered → reviewed →
    published, or substituted / cancelled (with a reason). Every transition
    is also an audit-log entry. Result and follow-up use the standard codes
    (docs/FORMATS.md); ``deadline`` is the publication deadline in working
    days, ``deadline_provisional`` while the calendar of its year is unknown.
    """

    __tablename__ = "inspection_tasks"
    # A draw's tasks in one state, in visit order: the console's lists by state,
    # the counts by state, the open tasks of the deadlines (50,000 a batch).
    __table_args__ = (Index("ix_inspection_tasks_draw_state", "draw_id", "state", "visit"),)

    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), primary_key=True)
    visit: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_id: Mapped[str] = mapped_column(OBJECT_ID, index=True)
    state: Mapped[str] = mapped_column(String(16), default="drawn")
    reason: Mapped[str] = mapped_column(Text, default="")  # for substituted / cancelled
    replaced_by_visit: Mapped[int | None] = mapped_column(Integer, default=None)
    checked_on: Mapped[date | None] = mapped_column(Date, default=None)  # end of the on-site check
    result_code: Mapped[str] = mapped_column(String(40), default="")
    follow_up: Mapped[str] = mapped_column(String(16), default="")
    result_note: Mapped[str] = mapped_column(Text, default="")  # internal, never published
    deadline: Mapped[date | None] = mapped_column(Date, default=None)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A reserve visit made by substitution (SPEC §8.3) names the visit it replaces.
    replaces_visit: Mapped[int | None] = mapped_column(Integer, default=None)


# -- Scheduling, working days (issue 5) ---------------------------------------
#
# The scheduler's exactly-once guarantee lives here, not in APScheduler: one
# ledger row per (plan, batch, step), claimed by compare-and-set with a lease.


class StepRunRow(Base):
    """One scheduled step of one batch — prepare, draw or publish — and its run.

    ``pending`` until a run claims it (``running``, with ``owner`` and
    ``lease_expires_at``); ``done`` is written in the same transaction as
    the step's own results, so a run that dies leaves ``running`` with an
    expiring lease and the next run does the whole step again.
    """

    __tablename__ = "step_runs"
    __table_args__ = (
        UniqueConstraint("plan_id", "batch", "step"),
        CheckConstraint("step IN ('prepare', 'draw', 'publish')", name="step"),
        CheckConstraint("state IN ('pending', 'running', 'done', 'failed')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    batch: Mapped[str] = mapped_column(String(8))
    step: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(8), default="pending")
    owner: Mapped[str] = mapped_column(String(100), default="")
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    runs: Mapped[int] = mapped_column(Integer, default=0)  # claims so far, crashed ones included
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    draw_attempt: Mapped[int | None] = mapped_column(Integer, default=None)
    entropy: Mapped[str] = mapped_column(
        Text, default=""
    )  # typed by the operator ([scheduler] entropy = "plan")
    outcome: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")


class CalendarYearRow(Base):
    """A year of the working-day calendar that is loaded: the State Council's
    schedule for it is known, so its deadlines are final, not provisional."""

    __tablename__ = "work_calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200))
    notice: Mapped[str] = mapped_column(Text, default="")
    digest: Mapped[str] = mapped_column(DIGEST)  # SHA-256 of the year's day list
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalendarDayRow(Base):
    """One day of a loaded year: working day or not, and why."""

    __tablename__ = "work_calendar"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("work_calendar_years.year"), index=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(8))  # workday | weekend | holiday | makeup (调休上班)
    name: Mapped[str] = mapped_column(String(50), default="")  # the holiday, for holiday and makeup


class NoticeNumberRow(Base):
    """The document number (文号) of a public notice, given the first time it was published.

    ``number`` is the initiating department's running number in ``year``;
    ``doc_no`` is the number as the notices print it (the pattern of the day
    it was given), so a notice keeps its number whatever the pattern later
    is, and a number, once given, is never given again.
    """

    __tablename__ = "notice_numbers"
    __table_args__ = (UniqueConstraint("department", "year", "number"),)

    notice: Mapped[str] = mapped_column(String(200), primary_key=True)  # its path on the site
    department: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    doc_no: Mapped[str] = mapped_column(String(100), unique=True)
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- The web console's accounts (issue 13) -------------------------------------


class UserRow(Base):
    """An account of the web console (监管工作台).

    ``role`` is one of ``dualrandom.accounts.ROLES``; an operator acts for
    ``department``, an inspector is the officer ``cert_no`` of the inspectors
    registry. Only an argon2 hash of the password is kept. Accounts are
    disabled, never deleted: the audit log names them.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(32), default="")
    cert_no: Mapped[str] = mapped_column(CERT_NO, default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class ConsoleSessionRow(Base):
    """A signed-in console session. The cookie holds a random token; only its
    SHA-256 is stored, so a copy of the database opens no session."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(DIGEST, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
