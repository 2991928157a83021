"""verify.py's risk root made by a forked copy of itself (verify_standalone.Aside).

Each test runs the bundle's own verify.py in a child interpreter (``-I -S``,
as an auditor without dual-random would), imported as a module so that the
copy can be forced on the small test bundles (ASIDE_FROM = 0) and attacked:
one whose work raises, one that lies. Its output is compared, line for line,
with verify.py's run as it is (no copy: the bundles are small).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dualrandom.draws.bundle_dr2 import Dr2Draw, bundle_files
from tests.core.vector_inputs import PLAN_MIXED
from tests.draws.dr2_bundles import make_draw, tampered, write

# verify.py imported from the bundle folder, ASIDE_FROM set, every fork counted; on
# stderr: the forks, and whether a child is left (one not waited for).
RUN = """
import os, sys
folder = sys.argv[1]
sys.path.insert(0, folder)
import verify
verify.ASIDE_FROM = 0
forks, fork = [], os.fork
os.fork = lambda: forks.append(1) or fork()
parent = os.getpid()
{attack}
status = verify.main([folder])
try:
    left = os.waitpid(-1, os.WNOHANG) != (0, 0) or "a child runs"
except ChildProcessError:
    left = "none"
print(f"forks={{len(forks)}} left={{left}}", file=sys.stderr)
sys.exit(status)
"""

COPY_RAISES = """
made_here = verify.risk_root
def risk_root(*args):
    if os.getpid() != parent:
        raise RuntimeError("the copy fails")
    return made_here(*args)
verify.risk_root = risk_root
"""

COPY_LIES = """
made_here = verify.risk_root
verify.risk_root = lambda *a: ("0" * 64, 1) if os.getpid() != parent else made_here(*a)
"""


@pytest.fixture(scope="module")
def mixed() -> Dr2Draw:
    return make_draw(PLAN_MIXED)


def _as_it_is(folder: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(folder / "verify.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout.splitlines()


def _forced(folder: Path, attack: str = "") -> tuple[list[str], str]:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", RUN.format(attack=attack), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert lines and done.returncode == (0 if lines[-1].startswith("MATCH") else 1), done.stderr
    return lines, done.stderr.strip()


def test_the_root_made_by_a_copy_gives_the_same_report(mixed: Dr2Draw, tmp_path: Path) -> None:
    folder = write(tmp_path / "b", bundle_files(mixed, "auditor"))
    lines, forks = _forced(folder)
    assert forks == "forks=1 left=none"
    assert lines[-1].startswith("MATCH") and "risk root" in lines[-1]
    assert lines == _as_it_is(folder)


def test_a_wrong_salt_is_found_by_the_copy(mixed: Dr2Draw, tmp_path: Path) -> None:
    files = bundle_files(mixed, "auditor")
    folder = tampered(tmp_path / "b", files, "salt-key.txt", lambda _: b"00" * 32 + b"\n")
    lines, forks = _forced(folder)
    assert forks == "forks=1 left=none"
    assert lines[-1] == "MISMATCH: risk-root"
    assert lines == _as_it_is(folder)


def test_what_the_copy_cannot_make_is_made_here(mixed: Dr2Draw, tmp_path: Path) -> None:
    folder = write(tmp_path / "b", bundle_files(mixed, "auditor"))
    lines, forks = _forced(folder, COPY_RAISES)
    assert forks == "forks=1 left=none"
    assert lines == _as_it_is(folder) and lines[-1].startswith("MATCH")


def test_a_copy_that_lies_is_a_mismatch_not_a_match(mixed: Dr2Draw, tmp_path: Path) -> None:
    folder = write(tmp_path / "b", bundle_files(mixed, "auditor"))
    lines, _ = _forced(folder, COPY_LIES)
    assert lines[-1] == "MISMATCH: risk-root"


def test_a_copy_no_longer_needed_is_ended(mixed: Dr2Draw, tmp_path: Path) -> None:
    """The checks stop at the snapshot, before the re-run: the copy is not left behind."""
    files = bundle_files(mixed, "auditor")
    folder = tampered(tmp_path / "b", files, "objects-public.tsv.gz", lambda d: d[:-9])
    lines, forks = _forced(folder)
    assert forks == "forks=1 left=none"
    assert lines[-1] == "MISMATCH: snapshot" and lines == _as_it_is(folder)
