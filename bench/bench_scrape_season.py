"""Scrape a whole sandbox season's history over loopback: requests, Odds API credits, seconds, bytes.

The history a backfill needs: the schedule, the whole season's player game log in one
``leaguegamelog`` call, one injury report per game date, and for every game its pre-tip odds
(one historical events snapshot per date, then each event's lines 30 minutes before tip). The
sandbox's clock sits after the last game; the Odds API quota and the run's credit budget are raised
so the season fits (about 30 credits per game).

    .venv/bin/python bench/bench_scrape_season.py [--dates N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import emit
from nbaprops.dates import et_datetime, season_of
from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.pipeline.sandbox_session import pointed_settings
from nbaprops.sandbox.faults import FaultPlan
from nbaprops.sandbox.runner import serve_in_thread
from nbaprops.sandbox.server import SANDBOX_BDL_KEY, SANDBOX_ODDS_KEY, SandboxClock, create_app
from nbaprops.sandbox.simulator import generate_season
from nbaprops.settings import load_settings
from nbaprops.sources import injury_report, nbacom
from nbaprops.sources.base import Fetcher
from nbaprops.sources.oddsapi import OddsScraper

QUOTA = 200_000
PRE_TIP = timedelta(minutes=30)


def main() -> None:
    """Run the backfill and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dates", type=int, default=0, help="Only the first N game dates (0: all).")
    args = parser.parse_args()
    settings = load_settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-scrape-")))
    season = generate_season(settings.sandbox_seed, settings.sandbox_season)
    dates = sorted(season.games_by_date)[: args.dates or None]
    clock = SandboxClock(et_datetime(season.last_date + timedelta(days=1), 12, 0))
    app = create_app(
        season,
        clock=clock,
        faults=FaultPlan(),
        bdl_key=SANDBOX_BDL_KEY,
        odds_key=SANDBOX_ODDS_KEY,
        odds_quota=QUOTA,
    )
    requests = payload_bytes = 0
    with serve_in_thread(app) as server:
        pointed = pointed_settings(
            settings, server.base_url, bdl_key=SANDBOX_BDL_KEY, odds_key=SANDBOX_ODDS_KEY
        )
        pointed = pointed.model_copy(update={"odds_credit_budget": QUOTA})
        started = time.perf_counter()
        with HttpClient.from_settings(pointed) as http:
            fetcher = Fetcher(pointed, http, open_lake(pointed))
            odds = OddsScraper(fetcher, pointed)
            stored = [nbacom.fetch_schedule(fetcher)]
            whole = nbacom.gamelog_params(season_of(dates[0]))
            stored.append(fetcher.fetch(nbacom.GAMELOG, game_date=None, params=whole))
            reports = 0
            for day in dates:
                report = injury_report.fetch_latest_report(fetcher, day, et_datetime(day, 17, 0))
                requests += report.response.attempts  # 403 probes are not counted here
                stored.append(report)
                reports += 1
                games = season.games_by_date[day]
                first_tip = min(g.tip_utc for g in games)
                stored.append(odds.historical_events(day, first_tip - PRE_TIP))
                stored += [
                    odds.historical_event_odds(day, g.odds_event_id, g.tip_utc - PRE_TIP) for g in games
                ]
        seconds = time.perf_counter() - started
    requests += sum(f.response.attempts for f in stored if f.endpoint is not injury_report.REPORT)
    payload_bytes = sum(f.obj.size for f in stored)
    emit(
        "scrape_season",
        game_dates=len(dates),
        games=sum(len(season.games_by_date[d]) for d in dates),
        requests_stored=requests,
        injury_reports=reports,
        credits=odds.meter.spent,
        seconds=round(seconds, 2),
        payload_bytes=payload_bytes,
        requests_per_s=round(requests / seconds, 1),
    )


if __name__ == "__main__":
    main()
