"""Signing in and server-side sessions.

A login that fails counts against the account; after
``[console] max_failed_logins`` failures in a row it is locked for
``lock_minutes``, and a right password does not open it meanwhile. An
unknown user name costs the same argon2 work as a known one and gets the
same answer, so neither timing nor wording tells which names exist.

A session is a random 256-bit token in the cookie; the database keeps only
its SHA-256, the user, when it began and when it was last used. Every login
makes a new token (no session fixation); a session ends at logout, after
``idle_minutes`` without a request, ``session_hours`` after login, and when
the account is disabled or its password reset.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.accounts import passwords
from dualrandom.config import ConsoleSettings
from dualrandom.db import as_utc
from dualrandom.errors import UserError
from dualrandom.tables import ConsoleSessionRow, UserRow

__all__ = [
    "LoginRefused",
    "check_password_of",
    "end_session",
    "end_sessions",
    "login",
    "resume",
]

# Write last_seen_at at most this often: a request is not a database write.
_TOUCH = timedelta(seconds=60)
_DUMMY: list[str] = []


class LoginRefused(UserError):
    """Wrong user name or password, or a locked or disabled account."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(passwords.hash_password(secrets.token_urlsafe(16)))
    return _DUMMY[0]


_WRONG = ("用户名或密码错误", "wrong user name or password")


def check_password_of(
    session: Session, username: str, password: str, *, now: datetime, settings: ConsoleSettings
) -> UserRow:
    """The account if ``password`` is its password and it may sign in; else LoginRefused.

    A failure is counted (and may lock the account) in the caller's
    transaction, which must commit it even though this raises."""
    user = session.scalars(select(UserRow).where(UserRow.username == username.strip())).first()
    if user is None:
        passwords.verify_password(_dummy_hash(), password)
        raise LoginRefused(*_WRONG)
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        passwords.verify_password(_dummy_hash(), password)
        until = as_utc(user.locked_until)
        raise LoginRefused(
            f"账户因多次登录失败已锁定，请于 {int((until - now).total_seconds() // 60) + 1} 分钟后再试，"
            "或请系统管理员重置密码",
            "the account is locked after repeated failed logins; try again later "
            "or ask an administrator to reset the password",
        )
    if not passwords.verify_password(user.password_hash, password):
        _count_failure(session, user, now, settings)
        raise LoginRefused(*_WRONG)
    if user.disabled:
        raise LoginRefused("账户已停用，请联系系统管理员", "the account is disabled")
    return user


def _count_failure(
    session: Session, user: UserRow, now: datetime, settings: ConsoleSettings
) -> None:
    user.failed_logins += 1
    if user.failed_logins >= settings.max_failed_logins:
        user.locked_until = now + timedelta(minutes=settings.lock_minutes)
        user.failed_logins = 0
        audit.append(
            session,
            "user.locked",
            user.username,
            {"minutes": settings.lock_minutes, "failures": settings.max_failed_logins},
            actor="console",
            at=now,
        )
    session.flush()


def login(
    session: Session, username: str, password: str, *, now: datetime, settings: ConsoleSettings
) -> tuple[UserRow, str]:
    """Check the password and open a new session: (the user, the cookie's token)."""
    user = check_password_of(session, username, password, now=now, settings=settings)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    _forget_expired(session, user, now, settings)
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSessionRow(
            token_hash=_token_hash(token), user_id=user.id, created_at=now, last_seen_at=now
        )
    )
    audit.append(session, "user.login", user.username, {}, actor=user.username, at=now)
    session.flush()
    return user, token


# Built once: every request runs it, and building it cost more than running it.
_RESUME = (
    select(ConsoleSessionRow, UserRow)
    .outerjoin(UserRow, UserRow.id == ConsoleSessionRow.user_id)
    .where(ConsoleSessionRow.token_hash == bindparam("token_hash"))
)


def resume(
    session: Session, token: str, *, now: datetime, settings: ConsoleSettings
) -> UserRow | None:
    """The signed-in user of ``token``, or None (unknown, expired, or account disabled).

    One statement, the session and its user together: every request asks it."""
    found = session.execute(_RESUME, {"token_hash": _token_hash(token)}).first()
    if found is None:
        return None
    row, user = found
    if user is None or user.disabled or _expired(row, now, settings):
        session.delete(row)
        return None
    if now - as_utc(row.last_seen_at) >= _TOUCH:
        row.last_seen_at = now
    return user


def _expired(row: ConsoleSessionRow, now: datetime, settings: ConsoleSettings) -> bool:
    idle = now - as_utc(row.last_seen_at) > timedelta(minutes=settings.idle_minutes)
    return idle or now - as_utc(row.created_at) > timedelta(hours=settings.session_hours)


def _forget_expired(
    session: Session, user: UserRow, now: datetime, settings: ConsoleSettings
) -> None:
    for row in session.scalars(
        select(ConsoleSessionRow).where(ConsoleSessionRow.user_id == user.id)
    ):
        if _expired(row, now, settings):
            session.delete(row)


def end_session(session: Session, token: str, *, now: datetime) -> None:
    """Logout: the session of ``token`` ends (an entry in the audit log)."""
    row = session.get(ConsoleSessionRow, _token_hash(token))
    if row is None:
        return
    user = session.get(UserRow, row.user_id)
    session.delete(row)
    if user is not None:
        audit.append(session, "user.logout", user.username, {}, actor=user.username, at=now)


def end_sessions(session: Session, user: UserRow) -> None:
    session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == user.id))
