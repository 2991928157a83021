"""The browser suite: Debian's Chromium driven by Playwright, axe-core, the Nu checker.

It needs /usr/bin/chromium, Playwright for Python, Java and the npm packages
of this folder (``npm ci``). Without them the suite is skipped, saying what
is missing; with ``DUALRANDOM_REQUIRE_BROWSER=1`` (set by .ci/run, which
installs them) a missing tool fails the run instead, so CI can never pass
without having run it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dualrandom.app import App
from dualrandom.publish import make_server
from tests.publish.scenario import build_scenario, database_url, make_app, publish

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
VNU = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
REQUIRED = os.environ.get("DUALRANDOM_REQUIRE_BROWSER") == "1"


def missing_tools() -> list[str]:
    missing = []
    if not CHROMIUM.is_file():
        missing.append("/usr/bin/chromium (apt-get install -y chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("Playwright for Python (pip install -e '.[dev]')")
    if shutil.which("java") is None:
        missing.append("java")
    if not AXE.is_file() or not VNU.is_file():
        missing.append("axe-core and vnu-jar (cd tests/browser && npm ci --ignore-scripts)")
    return missing


@pytest.fixture(scope="session")
def tools() -> None:
    missing = missing_tools()
    if missing and REQUIRED:
        pytest.fail(f"DUALRANDOM_REQUIRE_BROWSER=1 but missing: {'; '.join(missing)}")
    if missing:
        pytest.skip(f"browser suite needs: {'; '.join(missing)}")


@dataclass(frozen=True)
class Site:
    app: App
    path: Path
    url: str


@pytest.fixture(scope="session")
def site(tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser-site")
    with database_url("sqlite", folder) as url:
        app = make_app(url, folder)
        build_scenario(app, folder)
        path = publish(app, folder / "site")
        server = make_server(path, 0, quiet=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Site(app, path, server.url)
        finally:
            server.shutdown()
            server.server_close()
            app.close()


@pytest.fixture(scope="session")
def browser(tools: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $DUALRANDOM_SCREENSHOTS, else the pytest temporary folder."""
    chosen = os.environ.get("DUALRANDOM_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
