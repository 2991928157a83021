"""The objects' digests made from the stored rows, by a second process (registry.parallel).

``draw run`` reads no name or address: the draw needs neither, and the
snapshot's digests, which cover every field, are streamed from the stored
rows, in a child process for a large registry. These tests force the child
on the small sample (IN_PARALLEL_FROM = 0), check that it gives what the
whole table gives, and attack the split: rows edited after prepare, rows
edited in the drawing transaction itself, a writer during the draw, a child
that fails.
"""

from __future__ import annotations

import base64
import json
import os
import select
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.beacon import BeaconRound, sign_demo_round
from dualrandom.core import DR1, DR2
from dualrandom.core.canonical import Unread, public_object_digest, sorted_objects_snapshot
from dualrandom.draws import SecretStore, prepare_draw, run_draw
from dualrandom.draws import _inputs as inputs_module
from dualrandom.errors import BeaconError, DrawStateError
from dualrandom.registry import parallel, snapshot
from dualrandom.registry.snapshot import (
    current_version,
    internal_object_digest,
    object_digests,
    object_table_as_of,
)
from dualrandom.tables import DrawRow
from tests.drawing import draw_dr2, pin_of, prepare_dr2, run_dr2
from tests.draws.conftest import NOW

PLAN = "2027-Q1"


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Every registry in a child process; for each child started, whether it gave
    the digests (True) or this process made them instead (False)."""
    outcomes: list[bool] = []
    result = parallel._result

    def recorded(child: Any) -> tuple[str, str] | None:
        made = result(child)
        outcomes.append(made is not None)
        return made

    monkeypatch.setattr(parallel, "IN_PARALLEL_FROM", 0)
    monkeypatch.setattr(parallel, "_result", recorded)
    yield outcomes


def _version(session: Session) -> int:
    version = current_version(session, "objects")
    assert version is not None
    return version.number


@pytest.mark.parametrize("algorithm", [DR1, DR2])
def test_streamed_digests_are_those_of_the_whole_table(
    sample_app: App, monkeypatch: pytest.MonkeyPatch, algorithm: str
) -> None:
    monkeypatch.setattr(snapshot, "CHUNK_ROWS", 3)  # new values keep coming in later chunks
    with sample_app.transaction() as session:
        version = _version(session)
        whole = sorted_objects_snapshot(object_table_as_of(session, version).columns, algorithm)
        streamed = object_digests(session, version, algorithm)
        internal = internal_object_digest(session, version)[0] if algorithm == DR2 else None
    assert streamed == (whole.public_digest, whole.internal_digest)
    assert internal == (whole.internal_digest if algorithm == DR2 else None)


def test_a_table_without_names_makes_no_snapshot(sample_app: App) -> None:
    with sample_app.transaction() as session:
        table = object_table_as_of(session, _version(session), particulars=False)
        full = object_table_as_of(session, _version(session))
    unread = ("name", "address", "registration_authority", "established")
    assert all(isinstance(getattr(table.columns, name), Unread) for name in unread)
    assert not any(isinstance(getattr(full.columns, f.name), Unread) for f in fields(full.columns))
    assert table[0].name == "" and table[0].established is None
    assert full[0].registration_authority and full[0].established
    assert table[0].id == full[0].id and table[0].status == full[0].status
    assert public_object_digest(table.columns) == public_object_digest(full.columns)
    with pytest.raises(
        ValueError, match="name, registration_authority, address, established were not read"
    ):
        sorted_objects_snapshot(table.columns, DR2)


def test_a_child_process_gives_the_committed_digests(
    sample_app: App, secrets: SecretStore, children: list[bool]
) -> None:
    """Prepare makes the digests from the whole table in this process; the run,
    from the stored rows in a child, and refuses if any differs."""
    with sample_app.transaction() as session:
        row = prepare_dr2(session, PLAN, secrets=secrets, now=NOW)
    assert children == []
    with sample_app.transaction() as session:
        drawn, result = run_dr2(session, PLAN, row, secrets=secrets)
    assert children == [True]
    assert drawn.state == "drawn" and result.digests.objects == row.objects_digest


@pytest.mark.parametrize(
    "child",
    [
        "import sys; sys.stdin.read(); sys.exit(3)",
        "import sys; sys.stdin.read(); print('{\"public\": 1}')",
    ],
    ids=["fails", "answers-nonsense"],
)
def test_a_child_that_gives_no_digests_is_made_good_here(
    sample_app: App,
    secrets: SecretStore,
    children: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    child: str,
) -> None:
    monkeypatch.setattr(parallel, "_CHILD", ("-c", child))
    with sample_app.transaction() as session:
        row = prepare_dr2(session, PLAN, secrets=secrets, now=NOW)
    with sample_app.transaction() as session:
        drawn, result = run_dr2(session, PLAN, row, secrets=secrets)
    assert children == [False]
    assert drawn.state == "drawn" and result.digests.objects == row.objects_digest


def test_a_child_that_gives_wrong_digests_cannot_pass_them_off(
    sample_app: App, secrets: SecretStore, children: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the child says is checked against the commitment: a wrong answer
    refuses the run, it never draws from other rows than were committed."""
    answer = json.dumps({"public": "0" * 64, "internal": "1" * 64})
    monkeypatch.setattr(
        parallel, "_CHILD", ("-c", f"import sys; sys.stdin.read(); print({answer!r})")
    )
    with sample_app.transaction() as session:
        row = prepare_dr2(session, PLAN, secrets=secrets, now=NOW)
    with sample_app.transaction() as session, pytest.raises(DrawStateError, match="objects"):
        run_dr2(session, PLAN, row, secrets=secrets)
    assert children == [True]


