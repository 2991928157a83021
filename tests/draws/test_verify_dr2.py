"""DR-2 bundles: both verifiers agree, word for word, on good and tampered bundles.

Bundles are built from the core alone (tests/draws/dr2_bundles.py). The
in-package verifier is ``dualrandom.draws.verify_bundle``; the standalone
``verify.py`` runs in a child interpreter, once with ``-I -S`` (no
site-packages: no BLS library, and no dual-random to import by accident)
and once with the venv's packages (py_ecc importable: the signature is
checked). Expected pool counts come from SPEC §25, not from the code.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from dualrandom.beacon import DEMO_CHAIN, QUICKNET, sign_demo_round
from dualrandom.cli import _main
from dualrandom.core import target_ticket, ticket_hex
from dualrandom.core.encoding import canonical_json
from dualrandom.draws import verify_bundle
from dualrandom.draws.bundle_dr2 import Dr2Draw, bundle_files
from dualrandom.errors import IntegrityError
from tests.conftest import REPO
from tests.core.vector_inputs import PLAN, PLAN_MIXED
from tests.draws.dr2_bundles import QUICKNET_JSON, chain_json, make_draw, tampered, write

SOURCE = REPO / "inspect" / "dualrandom" / "draws" / "verify_standalone.py"
BEACON = REPO / "inspect" / "dualrandom" / "beacon" / "standalone.py"


@pytest.fixture(scope="module")
def draws() -> dict[str, Dr2Draw]:
    return {"risk": make_draw(PLAN), "mixed": make_draw(PLAN_MIXED)}


def standalone(
    folder: Path, *, bls: bool, snapshot: Path | None = None
) -> tuple[str, list[str], list[str]]:
    """verify.py's verdict line, mismatch codes and mismatch lines."""
    flags = [] if bls else ["-I", "-S"]
    given = [] if snapshot is None else ["--snapshot", str(snapshot)]
    done = subprocess.run(
        [sys.executable, *flags, str(folder / "verify.py"), str(folder), *given],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    assert done.returncode == (0 if lines[-1].startswith("MATCH") else 1), done.stderr
    mismatches = [line for line in lines if line.startswith("MISMATCH [")]
    codes = list(dict.fromkeys(re.findall(r"^MISMATCH \[([a-z-]+)\]", done.stdout, re.M)))
    return lines[-1], codes, mismatches


def package(folder: Path, snapshot: Path | None = None) -> tuple[str, list[str], int]:
    report = verify_bundle(folder, snapshot)
    findings = report.mismatches.count("public-check")
    return report.verdict, list(dict.fromkeys(report.mismatches)), findings


NO_BLS = "NOT checked (no BLS library: pip install py_ecc)"


@pytest.mark.parametrize(
    ("plan", "tier", "pools"),
    [
        ("risk", "public", "6/6 pools checked (0 in full, 6 by bounds)"),
        ("mixed", "public", "9/9 pools checked (3 in full, 6 by bounds)"),
        ("risk", "auditor", "6/6 pools re-run in full"),
        ("mixed", "auditor", "9/9 pools re-run in full"),
    ],
)
def test_good_bundles_match_with_the_same_verdict(
    draws: dict[str, Dr2Draw], tmp_path: Path, plan: str, tier: str, pools: str
) -> None:
    folder = write(tmp_path / "b", bundle_files(draws[plan], tier))
    verdict, codes, _ = package(folder)
    assert codes == []
    assert verdict.startswith("MATCH (DEMO beacon chain")  # a demo round never passes silently
    assert pools in verdict and "seed" in verdict and "result digest" in verdict
    assert verdict.endswith("; signature checked")
    assert standalone(folder, bls=True)[0] == verdict
    without, _, _ = standalone(folder, bls=False)
    assert without == verdict.removesuffix("checked") + NO_BLS


def _replace_forced_row(draw_: Dr2Draw, files: dict[str, bytes]) -> bytes:
    """selection.tsv with its lowest-ticket risk-stratum row replaced by a reserve
    object of the same item, carrying that object's correctly recomputed ticket."""
    seed = bytes.fromhex(json.loads(files["bundle.json"])["seed"])
    header, *rows = files["selection.tsv"].decode().splitlines()
    fields = [row.split("\t") for row in rows]
    risky = min((f for f in fields if f[3] == ""), key=lambda f: f[2])
    chosen = {(f[0], f[1]) for f in fields}
    reserve = [
        line.split("\t") for line in draw_.audit_files["reserve.tsv"].decode().splitlines()[1:]
    ]
    other = next(r[3] for r in reserve if r[1] == risky[0] and (r[1], r[3]) not in chosen)
    fields.remove(risky)
    fields.append([risky[0], other, ticket_hex(target_ticket(seed, other)), "", ""])
    fields.sort(key=lambda f: (f[0], f[1]))
    return ("\n".join([header, *("\t".join(f) for f in fields)]) + "\n").encode()


def _edit_bounds(data: bytes) -> bytes:
    header, first, *rest = data.decode().splitlines()
    f = first.split("\t")
    f[4] = f[3]  # high := low
    return ("\n".join([header, "\t".join(f), *rest]) + "\n").encode()


def _forged_round(data: bytes) -> bytes:
    number = json.loads(data)["round"]
    other = sign_demo_round(number + 1)  # a genuine signature, of another round
    return json.dumps({"round": number, "signature": other.signature.hex()}).encode()


def _with_chain(chain: dict[str, object]) -> object:
    def change(data: bytes) -> bytes:
        document = json.loads(data)
        document["beacon"]["chain"] = chain
        return canonical_json(document).encode() + b"\n"

    return change


MADE_UP = {**QUICKNET_JSON, "hash": hashlib.sha256(b"not a chain").hexdigest()}
DEMO_AS_QUICKNET = {**chain_json(DEMO_CHAIN), "demo": False, "label": QUICKNET.label}


@pytest.mark.parametrize(
    ("case", "name", "expected"),
    [
        ("replaced drawn object", "selection.tsv", {"public-check", "result-digest"}),
        ("edited bounds", "bounds.tsv", {"public-check", "result-digest"}),
        ("forged round", "beacon-round.json", {"bad-signature"}),
        ("wrong chain", "commitment.json", {"wrong-chain"}),
        ("demo chain as quicknet", "commitment.json", {"demo-as-quicknet"}),
        ("another round", "beacon-round.json", {"wrong-round"}),
        ("dice not as recorded", "dice.txt", {"dice"}),
        ("other dice", "dice.txt", {"seed", "public-check"}),
    ],
)
def test_tampered_public_bundle_is_the_same_named_mismatch_in_both(
    draws: dict[str, Dr2Draw], tmp_path: Path, case: str, name: str, expected: set[str]
) -> None:
    draw_ = draws["risk"]
    files = bundle_files(draw_, "public")
    change = {
        "replaced drawn object": lambda _: _replace_forced_row(draw_, files),
        "edited bounds": _edit_bounds,
        "forged round": _forged_round,
        "wrong chain": _with_chain(MADE_UP),
        "demo chain as quicknet": _with_chain(DEMO_AS_QUICKNET),
        "another round": lambda d: sign_demo_round(json.loads(d)["round"] + 1).to_json(),
        "dice not as recorded": lambda _: b"1 2 3\n",
        "other dice": lambda d: d.replace(b"3", b"4"),
    }[case]
    folder = tampered(tmp_path / "b", files, name, change)  # type: ignore[arg-type]
    verdict, codes, findings = package(folder)
    assert set(codes) == expected, verdict
    assert verdict == "MISMATCH: " + ", ".join(codes)
    other, other_codes, lines = standalone(folder, bls=True)
    assert (other, other_codes) == (verdict, codes)
    assert sum("[public-check]" in line for line in lines) == findings
    if case == "forged round":  # without BLS the forgery still cannot reach a MATCH
        assert "seed" in standalone(folder, bls=False)[1]
    else:
        assert standalone(folder, bls=False)[:2] == (verdict, codes)


def test_a_corrupt_gzip_snapshot_is_a_snapshot_mismatch(
    draws: dict[str, Dr2Draw], tmp_path: Path
) -> None:
    """The snapshot is not in the manifest (it may be left out): a corrupt one is
    caught by the commitment's digest, before anything uses it."""
    files = bundle_files(draws["risk"], "public")
    folder = tampered(tmp_path / "b", files, "objects-public.tsv.gz", lambda d: d[:-9])
    assert package(folder)[:2] == ("MISMATCH: snapshot", ["snapshot"])
    other = standalone(folder, bls=False)
    assert other[:2] == ("MISMATCH: snapshot", ["snapshot"])
    assert other[2] == ["MISMATCH [snapshot] objects-public.tsv.gz: not gzip data"]


def _objects_public(draw_: Dr2Draw) -> str:
    return str(json.loads(draw_.commitment)["digests"]["objects_public"])


def _without_snapshot(folder: Path, draw_: Dr2Draw, tier: str) -> Path:
    files = bundle_files(draw_, tier)
    del files["objects-public.tsv.gz"]
    return write(folder, files)


def _site_snapshot(root: Path, draw_: Dr2Draw) -> Path:
    """The snapshot as the notice site publishes it: snapshots/<objects_public>.tsv.gz."""
    path = root / "snapshots" / f"{_objects_public(draw_)}.tsv.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(draw_.objects_public, mtime=0))
    return path


@pytest.mark.parametrize("tier", ["public", "auditor"])
def test_a_bundle_without_its_snapshot_verifies_with_the_published_one(
    draws: dict[str, Dr2Draw], tmp_path: Path, tier: str
) -> None:
    draw_ = draws["mixed"]
    digest = _objects_public(draw_)
    folder = _without_snapshot(tmp_path / "b", draw_, tier)
    missing = (
        "MISMATCH [snapshot] objects-public.tsv.gz: missing; the registry snapshot with digest "
        f"{digest} is published once on the notice site as snapshots/{digest}.tsv.gz: "
        "put it into the bundle folder or give it with --snapshot FILE"
    )
    assert package(folder)[:2] == ("MISMATCH: snapshot", ["snapshot"])
    assert _findings(folder) == [missing]
    assert standalone(folder, bls=False) == ("MISMATCH: snapshot", ["snapshot"], [missing])
    published = _site_snapshot(tmp_path / "site", draw_)
    whole = package(write(tmp_path / "whole", bundle_files(draw_, tier)))[0]
    assert whole.startswith("MATCH")
    for given in (published, published.parent, tmp_path / "site"):  # the file, or a folder
        assert package(folder, given) == (whole, [], 0)
        assert standalone(folder, bls=True, snapshot=given)[0] == whole
    (folder / published.name).write_bytes(published.read_bytes())  # downloaded into the folder
    assert package(folder) == (whole, [], 0)
    assert standalone(folder, bls=True)[0] == whole
    meta = json.loads((folder / "bundle.json").read_bytes())
    assert meta["snapshot"] == {
        "digest": digest,
        "file": "objects-public.tsv.gz",
        "published": f"snapshots/{digest}.tsv.gz",
    }


@pytest.mark.parametrize("where", ["given", "in the folder", "downloaded into the folder"])
def test_a_snapshot_one_byte_off_is_refused_alike_by_both(
    draws: dict[str, Dr2Draw], tmp_path: Path, where: str
) -> None:
    draw_ = draws["mixed"]
    digest = _objects_public(draw_)
    data = draw_.objects_public
    at = data.index(b"\n") + 5  # a byte of the first row, not of the header
    wrong = gzip.compress(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :], mtime=0)
    if where == "given":
        folder = _without_snapshot(tmp_path / "b", draw_, "public")
        given: Path | None = tmp_path / "wrong.tsv.gz"
        given.write_bytes(wrong)  # type: ignore[union-attr]
        named = str(given)
    elif where == "in the folder":
        folder = write(tmp_path / "b", {**bundle_files(draw_, "public"), "objects-public.tsv.gz": wrong})
        given, named = None, "objects-public.tsv.gz"
    else:
        folder = _without_snapshot(tmp_path / "b", draw_, "public")
        (folder / f"{digest}.tsv.gz").write_bytes(wrong)
        given, named = None, f"{digest}.tsv.gz"
    finding = (
        f"MISMATCH [snapshot] {named}: not the snapshot the commitment names "
        f"(objects_public {digest})"
    )
    assert package(folder, given)[:2] == ("MISMATCH: snapshot", ["snapshot"])
    assert standalone(folder, bls=False, snapshot=given) == (
        "MISMATCH: snapshot",
        ["snapshot"],
        [finding],
    )


