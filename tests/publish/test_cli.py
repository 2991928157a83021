"""``dualrandom publish``, ``dualrandom serve`` and the demo's last step."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dualrandom.cli._main import cli
from dualrandom.errors import UserError
from dualrandom.publish import make_server
from dualrandom.publish.serve import PreviewServer
from tests.conftest import REPO
from tests.publish.conftest import Published
from tests.publish.html import parse, text


def _invoke(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args])
    return result.exit_code, result.output


def test_publish_writes_the_site_and_says_how_to_preview_it(published: Published) -> None:
    config = published.folder / "config.toml"
    code, out = _invoke(config, "publish", "--out", str(published.folder / "cli-site"))
    assert code == 0, out
    assert (
        "Published 15 notices" in out
        and f"dualrandom serve --dir {published.folder / 'cli-site'}" in out
    )
    code, out = _invoke(config, "publish")
    assert code == 0 and (published.folder / "var" / "site" / "index.html").is_file(), out


def test_publish_with_a_base_url_writes_absolute_sitemap_links(published: Published) -> None:
    config, out_dir = published.folder / "config.toml", published.folder / "based"
    code, out = _invoke(
        config, "publish", "--out", str(out_dir), "--base-url", "https://example.gov.cn/sjsgk"
    )
    assert code == 0, out
    sitemap = (out_dir / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.gov.cn/sjsgk/index.html</loc>" in sitemap


@pytest.mark.parametrize("url", ["ftp://example.gov.cn/", "example.gov.cn", "https://x/?a=1"])
def test_a_bad_base_url_is_one_error_line(published: Published, url: str) -> None:
    code, out = _invoke(
        published.folder / "config.toml",
        "publish",
        "--out",
        str(published.folder / "x"),
        "--base-url",
        url,
    )
    assert code == 1 and not (published.folder / "x").exists()
    assert out.splitlines()[0].startswith("错误：--base-url")
    assert out.splitlines()[1].startswith("Error: --base-url")


def test_serve_refuses_a_folder_without_a_site(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite3"}"\n', encoding="utf-8"
    )
    code, out = _invoke(config, "serve", "--dir", str(tmp_path))
    assert code == 1 and "has no index.html; run 'dualrandom publish' first" in out


@pytest.fixture
def server(published: Published) -> Iterator[PreviewServer]:
    preview = make_server(published.site, 0, quiet=True)
    thread = threading.Thread(target=preview.serve_forever, daemon=True)
    thread.start()
    yield preview
    preview.shutdown()
    preview.server_close()


def test_preview_server_listens_on_loopback_only_with_safe_headers(server: PreviewServer) -> None:
    assert server.server_address[0] == "127.0.0.1"
    with urllib.request.urlopen(server.url + "index.html") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    with urllib.request.urlopen(server.url + "feed.xml") as response:
        assert response.headers["Content-Type"] == "application/atom+xml"
    with urllib.request.urlopen(server.url + "draws/2027-Q2/1/objects.csv") as response:
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_make_server_names_a_busy_port(published: Published, server: PreviewServer) -> None:
    with pytest.raises(UserError, match="try another --port"):
        make_server(published.site, server.server_address[1])


@pytest.mark.slow  # the whole demo, about 13 s: CI only
def test_demo_ends_with_a_published_site_and_the_serve_command(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[paths]\nregistries = "{(REPO / "registries").as_posix()}"\nrules = "{(REPO / "rules").as_posix()}"\nvar = "var"\n',
        encoding="utf-8",
    )
    code, out = _invoke(config, "demo")
    assert code == 0, out
    site = tmp_path / "var" / "demo" / "site"
    assert (site / "index.html").is_file()
    assert out.rstrip().splitlines()[-1].endswith(f"serve --dir {site}")


def test_the_site_title_names_the_region(published: Published) -> None:
    config, out_dir = published.folder / "config.toml", published.folder / "titled"
    code, out = _invoke(
        config, "publish", "--out", str(out_dir), "--title", "盘锦市“双随机、一公开”信息公示"
    )
    assert code == 0, out
    tree = parse(out_dir / "index.html")
    assert text(tree.find(".//h1")) == "盘锦市“双随机、一公开”信息公示"  # type: ignore[arg-type]
    code, out = _invoke(config, "publish", "--out", str(out_dir), "--title", " ")
    assert code == 1 and out.startswith("错误：--title ' ' 应为 1 至 100 个字符\nError: --title")


def test_publish_without_out_writes_to_the_configured_site_folder(published: Published) -> None:
    config = published.folder / "config-site.toml"
    text = (published.folder / "config.toml").read_text(encoding="utf-8")
    config.write_text(text.replace("[paths]\n", '[paths]\nsite = "public/sjsgk"\n'), encoding="utf-8")
    code, out = _invoke(config, "publish")
    assert code == 0, out
    assert (published.folder / "public" / "sjsgk" / "index.html").is_file()
    assert f"in {published.folder / 'public' / 'sjsgk'}" in out


def test_the_configured_address_gives_the_sitemap_and_publishing_without_one_warns(
    published: Published,
) -> None:
    text = (published.folder / "config.toml").read_text(encoding="utf-8")
    config = published.folder / "config-address.toml"
    config.write_text(text + '[site]\nbase_url = "https://example.gov.cn/sjsgk"\n', encoding="utf-8")
    code, out = _invoke(config, "publish", "--out", str(published.folder / "addressed"))
    assert code == 0 and "警告" not in out and "Warning" not in out, out
    sitemap = (published.folder / "addressed" / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.gov.cn/sjsgk/index.html</loc>" in sitemap
    code, out = _invoke(
        published.folder / "config.toml", "publish", "--out", str(published.folder / "unaddressed")
    )
    assert code == 0 and not (published.folder / "unaddressed" / "sitemap.xml").exists()
    lines = out.splitlines()
    warned = next(i for i, line in enumerate(lines) if line.startswith("警告："))
    assert "[site] base_url" in lines[warned] and "sitemap.xml" in lines[warned]
    assert lines[warned + 1].startswith("Warning: ") and "sitemap.xml" in lines[warned + 1]
