"""Accounts of the web console (监管工作台): users, roles, passwords, sessions.

    users       add, disable, enable, reset a password; every change is an audit entry
    passwords   argon2 hashes (argon2-cffi), the password rule
    sessions    sign in with throttling and lock-out; server-side sessions with
                an idle timeout and an absolute lifetime

Like every service module these take the caller's session and never commit.
The argon2 binding is part of the ``console`` extra; :func:`require_console`
says how to install it when it is missing.
"""

from __future__ import annotations

from dualrandom.accounts.roles import ROLE_LABELS, ROLES, require_console
from dualrandom.accounts.sessions import (
    LoginRefused,
    check_password_of,
    end_session,
    end_sessions,
    login,
    resume,
)
from dualrandom.accounts.users import (
    add_user,
    change_password,
    get_user,
    list_users,
    reset_password,
    set_disabled,
)

__all__ = [
    "ROLES",
    "ROLE_LABELS",
    "LoginRefused",
    "add_user",
    "change_password",
    "check_password_of",
    "end_session",
    "end_sessions",
    "get_user",
    "list_users",
    "login",
    "require_console",
    "reset_password",
    "resume",
    "set_disabled",
]
