"""A backfill never marks a date done on rows that were due and missing, and recovers once the source does.

Over the loopback sandbox: the first date's schedule is broken at every source (NBA.com malformed,
Ball Don't Lie and ESPN emptied), and the second date carries the marks an older, too-trusting run
left (scrape and ingest "done" with nothing stored). Three runs: faults on, faults cleared, again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from nbaprops.errors import QualityGateError
from nbaprops.pipeline.backfill import BackfillReport, backfill_range, sandbox_clock_start
from nbaprops.settings import load_settings


@dataclass
class Runs:
    days: list[date]
    reports: list[BackfillReport | None]
    errors: list[str]
    progress: list[set[tuple[date, str]]]
    summary_rows: int
    ledger: list[tuple[str, str, int | None]]


def _progress(warehouse: Any) -> set[tuple[date, str]]:
    return {(d, s) for d, s in warehouse.query_rows("SELECT game_date, stage FROM backfill_progress")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.backfill import ProgressStore
    from nbaprops.pipeline.sandbox_session import sandbox_session
    from nbaprops.sandbox.simulator import generate_season
    from nbaprops.warehouse import create_schema, open_warehouse

    settings = load_settings(data_dir=tmp_path_factory.mktemp("recovery"), log_level="ERROR")
    season = generate_season(2025, "2025-26")
    days = [season.first_date + timedelta(days=i) for i in range(3)]
    with sandbox_session(settings, now=sandbox_clock_start(days[-1]), season=season) as session:
        warehouse = open_warehouse(session.settings)
        create_schema(warehouse)
        lake = open_lake(session.settings)
        faults = f"{session.base_url}/_sandbox/faults"
        for prefix, kind in (
            ("/static/json/staticData/scheduleLeagueV2", "malformed"),
            ("/v1/games", "empty"),
            ("/apis/site/v2/sports/basketball/nba/scoreboard", "empty"),
        ):
            httpx.post(faults, json={"prefix": prefix, "kind": kind}, timeout=5).raise_for_status()
        ProgressStore(warehouse, days[1], days[1], "an-older-run").mark([days[1]], "scrape", 0)
        ProgressStore(warehouse, days[1], days[1], "an-older-run").mark([days[1]], "ingest", 0)
        reports: list[BackfillReport | None] = []
        errors: list[str] = []
        progress: list[set[tuple[date, str]]] = []
        with HttpClient.from_settings(session.settings) as http:
            for attempt in range(3):
                if attempt == 1:
                    httpx.delete(faults, timeout=5).raise_for_status()
                try:
                    reports.append(
                        backfill_range(
                            session.settings,
                            days[0],
                            days[-1],
                            warehouse=warehouse,
                            lake=lake,
                            http=http,
                            alerter=Alerter(warehouse),
                            clock=session.clock.now,
                        )
                    )
                    errors.append("")
                except QualityGateError as exc:
                    reports.append(None)
                    errors.append(str(exc))
                progress.append(_progress(warehouse))
        summary_rows = warehouse.row_count("player_game_summary")
        ledger = [
            (step, status, rows)
            for step, status, rows in warehouse.query_rows(
                "SELECT step, status, rows_out FROM run_ledger WHERE step LIKE 'scrape.%' "
                "AND game_date = ? ORDER BY started_at",
                [days[0]],
            )
        ]
        warehouse.close()
    return Runs(days, reports, errors, progress, summary_rows, ledger)


def test_a_date_without_a_schedule_fails_and_is_not_marked_done(runs: Runs) -> None:
    d1, _, d3 = runs.days
    assert runs.reports[0] is None
    assert f"{d1}: scrape: scrape {d1}: nbacom.schedule" in runs.errors[0]
    assert "schedule" in runs.errors[0]
    assert (d1, "scrape") not in runs.progress[0]
    assert {(d3, "scrape"), (d3, "ingest")} <= runs.progress[0]
    assert not any(stage == "build" for _, stage in runs.progress[0])
    # The emptied fallbacks were failures, not "no games": nothing of d1 succeeded with 0 rows.
    first_run = runs.ledger[
        : next(i for i, r in enumerate(runs.ledger) if r[0] == "scrape.espn.scoreboard") + 1
    ]
    assert [(s, st) for s, st, _ in first_run] == [
        ("scrape.nbacom.schedule", "failed"),
        ("scrape.bdl.games", "failed"),
        ("scrape.espn.scoreboard", "failed"),
    ]


def test_a_date_wrongly_marked_done_is_fetched_again_when_the_build_finds_it_empty(runs: Runs) -> None:
    d1, d2, _ = runs.days
    assert runs.reports[1] is None
    assert f"{d2}: build: build blocked" in runs.errors[1]
    assert (d1, "ingest") in runs.progress[1]
    assert not {(d2, "scrape"), (d2, "ingest")} & runs.progress[1]


def test_the_third_run_recovers_every_date_and_builds(runs: Runs) -> None:
    d1, d2, d3 = runs.days
    final = runs.reports[2]
    assert final is not None
    assert final.failed == {}
    assert (d2, "scrape") in final.ran
    assert (d2, "ingest") in final.ran
    assert {(d, "build") for d in runs.days} <= set(final.ran)
    assert runs.summary_rows > 0
    assert all(
        (d, stage) in runs.progress[2] for d in (d1, d2, d3) for stage in ("scrape", "ingest", "build")
    )