def test_cli_verify_names_the_snapshot_it_needs(draws: dict[str, Dr2Draw], tmp_path: Path) -> None:
    draw_ = draws["mixed"]
    digest = _objects_public(draw_)
    folder = _without_snapshot(tmp_path / "b", draw_, "public")
    out = CliRunner().invoke(_main.cli, ["verify", str(folder)])
    assert out.exit_code == 1 and "Traceback" not in out.output
    assert "缺少检查对象名录快照" in out.output
    assert out.output.index("缺少") < out.output.index("the registry snapshot is missing")
    assert f"snapshots/{digest}.tsv.gz" in out.output
    published = _site_snapshot(tmp_path / "site", draw_)
    ok = CliRunner().invoke(_main.cli, ["verify", str(folder), "--snapshot", str(published)])
    assert ok.exit_code == 0 and "\nMATCH (DEMO beacon chain" in ok.output, ok.output


def test_a_consistent_forgery_on_quicknet_needs_the_signature_check(tmp_path: Path) -> None:
    """Quicknet pinned, the round signed with the demo's public key and the draw
    redone from it: only the BLS check can tell, and without it verify.py
    must say plainly that it did not check the signature."""
    forged = make_draw(PLAN, chain=QUICKNET_JSON)
    folder = write(tmp_path / "b", bundle_files(forged, "public"))
    assert package(folder)[:2] == ("MISMATCH: bad-signature", ["bad-signature"])
    assert standalone(folder, bls=True)[:2] == ("MISMATCH: bad-signature", ["bad-signature"])
    without = standalone(folder, bls=False)[0]
    assert without.startswith("MATCH: ") and "DEMO" not in without
    assert without.endswith("signature " + NO_BLS)


