"""The writer's bookkeeping: ``SHA256SUMS`` and the marker say the same whichever way a build finishes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dualrandom.publish.write import Previous, SiteWriter
from dualrandom.publish.write._swap import MARKER

OBJECTS = {f"objects/{n % 3:02x}/o{n}.html": f"object {n}" for n in range(7)}
NOTICES = {"draws/P1/1/index.html": "notice", "draws/P1/1/results.csv": "a,b"}
LOOSE = {"index.html": "home", "static/site.css": "css", "years/2027.html": "2027"}


def _first(site: Path) -> None:
    site.mkdir()
    with SiteWriter(site) as writer:
        for name, files in (("draw-1", NOTICES), ("objects", OBJECTS)):
            with writer.grouped(name, f"key-{name}") as group:
                for path, text in files.items():
                    writer.write(path, text.encode(), key=f"k-{path}")
                group.summary = str(len(files))
        for path, text in LOOSE.items():
            writer.write(path, text.encode(), key=f"k-{path}")
        writer.finish()


def _again_with_a_notice(live: Path, staging: Path) -> tuple[bytes, bytes, object]:
    """Every group kept whole, the loose files written again, one file added."""
    previous = Previous.load(live)
    assert previous is not None
    staging.mkdir()
    with SiteWriter(staging, previous) as writer:
        assert writer.reuse_group("draw-1", "key-draw-1") == str(len(NOTICES))
        assert writer.reuse_group("objects", "key-objects") == str(len(OBJECTS))
        for path, text in {**LOOSE, "index.html": "home, new", "years/2028.html": "2028"}.items():
            writer.write(path, text.encode(), key=f"k-{path}")
        tally = writer.finish()
    return (staging / "SHA256SUMS").read_bytes(), (staging / MARKER).read_bytes(), tally


def test_a_build_keeping_every_group_whole_lists_them_as_listing_every_file_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = tmp_path / "site"
    _first(live)
    spliced, splice = [], SiteWriter._spliced

    def spy(writer: SiteWriter, previous: Previous) -> object:
        spliced.append(writer)
        return splice(writer, previous)

    monkeypatch.setattr(SiteWriter, "_spliced", spy)
    sums, marker, tally = _again_with_a_notice(live, tmp_path / "spliced")
    assert len(spliced) == 1  # the groups' lines were taken from the live site
    kept = {**OBJECTS, **NOTICES}  # linked from the live site
    assert all((tmp_path / "spliced" / p).read_text() == t for p, t in kept.items())
    monkeypatch.setattr(SiteWriter, "_every_group_whole", lambda *_: False)
    assert _again_with_a_notice(live, tmp_path / "listed") == (sums, marker, tally)
    assert len(spliced) == 1
    site = {**OBJECTS, **NOTICES, **LOOSE, "index.html": "home, new", "years/2028.html": "2028"}
    expected = "".join(
        f"{hashlib.sha256(site[p].encode()).hexdigest()}  {p}\n" for p in sorted(site)
    )
    assert sums.decode() == expected


@pytest.mark.parametrize(
    "path",
    ["objects/01/..o1.html", "objects/01/o1.html x", "objects/01/o 1.html"],
    ids=["a segment starting with a dot", "five fields", "a space"],
)
def test_a_group_file_at_a_path_it_would_not_write_makes_the_live_keys_unused(
    tmp_path: Path, path: str
) -> None:
    """Even when SHA256SUMS lists that path too and the marker names its digest."""
    live = tmp_path / "site"
    _first(live)
    assert Previous.load(live) is not None
    sums = (live / "SHA256SUMS").read_text(encoding="utf-8").replace("objects/01/o1.html", path)
    (live / "SHA256SUMS").write_text(sums, encoding="utf-8")
    lines = (live / MARKER).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = f"keys/2 of SHA256SUMS {hashlib.sha256(sums.encode()).hexdigest()}\n"
    marker = "".join(lines).replace(" objects objects/01/o1.html", f" objects {path}")
    (live / MARKER).write_text(marker, encoding="utf-8")
    assert Previous.load(live) is None  # everything is built anew
