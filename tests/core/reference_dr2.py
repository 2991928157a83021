"""An independent reference of DR-2 (docs/SPEC.md Part II, §14–§25), written
from the text with hashlib, hmac and json only. Nothing here is imported
from dualrandom.core, so the golden vectors check the implementation against
the document. The DR-1 reference (tests/core/reference.py) supplies the
unchanged parts: escaping, the line format, tickets, the order key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from tests.core.reference import day, esc, esc_list, flag, table, u32

ALL_CLASSES = {"A", "B", "C", "D"}


def H(tag: str, *fields: bytes) -> bytes:
    return hashlib.sha256(
        tag.encode() + b"\x00" + b"".join(u32(len(f)) + f for f in fields)
    ).digest()


# -- §15 bucketed snapshot digests ---------------------------------------------------


def bucket(key: bytes) -> int:
    return hashlib.sha256(b"DR-2/bucket\x00" + key).digest()[0]


def snapshot_digest(name: str, data: bytes) -> str:
    header_end = data.index(b"\n") + 1
    header, body = data[:header_end], data[header_end:]
    lines = [line + b"\n" for line in body.split(b"\n")[:-1]]
    buckets: list[bytes] = [b""] * 256
    for line in lines:
        key = line[:-1].split(b"\t")[0]
        buckets[bucket(key)] += line
    digests = [hashlib.sha256(b).digest() for b in buckets]
    return H("DR-2/snapshot", name.encode(), header, len(lines).to_bytes(8, "big"), *digests).hex()


# -- §16 the object snapshot ---------------------------------------------------------------


def objects_public(objects: Sequence[Any]) -> bytes:
    header = [
        "id",
        "id_type",
        "type",
        "industry",
        "district",
        "status",
        "abnormal_list",
        "serious_illegal_list",
        "departments",
        "tags",
        "last_inspected",
    ]
    rows = [
        [
            esc(o.id),
            esc(o.id_type),
            str(o.type),
            esc(o.industry),
            esc(o.district),
            str(o.status),
            flag(o.abnormal_list),
            flag(o.serious_illegal_list),
            esc_list(o.departments),
            esc_list(o.tags),
            day(o.last_inspected),
        ]
        for o in sorted(objects, key=lambda o: o.id.encode())
    ]
    return table(header, rows)


def objects_internal(objects: Sequence[Any]) -> bytes:
    header = ["id", "risk_class", "name", "registration_authority", "address", "established"]
    rows = [
        [
            esc(o.id),
            str(o.risk_class),
            esc(o.name),
            esc(o.registration_authority),
            esc(o.address),
            day(o.established),
        ]
        for o in sorted(objects, key=lambda o: o.id.encode())
    ]
    return table(header, rows)


def object_digest(public_hex: str, internal_hex: str) -> str:
    return H("DR-2/objects", bytes.fromhex(public_hex), bytes.fromhex(internal_hex)).hex()


def unescape(field: str) -> str:
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\":
            out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r", "s": ";"}[field[i + 1]])
            i += 2
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def rows_of(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.split("\n")[1:-1]]


# -- §18 the risk-class commitment ---------------------------------------------------------


def risk_rows(internal_text: str) -> list[tuple[str, str]]:
    return [(unescape(r[0]), r[1]) for r in rows_of(internal_text)]


def risk_leaf(key: bytes, object_id: str, risk_class: str) -> bytes:
    salt = hmac.new(key, object_id.encode(), "sha256").digest()
    return H("DR-2/risk-leaf", object_id.encode(), risk_class.encode(), salt)


def mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def risk_root(key: bytes, rows: Sequence[tuple[str, str]]) -> str:
    return mth([risk_leaf(key, i, c) for i, c in rows]).hex()


def verify_risk_proof(proof: Mapping[str, Any], root_hex: str, leaves: int) -> bool:
    """§18's verification, step by step (RFC 9162 §2.1.3.2)."""
    salt = bytes.fromhex(proof["salt"])
    leaf = H("DR-2/risk-leaf", proof["id"].encode(), proof["risk_class"].encode(), salt)
    index, n = proof["index"], proof["leaves"]
    if n != leaves or index >= n:
        return False
    fn, sn = index, n - 1
    r = hashlib.sha256(b"\x00" + leaf).digest()
    for p in (bytes.fromhex(x) for x in proof["path"]):
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn //= 2
        sn //= 2
    return sn == 0 and r.hex() == root_hex


# -- §19 the seed ------------------------------------------------------------------


def seed(commitment_hash: str, randomness: bytes, dice: str) -> bytes:
    assert len(dice) >= 20 and set(dice) <= set("123456")
    return H("DR-2/seed", bytes.fromhex(commitment_hash), randomness, dice.encode())


# -- §21 public files ----------------------------------------------------------------


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def matches(obj: dict[str, Any], where: Mapping[str, list[str]]) -> bool:
    """§4's filter semantics, over the public fields; a risk_class key is never read."""
    for key, values in where.items():
        if key == "risk_class":
            raise AssertionError("the public tier never reads a risk class")
        if key == "industry":
            ok = any(obj["industry"].startswith(v) for v in values)
        elif key == "department":
            ok = bool(set(values) & set(obj["departments"]))
        elif key == "tag":
            ok = bool(set(values) & set(obj["tags"]))
        elif key == "list":
            ok = bool(set(values) & set(obj["lists"]))
        else:
            ok = obj[key] in values
        if not ok:
            return False
    return True


