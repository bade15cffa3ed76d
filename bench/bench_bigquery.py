"""BigQuery through the fake REST endpoint: bytes scanned per daily run, and a season's load.

Builds the sandbox season's first ``--days`` days on DuckDB (archive -> ingest -> build), loads
every table into a BigQuery dataset served by the fake endpoint (tests/bqfake.py: BigQuery's REST
API over loopback, SQL executed on DuckDB), then runs the daily build (phases 3-4, ``build_date``)
of several dates through ``BigQueryWarehouse``. Every statement is dry-run first; the fake
estimates bytes as BigQuery bills them (the columns a statement reads, sized per type, over the
partitions its constant filters on each table's partitioning column select) and also reports the
same scans without pruning.

Prints one JSON line: per measured date the players on the slate, statements, MB estimated
(pruned and unpruned), MB billed (10 MB minimum per table read), the largest statements and the MB
per step (the jobs' ``step`` label); and for the season load the
rows, tables, HTTP requests and load jobs. Run: ``.venv/bin/python bench/bench_bigquery.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))  # the fake BigQuery endpoint lives with the tests

from benchlib import emit  # noqa: E402 - found through the path set just above

MB = 1e6


def main() -> None:
    """Run the benchmark and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=None, help="The season's first N days (default: all).")
    parser.add_argument("--measure", type=int, default=3, help="Daily runs measured (the last N days).")
    args = parser.parse_args()

    import structlog
    from fsspec.implementations.local import LocalFileSystem

    from bqfake import FakeBigQuery
    from nbaprops.lake import FsspecLake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.pipeline.build import build_date, build_range
    from nbaprops.raw.ingest import ingest_from_dir
    from nbaprops.raw.resolve import resolve_identities
    from nbaprops.sandbox.archive import write_archive
    from nbaprops.sandbox.simulator import generate_season
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import TABLES, create_schema, open_warehouse
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    season = generate_season(2025, "2025-26")
    start = season.first_date
    end = season.last_date if args.days is None else start + timedelta(days=args.days - 1)
    fake = FakeBigQuery().start()
    try:
        with tempfile.TemporaryDirectory(prefix="nbaprops-bench-bq-") as tmp:
            root = Path(tmp) / "lake"
            write_archive(season, FsspecLake(LocalFileSystem(), root.as_posix()), start=start, end=end)
            with DuckDBWarehouse(str(Path(tmp) / "wh.duckdb"), query_timeout_s=600) as duck:
                create_schema(duck)
                alerter = Alerter(duck)
                ingest_from_dir(load_settings(), root, warehouse=duck, alerter=alerter)
                resolve_identities(duck, alerter)
                build_range(duck, start, end)
                tables = {name: duck.query_arrow(f"SELECT * FROM {name}") for name in TABLES}  # noqa: S608

            settings = load_settings(**fake.settings(fake.new_dataset(), query_timeout_s=600))
            warehouse = open_warehouse(settings)
            create_schema(warehouse)
            fake.reset_requests()
            clock = time.perf_counter()
            rows = loaded_tables = 0
            for name, arrow in tables.items():
                if arrow.num_rows and name != "query_log":
                    rows += warehouse.insert_arrow(name, arrow)
                    loaded_tables += 1
            load_seconds = time.perf_counter() - clock
            load = {
                "rows": rows,
                "tables": loaded_tables,
                "http_requests": len(fake.requests),
                "load_jobs": len(fake.jobs_of("load")),
                "streaming_inserts": sum(1 for r in fake.requests if r.path.endswith("/insertAll")),
                "rows_per_request": round(rows / max(1, len(fake.requests)), 1),
                "seconds": round(load_seconds, 2),
            }

            runs = []
            measured = sorted(
                {start + timedelta(days=9), *(end - timedelta(days=k) for k in range(args.measure))}
            )
            for day in measured:
                fake.reset_requests()
                report = build_date(warehouse, day)
                answers = fake.dry_answers
                pruned = sum(int(a["statistics"]["totalBytesProcessed"]) for a in answers)
                unpruned = sum(int(a["statistics"].get("fakeUnprunedBytes", 0)) for a in answers)
                billed = sum(
                    int(j["statistics"]["query"].get("totalBytesBilled", 0)) for j in _real_jobs(fake)
                )
                players = warehouse.query_rows(
                    "SELECT count(*) FROM feature_store WHERE game_date = ?", [day]
                )[0][0]
                runs.append(
                    {
                        "date": day.isoformat(),
                        "players": int(players),
                        "steps": len(report.steps),
                        "statements_dry_run": len(answers),
                        "mb_estimated": round(pruned / MB, 3),
                        "mb_unpruned": round(unpruned / MB, 3),
                        "mb_billed": round(billed / MB, 1),
                        "mb_per_player": round(pruned / MB / max(1, int(players)), 4),
                        "largest": _largest(answers),
                        "mb_by_step": _by_step(answers),
                    }
                )
            warehouse.close()
    finally:
        fake.stop()
    emit(
        "bigquery_fake",
        params={
            "days": (end - start).days + 1,
            "season": "2025-26",
            "seed": 2025,
            "first_date": start.isoformat(),
        },
        daily_runs=runs,
        season_load=load,
        note="bytes estimated by the fake endpoint from the columns read and the partitions its "
        "constant filters on each table's partitioning column select (BigQuery's on-demand rules: 8 "
        "bytes per INT64/FLOAT64/DATE/TIMESTAMP, 2 + UTF-8 length per STRING), not by BigQuery itself; "
        "billed adds the 10 MB minimum per table read",
    )


def _largest(answers: list[dict[str, Any]], top: int = 3) -> list[dict[str, Any]]:
    """The statements that scan the most, with their pruned and unpruned MB."""
    rows = sorted(answers, key=lambda a: int(a["statistics"]["totalBytesProcessed"]), reverse=True)[:top]
    return [
        {
            "sql": " ".join(a["configuration"]["query"]["query"].split())[:90],
            "mb": round(int(a["statistics"]["totalBytesProcessed"]) / MB, 3),
            "mb_unpruned": round(int(a["statistics"].get("fakeUnprunedBytes", 0)) / MB, 3),
        }
        for a in rows
    ]


def _by_step(answers: list[dict[str, Any]], top: int = 8) -> dict[str, float]:
    """MB estimated per pipeline step (the ``step`` label every job carries), largest first."""
    per_step: dict[str, int] = {}
    for answer in answers:
        step = answer["configuration"].get("labels", {}).get("step", "-")
        per_step[step] = per_step.get(step, 0) + int(answer["statistics"]["totalBytesProcessed"])
    ranked = sorted(per_step.items(), key=lambda item: item[1], reverse=True)[:top]
    return {step: round(size / MB, 3) for step, size in ranked}


def _real_jobs(fake: Any) -> list[dict[str, Any]]:
    """The query jobs (not dry runs) recorded since the last reset, as the fake answered them."""
    ids = set()
    for request in fake.requests:
        body = request.body
        if request.method == "POST" and request.path.endswith("/jobs") and isinstance(body, dict):
            config = body.get("configuration", {})
            if "query" in config and not config.get("dryRun"):
                ids.add(body["jobReference"]["jobId"])
    return [job for job_id, job in fake.jobs.items() if job_id in ids]


if __name__ == "__main__":
    main()
