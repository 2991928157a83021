"""The JSON form of a notice's heading and of a draw's facts, for the downloads."""

from __future__ import annotations

from typing import Any

from dualrandom.publish.shape.contexts import DrawFacts, NoticeHead, Supersession

__all__ = ["facts_json", "head_json"]


def facts_json(d: DrawFacts) -> dict[str, Any]:
    return {
        "plan": d.plan_id,
        "title": d.plan_title,
        "attempt": d.attempt,
        "state": d.state,
        "type": d.kind,
        "window": [d.window_start.isoformat(), d.window_end.isoformat()],
        "department": d.department,
        "co_departments": list(d.co_departments),
        "algorithm": d.algorithm,
        "commitment_hash": d.commitment_hash,
        "secret_commitment": d.secret_commitment or None,
        "beacon": (
            {
                "round": d.beacon_round,
                "round_time": d.beacon_time.isoformat() if d.beacon_time else None,
                "chain": d.beacon_chain,
                "demo": d.beacon_demo,
            }
            if d.beacon_round is not None
            else None
        ),
        "entropy": d.entropy or None,
        "secret": d.secret or None,
        "seed": d.seed or None,
        "result_digest": d.result_digest or None,
        "prepared_at": d.prepared_at.isoformat(),
        "drawn_at": d.drawn_at.isoformat() if d.drawn_at else None,
        "supersedes": _supersession_json(d.supersedes),
        "superseded_by": _supersession_json(d.superseded_by),
    }


def _supersession_json(s: Supersession | None) -> dict[str, Any] | None:
    return (
        None
        if s is None
        else {"attempt": s.attempt, "reason": s.reason, "date": s.date.isoformat()}
    )


def head_json(head: NoticeHead) -> dict[str, Any]:
    return {
        "title": head.title,
        "doc_no": head.doc_no or None,
        "issuer": head.issuer,
        "date": head.date.isoformat(),
        "status": head.status or None,
        "page": head.href,
    }
