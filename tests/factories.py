"""Test factories shared across test modules.

``put_rows(wh, table, rows)`` inserts hand-made rows into a known table, filling the NOT NULL
columns a test does not care about. ``season_warehouse()`` builds the raw tables of the first
``DAYS`` game dates of the default sandbox season the real way (archive -> lake -> ingest ->
identity step) once per test session and saves them as a DuckDB file; ``open_season_copy(tmp)``
hands each caller its own copy, so tests can build and tamper freely (~30 s once, then a file
copy).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbaprops.sandbox.model import Season
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

DAYS = 10


@dataclass(frozen=True)
class SeasonWarehouse:
    """A saved warehouse with raw tables for ``start``..``end`` and the season they came from."""

    path: Path
    lake_root: Path
    season: Season
    start: date
    end: date


@cache
def sandbox_season() -> Season:
    """The default sandbox season (seed 2025, 2025-26), generated once per process."""
    from nbaprops.sandbox.simulator import generate_season

    return generate_season(2025, "2025-26")


def process_scratch(prefix: str) -> Path:
    """A fresh temporary directory removed when this test process exits.

    For data cached once per process (a module-level cache outlives every pytest fixture): without
    the removal each test process left its season copies behind, 12-20 MB a process, run after run.
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, root, True)
    return root


@cache
def season_warehouse(days: int = DAYS) -> SeasonWarehouse:
    """Raw tables of the season's first ``days`` calendar days, built once per process."""
    from fsspec.implementations.local import LocalFileSystem

    from nbaprops.lake import FsspecLake
    from nbaprops.ops.alerts import Alerter
    from nbaprops.raw.ingest import ingest_from_dir
    from nbaprops.raw.resolve import resolve_identities
    from nbaprops.sandbox.archive import write_archive
    from nbaprops.settings import load_settings
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    season = sandbox_season()
    start = season.first_date
    end = start + timedelta(days=days - 1)
    root = process_scratch("nbaprops-season-")
    lake_root = root / "lake"
    write_archive(season, FsspecLake(LocalFileSystem(), lake_root.as_posix()), start=start, end=end)
    path = root / "raw.duckdb"
    with DuckDBWarehouse(str(path), query_timeout_s=120) as warehouse:
        create_schema(warehouse)
        alerter = Alerter(warehouse)
        ingest_from_dir(load_settings(), lake_root, warehouse=warehouse, alerter=alerter)
        resolve_identities(warehouse, alerter)
    return SeasonWarehouse(path, lake_root, season, start, end)


def open_season_copy(directory: Path, days: int = DAYS) -> DuckDBWarehouse:
    """A private, writable copy of the session's season warehouse (schema up to date)."""
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    source = season_warehouse(days)
    target = directory / "season.duckdb"
    shutil.copyfile(source.path, target)
    warehouse = DuckDBWarehouse(str(target), query_timeout_s=120)
    create_schema(warehouse)
    return warehouse


def put_rows(
    wh: DuckDBWarehouse, table: str, rows: list[dict[str, Any]], *, when: datetime, day: date
) -> None:
    """Insert rows into a known table: other columns NULL, or a filler where NULL is refused.

    Fillers: ``when`` for timestamps, ``day`` for dates, "test", 0, 0.0 or false otherwise.
    """
    import pyarrow as pa

    from nbaprops.warehouse.schema import table_spec

    types = {
        "DATE": pa.date32(),
        "STRING": pa.string(),
        "INT64": pa.int64(),
        "FLOAT64": pa.float64(),
        "BOOL": pa.bool_(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
        "JSON": pa.string(),
    }
    fillers: dict[str, Any] = {"STRING": "test", "TIMESTAMP": when, "BOOL": False, "INT64": 0, "FLOAT64": 0.0}
    spec = table_spec(table)
    fill = {c.name: fillers.get(c.type, day) for c in spec.columns if c.required}
    rows = [fill | r for r in rows]
    schema = pa.schema([(c.name, types[c.type]) for c in spec.columns if any(c.name in r for r in rows)])
    wh.insert_arrow(table, pa.Table.from_pylist(rows, schema))
