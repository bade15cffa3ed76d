"""Hundreds of malformed payloads in the lake: each is quarantined with its reason, nothing crashes,
and every good payload beside them loads exactly as it does without them."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fsspec.implementations.local import LocalFileSystem
from outcomes import SCANNED, record

from factories import season_warehouse
from nbaprops.lake import FsspecLake
from nbaprops.ops.alerts import Alerter
from nbaprops.raw.ingest import ingest_from_dir, lake_kinds
from nbaprops.raw.loaders import KIND_TABLES
from nbaprops.sandbox.faults import damage
from nbaprops.settings import load_settings
from nbaprops.warehouse import create_schema, table_spec
from nbaprops.warehouse.duckdb import DuckDBWarehouse

DAYS = 2
MIN_QUARANTINED = 200
LATER = datetime(2026, 1, 1, tzinfo=UTC)  # fetched after the good payloads: they would win a key

# Ways a body breaks in transit or at the source; each must be refused by the parser.
BREAKS: dict[str, Callable[[bytes, str], bytes]] = {
    "truncated": lambda body, media: damage("truncate", body, media),
    "malformed": lambda body, media: damage("malformed", body, media.split(";")[0]),
    "html error page": lambda body, media: b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
    "binary garbage": lambda body, media: bytes(range(256)) * 3,
    "gzip magic, then garbage": lambda body, media: b"\x1f\x8b\x08\x00" + b"\x00garbage" * 20,
    "truncated gzip": lambda body, media: gzip.compress(body)[: max(20, len(body) // 3)],
    "not json": lambda body, media: b"upstream timed out\n",
}


def _raw_tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with DuckDBWarehouse(str(path), query_timeout_s=120, read_only=True) as wh:
        out = {}
        for table in sorted(set(KIND_TABLES.values())):
            columns = ", ".join(f'"{c}"' for c in table_spec(table).column_names if c != "loaded_at")
            out[table] = wh.query_rows(f"SELECT {columns} FROM {table} ORDER BY ALL")  # noqa: S608
        return out


def _ingest(lake: Path, warehouse: Path) -> tuple[int, Alerter]:
    with DuckDBWarehouse(str(warehouse), query_timeout_s=120) as wh:
        create_schema(wh)
        alerter = Alerter(wh)
        report = ingest_from_dir(
            load_settings(data_dir=warehouse.parent), lake, warehouse=wh, alerter=alerter
        )
        return report.counts().get("quarantined", 0), alerter


def test_hundreds_of_malformed_payloads_are_quarantined_and_the_good_ones_load(tmp_path: Path) -> None:
    source = season_warehouse(DAYS).lake_root
    clean_wh, dirty_wh = tmp_path / "clean.duckdb", tmp_path / "dirty.duckdb"
    _ingest(source, clean_wh)
    dirty = tmp_path / "lake"
    shutil.copytree(source, dirty)
    SCANNED.append(tmp_path)
    lake = FsspecLake(LocalFileSystem(), dirty.as_posix())
    loadable = {folder for folder, kinds in lake_kinds().items() if set(kinds) & set(KIND_TABLES)}
    planted = 0
    for number, obj in enumerate(o for o in lake.list() if (o.source, o.endpoint) in loadable):
        body = lake.get(obj.path)
        for offset, (name, breaks) in enumerate(BREAKS.items()):
            broken = breaks(body, obj.content_type) + f"\n{number}-{offset}".encode()  # distinct bytes
            if name.endswith("gzip"):
                broken = breaks(body + f"{number}".encode(), obj.content_type)
            fetched = LATER + timedelta(seconds=number * len(BREAKS) + offset)
            lake.put(
                obj.source,
                obj.endpoint,
                obj.game_date,
                broken,
                fetched_at=fetched,
                content_type=obj.content_type,
            )
            planted += 1
    assert planted >= MIN_QUARANTINED
    quarantined, alerter = _ingest(dirty, dirty_wh)  # no exception: nothing crashed
    # An event-odds payload feeds two kinds (props and game lines): each quarantines it.
    assert quarantined >= planted
    assert len(alerter.of_kind("quarantine")) == quarantined
    with DuckDBWarehouse(str(dirty_wh), query_timeout_s=60, read_only=True) as wh:
        reasons = wh.query_rows("SELECT error_type, count(*) FROM quarantine GROUP BY 1 ORDER BY 1")
    assert {kind for kind, _ in reasons} <= {"PayloadError", "SchemaDrift"}
    assert _raw_tables(dirty_wh) == _raw_tables(clean_wh)
    record(
        "malformed payloads",
        f"{planted} planted beside the good ones",
        "quarantined",
        f"{quarantined} quarantine rows and alerts, 0 crashes, good rows identical",
    )