def public_objects(text: str) -> list[dict[str, Any]]:
    out = []
    for r in rows_of(text):
        lists = [n for n, f in (("abnormal", r[6]), ("serious_illegal", r[7])) if f == "1"]
        out.append(
            {
                "id": unescape(r[0]),
                "type": r[2],
                "industry": unescape(r[3]),
                "district": unescape(r[4]),
                "status": r[5],
                "lists": lists,
                "departments": [unescape(x) for x in r[8].split(";")] if r[8] else [],
                "tags": [unescape(x) for x in r[9].split(";")] if r[9] else [],
            }
        )
    return out


def non_risk(where: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {k: v for k, v in where.items() if k != "risk_class"}


def groups_of(
    plan: Mapping[str, Any], objects: list[dict[str, Any]]
) -> list[tuple[list[str], list[str]]]:
    """§21.1: the groups as (sorted filter texts, sorted stratum names), in order."""
    risk = sorted(
        (s for s in plan["strata"] if "risk_class" in s["where"]), key=lambda s: s["name"]
    )
    group = {s["name"]: {s["name"]} for s in risk}

    def join(names: list[str]) -> None:
        merged = set().union(*(group[n] for n in names))
        for n in merged:
            group[n] = merged

    for a in risk:
        join(
            [
                b["name"]
                for b in risk
                if canonical(non_risk(b["where"])) == canonical(non_risk(a["where"]))
            ]
        )
    for obj in objects:
        if matches(obj, plan["scope"]):
            candidates = [s["name"] for s in risk if matches(obj, non_risk(s["where"]))]
            if candidates:
                join(candidates)
    distinct = {tuple(sorted(g)) for g in group.values()}
    where = {s["name"]: canonical(non_risk(s["where"])) for s in risk}
    return [(sorted({where[n] for n in g}), list(g)) for g in sorted(distinct)]


def covered(plan: Mapping[str, Any], obj: dict[str, Any]) -> bool:
    classes: set[str] = set()
    for s in plan["strata"]:
        if "risk_class" in s["where"] and matches(obj, non_risk(s["where"])):
            classes |= set(s["where"]["risk_class"])
    return classes >= ALL_CLASSES


def lines(header: str, rows: list[str]) -> str:
    return header + "\n" + "".join(row + "\n" for row in rows)


def public_files(plan_text: str, objects_text: str, files: Mapping[str, str]) -> dict[str, str]:
    """The public files of §21 from the plan, the public part and the six audit files."""
    plan = json.loads(plan_text)["plan"]
    public = {s["name"] for s in plan["strata"] if "risk_class" not in s["where"]}
    objects = public_objects(objects_text)
    by_id = {o["id"]: o for o in objects}
    result = rows_of(files["result.tsv"])  # stratum item rank id ticket
    selection = sorted(
        [r[1], r[3], r[4], r[0] if r[0] in public else "", r[2] if r[0] in public else ""]
        for r in result
    )
    reserve = [r for r in rows_of(files["reserve.tsv"]) if r[0] in public]
    exclusions = sorted(
        [r[1], r[2], r[3]]
        for r in rows_of(files["exclusions.tsv"])
        if r[0] in public or covered(plan, by_id[r[2]])
    )
    bounds = []
    for item in sorted(json.loads(plan_text)["plan"]["items"]):
        for filters, strata in groups_of(plan, objects):
            pools = [[r for r in result if r[0] == s and r[1] == item] for s in strata]
            cutoffs = [max(rows, key=lambda r: int(r[2]))[4] for rows in pools if rows]
            low, high = (min(cutoffs), max(cutoffs)) if cutoffs else ("", "")
            drawn = sum(len(rows) for rows in pools)
            bounds.append(
                f"{item}\t{esc_list(filters)}\t{esc_list(strata)}\t{low}\t{high}\t{drawn}"
            )
    out = {
        "selection.tsv": lines(
            "item\tid\tticket\tstratum\trank", ["\t".join(r) for r in selection]
        ),
        "reserve-public.tsv": lines(
            "stratum\titem\trank\tid\tticket", ["\t".join(r) for r in reserve]
        ),
        "exclusions-public.tsv": lines("item\tid\treasons", ["\t".join(r) for r in exclusions]),
        "bounds.tsv": lines("item\tgroup\tstrata\tlow\thigh\tdrawn", bounds),
    }
    if len(public) == len(plan["strata"]):
        out["outside.tsv"] = files["outside.tsv"]
    return out


# -- §22 digests -------------------------------------------------------------------


def public_digest(public: Mapping[str, str]) -> str:
    names = ["selection.tsv", "reserve-public.tsv", "exclusions-public.tsv", "bounds.tsv"]
    names += ["outside.tsv"] if "outside.tsv" in public else []
    fields = [x for n in names for x in (n.encode(), public[n].encode())]
    return H("DR-2/public", *fields).hex()


def internal_digest(files: Mapping[str, str]) -> str:
    names = [
        "quotas.tsv",
        "result.tsv",
        "reserve.tsv",
        "teams.tsv",
        "exclusions.tsv",
        "outside.tsv",
    ]
    return H("DR-2/internal", *[x for n in names for x in (n.encode(), files[n].encode())]).hex()


def result_digest(public_hex: str, internal_hex: str) -> str:
    return H("DR-2/result", bytes.fromhex(public_hex), bytes.fromhex(internal_hex)).hex()