@pytest.mark.parametrize("honest", [True, False], ids=["its-buckets", "wrong-buckets"])
def test_the_childs_buckets_serve_the_public_part_and_cannot_pass_off_wrong_ones(
    sample_app: App,
    secrets: SecretStore,
    children: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    honest: bool,
) -> None:
    """Once the child has answered, the public part's digest is made with the rows'
    buckets it found (not hashed twice); buckets that are not the rows' give a
    digest that is not the committed one, which refuses the run."""
    monkeypatch.setattr(parallel, "select", _Waiting())  # the child has always answered
    made: list[bytes | None] = []
    used = parallel.Aside.buckets_if_answered

    def recorded(self: parallel.Aside) -> bytes | None:
        made.append(used(self))
        return made[-1]

    monkeypatch.setattr(parallel.Aside, "buckets_if_answered", recorded)
    with sample_app.transaction() as session:
        row = prepare_dr2(session, PLAN, secrets=secrets, now=NOW)
        internal, buckets = internal_object_digest(session, _version(session))
    if honest:
        with sample_app.transaction() as session:
            drawn, _ = run_dr2(session, PLAN, row, secrets=secrets)
        assert drawn.state == "drawn" and made == [buckets] and children == [True]
        return
    wrong = base64.b64encode(bytes(len(buckets))).decode()  # every row in bucket 0
    answer = json.dumps({"internal": internal, "buckets": wrong, "round": {"fault": None}})
    monkeypatch.setattr(
        parallel, "_CHILD", ("-c", f"import sys; sys.stdin.read(); print({answer!r})")
    )
    with sample_app.transaction() as session, pytest.raises(DrawStateError, match="objects"):
        run_dr2(session, PLAN, row, secrets=secrets)
    assert made == [bytes(len(buckets))] and buckets != bytes(len(buckets))


class _Waiting:
    """``select`` whose ``select`` waits until the child has written (no timeout)."""

    def select(self, read: list[Any], write: list[Any], error: list[Any], _: float) -> Any:
        return select.select(read, write, error)


def test_prepared_and_run_in_one_transaction_is_read_here(
    sample_app: App, secrets: SecretStore, children: list[bool]
) -> None:
    """The draw row that prepare wrote is not committed yet: the child would
    not see what this transaction sees, so none is started."""
    with sample_app.transaction() as session:
        row, result = draw_dr2(session, PLAN, secrets=secrets, now=NOW)
    assert children == []
    assert row.state == "drawn" and result.digests.objects == row.objects_digest


def test_a_name_edited_after_prepare_refuses_the_run(
    sample_app: App, secrets: SecretStore, children: list[bool]
) -> None:
    with sample_app.transaction() as session:
        row = prepare_dr2(session, PLAN, secrets=secrets, now=NOW)
    with sample_app.transaction() as session:
        _edit_a_name(session)
    with sample_app.transaction() as session, pytest.raises(DrawStateError, match="objects"):
        run_dr2(session, PLAN, row, secrets=secrets)
    assert children == [True]  # the child read the edited name, which this process never reads


def test_a_name_edited_in_the_drawing_transaction_refuses_the_run(
    sample_app: App, secrets: SecretStore, children: list[bool]
) -> None:
    """The child reads what is committed; an edit not yet committed is seen only
    here, so this process makes the digests itself and sees it."""
    with sample_app.transaction() as session:
        row = prepare_dr2(session, PLAN, secrets=secrets, now=NOW)
    with sample_app.transaction() as session, pytest.raises(DrawStateError, match="objects"):
        _edit_a_name(session)
        run_dr2(session, PLAN, row, secrets=secrets)
    assert children == []


def _relabelled(row: Any) -> bytes:
    """The pinned round's number with the next round's genuine signature: a round
    that passes every check but the signature's (``bad-signature``)."""
    number = pin_of(row).round
    return BeaconRound(number, sign_demo_round(number + 1).signature).to_json()


