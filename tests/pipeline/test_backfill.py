"""Backfill over the loopback sandbox: scrape -> ingest per date, one build, resumable after Ctrl-C."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from factories import sandbox_season
from nbaprops.pipeline.backfill import BackfillReport, backfill_range, sandbox_clock_start
from nbaprops.settings import load_settings


@dataclass
class Scenario:
    days: list[date]
    interrupted: bool
    after_interrupt: set[tuple[date, str]]
    resumed: BackfillReport
    again: BackfillReport
    scrape_steps_per_run: list[int]
    summary_rows: int
    backfill_statuses: list[str]


def _scrape_steps(warehouse: Any) -> int:
    return int(warehouse.query_rows("SELECT count(*) FROM run_ledger WHERE step LIKE 'scrape.%'")[0][0])


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """Backfill two dates, Ctrl-C during the second date's ingest, re-run twice."""
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.sandbox_session import sandbox_session
    from nbaprops.raw import ingest
    from nbaprops.warehouse import create_schema, open_warehouse
    from nbaprops.warehouse.ledger import RunLedger

    settings = load_settings(data_dir=tmp_path_factory.mktemp("backfill"), log_level="ERROR")
    season = sandbox_season()
    # Three days: the build needs some players with an earlier game in the range (day 3 has them).
    days = [season.first_date + timedelta(days=i) for i in range(3)]
    real_ingest = ingest.ingest_date

    def ctrl_c_on_second_day(settings: Any, day: date, **kwargs: Any) -> Any:
        if day == days[1]:
            raise KeyboardInterrupt
        return real_ingest(settings, day, **kwargs)

    with (
        sandbox_session(settings, now=sandbox_clock_start(days[-1]), season=season) as session,
        HttpClient.from_settings(session.settings) as http,
    ):
        warehouse = open_warehouse(session.settings)
        create_schema(warehouse)
        lake = open_lake(session.settings)

        def run() -> BackfillReport:
            return backfill_range(
                session.settings,
                days[0],
                days[-1],
                warehouse=warehouse,
                lake=lake,
                http=http,
                alerter=Alerter(warehouse),
                clock=session.clock.now,
            )

        scrapes = []
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ingest, "ingest_date", ctrl_c_on_second_day)
            try:
                run()
                interrupted = False
            except KeyboardInterrupt:
                interrupted = True
        scrapes.append(_scrape_steps(warehouse))
        after = {(d, s) for d, s in warehouse.query_rows("SELECT game_date, stage FROM backfill_progress")}
        resumed = run()
        scrapes.append(_scrape_steps(warehouse))
        again = run()
        scrapes.append(_scrape_steps(warehouse))
        summary_rows = warehouse.row_count("player_game_summary")
        statuses = [e.status for e in reversed(RunLedger(warehouse).recent("backfill"))]
        warehouse.close()
    return Scenario(days, interrupted, after, resumed, again, scrapes, summary_rows, list(statuses))


def test_an_interrupted_run_keeps_only_the_stages_that_finished(scenario: Scenario) -> None:
    d1, d2, _ = scenario.days
    assert scenario.interrupted
    assert scenario.after_interrupt == {(d1, "scrape"), (d1, "ingest"), (d2, "scrape")}
    assert scenario.backfill_statuses[0] == "failed"


def test_the_rerun_does_only_the_rest_then_builds(scenario: Scenario) -> None:
    d1, d2, d3 = scenario.days
    assert scenario.resumed.skipped == [(d1, "scrape"), (d1, "ingest"), (d2, "scrape")]
    assert scenario.resumed.ran == [
        (d2, "ingest"),
        (d3, "scrape"),
        (d3, "ingest"),
        (d1, "build"),
        (d2, "build"),
        (d3, "build"),
    ]
    # Only the third date was scraped: once, the same steps as each earlier date.
    first_run = scenario.scrape_steps_per_run[0]
    assert scenario.scrape_steps_per_run[1] - first_run == first_run // 2
    assert scenario.summary_rows > 0
    assert scenario.backfill_statuses[1:] == ["success", "success"]


def test_a_finished_range_is_not_done_twice(scenario: Scenario) -> None:
    assert scenario.again.ran == []
    assert len(scenario.again.skipped) == 9
    assert scenario.scrape_steps_per_run[2] == scenario.scrape_steps_per_run[1]


def test_the_sandbox_clock_starts_the_morning_after_the_range() -> None:
    from nbaprops.dates import EASTERN

    start = sandbox_clock_start(date(2026, 1, 15))
    assert start.astimezone(EASTERN).isoformat() == "2026-01-16T06:00:00-05:00"


def test_the_command_backfills_from_the_settings_urls_whoever_serves_them(tmp_path: Path) -> None:
    """One path for every server: no flag, no sandbox started; a server speaking the real formats."""
    import json
    import os
    import subprocess
    import sys

    from nbaprops.pipeline.sandbox_session import BASE_URL_SETTINGS, sandbox_session
    from nbaprops.sandbox.server import SANDBOX_BDL_KEY, SANDBOX_ODDS_KEY

    season = sandbox_season()
    days = [season.first_date + timedelta(days=i) for i in range(3)]
    settings = load_settings(data_dir=tmp_path / "server")
    with sandbox_session(settings, now=sandbox_clock_start(days[-1]), season=season) as served:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NBAPROPS_")}
        env |= {f"NBAPROPS_{name.upper()}": served.base_url for name in BASE_URL_SETTINGS}
        env |= {
            "NBAPROPS_DATA_DIR": str(tmp_path / "cli"),
            "NBAPROPS_BDL_API_KEY": SANDBOX_BDL_KEY,
            "NBAPROPS_ODDS_API_KEY": SANDBOX_ODDS_KEY,
            "NBAPROPS_NBACOM_MIN_SPACING_S": "0",
            "NBAPROPS_BDL_MIN_SPACING_S": "0",
        }
        argv = ["backfill", "--from", days[0].isoformat(), "--to", days[-1].isoformat(), "--json"]
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [sys.executable, "-m", "nbaprops", *argv],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env=env,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["failed"] == {}
    assert report["ran"] == 3 * len(days)
    assert report["credits_spent"] > 0
    assert report["credits_by_season"] == {"2025-26": report["credits_spent"]}
