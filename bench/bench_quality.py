"""Overhead of the data-quality checks per daily run (target: <= 1 s).

Builds the sandbox season's first ``--days`` days the real way (archive -> ingest -> build, not
timed), then times ``run_checks`` for the last built date: the first call in a fresh process (rules
compiled from BigQuery SQL by sqlglot) and the median of ``--repeat`` further calls (what the build's
quality step adds to a daily run once the process is warm).
Run: ``.venv/bin/python bench/bench_quality.py [--days 30] [--repeat 5]``.
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


def main() -> None:
    """Run the benchmark and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30, help="Calendar days of the season to build first.")
    parser.add_argument("--repeat", type=int, default=5, help="Warm runs to time after the first.")
    args = parser.parse_args()

    import structlog
    from fsspec.implementations.local import LocalFileSystem

    from nbaprops.lake import FsspecLake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.build import build_range
    from nbaprops.raw.ingest import ingest_from_dir
    from nbaprops.raw.resolve import resolve_identities
    from nbaprops.sandbox.archive import write_archive
    from nbaprops.sandbox.simulator import generate_season
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    season = generate_season(2025, "2025-26")
    start = season.first_date
    end = start + timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory(prefix="nbaprops-bench-") as tmp:
        root = Path(tmp) / "lake"
        write_archive(season, FsspecLake(LocalFileSystem(), root.as_posix()), start=start, end=end)
        with DuckDBWarehouse(str(Path(tmp) / "wh.duckdb"), query_timeout_s=600) as warehouse:
            create_schema(warehouse)
            alerter = Alerter(warehouse)
            ingest_from_dir(load_settings(), root, warehouse=warehouse, alerter=alerter)
            resolve_identities(warehouse, alerter)
            build = build_range(warehouse, start, end, alerter=alerter, settings=load_settings())
            in_build = [s.seconds for s in build.steps if s.name == "quality"]
            from nbaprops.ops.quality import _compiled, run_checks

            _compiled.clear()  # the build compiled the rules already: time a cold first call too
            clock = time.perf_counter()
            first = run_checks(warehouse, end, alerter)
            cold = time.perf_counter() - clock
            warm = []
            for _ in range(args.repeat):
                clock = time.perf_counter()
                run_checks(warehouse, end, alerter)
                warm.append(time.perf_counter() - clock)
    emit(
        "quality",
        figure="quality_checks_seconds_per_daily_run",
        value=round(statistics.median(warm), 3),
        unit="s",
        cold_first_call_s=round(cold, 3),
        warm_runs_s=[round(w, 3) for w in warm],
        build_quality_step_s=round(in_build[0], 3) if in_build else None,
        rules=len(first.results),
        failed_errors=len(first.failed_errors),
        failed_warnings=len(first.failed_warnings),
        params={"start": start.isoformat(), "end": end.isoformat(), "repeat": args.repeat},
    )


if __name__ == "__main__":
    main()
