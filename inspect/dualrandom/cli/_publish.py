"""``dualrandom publish`` and ``dualrandom serve``: the public notice site (一公开)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from dualrandom.app import App
from dualrandom.cli._context import current_actor, pass_app
from dualrandom.config import base_url as checked_base_url
from dualrandom.publish import (
    SITE_TITLE,
    consistent_reads,
    make_server,
    publish_site,
)
from dualrandom.publish.write import human_size


def register(cli: click.Group) -> None:
    cli.add_command(publish)
    cli.add_command(serve)


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Site folder [default: [paths] site, <var>/site].",
)
@click.option(
    "--base-url",
    help="Public address of the site, for the sitemap and the feed [default: [site] base_url] (e.g. https://example.gov.cn/sjsgk/).",
)
@click.option(
    "--title",
    default=SITE_TITLE,
    show_default=True,
    help="Site title, e.g. with the region: 盘锦市“双随机、一公开”信息公示.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Render and write every file anew, instead of keeping the live site's unchanged ones.",
)
@pass_app
def publish(app: App, out: Path | None, base_url: str | None, title: str, full: bool) -> None:
    """Build the public notice site from the database and swap it in atomically.

    Pages whose content did not change since the live site was published are
    kept as they are (not rendered, not written); --full builds everything.
    """
    target, site = out or app.settings.site_dir, app.settings.site
    if base_url is not None:
        site = replace(site, base_url=checked_base_url(base_url, "--base-url"))
    with app.transaction() as session:
        consistent_reads(session)
        report = publish_site(
            session,
            target,
            timezone=app.settings.timezone,
            site=site,
            title=title,
            actor=current_actor(),
            full=full,
        )
    for chinese, english in report.warnings:
        click.echo(f"警告：{chinese}\nWarning: {english}", err=True)
    size = human_size(report.bytes)
    click.echo(
        f"已发布 {report.notices} 份公告和 {report.objects} 个检查对象页面：共 {report.pages} 个页面、"
        f"{report.files} 个文件、{size}，位于 {report.path}\n"
        f"Published {report.notices} notices and {report.objects} object pages: {report.pages} pages, "
        f"{report.files} files, {size} in {report.path}"
    )
    click.echo(
        f"其中 {report.written} 个文件为本次写入，其余沿用现有网站的文件\n"
        f"{report.written} files written; the others kept from the live site as they were"
    )
    click.echo(
        f"SHA256SUMS 摘要 {report.manifest_sha256}（已记入审计日志 recorded in the audit log)"
    )
    if report.checkpoint is not None:
        click.echo(
            f"审计日志检查点 第 {report.checkpoint.size} 条 根哈希 {report.checkpoint.root} "
            f"(audit-log checkpoint, in audit/checkpoint.json and in every page written now)"
        )
    click.echo(f"预览 Preview: dualrandom serve --dir {report.path}")


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Site folder [default: [paths] site, <var>/site].",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@pass_app
def serve(app: App, directory: Path | None, port: int) -> None:
    """Preview the published site on http://127.0.0.1 (this machine only)."""
    server = make_server(directory or app.settings.site_dir, port)
    folder = directory or app.settings.site_dir
    click.echo(
        f"正在 {server.url} 提供 {folder}（按 Ctrl+C 停止）\n"
        f"Serving {folder} at {server.url} (Ctrl+C stops)"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("已停止。Stopped.")
    finally:
        server.server_close()
