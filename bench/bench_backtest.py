"""Walk-forward backtest of a sandbox season: archive -> ingest -> build, then ``run_backtest``.

Only the backtest itself is the timed figure (target <= 180 s on 2 cores); the setup (season,
archive, ingest, identities, build) is reported beside it. Prints one JSON line via benchlib with
every system's walk-forward metrics beside the two references (``last5_avg``, ``book_line``), all
on the same comparison rows (N).
The ``headline`` figures are ``grade.scorecard``'s (MAE minus the line's with its interval, hit rate
with its Wilson interval, ROI, Brier skill, equal-mass ECE, CLV, daily exposure).
Run: ``.venv/bin/python bench/bench_backtest.py [--days N] [--warmup-days W] [--built PATH]
[--report PATH] [--seed S]`` (default: the whole season of sandbox seed 2025, predicting from day 15
on). ``--built PATH`` keeps the built warehouse at PATH and reuses it on the next run with the same
``--days`` and ``--seed`` (setup then reports the copy only).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import emit


def main() -> None:
    """Run the benchmark and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=None, help="Only the season's first N calendar days.")
    parser.add_argument(
        "--warmup-days", type=int, default=14, help="Days of history before the first prediction."
    )
    parser.add_argument("--seed", type=int, default=2025, help="Sandbox season seed (another season).")
    parser.add_argument("--built", type=Path, default=None, help="Keep/reuse the built warehouse here.")
    parser.add_argument(
        "--with-pbp", action="store_true", help="Archive play-by-play too (zone_matchup's pbp zones)."
    )
    parser.add_argument(
        "--report", type=Path, default=None, help="Also write the full report (reliability tables) here."
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
    season = generate_season(args.seed, "2025-26")
    start = season.first_date
    end = season.last_date if args.days is None else start + timedelta(days=args.days - 1)
    reused = args.built is not None and args.built.exists()
    with tempfile.TemporaryDirectory(prefix="nbaprops-bench-") as tmp:
        settings = load_settings(data_dir=Path(tmp), log_level="ERROR")
        db = Path(tmp) / "wh.duckdb"
        if reused:
            shutil.copyfile(args.built, db)
        else:
            root = Path(tmp) / "lake"
            write_archive(
                season,
                FsspecLake(LocalFileSystem(), root.as_posix()),
                start=start,
                end=end,
                with_pbp=args.with_pbp,
            )
        with DuckDBWarehouse(str(db), query_timeout_s=600) as warehouse:
            # a reused warehouse gains the columns the current schema declares (create_schema migrates)
            create_schema(warehouse)
            alerter = Alerter(warehouse)
            if not reused:
                ingest_from_dir(settings, root, warehouse=warehouse, alerter=alerter)
                resolve_identities(warehouse, alerter)
                now = et_datetime(end + timedelta(days=1), 6)
                build_range(warehouse, start, end, settings=settings, now=now)
                warehouse.execute("CHECKPOINT")
                if args.built is not None:
                    shutil.copyfile(db, args.built)
            setup = time.perf_counter() - clock
            report = run_backtest(
                warehouse, settings, start + timedelta(days=args.warmup_days), end, alerter=alerter
            )
            weights = ensemble_weights(warehouse)
    if args.report is not None:
        args.report.write_text(json.dumps(report.to_dict(), default=str, indent=1), encoding="utf-8")
    headline = {
        h["system_id"]: {k: v for k, v in h.items() if k not in ("system_id", "reliability_picks")}
        for h in report.headline
    }
    by_system = {
        r["system_id"]: {k: r[k] for k in ("n", "mae", "bias", "hit_rate", "n_picks", "roi", "ece")}
        for r in report.systems
    }
    last5 = by_system.get("last5_avg", {}).get("mae")
    emit(
        "backtest_season",
        seconds=round(report.seconds, 2),
        target_seconds=180,
        setup_seconds=round(setup, 2),
        setup_reused=reused,
        seed=args.seed,
        with_pbp=args.with_pbp,
        range=[report.start.isoformat(), report.end.isoformat()],
        days=report.days,
        predicted_days=report.predicted_days,
        retrains=len(report.retrains),
        graded=report.graded,
        comparison_rows=report.comparison_rows,
        mae_vs_last5={
            sid: round(row["mae"] / last5 - 1.0, 4)
            for sid, row in by_system.items()
            if last5 and row.get("mae") is not None
        },
        systems=by_system,
        headline=headline,
        diversity=None if report.diversity is None else report.diversity.to_dict(),
        pooled_picks=report.pooled,
        ensemble_weights=weights,
    )


def ensemble_weights(warehouse: Any) -> dict[str, dict[str, float]]:
    """The ensemble's learned weights at every retrain (model registry metrics), by as-of date."""
    rows = warehouse.query_rows(
        "SELECT as_of, metrics FROM model_registry WHERE system_id = 'ensemble' ORDER BY as_of"
    )
    out = {}
    for as_of, metrics in rows:
        doc = json.loads(metrics)
        out[str(as_of)] = {
            k.removeprefix("weight_"): round(v, 3) for k, v in doc.items() if k.startswith("weight_")
        }
    return out


if __name__ == "__main__":
    main()
