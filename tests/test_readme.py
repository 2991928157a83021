"""The README works as written: every shell block of README.md runs, in order.

The blocks run in one ``bash`` process (so ``cd``, ``. .venv/bin/activate``
and variables carry from one command to the next) in a scratch workspace: a
temporary folder holding a copy of ``registries/``, ``rules/`` and
``config.toml``, as a fresh clone has them. Its ``.venv`` is a stand-in for
the one ``make`` creates: ``activate`` puts ``.venv/bin`` first on ``PATH``,
and ``.venv/bin/dualrandom`` is this test environment's ``dualrandom`` on a
pinned clock that ticks on from :data:`WALKTHROUGH_NOW`, so the walkthrough
tells the same story on any day, in any time zone. Nothing reads stdin: a command
that would prompt must be written with its non-interactive flags
(``--entropy …``, ``--yes``).

A block that must not run here is marked, on the line before its opening
fence, with ``<!-- not run: REASON -->``. Only two reasons exist, and every
command of such a block must be one of that reason's commands, so a block
cannot be skipped because it fails:

* ``long-running``: a command that serves or waits until stopped
  (``dualrandom console``, ``dualrandom serve``, ``dualrandom scheduler run``);
* ``setup``: a command that builds ``.venv`` itself or runs this suite
  (``make demo``, ``make test``, ``pip install …``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

README = REPO / "README.md"
SHELLS = {"sh", "bash", "shell"}
# What a fresh clone has next to the README that the walkthrough uses.
WORKSPACE = ("registries", "rules", "config.toml")
SKIP = re.compile(r"^<!-- not run: (?P<reason>[a-z-]+) -->$")
SKIPPABLE: dict[str, re.Pattern[str]] = {
    "long-running": re.compile(
        r"^(dualrandom( --[a-z-]+ \S+)* (console|serve|scheduler run))( .*)?$"
    ),
    "setup": re.compile(r"^(make (demo|test|test-slow)|pip install .+)$"),
}
FAILED = "__README_FAILED__"
# The walkthrough draws the first batch and enters the result of a check made
# the same day, so it happens inside that batch's window (2027-01-04..03-31):
# Monday 25 January 2027, 10:00 in Beijing. The session's own instant
# (DUALRANDOM_TEST_NOW) may be any day, so it is not used here.
WALKTHROUGH_NOW = "2027-01-25T10:00:00+08:00"


@dataclass(frozen=True)
class Command:
    line: int  # README line of the command's first line
    text: str  # continuation lines joined


@dataclass(frozen=True)
class Block:
    line: int  # README line of the opening fence
    language: str
    commands: tuple[Command, ...]
    skip: str | None  # the reason, if marked not to run


def _strip_comment(text: str) -> str:
    """The command without a trailing ``# comment`` (quotes respected)."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.commenters = "#"
    lexer.whitespace_split = True
    return " ".join(lexer).strip() if text.strip() else ""


def parse(markdown: str) -> list[Block]:
    blocks: list[Block] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\S*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, language = i + 1, fence.group(1)
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        marker = SKIP.match(lines[j].strip()) if j >= 0 else None
        body: list[tuple[int, str]] = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append((i + 1, lines[i]))
            i += 1
        assert i < len(lines), f"README.md:{start}: the block is never closed"
        i += 1
        commands: list[Command] = []
        pending: list[tuple[int, str]] = []
        for number, text in body:
            pending.append((number, text))
            if text.endswith("\\"):
                continue
            joined = " ".join(part.rstrip("\\").strip() for _, part in pending)
            if joined and not joined.startswith("#"):
                commands.append(Command(pending[0][0], joined))
            pending = []
        blocks.append(
            Block(start, language, tuple(commands), marker.group("reason") if marker else None)
        )
    return blocks


def _script(blocks: list[Block]) -> str:
    """One bash script: each command announces where it comes from, and the
    first one to fail prints that place and stops the script."""
    lines = [
        "set -eE -o pipefail",
        f"trap 'status=$?; echo \"{FAILED} $where (exit status $status)\" >&2' ERR",
    ]
    for block in blocks:
        for command in block.commands:
            where = f"block at README.md:{block.line}, command at README.md:{command.line}: {command.text}"
            lines.append(f"where={shlex.quote(where)}")
            lines.append(f"echo {shlex.quote('$ ' + command.text)}")
            lines.append(command.text)
    return "\n".join(lines) + "\n"


