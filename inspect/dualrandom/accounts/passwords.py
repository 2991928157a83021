"""Password hashes (argon2id, argon2-cffi) and the rule a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dualrandom.errors import UserError

__all__ = ["HASHER", "check_new_password", "hash_password", "needs_rehash", "verify_password"]

# argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane): about
# 30 ms on one core, and 19 MiB a login, so that a burst of logins on a
# gunicorn worker's threads stays far below its memory budget (RFC 9106's 64 MiB
# profile would need 64 MiB a thread). Hashes made with other parameters still
# verify, and are re-hashed with these at the next login. Tests swap in a cheaper one.
HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)

MIN_LENGTH = 10


def check_new_password(password: str, username: str) -> None:
    """UserError unless ``password`` is long enough and not the user name."""
    if len(password) < MIN_LENGTH:
        raise UserError(
            f"密码至少 {MIN_LENGTH} 个字符",
            f"a password has at least {MIN_LENGTH} characters",
        )
    if username.lower() in password.lower():
        raise UserError("密码不得包含用户名", "a password must not contain the user name")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored``; argon2's check is constant-time."""
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)
