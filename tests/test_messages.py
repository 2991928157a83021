"""Every message a user can cause is in Chinese first, with English beside it.

The house style (dualrandom/errors.py): ``SomeError(message_zh, english)``;
the CLI prints ``错误：…`` then ``Error: …``. This test reads the package's
source (the AST, not the running code) so that a new English-only message
fails here, wherever it is raised:

* every ``raise`` of a :class:`~dualrandom.errors.DualRandomError` (or a
  subclass defined anywhere in the package) gives a Chinese message first and
  an English one beside it;
* every ``click.UsageError``, ``click.ClickException`` and
  ``click.BadParameter`` the commands raise has Chinese in its message;
* every :class:`~dualrandom.errors.Problem` written with a literal reason has
  Chinese in that reason, and every Problem has an English reason beside it;
* in the readers of TOML files (the rules, plans, items and the working-day
  calendar: ``tomlfile/``, ``rules/``, ``workdays/``), every problem recorded
  with ``table.fail(key, value, 中文, english)`` or
  ``located.problem(key, value, 中文, english)``, and every
  ``Hint(中文, english)`` a reason is built from, is Chinese first with
  English beside it;
* every line the commands echo or print whose words are English has Chinese too,
  and so has every heading and title of a table they print (``Table(…)``,
  ``add_column``, ``print_rows``).

Messages are checked where they are written as literals (f-strings
included). A message built elsewhere and passed in (``raise X(text, english)``)
is checked where it is built, as long as the call passes two messages.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dualrandom import errors
from tests.conftest import REPO

PACKAGE = REPO / "inspect" / "dualrandom"
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
# Two or more Latin letters in a row: a word someone has to read.
WORD = re.compile(r"[A-Za-z]{2,}")

# Files whose messages are not (or not all) user-facing in this sense:
# the standalone verifiers are single files for outside auditors that
# report in English by design (docs/BUNDLE.md), and never import errors.py.
NOT_USER_FACING = {
    "draws/verify_standalone.py",
    "beacon/standalone.py",
}
# Files another change is rewriting at the time of writing; their English-only
# messages are listed in that change's brief. Remove a file from here once
# its messages are Chinese first: the test fails while an entry is stale.
PENDING: set[str] = set()
# The web console has its own sweep (its templates and flash messages).
PENDING_FOLDERS = ("console/",)
# Where TOML problems are recorded with Table.fail / Located.problem / Source.problem.
TOML_READERS = ("tomlfile/", "rules/", "workdays/")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"inspect/dualrandom/{self.file}:{self.line}: {self.what}"


def _text(node: ast.expr) -> str | None:
    """The literal text of a string or f-string (placeholders left out), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        # A placeholder of another error's Chinese message (``{exc.message}``) counts as Chinese.
        return "".join(
            v.value
            if isinstance(v, ast.Constant) and isinstance(v.value, str)
            else "中"
            if isinstance(v, ast.FormattedValue) and _name(v.value) in ("message", "zh")
            else ""
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left is not None or right is not None:
            return (left or "") + (right or "")
    if isinstance(node, ast.IfExp):
        body, orelse = _text(node.body), _text(node.orelse)
        if body is not None and orelse is not None:
            return body + orelse
    return None


# A command to type ("  dualrandom --config … serve --dir …") is not a message.
COMMAND = re.compile(r"\s*(dualrandom|python3?) ")


def _english_only(text: str) -> bool:
    return bool(WORD.search(text)) and not CJK.search(text) and not COMMAND.match(text)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in NOT_USER_FACING:
            continue
        yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _error_classes(modules: list[tuple[str, ast.Module]]) -> set[str]:
    """The names of DualRandomError and every subclass, in errors.py or anywhere else."""
    names = {
        name
        for name in dir(errors)
        if isinstance(getattr(errors, name), type)
        and issubclass(getattr(errors, name), errors.DualRandomError)
    }
    grew = True
    while grew:
        grew = False
        for _, tree in modules:
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in names
                    and any(_name(base) in names for base in node.bases)
                ):
                    names.add(node.name)
                    grew = True
    return names


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = (…)`` assignments, for ``raise X(*NAME)``."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found[target.id] = node.value
    return found


