"""The daily build (phases 3-4) on BigQuery, through the fake endpoint, gives DuckDB's tables.

The same business code and SQL models run on both warehouses: portable statements transpiled
from DuckDB's dialect, models in their BigQuery text, loads as load jobs plus MERGE or INSERT.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path

from bqfake import FakeBigQuery
from factories import open_season_copy, season_warehouse
from nbaprops.pipeline.build import build_date, build_range
from nbaprops.settings import load_settings
from nbaprops.warehouse import TABLES, Warehouse, create_schema, open_warehouse, table_spec

# When a row was written, by which run: the clock of the run, not the data.
VOLATILE = {"built_at", "loaded_at", "run_id", "started_at", "finished_at", "created_at", "recorded_at"}
BOOKKEEPING = {"query_log", "run_ledger", "alerts"}


def _rows(wh: Warehouse, table: str, day: object) -> list[tuple[object, ...]]:
    spec = table_spec(table)
    columns = [c.name for c in spec.columns if c.name not in VOLATILE]
    # JSON is compared as values: each engine spells the text its own way.
    json_at = {
        i for i, name in enumerate(columns) if spec.columns[spec.column_names.index(name)].type == "JSON"
    }
    rows = wh.query_rows(
        f"SELECT {', '.join(columns)} FROM {table} WHERE game_date = ?",  # noqa: S608 - allow-listed
        [day],
    )
    return sorted((tuple(_plain(i in json_at, v) for i, v in enumerate(row)) for row in rows), key=repr)


def _plain(is_json: bool, value: object) -> object:
    if is_json and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 6)
    return value


def test_the_daily_build_on_bigquery_gives_the_same_tables_as_duckdb(
    bigquery_fake: FakeBigQuery, tmp_path: Path
) -> None:
    sw = season_warehouse()
    day = sw.end
    duck = open_season_copy(tmp_path)
    build_range(duck, sw.start, day - timedelta(days=1))
    bq = open_warehouse(
        load_settings(**bigquery_fake.settings(bigquery_fake.new_dataset(), query_timeout_s=120))
    )
    create_schema(bq)
    for name in TABLES:
        arrow = duck.query_arrow(f"SELECT * FROM {name}")  # noqa: S608 - allow-listed
        if arrow.num_rows and name not in BOOKKEEPING:
            assert bq.insert_arrow(name, arrow) == arrow.num_rows

    on_duck = build_date(duck, day)
    on_bq = build_date(bq, day)
    assert [(s.name, s.rows_out) for s in on_bq.steps] == [(s.name, s.rows_out) for s in on_duck.steps]
    built = [
        s.name for s in on_duck.steps if s.name in TABLES and "game_date" in table_spec(s.name).column_names
    ]
    assert len(built) >= 8
    for table in built:
        assert _rows(bq, table, day) == _rows(duck, table, day), table
    assert any(_rows(duck, table, day) for table in built)
    duck.close()
    bq.close()
