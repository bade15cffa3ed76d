"""Backup and restore of a full sandbox season: seconds and MB (the RPO/RTO figures of docs/operations.md).

Builds the season's warehouse the real way (archive -> ingest -> build, not timed), then times:
a full backup, an incremental one after one more day's rows (partitions reused), the verification of
every file, and a restore with ``--verify`` into an empty warehouse (the lost-warehouse RTO).
Run: ``.venv/bin/python bench/bench_backup.py [--days N]`` (default: the whole season).
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
    from nbaprops.ops.backup import BackupStore, backup, restore, verify_files
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
    end = season.last_date if args.days is None else start + timedelta(days=args.days - 1)
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="nbaprops-bench-") as tmp:
        root = Path(tmp) / "lake"
        write_archive(season, FsspecLake(LocalFileSystem(), root.as_posix()), start=start, end=end)
        warehouse_file = Path(tmp) / "wh.duckdb"
        with DuckDBWarehouse(str(warehouse_file), query_timeout_s=600) as warehouse:
            create_schema(warehouse)
            alerter = Alerter(warehouse)
            ingest_from_dir(load_settings(), root, warehouse=warehouse, alerter=alerter)
            resolve_identities(warehouse, alerter)
            build_range(warehouse, start, end - timedelta(days=1), alerter=alerter, settings=load_settings())
            store = BackupStore(str(Path(tmp) / "backups"))
            clock = time.perf_counter()
            full = backup(warehouse, store)
            seconds["backup_full"] = time.perf_counter() - clock
            build_range(warehouse, end, end, alerter=alerter, settings=load_settings())
            clock = time.perf_counter()
            incremental = backup(warehouse, store)
            seconds["backup_incremental"] = time.perf_counter() - clock
            clock = time.perf_counter()
            problems = verify_files(store, incremental)
            seconds["verify_files"] = time.perf_counter() - clock
        warehouse_mb = warehouse_file.stat().st_size / 1e6
        with DuckDBWarehouse(str(Path(tmp) / "restored.duckdb"), query_timeout_s=600) as target:
            clock = time.perf_counter()
            report = restore(target, store, incremental.snapshot_id, verify=True)
            seconds["restore_verified"] = time.perf_counter() - clock
    emit(
        "backup",
        figure="restore_verified_seconds",
        value=round(seconds["restore_verified"], 2),
        unit="s",
        seconds={k: round(v, 2) for k, v in seconds.items()},
        full={
            "tables": len(full.tables),
            "rows": full.rows,
            "mb": round(full.bytes / 1e6, 2),
            "files": full.files_written,
        },
        incremental={
            "mb_written": round(incremental.bytes_written / 1e6, 2),
            "files_written": incremental.files_written,
            "files_total": sum(len(t.files) for t in incremental.tables.values()),
        },
        restore={
            "rows": report.rows,
            "mb_read": round(report.bytes_read / 1e6, 2),
            "problems": len(report.problems),
        },
        verify_problems=len(problems),
        warehouse_file_mb=round(warehouse_mb, 2),
        params={"start": start.isoformat(), "end": end.isoformat()},
    )


if __name__ == "__main__":
    main()