def test_the_second_process_checks_the_rounds_signature(
    sample_app: App, secrets: SecretStore, children: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its verdict is the one used: this process never checks the signature itself."""

    def not_here(*_: object) -> None:
        raise AssertionError("the signature was checked in the drawing process")

    monkeypatch.setattr(inputs_module, "verify_round", not_here)
    with sample_app.transaction() as session:
        row = prepare_dr2(session, PLAN, secrets=secrets, now=NOW)
    with sample_app.transaction() as session:
        drawn, _ = run_dr2(session, PLAN, row, secrets=secrets)
    assert children == [True] and drawn.state == "drawn"


@pytest.mark.parametrize("edited", [False, True], ids=["registry-unchanged", "name-edited"])
@pytest.mark.parametrize("child", [None, "import sys; sys.stdin.read(); sys.exit(3)"])
def test_a_round_whose_signature_fails_refuses_the_run_first(
    sample_app: App,
    secrets: SecretStore,
    children: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    child: str | None,
    edited: bool,
) -> None:
    """Refused by the second process (or, where it fails, here), and reported before
    an edited registry is: as accept_round checks the round before anything else."""
    if child is not None:
        monkeypatch.setattr(parallel, "_CHILD", ("-c", child))
    with sample_app.transaction() as session:
        row = prepare_dr2(session, PLAN, secrets=secrets, now=NOW)
    if edited:
        with sample_app.transaction() as session:
            _edit_a_name(session)
    with sample_app.transaction() as session, pytest.raises(BeaconError) as refused:
        run_dr2(session, PLAN, row, secrets=secrets, beacon_round=_relabelled(row))
    assert refused.value.fault == "bad-signature"
    assert "BLS 签名不能用" in refused.value.message and "does not verify" in refused.value.english
    assert children == [child is None]
    with sample_app.transaction() as session:
        assert session.get(DrawRow, row.id).state == "prepared"  # type: ignore[union-attr]


def test_a_dr1_run_reads_its_digests_alongside(
    dr1_app: App, secrets: SecretStore, children: list[bool]
) -> None:
    with dr1_app.transaction() as session:
        prepared = prepare_draw(session, PLAN, secrets=secrets, now=NOW, actor="tester").draw
    with dr1_app.transaction() as session:
        row, result = run_draw(session, PLAN, "3141592653", secrets=secrets, now=NOW, actor="t")
    assert children == [True]
    assert result.digests.objects == prepared.objects_digest == row.objects_digest


def test_no_write_to_the_objects_gets_between_the_two_reads(
    sample_app: App, children: list[bool]
) -> None:
    """While the digests are made, another writer cannot change the objects: the
    two processes read the same rows."""
    with sample_app.transaction() as session:
        digests = parallel.object_digests_alongside(session, _version(session), DR2)
        with pytest.raises(OperationalError):
            _edit_elsewhere(sample_app)
        digests()
    assert children == [True]


def _edit_a_name(session: Session) -> None:
    changed = session.execute(
        text(
            "UPDATE object_rows SET name = name || '（改）' WHERE pk = "
            "(SELECT min(pk) FROM object_rows WHERE version_to IS NULL)"
        )
    )
    assert changed.rowcount == 1  # type: ignore[attr-defined]


def _edit_elsewhere(app: App) -> None:
    """Edit a name on a connection of its own that waits at most a moment for locks."""
    url = app.engine.url
    sqlite = url.get_backend_name() == "sqlite"
    engine = create_engine(url, connect_args={"timeout": 0.2} if sqlite else {})
    try:
        with engine.begin() as connection:
            if not sqlite:
                connection.execute(text("SET LOCAL lock_timeout = '200ms'"))
            _edit_a_name(Session(bind=connection))
    finally:
        engine.dispose()


def test_no_child_where_this_is_not_a_plain_python(
    sample_app: App,
    secrets: SecretStore,
    children: list[bool],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """uWSGI embeds Python and names itself in sys.executable: it is never run as
    the child (this one would answer wrong digests, and the run would be refused)."""
    embedding = tmp_path / "uwsgi"
    answer = json.dumps({"public": "0" * 64, "internal": "1" * 64})
    embedding.write_text(f"#!/bin/sh\ncat > /dev/null\necho '{answer}'\n", encoding="utf-8")
    embedding.chmod(0o755)
    with sample_app.transaction() as session:
        row = prepare_dr2(session, PLAN, secrets=secrets, now=NOW)
    monkeypatch.setattr(parallel.sys, "executable", str(embedding))
    with sample_app.transaction() as session:
        drawn, result = run_dr2(session, PLAN, row, secrets=secrets)
    assert children == []
    assert drawn.state == "drawn" and result.digests.objects == row.objects_digest


def test_whether_the_child_has_answered_is_told_without_waiting() -> None:
    read, write = os.pipe()
    with os.fdopen(read, "rb") as pipe, os.fdopen(write, "wb") as writer:
        assert parallel._readable(pipe) is False  # nothing yet: no wait
        writer.write(b"{}\n")
        writer.flush()
        assert parallel._readable(pipe) is True
    assert parallel._readable(pipe) is False  # closed: cannot be told, so not yet
