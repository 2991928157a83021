"""How commands get the App (built lazily, so ``--help`` never opens a database)
and the actor they record in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import click

from dualrandom.app import App
from dualrandom.audit import actor_name, os_user
from dualrandom.config import Settings, load_settings

P = ParamSpec("P")
R = TypeVar("R")


class AppContext:
    def __init__(self, config: Path | None, operator: str | None = None) -> None:
        self.config = config
        self.operator = operator
        self._settings: Settings | None = None
        self._app: App | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    @property
    def app(self) -> App:
        if self._app is None:
            self._app = App.from_settings(self.settings)
        return self._app

    @property
    def actor(self) -> str:
        """Who this command acts as: ``--operator``, ``$DUALRANDOM_OPERATOR``,
        ``[audit] operator``, else the OS account running it."""
        if self.operator is not None:  # given, even empty: checked, never passed over
            return actor_name(self.operator)
        return actor_name(self.settings.operator or os_user())

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


def pass_app(f: Callable[Concatenate[App, P], R]) -> Callable[P, R]:
    """Decorator: call the command with the App as its first argument."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return f(click.get_current_context().find_object(AppContext).app, *args, **kwargs)  # type: ignore[union-attr]

    return update_wrapper(wrapper, f)


def current_actor() -> str:
    """The actor of the running command (see :attr:`AppContext.actor`)."""
    context = click.get_current_context().find_object(AppContext)
    assert context is not None
    return context.actor
