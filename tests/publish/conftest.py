"""The publishing tests and the browser tests share one published demo (``published_demo``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from published_demo import Published, publish_demo

if TYPE_CHECKING:
    from nbaprops.sandbox.model import Season


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, sandbox_season: Season) -> Published:
    """The short demo, run and published once per session."""
    return publish_demo(tmp_path_factory, sandbox_season)
