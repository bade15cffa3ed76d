"""Walk-forward backtest of a sandbox season: archive -> ingest -> build, then ``run_backtest``.

Only the backtest itself is the timed figure (target <= 180 s on 2 cores); the setup is reported
beside it. Prints one JSON line via benchlib.
Run: ``.venv/bin/python bench/bench_backtest.py [--days N] [--warmup-days W]`` (default: the whole
season, predicting from day 15 on).
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


def main() -> None:
    """Run the benchmark and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=None, help="Only the season's first N calendar days.")
    parser.add_argument(
        "--warmup-days", type=int, default=14, help="Days of history before the first prediction."
    )
    args = parser.parse_args()

    import structlog
    from fsspec.implementations.local import LocalFileSystem

    from nbaprops.dates import et_datetime
    from nbaprops.lake import FsspecLake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.backtest import run_backtest
    from nbaprops.pipeline.build import build_range
    from nbaprops.raw.ingest import ingest_from_dir
    from nbaprops.raw.resolve import resolve_identities
    from nbaprops.sandbox.archive import write_archive
    from nbaprops.sandbox.simulator import generate_season
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    clock = time.perf_counter()
    season = generate_season(2025, "2025-26")
    start = season.first_date
    end = season.last_date if args.days is None else start + timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory(prefix="nbaprops-bench-") as tmp:
        settings = load_settings(data_dir=Path(tmp), log_level="ERROR")
        root = Path(tmp) / "lake"
        write_archive(season, FsspecLake(LocalFileSystem(), root.as_posix()), start=start, end=end)
        with DuckDBWarehouse(str(Path(tmp) / "wh.duckdb"), query_timeout_s=600) as warehouse:
            create_schema(warehouse)
            alerter = Alerter(warehouse)
            ingest_from_dir(settings, root, warehouse=warehouse, alerter=alerter)
            resolve_identities(warehouse, alerter)
            build_range(warehouse, start, end, settings=settings, now=et_datetime(end + timedelta(days=1), 6))
            setup = time.perf_counter() - clock
            report = run_backtest(
                warehouse, settings, start + timedelta(days=args.warmup_days), end, alerter=alerter
            )
    by_system = {
        r["system_id"]: {k: r[k] for k in ("n", "mae", "hit_rate", "n_picks", "roi", "ece")}
        for r in report.systems
    }
    emit(
        "backtest_season",
        seconds=round(report.seconds, 2),
        target_seconds=180,
        setup_seconds=round(setup, 2),
        days=report.days,
        predicted_days=report.predicted_days,
        retrains=len(report.retrains),
        graded=report.graded,
        comparison_rows=report.comparison_rows,
        systems=by_system,
    )


if __name__ == "__main__":
    main()
