"""An independent reference of the hashing parts of DR-1, written from
docs/SPEC.md with plain hashlib. Nothing here is imported from
dualrandom.core, so the golden vectors and the brute-force team test check
the implementation against the document, not against itself."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

TWO64 = 2**64


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def seed(
    plan: str,
    objects: str,
    inspectors: str,
    conflicts: str,
    history: str,
    entropy: str,
    secret: bytes,
) -> bytes:
    message = b"DR-1/seed\x00"
    for field in (plan, objects, inspectors, conflicts, history):
        message += u32(32) + bytes.fromhex(field)
    text = entropy.encode("utf-8")
    message += u32(len(text)) + text + u32(len(secret)) + secret
    return hashlib.sha256(message).digest()


def commitment(secret: bytes) -> str:
    return hashlib.sha256(b"DR-1/commit\x00" + secret).hexdigest()


def object_digest(public_hex: str, internal_hex: str) -> str:
    message = b"DR-1/objects\x00" + u32(32) + bytes.fromhex(public_hex)
    message += u32(32) + bytes.fromhex(internal_hex)
    return hashlib.sha256(message).hexdigest()


def ticket(seed_bytes: bytes, object_id: str) -> int:
    digest = hashlib.sha256(b"DR-1/target\x00" + seed_bytes + object_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def bottom(seed_bytes: bytes, ids: Sequence[str], m: int) -> list[str]:
    """The m ids with the smallest (ticket, UTF-8 id) keys, in that order."""
    return sorted(ids, key=lambda i: (ticket(seed_bytes, i), i.encode("utf-8")))[:m]


def officer_order(seed_bytes: bytes, object_id: str, n: int, steps: int) -> list[int]:
    """The first ``steps`` positions of the visit's seeded Fisher-Yates order
    over candidate indices 0..n-1 (SPEC §9.4), eagerly on a full array."""
    words: list[int] = []
    block = 0

    def word() -> int:
        nonlocal block
        if not words:
            digest = hashlib.sha256(
                b"DR-1/team\x00" + seed_bytes + block.to_bytes(8, "big") + object_id.encode("utf-8")
            ).digest()
            words.extend(int.from_bytes(digest[8 * i : 8 * i + 8], "big") for i in range(4))
            block += 1
        return words.pop(0)

    def uniform(m: int) -> int:
        while True:
            w = word()
            if w < TWO64 - TWO64 % m:
                return w % m

    a = list(range(n))
    for t in range(min(steps, n)):
        j = t + uniform(n - t)
        a[t], a[j] = a[j], a[t]
    return a[: min(steps, n)]


# -- canonical snapshots (SPEC §3), straight from the text ----------------------


def esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def esc_list(values: Sequence[str]) -> str:
    return ";".join(esc(v).replace(";", "\\s") for v in sorted(set(values)))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    lines = ["\t".join(header)] + ["\t".join(row) for row in rows]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def day(value: object) -> str:
    return "" if value is None else str(value)


def flag(value: bool) -> str:
    return "1" if value else "0"


def objects_public(objects: Sequence[Any]) -> bytes:
    header = [
        "id",
        "id_type",
        "name",
        "type",
        "industry",
        "district",
        "registration_authority",
        "address",
        "status",
        "established",
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
            esc(o.name),
            str(o.type),
            esc(o.industry),
            esc(o.district),
            esc(o.registration_authority),
            esc(o.address),
            str(o.status),
            day(o.established),
            flag(o.abnormal_list),
            flag(o.serious_illegal_list),
            esc_list(o.departments),
            esc_list(o.tags),
            day(o.last_inspected),
        ]
        for o in sorted(objects, key=lambda o: o.id.encode("utf-8"))
    ]
    return table(header, rows)


def objects_internal(objects: Sequence[Any]) -> bytes:
    rows = [[esc(o.id), str(o.risk_class)] for o in sorted(objects, key=lambda o: o.id.encode())]
    return table(["id", "risk_class"], rows)


def inspectors_table(inspectors: Sequence[Any]) -> bytes:
    header = [
        "cert_no",
        "name",
        "department",
        "post",
        "specialties",
        "leader",
        "expert",
        "cert_valid_until",
        "status",
        "unavailable",
        "district",
        "home_district",
    ]
    rows = [
        [
            esc(i.cert_no),
            esc(i.name),
            esc(i.department),
            esc(i.post),
            esc_list(i.specialties),
            flag(i.leader),
            flag(i.expert),
            str(i.cert_valid_until),
            str(i.status),
            esc_list([f"{a}..{b}" for a, b in i.unavailable]),
            esc(i.district),
            esc(i.home_district),
        ]
        for i in sorted(inspectors, key=lambda i: i.cert_no.encode("utf-8"))
    ]
    return table(header, rows)


def conflicts_table(conflicts: Sequence[Any]) -> bytes:
    ordered = sorted(
        conflicts,
        key=lambda c: (c.cert_no.encode(), c.object_id.encode(), str(c.relation).encode()),
    )
    rows = [
        [esc(c.cert_no), esc(c.object_id), str(c.relation), day(c.valid_from), day(c.valid_until)]
        for c in ordered
    ]
    return table(["cert_no", "object_id", "relation", "valid_from", "valid_until"], rows)


def history_table(history: Sequence[Any]) -> bytes:
    ordered = sorted(
        history,
        key=lambda h: (
            h.object_id.encode(),
            h.item_code.encode(),
            str(h.date),
            esc_list(h.officers).encode(),
        ),
    )
    rows = [
        [esc(h.object_id), esc(h.item_code), str(h.date), esc_list(h.officers)] for h in ordered
    ]
    return table(["object_id", "item_code", "date", "officers"], rows)


def quota(ratio: Fraction, n: int, low: int, high: int | None) -> tuple[int, int, int]:
    """(k, shortfall, reserve) per SPEC §7.3 and §8.2."""
    k = math.ceil(ratio * n)  # Fraction: exact
    k = max(k, low)
    if high is not None:
        k = min(k, high)
    k = min(k, n)
    return k, max(0, low - n), min(n - k, max(3, math.ceil(Fraction(k, 10))))
