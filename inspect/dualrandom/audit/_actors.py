"""Who acted: the names entries are recorded under (docs/AUDIT.md, "Actors").

The command line acts as the operator it resolves (``--operator NAME``,
``DUALRANDOM_OPERATOR``, ``[audit] operator``, else the account that runs
it); the scheduler as ``scheduler@<host>``; the web console as its
signed-in user. Library functions that append entries take the actor as an
argument and have no default: a name is never made up below the caller.
"""

from __future__ import annotations

import getpass
import os
import socket
import unicodedata

from dualrandom.errors import UserError

__all__ = ["ACTOR_MAX", "actor_name", "os_user", "scheduler_actor"]

ACTOR_MAX = 100  # the audit_log.actor column


def actor_name(text: str) -> str:
    """``text`` as an actor's name: NFC, no surrounding spaces, 1–100 characters,
    no control characters; UserError otherwise."""
    name = unicodedata.normalize("NFC", text).strip()
    if not name or len(name) > ACTOR_MAX or any(unicodedata.category(c) == "Cc" for c in name):
        raise UserError(
            f"操作人名称 {text!r} 无效：须为 1 至 {ACTOR_MAX} 个字符，不含控制字符",
            f"the operator name {text!r} is not valid: 1-{ACTOR_MAX} characters, no control characters",
        )
    return name


def os_user() -> str:
    """The account this process runs as; its uid when the system has no name for it
    (a container without a passwd entry)."""
    try:
        return actor_name(getpass.getuser())
    except (KeyError, OSError, UserError):
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown-user"


def scheduler_actor() -> str:
    """``scheduler@<host>``: the name the scheduler's steps are recorded under."""
    return actor_name(f"scheduler@{socket.gethostname() or 'localhost'}"[:ACTOR_MAX])
