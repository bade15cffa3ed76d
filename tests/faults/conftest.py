"""Fixtures of the fault suite and the outcome table it prints at the end of the session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from faults_world import World
from outcomes import RESULTS, table

from factories import sandbox_season, season_warehouse

BACKFILL_DAYS = 2


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The sandbox league with marker API keys, a finished game day to scrape, and a built range."""
    from nbaprops.dates import et_datetime
    from nbaprops.pipeline.sandbox_session import SandboxSession, pointed_settings
    from nbaprops.sandbox.faults import FaultPlan
    from nbaprops.sandbox.runner import serve_in_thread
    from nbaprops.sandbox.server import SandboxClock, create_app
    from nbaprops.settings import load_settings

    season = sandbox_season()
    built = season_warehouse(BACKFILL_DAYS)
    day = season.first_date
    now = et_datetime(day + timedelta(days=1), 11, 0)
    markers = (f"MARKERbdl{uuid.uuid4().hex}", f"MARKERodds{uuid.uuid4().hex}")
    clock = SandboxClock(now)
    faults = FaultPlan(seed=7, retry_after_s=1, hang_s=30)
    app = create_app(
        season, clock=clock, faults=faults, bdl_key=markers[0], odds_key=markers[1], odds_quota=20_000
    )
    base = load_settings(data_dir=tmp_path_factory.mktemp("faults-world"))
    with serve_in_thread(app) as server:
        settings = pointed_settings(base, server.base_url, bdl_key=markers[0], odds_key=markers[1])
        env = _child_env(settings, markers)
        session = SandboxSession(season, clock, settings, server.base_url)
        yield World(session, faults, markers, day, now, built.start, built.end, env)


def _child_env(settings: Any, markers: tuple[str, str]) -> dict[str, str]:
    from nbaprops.pipeline.sandbox_session import BASE_URL_SETTINGS

    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("NBAPROPS_")}
    env |= {f"NBAPROPS_{name.upper()}": str(getattr(settings, name)) for name in BASE_URL_SETTINGS}
    env |= {
        "NBAPROPS_BDL_API_KEY": markers[0],
        "NBAPROPS_ODDS_API_KEY": markers[1],
        "NBAPROPS_NBACOM_MIN_SPACING_S": "0",
        "NBAPROPS_BDL_MIN_SPACING_S": "0",
        "NBAPROPS_HTTP_BACKOFF_BASE_S": "0.05",
    }
    return env


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the fault suite's outcome table, when fault tests ran."""
    if not RESULTS:
        return
    terminalreporter.section("fault suite outcomes")
    for line in table():
        terminalreporter.write_line(line)
