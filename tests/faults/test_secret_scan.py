"""After the fault suite (this module runs last): the marker API keys appear nowhere it wrote.

The sandbox served the suite with marker strings as its BDL and Odds API keys, and every scrape
sent them. Every file the suite left (logs, lake objects, manifests, warehouse files), every
string column of every warehouse table, and what the child processes printed, errors included,
are searched for the markers, as written and in their escaped and percent-encoded spellings.
"""

from __future__ import annotations

from urllib.parse import quote

from faults_world import World
from outcomes import OUTPUTS, RESULTS, SCANNED, record

from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.schema import TABLES


def _spellings(marker: str) -> list[bytes]:
    return [marker.encode(), quote(marker).encode(), marker.encode().hex().encode(), repr(marker).encode()]


def _string_columns() -> list[tuple[str, str]]:
    return [
        (name, column.name)
        for name, spec in TABLES.items()
        for column in spec.columns
        if column.type in {"STRING", "JSON", "BYTES"}
    ]


def test_no_marker_secret_in_any_log_error_lake_object_manifest_or_table(world: World) -> None:
    assert RESULTS, "run with the rest of tests/faults: the scan checks what the suite wrote"
    spellings = [s for marker in world.markers for s in _spellings(marker)]
    files = [p for root in SCANNED for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" and "logs" in p.parts for p in files), "no log file was scanned"
    assert any("_manifest" in p.name for p in files), "no manifest was scanned"
    hits = [str(p) for p in files for s in spellings if s in p.read_bytes()]
    hits += [f"child output {i}" for i, text in enumerate(OUTPUTS) for s in spellings if s in text.encode()]
    warehouses = [p for p in files if p.suffix == ".duckdb"]
    for path in warehouses:
        with DuckDBWarehouse(str(path), query_timeout_s=60, read_only=True) as wh:
            for table, column in _string_columns():
                for marker in world.markers:
                    found = wh.query_rows(
                        f'SELECT count(*) FROM {table} WHERE CAST("{column}" AS VARCHAR) LIKE ?',  # noqa: S608
                        [f"%{marker}%"],
                    )
                    if found[0][0]:
                        hits.append(f"{path}:{table}.{column}")
    assert hits == []
    record(
        "secret scan",
        f"{len(files)} files, {len(warehouses)} warehouses, {len(OUTPUTS)} child outputs",
        "clean",
        "no marker key in any spelling",
    )