def _workspace(root: Path) -> Path:
    for name in WORKSPACE:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy2(source, root / name)
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "activate").write_text(
        "# A stand-in for the activate script of the .venv that make creates.\n"
        f"VIRTUAL_ENV={shlex.quote(str(root / '.venv'))}\n"
        'PATH="$VIRTUAL_ENV/bin:$PATH"\n'
        "export VIRTUAL_ENV PATH\n",
        encoding="utf-8",
    )
    dualrandom = bin_dir / "dualrandom"
    dualrandom.write_text(
        f"#!{sys.executable}\n"
        '"""dualrandom on the test clock: DUALRANDOM_TEST_NOW, ticking on."""\n'
        "import os, sys\n"
        "from datetime import datetime\n"
        "import time_machine\n"
        "from dualrandom.cli import main\n"
        'with time_machine.travel(datetime.fromisoformat(os.environ["DUALRANDOM_TEST_NOW"]), tick=True):\n'
        "    sys.exit(main())\n",
        encoding="utf-8",
    )
    dualrandom.chmod(0o755)
    for name in ("python", "python3"):
        (bin_dir / name).symlink_to(sys.executable)
    return root


def test_the_readme_says_which_blocks_do_not_run_and_why() -> None:
    blocks = parse(README.read_text(encoding="utf-8"))
    for block in blocks:
        where = f"README.md:{block.line}"
        assert block.language, f"{where}: a code block needs a language (sh for commands)"
        if block.skip is None:
            continue
        assert block.language in SHELLS, f"{where}: only shell blocks are run or skipped"
        assert block.skip in SKIPPABLE, (
            f"{where}: unknown reason {block.skip!r}; one of {sorted(SKIPPABLE)}"
        )
        for command in block.commands:
            text = _strip_comment(command.text)
            assert SKIPPABLE[block.skip].match(text), (
                f"README.md:{command.line}: {command.text!r} is not a {block.skip} command; "
                "only those may be skipped, move it to a block that runs"
            )
    skipped = " ".join(_strip_comment(c.text) for b in blocks if b.skip for c in b.commands)
    # The walkthrough shows how to start each of them, though none runs here.
    for shown in ("dualrandom console", "dualrandom serve", "dualrandom scheduler run"):
        assert shown in skipped, f"README.md shows no {shown!r}"


def test_the_parser_reads_blocks_commands_and_markers() -> None:
    blocks = parse(
        "text\n<!-- not run: long-running -->\n\n```sh\ndualrandom serve   # stops on Ctrl+C\n```\n"
        "```sh\n# a comment\na \\\n  --b 'c # d'\n\nx && y\n```\n```toml\nk = 1\n```\n"
    )
    assert [(b.line, b.language, b.skip) for b in blocks] == [
        (4, "sh", "long-running"),
        (7, "sh", None),
        (14, "toml", None),
    ]
    assert blocks[1].commands == (Command(9, "a --b 'c # d'"), Command(12, "x && y"))
    assert _strip_comment("a --b 'c # d'   # note") == "a --b c # d"


# About 35 `dualrandom` processes, one after another (1–2 minutes on one core):
# CI runs it with the other slow tests, so `make test` stays under 5 minutes.
@pytest.mark.slow
def test_every_shell_block_of_the_readme_runs_in_order(tmp_path: Path) -> None:
    blocks = [b for b in parse(README.read_text(encoding="utf-8")) if b.language in SHELLS]
    run = [b for b in blocks if b.skip is None]
    assert run and sum(len(b.commands) for b in run) >= 20, "the walkthrough is missing"
    root = _workspace(tmp_path / "clone")
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DUALRANDOM_") and key not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    environ |= {
        "DUALRANDOM_TEST_NOW": WALKTHROUGH_NOW,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "COLUMNS": "160",
    }
    (root / "README.sh").write_text(_script(run), encoding="utf-8")
    result = subprocess.run(
        ["bash", "README.sh"],
        cwd=root,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        failed = [line for line in result.stderr.splitlines() if line.startswith(FAILED)]
        where = (
            failed[-1].removeprefix(FAILED).strip()
            if failed
            else "(no command failed; bash itself did)"
        )
        pytest.fail(
            f"README.md does not work as written: {where}\n"
            f"--- stdout (tail) ---\n{result.stdout[-3000:]}\n"
            f"--- stderr (tail) ---\n{result.stderr[-3000:]}"
        )
