"""``dualrandom init`` and ``dualrandom db upgrade``."""

from __future__ import annotations

import click

from dualrandom.app import App
from dualrandom.cli._context import pass_app


def register(cli: click.Group) -> None:
    cli.add_command(init)
    cli.add_command(db)


@click.command()
@pass_app
def init(app: App) -> None:
    """Create the database named by the configuration, or migrate it."""
    app.upgrade()
    click.echo(f"Database ready: {app.engine.url.render_as_string(hide_password=True)}")


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
@pass_app
def upgrade(app: App) -> None:
    """Migrate the schema to the newest revision (Alembic)."""
    app.upgrade()
    click.echo("Schema is at the newest revision.")
