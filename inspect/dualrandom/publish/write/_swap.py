"""Build beside the live site, then swap it in: readers never see half a site.

For a target ``…/site`` a build works in ``…/.site.new-XXXX`` and only at the
end exchanges it with the live folder. On Linux the exchange is one
``renameat2(RENAME_EXCHANGE)`` call, atomic even for a web server reading
the folder at that instant; elsewhere (or on a file system without it) it
is two renames, with the old site kept as ``.site.old-XXXX`` in between.
A build killed at any point therefore leaves the previous site as it was;
the next build removes the leftovers, and puts an ``.old`` folder back if a
kill fell between the two renames. The swap is atomic for readers and for
a killed process; the files are not fsync'ed (a site is rebuilt from the
database in a minute, and syncing 10^5 files would cost more than that), so
after a power failure, publish again.

Builds of one target are serialised by a lock file, and a folder is only
ever replaced when it is empty or carries the marker of a site this
package published, so ``--out ~`` can never move someone's home away.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dualrandom.errors import UserError

__all__ = ["MARKER", "building", "recover"]

MARKER = ".dualrandom-site"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _sibling(target: Path, kind: str) -> str:
    return f".{target.name}.{kind}-"


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    lock = target.parent / f".{target.name}.lock"
    with lock.open("a") as handle:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


def _check_replaceable(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise UserError(f"{target} exists and is not a folder; choose another --out")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise UserError(
            f"{target} is a folder that dualrandom did not publish; refusing to replace it. "
            "Choose a new or empty folder for --out"
        )


def recover(target: Path) -> None:
    """Undo what a killed build left: restore a moved-away site, drop leftovers."""
    parent = target.parent
    if not target.exists():
        olds = sorted(parent.glob(_sibling(target, "old") + "*"), key=lambda p: p.stat().st_mtime)
        if olds:
            olds[-1].rename(target)
    for kind in ("new", "old", "tmp", "trash"):
        for leftover in parent.glob(_sibling(target, kind) + "*"):
            shutil.rmtree(leftover, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return int(result) == 0


def _unique(target: Path, kind: str) -> Path:
    """A fresh, unused path ``.<name>.<kind>-XXXX`` beside ``target``."""
    path = Path(tempfile.mkdtemp(prefix=_sibling(target, kind), dir=target.parent))
    path.rmdir()
    return path


def _swap(staging: Path, target: Path) -> Path | None:
    """Make ``staging`` the live site; return where the previous site now is."""
    (staging / MARKER).write_text("a site published by dual-random\n", encoding="utf-8")
    if not target.exists():
        staging.rename(target)
        return None
    if _exchange(staging, target):
        return staging  # the exchange left the previous site here
    old = _unique(target, "old")
    target.rename(old)
    staging.rename(target)
    return old


def _discard(previous: Path, target: Path) -> None:
    """Remove a replaced site without making the publication wait for it.

    A large site is 10^5 files and deleting them can take longer than the
    build; the new site is live already. On POSIX the deletion runs in a
    detached ``rm`` (the shell that starts it exits at once, so nothing is
    left to reap); a deletion cut short is finished by the next build.
    """
    trash = _unique(target, "trash")
    previous.rename(trash)
    if os.name == "posix" and shutil.which("sh") and shutil.which("rm"):
        command = 'rm -rf -- "$1" </dev/null >/dev/null 2>&1 &'
        subprocess.run(["sh", "-c", command, "sh", str(trash)], check=False)
    else:
        shutil.rmtree(trash, ignore_errors=True)


@contextmanager
def building(target: Path) -> Iterator[tuple[Path, Path]]:
    """Yield (staging folder, scratch folder) beside ``target``; swap in on success.

    The scratch folder is for intermediate files (bundles before zipping) and
    is always removed. On any exception the staging folder is removed and the
    live site is untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target):
        _check_replaceable(target)
        recover(target)
        staging = Path(tempfile.mkdtemp(prefix=_sibling(target, "new"), dir=target.parent))
        scratch = Path(tempfile.mkdtemp(prefix=_sibling(target, "tmp"), dir=target.parent))
        try:
            yield staging, scratch
            previous = _swap(staging, target)
            if previous is not None:
                _discard(previous, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
