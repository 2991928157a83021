"""Nothing personal or internal from the registries reaches the public site.

Every value of a personal or internal field of the sample registries — phones,
legal representatives, id numbers, certificate numbers, conflict notes, the
risk class — is looked for in every generated file, inside the bundle zips
too. Two honest exceptions, each narrowed as far as it goes:

* A legal representative's name can be part of the registered trade name of
  his own business ("罗刚军小卖店"): that name is public registration data
  and the notice must show it. Such names are skipped only when they occur
  inside a published trade name; a business registered under the bare name
  of its owner is masked (董*艳), so its owner's name is searched for
  everywhere.
* A DR-1 bundle's ``objects-public.tsv`` is the registry snapshot that the
  published digest covers (docs/SPEC.md §3.1): it holds every registered
  name unmasked, or nobody could check the digest. Names are therefore not
  searched in that one file; everything else is, the DR-2 registry
  snapshots the site publishes once under ``snapshots/`` included.

Home districts use the same words as object districts (大洼区 is both), so
their values cannot be searched for; the test checks instead that no
inspector field at all is published while the plans keep inspector names
off.
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO
from tests.publish.conftest import Published
from tests.publish.html import TEXT_SUFFIXES, files, parse, rel, rows
from tests.publish.scenario import INTERNAL_NOTE

RISK_STRATA = ("A类", "B类", "C类", "D类")  # the sample plans' strata: all on the risk class
SNAPSHOT = "objects-public.tsv"


def _registry(name: str) -> list[dict[str, str]]:
    with (REPO / "registries" / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _contents(site: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of every generated text file and of every file inside every zip."""
    for path in files(site):
        if path.suffix in TEXT_SUFFIXES:
            yield rel(site, path), path.read_text(encoding="utf-8-sig")
        elif path.suffix == ".gz":  # the registry snapshots (snapshots/): scanned unpacked
            yield rel(site, path), gzip.decompress(path.read_bytes()).decode("utf-8")
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    data = archive.read(member)
                    if member.endswith(".gz"):  # the DR-2 snapshot parts: scanned unpacked
                        data = gzip.decompress(data)
                    yield f"{rel(site, path)}!{member}", data.decode("utf-8")


DIGITS = re.compile(r"[0-9Xx-]{11,}")  # every phone, id and certificate number is such a run
HAN = re.compile(r"[\u3400-\u9fff]{2,}")


def test_no_phone_id_number_certificate_number_or_note_is_published(published: Published) -> None:
    objects, inspectors, conflicts = (
        _registry("objects"),
        _registry("inspectors"),
        _registry("conflicts"),
    )
    phones = {r["phone"] for r in objects + inspectors if r["phone"]}
    numbers = phones | {p.replace("-", "") for p in phones} | {r["cert_no"] for r in inspectors}
    numbers |= {r["id_number"] for r in inspectors if r["id_number"]}
    notes = {r["note"] for r in conflicts if r["note"]} | {INTERNAL_NOTE}
    assert len(numbers) > 9_000 and len(notes) > 10
    canary = next(iter(sorted(phones)))  # the search itself finds what it looks for
    assert any(canary in run for run in DIGITS.findall(f"联系电话：{canary}。"))
    for name, content in _contents(published.site):
        runs = {m.group() for m in DIGITS.finditer(content)}
        leaked = sorted(n for n in numbers if any(n in run for run in runs))
        leaked += sorted(n for n in notes if n in content)
        assert not leaked, f"{name} publishes {leaked[:5]}"


def _han_grams(content: str) -> set[str]:
    """Every run of 2–4 Han characters in ``content`` (names are 2–4 characters)."""
    grams = set()
    for run in HAN.findall(content):
        for size in (2, 3, 4):
            grams.update(run[i : i + size] for i in range(len(run) - size + 1))
    return grams


def _trade_names() -> str:
    """Every registered name that the site may show unmasked, joined for substring tests."""
    objects = _registry("objects")
    owner_named = {
        r["name"]
        for r in objects
        if r["type"] == "个体工商户" and r["name"] == r["legal_representative"]
    }
    return "\n".join(r["name"] for r in objects if r["name"] not in owner_named)


