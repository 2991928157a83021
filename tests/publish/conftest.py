"""One scenario database and one published site per backend, shared by a module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dualrandom.app import App
from tests.conftest import BACKENDS
from tests.publish.scenario import build_scenario, database_url, make_app, publish


@dataclass(frozen=True)
class Published:
    app: App
    site: Path
    folder: Path


@pytest.fixture(scope="module", params=BACKENDS)
def published(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Published]:
    folder = tmp_path_factory.mktemp(f"publish-{request.param}")
    with database_url(request.param, folder) as url:
        app = make_app(url, folder)
        build_scenario(app, folder)
        site = publish(app, folder / "site")
        yield Published(app, site, folder)
        app.close()
