"""Backfill N game dates from the sandbox over loopback: seconds per date, Odds API credits, degraded dates.

The production path of ``nbaprops backfill --sandbox``: ``backfill_range`` with the sandbox's clock
the morning after the range, each date scraped once (``use="history"``: every fact, the configured
odds snapshots) and ingested, then one build. ``--real-spacing`` keeps the settings' spacing between
calls to NBA.com (0.6 s) and Ball Don't Lie (1.0 s), as against the real hosts; without it the
loopback server is hit as fast as it answers. ``--faults`` passes sandbox fault rates (e.g.
``not_found=0.02``) to see what degraded dates cost.

    .venv/bin/python bench/bench_backfill.py [--dates N] [--real-spacing] [--faults TEXT]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import emit
from nbaprops.errors import QualityGateError
from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.logs import configure_logging
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.backfill import BackfillReport, backfill_range, sandbox_clock_start
from nbaprops.pipeline.sandbox_session import sandbox_session
from nbaprops.sandbox.simulator import generate_season
from nbaprops.settings import load_settings
from nbaprops.warehouse import create_schema, open_warehouse

START_OFFSET = 30  # days into the season: a mid-November week, full slates


def main() -> None:
    """Backfill the dates and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dates", type=int, default=7, help="Consecutive dates to backfill.")
    parser.add_argument("--real-spacing", action="store_true", help="Keep NBA.com/BDL spacing.")
    parser.add_argument("--faults", default="", help="Sandbox fault rates, e.g. not_found=0.02.")
    args = parser.parse_args()
    settings = load_settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-backfill-")), log_level="WARNING")
    configure_logging(settings)
    season = generate_season(settings.sandbox_seed, settings.sandbox_season)
    first = season.first_date + timedelta(days=START_OFFSET)
    last = first + timedelta(days=args.dates - 1)
    warehouse = open_warehouse(settings)
    create_schema(warehouse)
    with sandbox_session(
        settings, now=sandbox_clock_start(last), season=season, faults=args.faults, odds_quota=200_000
    ) as session:
        pointed = session.settings
        if args.real_spacing:
            pointed = pointed.model_copy(
                update={
                    "nbacom_min_spacing_s": settings.nbacom_min_spacing_s,
                    "bdl_min_spacing_s": settings.bdl_min_spacing_s,
                }
            )
        started = time.perf_counter()
        with HttpClient.from_settings(pointed) as http:
            try:
                report = backfill_range(
                    pointed,
                    first,
                    last,
                    warehouse=warehouse,
                    lake=open_lake(pointed),
                    http=http,
                    alerter=Alerter(warehouse),
                    clock=session.clock.now,
                )
                failed: dict[str, str] = {}
            except QualityGateError as exc:
                report = BackfillReport(first, last)
                failed = {"error": str(exc)[:300]}
        seconds = time.perf_counter() - started
    warehouse.close()
    per_date = list(report.seconds.values())
    games = sum(len(season.games_by_date.get(first + timedelta(days=i), ())) for i in range(args.dates))
    emit(
        "backfill",
        dates=args.dates,
        games=games,
        real_spacing=args.real_spacing,
        faults=args.faults,
        seconds_total=round(seconds, 1),
        scrape_seconds_per_date_median=round(statistics.median(per_date), 2) if per_date else None,
        scrape_seconds_per_date_max=round(max(per_date), 2) if per_date else None,
        credits=sum(report.credits.values()),
        credits_per_game=round(sum(report.credits.values()) / games, 1) if games else None,
        degraded_dates={d.isoformat(): facts for d, facts in report.degraded.items()},
        failed=failed or {d.isoformat(): why[:200] for d, why in report.failed.items()},
    )


if __name__ == "__main__":
    main()