def test_no_legal_representative_or_inspector_name_is_published(published: Published) -> None:
    trade = _trade_names()
    people = {r["legal_representative"] for r in _registry("objects") if r["legal_representative"]}
    people |= {
        r["name"] for r in _registry("inspectors")
    }  # the sample plans keep inspector names off
    searched = {p for p in people if p not in trade}
    assert len(searched) > 1000  # most names are searched for everywhere; see the module docstring
    assert searched & _han_grams(
        f"法定代表人：{min(searched)}。"
    )  # the search finds what it looks for
    scanned = []
    for name, content in _contents(published.site):
        if name.endswith("/" + SNAPSHOT):
            continue
        scanned.append(name)
        leaked = sorted(searched & _han_grams(content))
        assert not leaked, f"{name} publishes {leaked[:5]}"
    assert [n for n in scanned if n.startswith("snapshots/")]  # the registry snapshots too


def test_businesses_named_after_their_owner_are_shown_masked(published: Published) -> None:
    owners = {
        r["id"]: r["name"]
        for r in _registry("objects")
        if r["type"] == "个体工商户" and r["name"] == r["legal_representative"]
    }
    notice = rows(parse(published.site / "draws/2027-Q2/1/index.html"), "抽查对象名单")
    drawn = [
        (r["统一社会信用代码"], r["检查对象名称"])
        for r in notice
        if r["统一社会信用代码"] in owners
    ]
    assert drawn, "the Q2 sample draw should include an individual business named after its owner"
    for object_id, shown in drawn:
        full = owners[object_id]
        assert (
            shown == full[0] + "*" * (len(full) - 2) + full[-1] if len(full) > 2 else full[0] + "*"
        )


def test_no_risk_class_is_published(published: Published) -> None:
    """Not as a field, and not as the name of a risk-class stratum next to an object."""
    for name, content in _contents(published.site):
        if "!" not in name:
            assert "risk_class" not in content and "信用风险分类：" not in content, name
            assert not [s for s in RISK_STRATA if s in content], name
        elif name.endswith(("/result.tsv", "/reserve.tsv", "/exclusions.tsv")):
            # the public bundle keeps only rows of publicly verifiable strata
            strata = {line.split("\t", 1)[0] for line in content.splitlines()[1:]}
            assert not strata & set(RISK_STRATA), name
        elif name.endswith("/result-internal-strata.tsv"):
            assert content.splitlines()[0] == "item\tid\tticket", name
        elif name.endswith("/" + SNAPSHOT):
            assert "risk" not in content.splitlines()[0], name


def test_no_inspector_field_is_published_while_names_are_off(published: Published) -> None:
    for name, content in _contents(published.site):
        if "!" in name:  # the public bundle: no inspector, conflict, history or team file
            assert name.rsplit("/", 1)[1] not in {
                "inspectors.tsv",
                "conflicts.tsv",
                "history.tsv",
                "teams.tsv",
            }
            continue
        assert "home_district" not in content and "cert_no" not in content, name
        if name.endswith(".csv") and "objects" in name:
            assert "检查人员" not in next(csv.reader(io.StringIO(content))), name


def test_the_publisher_reads_no_personal_or_internal_column() -> None:
    """A structural guard beside the searches above: no code of the publish
    package touches these attributes (the certificate number only as the key
    that joins a team member to his name, when a plan publishes names)."""
    forbidden = {
        "legal_representative",
        "phone",
        "id_number",
        "home_district",
        "note",
        "result_note",
        "risk_class",
        "secret_hash",
        "cert_no",
    }
    # site.py reads a draw's team rows (with the certificate numbers) only to
    # digest them into the key that says whether its notices changed.
    allowed = {("_visits.py", "cert_no"), ("site.py", "cert_no")}
    package = REPO / "inspect" / "dualrandom" / "publish"
    found = set()
    for path in package.rglob("*.py"):  # every stage's folder, not just the top
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in forbidden:
                found.add((path.name, node.attr))
    assert found <= allowed, sorted(found - allowed)
