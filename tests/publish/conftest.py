"""The publishing tests and the browser tests share one published demo (``published_demo``), served
over loopback, and one headless chromium."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from published_demo import Published, publish_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from nbaprops.sandbox.model import Season

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, sandbox_season: Season) -> Published:
    """The short demo, run and published once per session."""
    return publish_demo(tmp_path_factory, sandbox_season)


@pytest.fixture(scope="session")
def dashboard(published: Published) -> Iterator[str]:
    """The published folder served over loopback by ``publish.serve`` (a real uvicorn); its URL."""
    from nbaprops.publish.serve import make_server

    server = make_server(published.settings, published.folder)
    thread = threading.Thread(target=server.run, name="dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.server.started:
        assert time.monotonic() < deadline, "the dashboard server did not start"
        time.sleep(0.05)
    yield server.url
    server.stop()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium driven by playwright (one per session)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield launched
        launched.close()