def test_tampered_auditor_bundle(draws: dict[str, Dr2Draw], tmp_path: Path) -> None:
    files = bundle_files(draws["mixed"], "auditor")
    swap = tampered(
        tmp_path / "teams", files, "teams.tsv", lambda d: d.replace(b"leader", b"member", 1)
    )
    assert package(swap)[:2] == ("MISMATCH: rerun, result-digest", ["rerun", "result-digest"])
    assert standalone(swap, bls=False)[:2] == (
        "MISMATCH: rerun, result-digest",
        ["rerun", "result-digest"],
    )
    salt = tampered(tmp_path / "salt", files, "salt-key.txt", lambda d: b"00" * 32 + b"\n")
    assert package(salt)[1] == ["risk-root"]
    assert standalone(salt, bls=False)[1] == ["risk-root"]


def test_cli_verify_prints_the_verdict(draws: dict[str, Dr2Draw], tmp_path: Path) -> None:
    folder = write(tmp_path / "b", bundle_files(draws["mixed"], "public"))
    ok = CliRunner().invoke(_main.cli, ["verify", str(folder)])
    assert ok.exit_code == 0, ok.output
    assert "\nMATCH (DEMO beacon chain" in ok.output and "9/9 pools checked" in ok.output
    bad = tampered(tmp_path / "t", bundle_files(draws["mixed"], "public"), "bounds.tsv", _edit_bounds)
    out = CliRunner().invoke(_main.cli, ["verify", str(bad)])
    assert out.exit_code == 1 and "[public-check] selection.tsv" in out.output
    assert "ok  public check" not in out.output
    assert "Traceback" not in out.output


