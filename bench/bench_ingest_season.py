"""Ingest a whole sandbox season of payloads from a lake into DuckDB: seconds, payloads, rows, rows/s.

The lake is built first, outside the timing, by rendering each game date's payloads straight into
it (``nbaprops.sandbox.archive.write_archive``: schedule, player game log, BDL box scores, the
injury report before the first tip, historical events and every game's opening and last pre-tip
event odds) plus the ESPN scoreboard of each date. Then ``ingest_from_dir`` replays the folder into
a fresh DuckDB file, which is what ``nbaprops ingest --from-dir`` does. Target: <= 60 s on 2 cores.

    .venv/bin/python bench/bench_ingest_season.py [--dates N] [--threads T]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fsspec.implementations.local import LocalFileSystem

from benchlib import emit
from nbaprops.dates import et_datetime
from nbaprops.lake import FsspecLake
from nbaprops.logs import configure_logging
from nbaprops.raw.ingest import ingest_from_dir
from nbaprops.sandbox import render_espn
from nbaprops.sandbox.archive import write_archive
from nbaprops.sandbox.simulator import generate_season
from nbaprops.settings import load_settings
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse


def main() -> None:
    """Build the season's lake, time its ingest, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dates", type=int, default=0, help="Only the first N game dates (0: all).")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (the target is for 2 cores).")
    parser.add_argument(
        "--workers", type=int, default=1, help="Parser processes (1, the default: parse in-process)."
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    settings = load_settings(data_dir=work, log_level="WARNING")
    configure_logging(settings)
    season = generate_season(settings.sandbox_seed, settings.sandbox_season)
    days = sorted(season.games_by_date)[: args.dates or None]
    lake = FsspecLake(LocalFileSystem(), str(work / "lake"))
    built = time.perf_counter()
    archive = write_archive(season, lake, start=days[0], end=days[-1])
    for day in days:
        after = et_datetime(day + timedelta(days=1), 6)
        body = json.dumps(render_espn.scoreboard_payload(season, after, day)).encode()
        lake.put("espn", "scoreboard", day, body, fetched_at=after, content_type="application/json")
    build_s = time.perf_counter() - built

    warehouse = DuckDBWarehouse(str(work / "warehouse.duckdb"), query_timeout_s=600)
    warehouse.execute(f"SET threads = {int(args.threads)}")
    create_schema(warehouse)
    started = time.perf_counter()
    report = ingest_from_dir(settings, work / "lake", warehouse=warehouse, workers=args.workers)
    seconds = time.perf_counter() - started
    warehouse.close()
    counts = report.counts()
    emit(
        "ingest_season",
        seconds=round(seconds, 2),
        target_s=60,
        game_dates=len(days),
        payloads=report.payloads_found,
        loads=len(report.results),
        loaded=counts.get("loaded", 0),
        quarantined=counts.get("quarantined", 0),
        quarantined_kinds=sorted({r.kind for r in report.results if r.status == "quarantined"}),
        rows=report.rows_written,
        rows_per_s=round(report.rows_written / seconds) if seconds else None,
        duckdb_threads=args.threads,
        parser_workers=args.workers,
        lake_build_s=round(build_s, 2),
        lake_payloads=archive.payloads + len(days),
    )


if __name__ == "__main__":
    main()
