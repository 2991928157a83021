"""How commands get the App: built lazily, so ``--help`` never opens a database."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import click

from dualrandom.app import App

P = ParamSpec("P")
R = TypeVar("R")


class AppContext:
    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._app: App | None = None

    @property
    def app(self) -> App:
        if self._app is None:
            self._app = App.from_config(self.config)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


def pass_app(f: Callable[Concatenate[App, P], R]) -> Callable[P, R]:
    """Decorator: call the command with the App as its first argument."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return f(click.get_current_context().find_object(AppContext).app, *args, **kwargs)  # type: ignore[union-attr]

    return update_wrapper(wrapper, f)
