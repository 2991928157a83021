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
    url = app.engine.url.render_as_string(hide_password=True)
    click.echo(f"数据库已就绪 Database ready: {url}")


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
@pass_app
def upgrade(app: App) -> None:
    """Migrate the schema to the newest revision (Alembic)."""
    app.upgrade()
    click.echo("数据库结构已是最新版本。Schema is at the newest revision.")
