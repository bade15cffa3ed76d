"""``nbaprops demo``: the main job on the sandbox league.

Today it covers phase 1 end to end: serve the sandbox, fetch one game day from every source
endpoint through the HTTP client into the lake, check each payload with its parser, record every
step in the run ledger, and print what was stored. Later phases extend the same entry point.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import structlog

from nbaprops.dates import et_datetime, parse_game_date, season_of
from nbaprops.errors import NbaPropsError, QualityGateError

if TYPE_CHECKING:
    from nbaprops.sandbox.model import Season
    from nbaprops.settings import Settings
    from nbaprops.sources.base import Fetched, Fetcher

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class StoredPayload:
    """One line of the demo's report."""

    step: str
    game_date: date | None
    path: str
    size: int
    rows: int
    status: str
    error: str = ""


def _plan(
    fetcher: Fetcher, settings: Settings, season: Season, day: date
) -> list[tuple[str, date | None, Callable[[], list[Fetched]]]]:
    """Every endpoint, for the demo day (pre-tip data) or the day before (finished games)."""
    from nbaprops.sources import balldontlie, espn, injury_report, nbacom
    from nbaprops.sources.oddsapi import OddsScraper

    odds = OddsScraper(fetcher, settings)
    yesterday = day - timedelta(days=1)
    now = et_datetime(day, 11, 0)
    finished = [g.game_id for g in season.games_by_date.get(yesterday, [])][:2]
    upcoming = season.games_by_date.get(day, [])
    before_yesterday_tips = et_datetime(yesterday, 12, 0)
    past_event = (
        season.games_by_date[yesterday][0].odds_event_id if yesterday in season.games_by_date else None
    )

    def events_and_odds() -> list[Fetched]:
        listed = odds.events(day)
        return [listed, *(odds.event_odds(day, g.odds_event_id) for g in upcoming[:3])]

    def historical() -> list[Fetched]:
        snapshots = [odds.historical_events(yesterday, before_yesterday_tips)]
        if past_event is not None:
            snapshots.append(odds.historical_event_odds(yesterday, past_event, before_yesterday_tips))
        return snapshots

    return [
        ("nbacom.schedule", None, lambda: [nbacom.fetch_schedule(fetcher)]),
        ("nbacom.leaguegamelog", yesterday, lambda: [nbacom.fetch_gamelog(fetcher, yesterday)]),
        ("nbacom.scoreboardv2", yesterday, lambda: [nbacom.fetch_scoreboard(fetcher, yesterday)]),
        ("nbacom.playerindex", None, lambda: [nbacom.fetch_player_index(fetcher, season_of(day))]),
        ("nbacom.playbyplay", yesterday, lambda: nbacom.fetch_play_by_play(fetcher, yesterday, finished)),
        ("nbacom.injury_report", day, lambda: [injury_report.fetch_latest_report(fetcher, day, now)]),
        ("bdl.games", day, lambda: balldontlie.fetch_games(fetcher, day)),
        ("bdl.box_scores", yesterday, lambda: [balldontlie.fetch_box_scores(fetcher, yesterday)]),
        ("bdl.player_injuries", day, lambda: balldontlie.fetch_injuries(fetcher, day)),
        ("bdl.players_active", None, lambda: balldontlie.fetch_active_players(fetcher)),
        ("bdl.teams", None, lambda: [balldontlie.fetch_teams(fetcher)]),
        ("oddsapi.events+odds", day, events_and_odds),
        ("oddsapi.historical", yesterday, historical),
        ("espn.scoreboard", yesterday, lambda: [espn.fetch_scoreboard(fetcher, yesterday)]),
    ]


def _parsed_rows(fetched: Fetched) -> int | None:
    """Rows the payload's parser finds; None when no parser exists for the kind yet."""
    from nbaprops.raw.registry import maybe_gunzip, parsers

    spec = parsers().get(fetched.endpoint.kind)
    if spec is None:
        return None
    return len(spec.parse(maybe_gunzip(fetched.response.content)))


def fetch_day(settings: Settings, season: Season, day: date) -> list[StoredPayload]:
    """Fetch every endpoint for ``day`` through the sandbox-pointed ``settings``; one ledger row each."""
    from nbaprops.http import HttpClient
    from nbaprops.lake import open_lake
    from nbaprops.sources.base import Fetcher
    from nbaprops.warehouse import create_schema, open_warehouse
    from nbaprops.warehouse.ledger import RunLedger

    warehouse = open_warehouse(settings)
    create_schema(warehouse)
    ledger = RunLedger(warehouse)
    report: list[StoredPayload] = []
    try:
        with HttpClient.from_settings(settings) as http:
            fetcher = Fetcher(settings, http, open_lake(settings))
            for step, step_date, action in _plan(fetcher, settings, season, day):
                try:
                    with ledger.step(f"scrape.{step}", game_date=step_date) as run:
                        fetched = action()
                        counts = [_parsed_rows(f) for f in fetched]
                        run.rows_out = sum(c or 0 for c in counts)
                        if not fetched:
                            raise QualityGateError(f"{step}: nothing fetched")
                except NbaPropsError as exc:
                    report.append(StoredPayload(step, step_date, "-", 0, 0, "failed", str(exc)))
                    continue
                report += [
                    StoredPayload(
                        step, step_date, f.obj.path, f.obj.size, c or 0, "ok" if c is not None else "stored"
                    )
                    for f, c in zip(fetched, counts, strict=True)
                ]
    finally:
        warehouse.close()
    return report


def print_report(report: list[StoredPayload], lake_url: str, day: date) -> None:
    """A table of what was stored, for a person at a terminal."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"nbaprops demo: sandbox game day {day} -> lake {lake_url}")
    for column in ("step", "date", "lake path", "bytes", "rows", "status"):
        table.add_column(column, justify="right" if column in ("bytes", "rows") else "left")
    for item in report:
        table.add_row(
            item.step,
            str(item.game_date or ""),
            item.path,
            f"{item.size:,}",
            str(item.rows),
            item.status if not item.error else f"{item.status}: {item.error}",
        )
    Console(file=sys.stdout, width=200).print(table)


def run_demo(settings: Settings, date_text: str | None) -> list[StoredPayload]:
    """Serve the sandbox, fetch one game day from every source, print the report.

    Raises ``QualityGateError`` when any step failed, after printing what did succeed.
    """
    from nbaprops.logs import configure_logging
    from nbaprops.pipeline.sandbox_session import default_demo_date, sandbox_session
    from nbaprops.sandbox.simulator import generate_season

    configure_logging(settings)
    season = generate_season(settings.sandbox_seed, settings.sandbox_season)
    day = parse_game_date(date_text) if date_text else default_demo_date(season)
    with sandbox_session(settings, day=day) as session:
        report = fetch_day(session.settings, session.season, day)
    print_report(report, settings.resolved_lake_url, day)
    failed = [r for r in report if r.status == "failed"]
    if failed:
        raise QualityGateError(
            f"{len(failed)} of {len(report)} demo steps failed: "
            + "; ".join(f"{r.step}: {r.error}" for r in failed)
        )
    return report
