"""The root command group, shared options and error handling."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import click

from dualrandom.cli import (
    _audit,
    _db,
    _demo,
    _draw,
    _lifecycle,
    _publish,
    _registry,
    _rules,
    _schedule,
    _users,
)
from dualrandom.cli._context import AppContext
from dualrandom.cli._output import print_problems
from dualrandom.errors import DualRandomError, ValidationError


class _Failure(click.ClickException):
    """A dual-random error on the terminal: ``错误：…`` first, then ``Error: …``."""

    def __init__(self, error: DualRandomError) -> None:
        super().__init__(error.english or error.message)
        self.error = error

    def show(self, file: IO[Any] | None = None) -> None:
        lines = [f"错误：{self.error.message}"] if self.error.english else []
        lines.append(f"Error: {self.error.english or self.error.message}")
        click.echo("\n".join(lines), err=True, file=file)


class _Group(click.Group):
    """Turns every dual-random error into ``错误：…`` / ``Error: …`` and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            print_problems(exc.problems)
            raise _Failure(exc) from None
        except DualRandomError as exc:
            raise _Failure(exc) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Configuration file [default: $DUALRANDOM_CONFIG or ./config.toml].",
)
@click.option(
    "--operator",
    metavar="NAME",
    help="Who is acting, as the audit log records it [default: $DUALRANDOM_OPERATOR, "
    "[audit] operator, else the OS account].",
)
@click.version_option(package_name="dual-random")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, operator: str | None) -> None:
    """dual-random: reproducible random-inspection draws (双随机、一公开).

    Keep the item list and the two registries (一单、两库), check the working
    rules (一细则), draw inspection targets and teams so that anyone can
    re-run the draw, and publish the notices (一公开).
    """
    ctx.obj = AppContext(config, operator)
    ctx.call_on_close(ctx.obj.close)


for module in (
    _db,
    _audit,
    _registry,
    _rules,
    _draw,
    _schedule,
    _lifecycle,
    _publish,
    _users,
    _demo,
):
    module.register(cli)


def main() -> None:
    cli(prog_name="dualrandom")
