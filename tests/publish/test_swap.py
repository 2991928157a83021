"""The site is swapped in whole: a build killed at any moment leaves the old site."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dualrandom.errors import UserError
from dualrandom.publish.write import _swap
from tests.publish.conftest import Published
from tests.publish.html import files, rel
from tests.publish.scenario import publish

CHILD = """
import sys, time
from pathlib import Path
from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.publish import publish_site
from dualrandom.publish.write import _writer

config, site, marker = map(Path, sys.argv[1:4])
original, written = _writer.SiteWriter.write, []

def write(self, path, data, key=""):
    written.append(path)
    if len(written) == 40:  # well into the build: notices written, objects not yet
        marker.write_text("building", encoding="utf-8")
        time.sleep(600)
    return original(self, path, data, key)

_writer.SiteWriter.write = write
app = App.from_settings(load_settings(config, environ={}))
with app.transaction() as session:
    # full: every file is written again (a build from the live site would keep them all)
    publish_site(session, site, timezone=app.settings.timezone, actor="tester", full=True)
"""


def _snapshot(site: Path) -> dict[str, bytes]:
    return {rel(site, p): p.read_bytes() for p in files(site)}


def _leftovers(site: Path) -> list[str]:
    """Folders a build left beside the site (not the lock, nor the fingerprints of the
    draws checked, nor a replaced site being deleted)."""
    return sorted(
        p.name
        for p in site.parent.iterdir()
        if p.name.startswith(f".{site.name}.")
        and not p.name.endswith((".lock", ".verified"))
        and ".trash-" not in p.name
    )


def test_the_replaced_site_is_deleted_in_the_background(published: Published) -> None:
    site = publish(published.app, published.folder / "replaced")
    publish(published.app, site)
    deadline = time.monotonic() + 60
    while any(p.name.startswith(f".{site.name}.trash-") for p in site.parent.iterdir()):
        assert time.monotonic() < deadline, "the replaced site was never deleted"
        time.sleep(0.1)
    assert (site / "index.html").is_file()


def test_a_build_killed_midway_leaves_the_previous_site_untouched(
    published: Published, tmp_path: Path
) -> None:
    site = publish(published.app, published.folder / "killed")
    before = _snapshot(site)
    marker, log = tmp_path / "marker", tmp_path / "child.log"
    with log.open("wb") as output:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(published.folder / "config.toml"),
                str(site),
                str(marker),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the child never got into its build"
            time.sleep(0.05)
        staging = [name for name in _leftovers(site) if ".new-" in name]
        assert staging and any(
            (site.parent / name).iterdir() for name in staging
        )  # half a new site exists
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert _snapshot(site) == before  # not one byte of the live site changed
    publish(published.app, site)  # the next build cleans up after the killed one
    assert _leftovers(site) == []
    assert (site / "index.html").is_file()


def test_a_kill_between_the_two_renames_is_repaired_by_the_next_build(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / _swap.MARKER).write_text("x", encoding="utf-8")
    (site / "index.html").write_text("old", encoding="utf-8")
    site.rename(tmp_path / ".site.old-abc")  # the first rename happened, the second did not
    (tmp_path / ".site.new-def").mkdir()
    _swap.recover(site)
    assert (site / "index.html").read_text(encoding="utf-8") == "old"
    assert _leftovers(site) == []


def test_without_an_atomic_exchange_two_renames_do_the_swap(
    published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = publish(published.app, published.folder / "renamed")
    monkeypatch.setattr(_swap, "_exchange", lambda a, b: False)
    publish(published.app, site)
    assert (site / "index.html").is_file() and _leftovers(site) == []


def test_a_folder_it_did_not_publish_is_never_replaced(
    published: Published, tmp_path: Path
) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.docx").write_text("years of work", encoding="utf-8")
    with pytest.raises(UserError, match="did not publish"):
        publish(published.app, precious)
    assert (precious / "thesis.docx").read_text(encoding="utf-8") == "years of work"
    assert _leftovers(precious) == []
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="not a folder"):
        publish(published.app, tmp_path / "file")


def test_an_empty_folder_may_be_published_into(published: Published, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    publish(published.app, empty)
    assert (empty / "index.html").is_file() and (empty / _swap.MARKER).is_file()
