"""Full sandbox season rebuilt from the lake: archive -> ingest (+ identity) -> build --from first --to last.

Prints one JSON line: seconds per phase, rows per analytics/feature table, the git sha.
Run: ``.venv/bin/python bench/bench_build_season.py [--days N]`` (default: the whole season).
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
    args = parser.parse_args()

    import structlog
    from fsspec.implementations.local import LocalFileSystem

    from nbaprops.lake import FsspecLake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.build import build_range
    from nbaprops.pipeline.steps import load_registry
    from nbaprops.raw.ingest import ingest_from_dir
    from nbaprops.raw.resolve import resolve_identities
    from nbaprops.sandbox.archive import write_archive
    from nbaprops.sandbox.simulator import generate_season
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    season = generate_season(2025, "2025-26")
    seconds["generate"] = time.perf_counter() - clock
    start = season.first_date
    end = season.last_date if args.days is None else start + timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory(prefix="nbaprops-bench-") as tmp:
        root = Path(tmp) / "lake"
        clock = time.perf_counter()
        write_archive(season, FsspecLake(LocalFileSystem(), root.as_posix()), start=start, end=end)
        seconds["archive"] = time.perf_counter() - clock
        with DuckDBWarehouse(str(Path(tmp) / "wh.duckdb"), query_timeout_s=600) as warehouse:
            create_schema(warehouse)
            alerter = Alerter(warehouse)
            clock = time.perf_counter()
            ingest_from_dir(load_settings(), root, warehouse=warehouse, alerter=alerter)
            resolve_identities(warehouse, alerter)
            seconds["phase2_ingest"] = time.perf_counter() - clock
            report = build_range(warehouse, start, end, alerter=alerter, settings=load_settings())
            by_phase: dict[int, float] = {}
            for step in report.steps:
                by_phase[step.phase] = by_phase.get(step.phase, 0.0) + step.seconds
            for phase, spent in sorted(by_phase.items()):
                seconds[f"phase{phase}_build"] = spent
            rows = {s.name: s.rows_out for s in report.steps}
            outputs = {t for s in load_registry().steps() if s.phase >= 3 for t in s.outputs}
            tables = {t: warehouse.row_count(t) for t in sorted(outputs)}
    emit(
        "build_season",
        figure="full_season_rebuild_seconds",
        value=round(sum(v for k, v in seconds.items() if k.startswith("phase")), 2),
        unit="s",
        seconds={k: round(v, 2) for k, v in seconds.items()},
        params={"start": start.isoformat(), "end": end.isoformat(), "decision": report.completeness.decision},
        step_rows=rows,
        table_rows=tables,
    )


if __name__ == "__main__":
    main()
