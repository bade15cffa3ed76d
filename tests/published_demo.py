"""One short demo, published: its history, a three-day backtest, the demo date predicted and the day
before graded, both dates published. The publishing tests and the dashboard's browser tests share it
(``tests/publish/conftest.py`` runs it once per session)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from nbaprops.pipeline.demo import DemoReport
    from nbaprops.sandbox.model import Season
    from nbaprops.settings import Settings


@dataclass(frozen=True)
class Published:
    """The demo's settings and report, and where its files went."""

    settings: Settings
    report: DemoReport
    day: date
    graded_day: date
    folder: Path  # <lake>/publish


_ONCE: dict[str, Published] = {}
"""The one demo of this test process: the publishing, dashboard and service tests all read it."""


def publish_demo(tmp_path_factory: pytest.TempPathFactory, sandbox_season: Season) -> Published:
    """A demo on a short stretch of the sandbox season, published (about 40 s, once per process)."""
    if "demo" in _ONCE:
        return _ONCE["demo"]
    from nbaprops.logs import reset_logging
    from nbaprops.pipeline.demo import WARMUP_DAYS, run_demo
    from nbaprops.settings import load_settings

    root = tmp_path_factory.mktemp("published")
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.upper().startswith("NBAPROPS_"):
                patch.delenv(key)
        settings = load_settings(data_dir=root)
        day = sorted(sandbox_season.games_by_date)[WARMUP_DAYS + 3]
        report = run_demo(settings, day.isoformat())
    reset_logging()
    assert report.graded_day is not None
    _ONCE["demo"] = Published(settings, report, day, report.graded_day, root / "lake" / "publish")
    return _ONCE["demo"]