def _messages(call: ast.Call, constants: dict[str, ast.expr]) -> list[ast.expr]:
    """The positional arguments, with ``*NAME`` of a module-level tuple spread out."""
    args: list[ast.expr] = []
    for arg in call.args:
        if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name):
            value = constants.get(arg.value.id)
            if isinstance(value, ast.Tuple):
                args.extend(value.elts)
                continue
        args.append(arg)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    for key in ("message", "english"):
        if key in keywords:
            args.append(keywords[key])
    return args


def _check_error(
    file: str, call: ast.Call, classes: set[str], constants: dict[str, ast.expr]
) -> Iterator[Finding]:
    name = _name(call.func)
    if name in ("ValidationError", "RulesError"):
        return  # carries Problems, checked where they are made
    args = _messages(call, constants)
    if name == "BeaconError":
        args = args[1:]  # the fault code comes first
    if not args:
        yield Finding(file, call.lineno, f"{name}() without a message")
        return
    chinese = _text(args[0])
    if chinese is not None and not CJK.search(chinese):
        yield Finding(file, call.lineno, f"{name}: the first message is not Chinese: {chinese!r}")
    elif chinese is None and len(args) < 2 and not any(isinstance(a, ast.Starred) for a in args):
        yield Finding(file, call.lineno, f"{name}: one computed message; pass (Chinese, English)")
    if len(args) < 2 and not any(isinstance(a, ast.Starred) for a in args):
        yield Finding(file, call.lineno, f"{name}: no English message beside the Chinese one")


def _two_messages(file: str, call: ast.Call, first: int, what: str) -> Iterator[Finding]:
    """``call`` passes a Chinese message at position ``first`` and an English one after it."""
    if any(isinstance(a, ast.Starred) for a in call.args[first:]):
        return  # (Chinese, English) spread from a pair, checked where the pair is made
    args = call.args[first:]
    chinese = _text(args[0]) if args else None
    if chinese and WORD.search(chinese) and not CJK.search(chinese):  # words, none Chinese
        yield Finding(file, call.lineno, f"{what}: the reason is not Chinese: {chinese!r}")
    if len(args) < 2:
        yield Finding(file, call.lineno, f"{what}: no English reason beside the Chinese one")


def _table_labels(file: str, call: ast.Call) -> Iterator[Finding]:
    """The headings and title of a table a command prints: Chinese beside any English."""
    name = _name(call.func)
    labels: list[ast.expr] = []
    if name == "Table":
        labels += call.args
    elif name == "add_column" and call.args:
        labels.append(call.args[0])
    elif name == "print_rows" and call.args:
        columns = call.args[0]
        labels += columns.elts if isinstance(columns, ast.Tuple | ast.List) else []
        labels += call.args[2:3]
    labels += [k.value for k in call.keywords if k.arg == "title"]
    for label in labels:
        text = _text(label)
        if text is not None and _english_only(text):
            yield Finding(file, call.lineno, f"English-only table label: {text!r}")


def _problem_has_english(file: str, call: ast.Call) -> Iterator[Finding]:
    if any(isinstance(a, ast.Starred) for a in call.args):
        return
    if len(call.args) < 6 and not any(k.arg == "reason_en" for k in call.keywords):
        yield Finding(file, call.lineno, "Problem without reason_en beside the Chinese reason")


def findings() -> list[Finding]:
    modules = list(_modules())
    classes = _error_classes(modules)
    found: list[Finding] = []
    for file, tree in modules:
        constants = _constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                call = node.exc
                name = _name(call.func)
                if name in classes:
                    found += _check_error(file, call, classes, constants)
                elif name in ("UsageError", "ClickException", "BadParameter"):
                    text = _text(call.args[0]) if call.args else None
                    if text is None or not CJK.search(text):
                        found.append(Finding(file, call.lineno, f"click.{name} without Chinese"))
            elif isinstance(node, ast.Call) and _name(node.func) == "Problem":
                reason = node.args[4] if len(node.args) > 4 else None
                reason = next((k.value for k in node.keywords if k.arg == "reason"), reason)
                text = _text(reason) if reason is not None else None
                if text is not None and not CJK.search(text):
                    found.append(
                        Finding(file, node.lineno, f"Problem reason not Chinese: {text!r}")
                    )
                found += _problem_has_english(file, node)
            elif (
                file.startswith(TOML_READERS)
                and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("fail", "problem")
            ):
                found += _two_messages(file, node, 2, node.func.attr)
            elif isinstance(node, ast.Call) and _name(node.func) == "Hint":
                found += _two_messages(file, node, 0, "Hint")
            elif (
                file.startswith("cli/")
                and isinstance(node, ast.Call)
                and _name(node.func) in ("Table", "add_column", "print_rows")
            ):
                found += _table_labels(file, node)
            elif (
                file.startswith("cli/")
                and isinstance(node, ast.Call)
                and _name(node.func) in ("echo", "print")
                and node.args
            ):
                text = _text(node.args[0])
                if text is not None and _english_only(text):
                    found.append(Finding(file, node.lineno, f"English-only output: {text!r}"))
    return found