def test_dr2_draw_refuses_parts_that_do_not_match_the_commitment(draws: dict[str, Dr2Draw]) -> None:
    good = draws["risk"]
    with pytest.raises(IntegrityError, match=r"objects-internal\.tsv"):
        replace(good, objects_internal=good.objects_internal.replace(b"\tA\t", b"\tB\t", 1))
    with pytest.raises(IntegrityError, match="risk root"):
        replace(good, salt_key=bytes(32))
    with pytest.raises(IntegrityError, match="dice"):
        replace(good, dice="1234")
    with pytest.raises(IntegrityError, match="pinned"):
        replace(good, beacon_round=sign_demo_round(7).to_json())
    with pytest.raises(IntegrityError, match=r"exclusions-public\.tsv"):
        files = dict(good.public_files)
        files["exclusions-public.tsv"] += b"X\tY\tstatus\n"
        replace(good, public_files=files)


def test_verify_py_carries_the_beacon_check_verbatim() -> None:
    """The bundle's verify.py holds dualrandom/beacon/standalone.py's check (HEX
    renamed), and the chains it knows are dualrandom.beacon's."""
    beacon = BEACON.read_text(encoding="utf-8")
    body = re.sub(r"\bHEX\b", "BEACON_HEX", beacon[beacon.index("QUICKNET_CHAIN_HASH = ") :])
    assert body in SOURCE.read_text(encoding="utf-8")
    spec = importlib.util.spec_from_file_location("verify_py_dr2", SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    assert {c.chain_hash: c.to_dict() for c in (QUICKNET, DEMO_CHAIN)} == module.KNOWN_CHAINS


# -- The substitution addendum (SPEC §26) ---------------------------------------

T_SUBST = b"DR-2/substitution\x00"
CHAINED = (0, 1, 2, 4, 5, 6, 7, 8)  # SPEC §26: every field but stratum, by and chain


@pytest.fixture(scope="module")
def substituted() -> Dr2Draw:
    """The mixed plan (load cap raised so that every replacement can be staffed),
    visit 8 (a risk stratum) found gone, then visits 1 (the public stratum
    合作社及其他) and 2 (a risk stratum) together."""
    plan = replace(PLAN_MIXED, team=replace(PLAN_MIXED.team, load_cap=6))
    return make_draw(plan, removals=((8,), (1, 2)))


def _rechained(data: bytes, seed_digest: str) -> bytes:
    """The addendum with its chain recomputed (SPEC §26), as a forger would."""
    header, *rows = data.decode().splitlines()
    previous, out = bytes.fromhex(seed_digest), [header]
    for row in rows:
        f = row.split("\t")
        h = hashlib.sha256(T_SUBST)
        for part in (previous, *(f[i].encode() for i in CHAINED)):
            h.update(len(part).to_bytes(4, "big") + part)
        previous = h.digest()
        out.append("\t".join([*f[:10], previous.hex()]))
    return ("\n".join(out) + "\n").encode()


def _edit(line: int, column: int, value: str, *, rechain: bool = True) -> object:
    def change(files: dict[str, bytes]) -> bytes:
        lines = files["substitutions.tsv"].decode().splitlines()
        f = lines[line - 1].split("\t")
        f[column] = value
        lines[line - 1] = "\t".join(f)
        data = ("\n".join(lines) + "\n").encode()
        digest = json.loads(files["bundle.json"])["result_digest"]
        return _rechained(data, digest) if rechain else data

    return change


def _drop(line: int) -> object:
    def change(files: dict[str, bytes]) -> bytes:
        lines = files["substitutions.tsv"].decode().splitlines()
        del lines[line - 1]
        return ("\n".join(lines) + "\n").encode()

    return change


def _findings(folder: Path) -> list[str]:
    from dualrandom.draws.verify_dr2 import verify_dr2

    report = verify_dr2(folder, json.loads((folder / "bundle.json").read_bytes())["tier"])
    return [f"MISMATCH [{code}] {detail}" for code, detail in report.mismatches]


def test_a_substituted_draw_verifies_in_both_tiers_and_both_verifiers(
    substituted: Dr2Draw, tmp_path: Path
) -> None:
    claims = {
        "public": "3 substitutions in 2 rounds (1 by the reserve rule, 2 as visits only)",
        "auditor": "3 substitutions in 2 rounds (3 by the reserve rule, 0 as visits only)",
    }
    for tier, claim in claims.items():
        files = bundle_files(substituted, tier)
        folder = write(tmp_path / tier, files)
        verdict, codes, _ = package(folder)
        assert codes == [] and claim in verdict, verdict
        assert standalone(folder, bls=True)[0] == verdict
        addendum = files["substitutions.tsv"].decode()
        assert ("张三" in addendum) == (tier == "auditor")  # a person only in the auditor tier
        assert ("\tSCJG\t" in addendum) == (tier == "public")  # the plan's department instead
        assert ("中高风险" in addendum) == (tier == "auditor")  # no risk stratum in public


def test_a_draw_without_substitutions_says_so(draws: dict[str, Dr2Draw], tmp_path: Path) -> None:
    folder = write(tmp_path / "b", bundle_files(draws["mixed"], "public"))
    verdict = package(folder)[0]
    assert "result digest, no substitutions;" in verdict
    assert standalone(folder, bls=False)[0].startswith(verdict.removesuffix("checked"))


@pytest.mark.parametrize(
    ("tier", "case", "change", "finding"),
    [
        # the public stratum's only reserve member not taken: "the reserve ran out"
        ("public", "skipped reserve", _edit(4, 6, ""), "substitutions.tsv:4 [replacement] ''"),
        (
            "public",
            "wrong reserve",
            _edit(4, 6, "92211121MA5P39595U"),  # a reserve member of 低风险, not of 合作社及其他
            "substitutions.tsv:4 [replacement] '92211121MA5P39595U'",
        ),
        (
            "public",
            "a visit as replacement",
            _edit(2, 6, "盘锦-摊位-101"),  # drawn for SCJG-01
            "substitutions.tsv:2 [replacement] '盘锦-摊位-101': already a visit",
        ),
        ("public", "removed line", _drop(3), "substitutions.tsv:3 [chain]"),
        ("public", "edited reason", _edit(2, 8, "无法联系", rechain=False), "substitutions.tsv:2 [chain]"),
        ("public", "reason not allowed", _edit(2, 8, "搬迁"), "substitutions.tsv:2 [reason] '搬迁'"),
        ("public", "a person's name", _edit(2, 9, "张三"), "substitutions.tsv:2 [by] '张三'"),
        ("public", "round skipped", _edit(2, 0, "2"), "substitutions.tsv:2 [round] '2'"),
        (
            "auditor",
            "skipped reserve",
            _edit(2, 6, "91211103MA3X23757A"),  # rank 7 of 中高风险/SCJG-01: rank 6 was next
            "substitutions.tsv:2 [replacement] '91211103MA3X23757A': SPEC §8.3 gives "
            "'91211122MA6R02947N'",
        ),
        ("auditor", "removed line", _drop(2), "substitutions.tsv:2 [chain]"),
        ("auditor", "edited reason", _edit(3, 8, "注销", rechain=False), "substitutions.tsv:3 [chain]"),
    ],
)
def test_a_tampered_addendum_is_the_same_finding_in_both(
    substituted: Dr2Draw, tmp_path: Path, tier: str, case: str, change: object, finding: str
) -> None:
    files = bundle_files(substituted, tier)
    folder = tampered(tmp_path / "b", files, "substitutions.tsv", lambda _: change(files))  # type: ignore[operator]
    verdict, codes, _ = package(folder)
    assert (verdict, codes) == ("MISMATCH: substitution", ["substitution"]), case
    lines = _findings(folder)
    assert any(line.startswith(f"MISMATCH [substitution] {finding}") for line in lines), lines
    other, other_codes, other_lines = standalone(folder, bls=False)
    assert (other, other_codes, other_lines) == (verdict, codes, lines)


def test_a_missing_addendum_is_a_manifest_mismatch(substituted: Dr2Draw, tmp_path: Path) -> None:
    files = bundle_files(substituted, "public")
    del files["substitutions.tsv"]
    folder = tampered(tmp_path / "b", files, "bundle.json", lambda d: d)
    assert package(folder)[:2] == ("MISMATCH: manifest", ["manifest"])
    assert standalone(folder, bls=False)[:2] == ("MISMATCH: manifest", ["manifest"])


# -- One standard: every file of a bundle mutated, both verifiers alike ----------


def _verify_py() -> object:
    """The standalone verify.py, loaded once in this process (stdlib only)."""
    spec = importlib.util.spec_from_file_location("verify_py_mutations", SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def _rows(data: bytes) -> tuple[bytes, list[bytes]]:
    header, *rows = data.split(b"\n")[:-1]
    return header, rows


def _joined(header: bytes, rows: list[bytes]) -> bytes:
    return b"\n".join([header, *rows]) + b"\n"


def _drop_row(data: bytes) -> bytes | None:
    header, rows = _rows(data)
    return _joined(header, rows[1:]) if rows else None


def _duplicate_row(data: bytes) -> bytes | None:
    header, rows = _rows(data)
    return _joined(header, [rows[0], *rows]) if rows else None


def _swap_rows(data: bytes) -> bytes | None:
    header, rows = _rows(data)
    if len(rows) < 2 or rows[0] == rows[1]:
        return None
    return _joined(header, [rows[1], rows[0], *rows[2:]])


def _alter_row(data: bytes) -> bytes | None:
    """The last row's middle field with one character more (or "1" if it was empty)."""
    header, rows = _rows(data)
    if not rows:
        return None
    fields = rows[-1].split(b"\t")
    middle = len(fields) // 2
    fields[middle] = fields[middle] + b"x" if fields[middle] else b"1"
    return _joined(header, [*rows[:-1], b"\t".join(fields)])


def _flip_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]


def _reencode(data: bytes) -> bytes:
    return (json.dumps(json.loads(data), ensure_ascii=False, indent=2) + "\n").encode()


ROW_KINDS = {
    "drop": _drop_row,
    "duplicate": _duplicate_row,
    "swap": _swap_rows,
    "alter": _alter_row,
}
# Mutations that change no value, which both verifiers accept: the beacon round
# is kept as the relay served it (any JSON encoding), and its values are checked.
ACCEPTED = {("beacon-round.json", "reencode")}
NOT_EVIDENCE = {"README.txt", "verify.py"}  # the reader's guide and the checker itself


def _mutation(name: str, kind: str) -> object:
    """The mutation ``kind`` of file ``name``, or None where it does not apply."""
    if kind == "byte":
        return _flip_byte
    if kind == "reencode":
        return _reencode if name.endswith(".json") else None
    change = ROW_KINDS[kind]
    if name.endswith(".tsv"):
        return change
    if name.endswith(".tsv.gz"):
        return lambda d: (lambda t: None if t is None else gzip.compress(t, mtime=0))(
            change(gzip.decompress(d))
        )
    return None


@pytest.mark.parametrize("tier", ["public", "auditor"])
@pytest.mark.parametrize("kind", ["drop", "duplicate", "swap", "alter", "byte", "reencode"])
def test_every_file_mutated_is_rejected_alike_by_both(
    substituted: Dr2Draw, tmp_path: Path, tier: str, kind: str
) -> None:
    """Each file of the bundle (one row per file per kind, deterministic), the manifest
    redone as a forger would (not for MANIFEST.sha256 itself): both verifiers give
    the same verdict, and it is a MISMATCH unless the mutation changes no value.
    The auditor tier's own files are mutated in the auditor tier, the shared ones in
    the public tier (a re-run per case is what takes the time)."""
    verify_py = _verify_py()
    files = bundle_files(substituted, tier)
    shown = set(files) - NOT_EVIDENCE
    if tier == "auditor":  # the files both tiers share are mutated in the public tier
        shown -= set(bundle_files(substituted, "public")) - {"MANIFEST.sha256", "bundle.json"}
    differ, accepted, mutated = [], [], []
    for name in sorted(shown):
        change = _mutation(name, kind)
        new = change(files[name]) if change else None  # type: ignore[operator]
        if new is None or new == files[name]:
            continue
        mutated.append(name)
        folder = tmp_path / name
        if name == "MANIFEST.sha256":
            write(folder, {**files, name: new})
        else:
            tampered(folder, files, name, lambda _, new=new: new)
        ours = verify_bundle(folder).verdict
        lines: list[str] = []
        verify_py.verify(folder, lines.append)  # type: ignore[attr-defined]
        if lines[-1] != ours:
            differ.append(f"{name}: {ours!r} / verify.py {lines[-1]!r}")
        if ours.startswith("MATCH"):
            accepted.append(name)
    assert differ == []
    assert {(name, kind) for name in accepted} <= ACCEPTED, accepted
    assert mutated, "no file of the bundle had a row to mutate"
    if kind == "byte":  # every file is covered by at least the byte change
        assert set(mutated) == shown


@pytest.mark.parametrize("given", [False, True])
def test_dualrandom_verify_of_a_matching_dr2_bundle_skips_the_database_layer(
    draws: dict[str, Dr2Draw], tmp_path: Path, given: bool
) -> None:
    """The short path of ``dualrandom verify`` (dualrandom.cli.main) prints what the
    full command prints, without importing SQLAlchemy or the other commands; also
    with ``--snapshot`` for a bundle without its snapshot."""
    if given:
        folder = _without_snapshot(tmp_path / "b", draws["mixed"], "public")
        extra = ["--snapshot", str(_site_snapshot(tmp_path / "site", draws["mixed"]))]
    else:
        folder, extra = write(tmp_path / "b", bundle_files(draws["mixed"], "public")), []
    script = (
        "import sys\n"
        f"sys.argv = ['dualrandom', 'verify', {str(folder)!r}, *{extra!r}]\n"
        "from dualrandom.cli import main\n"
        "main()\n"
        "print('sqlalchemy' in sys.modules, 'dualrandom.cli._main' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    *printed, loaded = done.stdout.splitlines()
    assert done.returncode == 0 and loaded == "False False", done.stdout + done.stderr
    full = CliRunner().invoke(_main.cli, ["verify", str(folder), *extra])
    assert full.exit_code == 0 and full.output.splitlines() == printed
