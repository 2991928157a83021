"""Where operator secrets wait between prepare and draw.

At prepare only the secret's commitment (its hash) goes into the database
and the published pre-draw notice; the secret itself is kept in a file only
the operator's account can read, and revealed (stored and published) by the
draw. Nobody who sees the commitment can predict the seed, and the operator,
who knows the secret, cannot know the public entropy in advance.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dualrandom.core.seed import SECRET_LENGTH
from dualrandom.errors import DrawStateError

__all__ = ["SecretStore"]


@dataclass(frozen=True, slots=True)
class SecretStore:
    folder: Path
    # Tests pass a fixed source to make whole draws reproducible end to end.
    token: Callable[[int], bytes] = field(default=secrets.token_bytes)

    def path(self, plan_id: str, attempt: int) -> Path:
        return self.folder / f"{plan_id}.{attempt}.secret"

    def create(self, plan_id: str, attempt: int) -> bytes:
        """A fresh 32-byte secret from ``secrets``, saved with mode 0600."""
        secret = self.token(SECRET_LENGTH)
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(plan_id, attempt)
        temporary = target.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secret.hex() + "\n")
        temporary.replace(target)
        return secret

    def load(self, plan_id: str, attempt: int) -> bytes:
        target = self.path(plan_id, attempt)
        try:
            text = target.read_text(encoding="ascii").strip()
            secret = bytes.fromhex(text)
        except FileNotFoundError:
            raise DrawStateError(
                f"计划 {plan_id} 第 {attempt} 次抽取的操作员密钥不在 {target}；请恢复准备时保存的"
                "文件，或用 --supersede --reason 重新准备",
                f"the operator secret of {plan_id} (attempt {attempt}) is not at {target}; "
                "restore the file kept at prepare time, or prepare again with "
                "--supersede --reason",
            ) from None
        except ValueError:
            raise DrawStateError(
                f"{target} 中不是十六进制的密钥", f"{target} does not hold a hex secret"
            ) from None
        if len(secret) != SECRET_LENGTH:
            raise DrawStateError(
                f"{target} 中的密钥是 {len(secret)} 字节，应为 {SECRET_LENGTH} 字节",
                f"{target} holds {len(secret)} bytes, not {SECRET_LENGTH}",
            )
        return secret
