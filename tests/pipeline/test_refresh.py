"""A pre-game refresh (injuries and lines only, pre-game tables only) against a full rebuild.

The refresh scrapes only what its schedule row names, loads it and rebuilds only D's pre-game
tables, reusing the history-only feature tables when D's targets did not change. For the same
as-of, a full path (every source, ingest, the whole build of D, predict) must give the same
pre-game tables and the same predictions, row for row: what the refresh skips cannot matter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from day_support import VOLATILE, open_runner, shared_prepared_day

from nbaprops.dates import et_datetime
from nbaprops.pipeline.build import POSTGAME_STEPS, TARGETS_ONLY_STEPS, pregame_steps
from nbaprops.pipeline.steps import load_registry
from nbaprops.warehouse.schema import table_spec

PREGAME_TABLES = (
    "injury_status",
    "upcoming_team_game_context",
    "upcoming_player_game_context",
    "player_daily_cache",
    "player_shot_zone_analysis",
    "player_teammate_absence",
    "player_zone_matchup",
    "team_defense_zone_analysis",
    "player_composite_factors",
    "feature_store",
    "predictions",
    "prediction_exclusions",
)
REFRESH_AT = (15, 0)


def _content(warehouse: Any, name: str) -> list[tuple[Any, ...]]:
    columns = [c.name for c in table_spec(name).columns if c.name not in VOLATILE]
    rows = warehouse.query_rows(f"SELECT {', '.join(columns)} FROM {name}")  # noqa: S608 - spec names
    return sorted(rows, key=repr)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """The day up to its 15:00 refresh (morning scrape, load, predict, refresh-15), then the same
    moment again by the full path; yields (runner, {table: (refresh rows, full rows)})."""
    from nbaprops.pipeline.bus import InProcessBus
    from nbaprops.pipeline.day_actions import load, scrape_all
    from nbaprops.pipeline.locks import FileLockStore
    from nbaprops.pipeline.runner import DayRunner
    from nbaprops.pipeline.schedule import schedule_for
    from nbaprops.predict.commands import predict_date

    prepared = shared_prepared_day()
    directory = tmp_path_factory.mktemp("refresh")
    with open_runner(prepared, directory, subscribe=False) as base:
        services = base.services
        morning = ("morning-scrape", "morning-load", "predict", "refresh-15")
        schedule = tuple(s for s in schedule_for(services.settings) if s.step in morning)
        runner = DayRunner(
            services,
            InProcessBus(alerter=services.alerter),
            FileLockStore(directory / "day-locks"),
            base.clock,
            schedule=schedule,
            backoff_s=0.01,
        )
        report = runner.run_day(prepared.day)
        assert report.ok, report.to_dict()
        wh = services.warehouse
        refresh_rows = {name: _content(wh, name) for name in PREGAME_TABLES}

        at = et_datetime(prepared.day, *REFRESH_AT)
        full = replace(services, scrape_parts=())
        base.clock.arrive(at)
        scrape_all(full, prepared.day, at)
        load(full, prepared.day, at)
        predict_date(wh, services.settings, prepared.day, alerter=services.alerter, as_of=at)
        full_rows = {name: _content(wh, name) for name in PREGAME_TABLES}
        yield runner, {name: (refresh_rows[name], full_rows[name]) for name in PREGAME_TABLES}


def test_the_refresh_scrapes_and_builds_only_the_pregame_parts(refreshed: tuple[Any, Any]) -> None:
    runner, _tables = refreshed
    wh = runner.warehouse
    [(started, finished, details)] = wh.query_rows(
        "SELECT started_at, finished_at, details FROM run_ledger WHERE step = 'day.refresh-15'"
    )
    inside = [
        (step, status)
        for step, status in wh.query_rows(
            "SELECT step, status FROM run_ledger WHERE started_at > ? AND finished_at < ? "
            "ORDER BY started_at",
            [started, finished],
        )
    ]
    steps = {step for step, _ in inside}
    assert {"scrape.oddsapi.event_odds", "ingest", "feature_store", "predict", "publish"} <= steps
    assert not steps & {"scrape.nbacom.playbyplay", "scrape.nbacom.playerindex", "scrape.espn.scoreboard"}
    assert not steps & set(POSTGAME_STEPS)
    assert {(s, "skipped") for s in TARGETS_ONLY_STEPS} <= set(inside)  # D's targets did not change
    doc = json.loads(details) if isinstance(details, str) else details
    assert doc["repredicted"] is True  # lines moved since 11:00: the comparison covers a prediction


@pytest.mark.parametrize("table", PREGAME_TABLES)
def test_a_refresh_gives_what_a_full_rebuild_gives_for_the_same_as_of(
    refreshed: tuple[Any, Any], table: str
) -> None:
    _runner, tables = refreshed
    refresh_rows, full_rows = tables[table]
    assert refresh_rows, f"{table} is empty"
    assert refresh_rows == full_rows


def test_every_build_step_is_pregame_or_postgame() -> None:
    """A new build step must be placed: run by a refresh, or left to the box-score build."""
    steps = [s for s in load_registry().order((3, 4)) if s.run is not None]
    pregame = set(pregame_steps())
    assert {s.name for s in steps} == pregame | set(POSTGAME_STEPS)
    assert not pregame & set(POSTGAME_STEPS)
    assert {s.name for s in steps if s.rows_due == "final_games"} <= set(POSTGAME_STEPS)
    assert {s.name for s in steps if s.rows_due == "scheduled_games"} <= pregame
    assert set(TARGETS_ONLY_STEPS) <= pregame
