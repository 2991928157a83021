"""Pure parses remembered by the digest of what they parse.

A page reads a stored plan (its JSON, a draw's plan.json) on every request;
the parse is a pure function of the bytes, so it is kept under their
SHA-256: a changed row or file is a new key, never a stale answer. Only
immutable values (frozen dataclasses, tuples) may be kept; a caller that
hands out a mutable one copies it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["DigestMemo"]

T = TypeVar("T")


class DigestMemo(Generic[T]):
    """The last ``size`` parses, by (SHA-256 of the content, tag); thread-safe."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[bytes, str], T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, content: bytes | str, parse: Callable[[], T], tag: str = "") -> T:
        """``parse()``'s value for ``content`` (what ``parse`` reads), computed once."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        key = (hashlib.sha256(data).digest(), tag)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        value = parse()  # outside the lock: two threads may both parse, once each
        with self._lock:
            self._kept[key] = value
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