def _pending(finding: Finding) -> bool:
    return finding.file in PENDING or finding.file.startswith(PENDING_FOLDERS)


def test_every_message_a_user_can_cause_is_chinese_first() -> None:
    bad = [f for f in findings() if not _pending(f)]
    assert not bad, "messages without Chinese first:\n" + "\n".join(map(str, bad))


def test_the_pending_files_are_still_pending() -> None:
    """An entry of PENDING whose messages are all Chinese now must go."""
    pending = {f.file for f in findings() if f.file in PENDING}
    assert pending == PENDING, f"remove from PENDING: {sorted(PENDING - pending)}"


def test_the_scan_finds_english_only_messages() -> None:
    source = (
        "from dualrandom.errors import UserError\n"
        "class Custom(UserError): pass\n"
        "def f(x):\n"
        "    raise UserError(f'plan {x} is not loaded')\n"
        "def g(x):\n"
        "    raise Custom(f'计划 {x} 未载入', f'plan {x} is not loaded')\n"
        "def h(x):\n"
        "    raise Custom(f'计划 {x} 未载入')\n"
        "def k():\n"
        "    click.echo(f'Loaded {n} rows')\n"
        "    click.echo(f'已载入 {n} 行 Loaded {n} rows')\n"
        "    click.echo(f'  {a}: {b}')\n"
    )
    toml = (
        "def m(table, located, hint):\n"
        "    table.fail('key', 1, f'unknown key {k!r}{hint}')\n"
        "    table.fail('key', 1, '未知的键')\n"
        "    located.problem(('a',), 1, '不在名录中', 'is not in the registry')\n"
        "    table.fail('key', 1, *reason)\n"
        "    return Hint('; did you mean x?', '')\n"
        "def n():\n"
        "    return Problem('f', 1, 'c', 'v', '中文')\n"
    )
    toml_tree = ast.parse(toml)
    flagged = [
        (f.line, f.what.split(":")[0])
        for node in ast.walk(toml_tree)
        if isinstance(node, ast.Call) and _name(node.func) in ("fail", "problem", "Hint")
        for f in _two_messages("rules/x.py", node, 0 if _name(node.func) == "Hint" else 2, "m")
    ] + [
        (f.line, "Problem")
        for node in ast.walk(toml_tree)
        if isinstance(node, ast.Call) and _name(node.func) == "Problem"
        for f in _problem_has_english("rules/x.py", node)
    ]
    assert sorted(flagged) == [(2, "m"), (2, "m"), (3, "m"), (6, "m"), (8, "Problem")]
    tables = ast.parse(
        "Table('plan', '计划 plan', title=f'by {field}')\n"
        "print_rows(('序号 seq', 'actor'), rows, '审计日志 Audit log')\n"
    )
    labelled = [
        f.what
        for node in ast.walk(tables)
        if isinstance(node, ast.Call)
        for f in _table_labels("cli/x.py", node)
    ]
    assert labelled == [
        "English-only table label: 'plan'",
        "English-only table label: 'by '",
        "English-only table label: 'actor'",
    ]
    tree = ast.parse(source)
    classes = _error_classes([("x.py", tree)])
    assert "Custom" in classes
    raised = [
        f
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
        for f in _check_error("x.py", node.exc, classes, {})
    ]
    assert [(f.line, f.what.split(":")[0]) for f in raised] == [
        (4, "UserError"),
        (4, "UserError"),
        (8, "Custom"),
    ]
    echoed = [
        _english_only(_text(node.args[0]) or "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _name(node.func) == "echo"
    ]
    assert echoed == [True, False, False]
