"""The class tree drawn in the docstring of errors.py is the classes' own."""

from __future__ import annotations

import re

from dualrandom import errors


def _drawn_tree() -> dict[str, str | None]:
    """Class name -> the parent the docstring draws it under."""
    assert errors.__doc__ is not None
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in errors.__doc__.splitlines():
        match = re.match(r"    ((?:[│ ]   )*)(?:[├└]── )?(\w+Error)\b", line)
        if not match:
            continue
        depth = len(match.group(1)) // 4 + (1 if "── " in line else 0)
        del stack[depth:]
        parents[match.group(2)] = stack[-1] if stack else None
        stack.append(match.group(2))
    return parents


def _parent(cls: type) -> str | None:
    bases = [b for b in cls.__bases__ if issubclass(b, errors.DualRandomError)]
    return bases[0].__name__ if bases else None


def test_docstring_tree_matches_the_error_classes() -> None:
    classes = {
        name: getattr(errors, name)
        for name in errors.__all__
        if isinstance(getattr(errors, name), type)
        and issubclass(getattr(errors, name), errors.DualRandomError)
    }
    assert _drawn_tree() == {name: _parent(cls) for name, cls in classes.items()}
