"""Scrape a whole sandbox season's history over loopback: requests, Odds API credits, seconds, bytes.

The history a backfill needs beside box scores: the schedule, the whole season's player game log in
one ``leaguegamelog`` call, the injury report a prediction at ``NBAPROPS_PREDICTION_TIME_ET`` could
read (at most ``injury_report.MAX_PROBES`` names per date, every probe counted), and the odds of
every game through the production path (``scrape_source(..., "oddsapi", use="history")``): one
historical events snapshot per date, then each game's lines at every configured snapshot
(``NBAPROPS_ODDS_SNAPSHOTS``), a snapshot the lake already holds never bought again. The sandbox's
clock sits after the last game; the Odds API quota is raised so the season fits.

    .venv/bin/python bench/bench_scrape_season.py [--dates N] [--snapshots opening,prediction,pretip]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import emit
from nbaprops.dates import et_datetime, season_of
from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.logs import configure_logging
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.sandbox_session import sandbox_session
from nbaprops.sandbox.simulator import generate_season
from nbaprops.settings import load_settings
from nbaprops.sources import injury_report, nbacom
from nbaprops.sources.base import Fetcher
from nbaprops.sources.daily import scrape_source
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

QUOTA = 400_000


def main() -> None:
    """Run the history scrape and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dates", type=int, default=0, help="Only the first N game dates (0: all).")
    parser.add_argument("--snapshots", default="opening,prediction,pretip", help="NBAPROPS_ODDS_SNAPSHOTS.")
    args = parser.parse_args()
    settings = load_settings(
        data_dir=Path(tempfile.mkdtemp(prefix="bench-scrape-")),
        log_level="ERROR",
        odds_snapshots=args.snapshots,
        odds_credit_budget=QUOTA,
    )
    configure_logging(settings)
    season = generate_season(settings.sandbox_seed, settings.sandbox_season)
    dates = sorted(season.games_by_date)[: args.dates or None]
    after = et_datetime(season.last_date + timedelta(days=1), 12, 0)
    warehouse = DuckDBWarehouse(":memory:", query_timeout_s=60)
    create_schema(warehouse)
    credits = requests = probes = reports = 0
    with sandbox_session(settings, now=after, season=season, odds_quota=QUOTA) as session:
        pointed = session.settings
        lake = open_lake(pointed)
        started = time.perf_counter()
        with HttpClient.from_settings(pointed) as http:
            fetcher = Fetcher(pointed, http, lake)
            nbacom.fetch_schedule(fetcher)
            fetcher.fetch(nbacom.GAMELOG, game_date=None, params=nbacom.gamelog_params(season_of(dates[0])))
            requests += 2
            for day in dates:
                tried, found = _injury_report(fetcher, day, pointed.prediction_as_of(day))
                probes += tried
                reports += found
                report = scrape_source(
                    pointed,
                    "oddsapi",
                    day,
                    http=http,
                    lake=lake,
                    ledger=RunLedger(warehouse),
                    alerter=Alerter(warehouse),
                    warehouse=warehouse,
                    now=after,
                    use="history",
                )
                credits += report.credits_spent
                requests += sum(len(s.lake_paths) for s in report.steps if s.step != "oddsapi.game_lines")
        seconds = time.perf_counter() - started
    emit(
        "scrape_season",
        game_dates=len(dates),
        games=sum(len(season.games_by_date[d]) for d in dates),
        odds_snapshots=args.snapshots,
        requests_stored=requests + reports,
        injury_reports=reports,
        injury_probes=probes,
        credits=credits,
        seconds=round(seconds, 2),
        payload_bytes=sum(o.size for o in lake.list()),
    )


def _injury_report(fetcher: Fetcher, day: date, as_of: datetime) -> tuple[int, int]:
    """(names probed, reports found) for the report a prediction at ``as_of`` could read."""
    names = [injury_report.report_filename(t) for t in injury_report.candidate_times(day, as_of)]
    try:
        found = injury_report.fetch_latest_report(fetcher, day, as_of)
    except injury_report.ReportNotFound:
        return len(names), 0
    return names.index(found.response.url_redacted.rsplit("/", 1)[-1]) + 1, 1


if __name__ == "__main__":
    main()
