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

A swap is not final at once: the publication's audit entry must commit with
it (no live site without its entry). The previous site is kept aside as
``.site.prev-XXXX`` and the lock held until the caller says how the
transaction ended — :meth:`Swap.keep` (committed: the previous site goes)
or :meth:`Swap.undo` (rolled back: it comes back). A process killed in
between leaves the ``.prev`` folder; the next build asks the caller whether
the live site was recorded and keeps whichever one was.

Builds of one target are serialised by a lock file, and a folder is only
ever replaced when it is empty or carries the marker of a site this
package published, so ``--out ~`` can never move someone's home away. The
published folders are mode 0755 and the files 0644 whatever the umask: a
web server running as another user must read them.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from dualrandom.errors import UserError

__all__ = ["FILE_MODE", "FOLDER_MODE", "MARKER", "Stage", "Swap", "recover", "staged"]

MARKER = ".dualrandom-site"
FOLDER_MODE, FILE_MODE = 0o755, 0o644  # readable by a web server running as another user
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
        raise UserError(
            f"{target} 已存在且不是文件夹；请另选 --out",
            f"{target} exists and is not a folder; choose another --out",
        )
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise UserError(
            f"{target} 不是 dualrandom 发布的文件夹，拒绝替换它；请为 --out 选择新的或空的文件夹",
            f"{target} is a folder that dualrandom did not publish; refusing to replace it. "
            "Choose a new or empty folder for --out",
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
    marker = staging / MARKER
    if not marker.exists():  # the build writes it, with its pages' keys
        marker.write_text("a site published by dual-random\n", encoding="utf-8")
        marker.chmod(FILE_MODE)
    if not target.exists():
        staging.rename(target)
        return None
    return _replace(target, staging)


def _replace(target: Path, new: Path) -> Path:
    """Put the folder ``new`` live at ``target``; return where the one it replaced is."""
    if _exchange(new, target):
        return new  # the exchange left the replaced folder here
    old = _unique(target, "old")
    target.rename(old)
    new.rename(target)
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


class Swap:
    """A new site live at ``target``, not yet for good: the previous one (if any)
    kept aside and the build's lock held until :meth:`keep` or :meth:`undo`."""

    def __init__(self, target: Path, previous: Path | None, release: Callable[[], None]) -> None:
        self.target, self.previous, self._release = target, previous, release
        self.settled = False

    def keep(self) -> None:
        """The publication was recorded: the previous site goes."""

        def drop() -> None:
            if self.previous is not None:
                _discard(self.previous, self.target)

        self._settle(drop)

    def undo(self) -> None:
        """The publication was not recorded: the previous site comes back (or,
        when there was none, the new one goes)."""

        def back() -> None:
            if self.previous is None:
                _discard(self.target, self.target)
            else:
                _discard(_replace(self.target, self.previous), self.target)

        self._settle(back)

    def _settle(self, work: Callable[[], object]) -> None:
        if self.settled:
            return
        self.settled = True
        try:
            work()
        finally:
            self._release()


@dataclass
class Stage:
    """Where one build writes: ``staging`` becomes the site, ``scratch`` is
    for intermediate files (bundles before zipping) and is always removed.
    ``swap`` is set once the build is live."""

    staging: Path
    scratch: Path
    swap: Swap | None = None
    unchanged: bool = False  # set by the build: the live site stays, nothing is swapped


def _settle_previous(target: Path, live_is_recorded: Callable[[Path], bool]) -> None:
    """A build killed between its swap and the end of its transaction left the
    replaced site as ``.prev``: keep the live site if its publication was
    recorded, else put the ``.prev`` one back."""
    kept = sorted(
        target.parent.glob(_sibling(target, "prev") + "*"), key=lambda p: p.stat().st_mtime
    )
    if not kept:
        return
    if target.exists() and live_is_recorded(target):
        for previous in kept:
            _discard(previous, target)
        return
    newest, older = kept[-1], kept[:-1]
    if target.exists():
        _discard(_replace(target, newest), target)
    else:
        newest.rename(target)
    for previous in older:
        _discard(previous, target)


@contextmanager
def staged(target: Path, *, live_is_recorded: Callable[[Path], bool]) -> Iterator[Stage]:
    """A build beside ``target``, swapped in when the block ends without an error
    (``Stage.swap`` then says so, and must be kept or undone) unless the build
    set ``Stage.unchanged`` (then the live site stays and ``swap`` is None); on any error
    the staging folder is removed and the live site is untouched.
    ``live_is_recorded`` says whether the live site's publication was
    recorded, for the repair of a build killed before its end."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as lock:
        lock.enter_context(_locked(target))
        _check_replaceable(target)
        _settle_previous(target, live_is_recorded)
        recover(target)
        staging = Path(tempfile.mkdtemp(prefix=_sibling(target, "new"), dir=target.parent))
        staging.chmod(FOLDER_MODE)
        scratch = Path(tempfile.mkdtemp(prefix=_sibling(target, "tmp"), dir=target.parent))
        try:
            stage = Stage(staging, scratch)
            yield stage
            if stage.unchanged and target.is_dir():
                return  # the build found every file as the live site has it
            previous = _swap(staging, target)
            if previous is not None:
                aside = _unique(target, "prev")
                previous.rename(aside)
                previous = aside
            stage.swap = Swap(target, previous, lock.pop_all().close)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
