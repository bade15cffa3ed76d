"""Ingest's games-due check counts every schedule table: one source listing a date's games is enough."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fsspec.implementations.local import LocalFileSystem

from factories import put_rows
from nbaprops.errors import QualityGateError
from nbaprops.lake import FsspecLake
from nbaprops.raw.ingest import ingest_date
from nbaprops.settings import load_settings
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

DAY = date(2025, 12, 1)
WHEN = datetime(2025, 12, 1, 15, tzinfo=UTC)
# One game of DAY as each schedule table holds it (columns beyond the key and date are left NULL).
SCHEDULE_ROWS = {
    "raw_nbac_schedule": {"game_id": "0022500300", "home_team": "BOS", "away_team": "NYK"},
    "raw_nbac_scoreboard": {"game_id": "0022500300"},
    "raw_bdl_games": {"source_game_id": "18446800", "home_team": "BOS", "visitor_team": "NYK"},
    "raw_espn_scoreboard": {"source_game_id": "401810300"},
}


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=60)
    create_schema(wh)
    yield wh
    wh.close()


def _ingest(warehouse: DuckDBWarehouse, tmp_path: Path) -> None:
    lake = FsspecLake(LocalFileSystem(), str(tmp_path / "lake"))  # holds nothing for DAY
    ingest_date(load_settings(data_dir=tmp_path), DAY, warehouse=warehouse, lake=lake)


@pytest.mark.parametrize("table", sorted(SCHEDULE_ROWS))
def test_games_listed_by_any_one_schedule_table_are_due(
    table: str, warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    put_rows(warehouse, table, [{"game_date": DAY, **SCHEDULE_ROWS[table]}], when=WHEN, day=DAY)
    with pytest.raises(QualityGateError, match="1 game\\(s\\) scheduled but the lake holds no payload"):
        _ingest(warehouse, tmp_path)
    [(status,)] = warehouse.query_rows("SELECT status FROM run_ledger WHERE step = 'ingest'")
    assert status == "failed"


def test_a_date_no_table_lists_is_skipped_not_failed(warehouse: DuckDBWarehouse, tmp_path: Path) -> None:
    other = date(2025, 12, 2)
    for table, row in SCHEDULE_ROWS.items():
        put_rows(warehouse, table, [{"game_date": other, **row}], when=WHEN, day=other)
    _ingest(warehouse, tmp_path)
    [(status,)] = warehouse.query_rows("SELECT status FROM run_ledger WHERE step = 'ingest'")
    assert status == "skipped"
