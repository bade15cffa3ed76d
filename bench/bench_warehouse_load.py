"""Warehouse load throughput: 1M synthetic box-score rows via insert_arrow and merge_arrow.

Prints one JSON line: rows/s for a plain append into an empty table, and for an upsert of the
same 1M keys (every row matched and updated) into the now-full table, on a DuckDB file.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from nbaprops.warehouse import TABLES, Column, TableSpec
from nbaprops.warehouse.duckdb import DuckDBWarehouse

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
STATS = ("points", "minutes", "fga", "fgm", "fg3a", "fg3m", "fta", "ftm", "rebounds", "assists")

# A benchmark-only table, registered the way a feature adds one to the schema.
BENCH = TableSpec(
    name="bench_box_score",
    description="Synthetic player box scores for the load benchmark.",
    key=("game_id", "player_id"),
    columns=(
        Column("game_id", "STRING", required=True),
        Column("player_id", "INT64", required=True),
        Column("game_date", "DATE", required=True),
        Column("team", "STRING"),
        *(Column(s, "INT64") for s in STATS),
    ),
)


def box_scores(rows: int, seed: int) -> pa.Table:
    """``rows`` player-games: 30 players per game, keys stable across seeds."""
    rng = np.random.default_rng(seed)
    index = np.arange(rows)
    games = index // 30
    columns: dict[str, pa.Array] = {
        "game_id": pa.array(np.char.add("00224", np.char.zfill(games.astype(str), 5))),
        "player_id": pa.array(1_000_000 + index % 30 + (games % 500) * 30),
        "game_date": pa.array(np.datetime64("2024-10-22") + (games // 12).astype("timedelta64[D]")),
        "team": pa.array(np.where(index % 2 == 0, "DEN", "BOS")),
    }
    for stat in STATS:
        columns[stat] = pa.array(rng.integers(0, 40, rows))
    return pa.table(columns)


def _git_sha() -> str:
    argv = ["git", "rev-parse", "--short", "HEAD"]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=10)  # noqa: S603 - fixed argv
    return done.stdout.strip() or "unknown"


def main() -> None:
    """Run the benchmark and print its JSON line."""
    TABLES[BENCH.name] = BENCH
    first, second = box_scores(ROWS, seed=1), box_scores(ROWS, seed=2)
    with tempfile.TemporaryDirectory() as tmp:
        wh = DuckDBWarehouse(str(Path(tmp) / "bench.duckdb"), query_timeout_s=120)
        wh.execute(BENCH.ddl("duckdb"))
        start = time.perf_counter()
        inserted = wh.insert_arrow(BENCH.name, first)
        insert_s = time.perf_counter() - start
        start = time.perf_counter()
        merged = wh.merge_arrow(BENCH.name, second)
        merge_s = time.perf_counter() - start
        assert inserted == merged == wh.row_count(BENCH.name) == ROWS
        wh.close()
    print(
        json.dumps(
            {
                "bench": "warehouse_load",
                "insert_rows_per_s": round(ROWS / insert_s),
                "merge_rows_per_s": round(ROWS / merge_s),
                "insert_s": round(insert_s, 3),
                "merge_s": round(merge_s, 3),
                "unit": "rows/s",
                "params": {"rows": ROWS, "columns": len(BENCH.columns), "backend": "duckdb-file"},
                "machine": f"{platform.machine()} {platform.system()}",
                "git_sha": _git_sha(),
            }
        )
    )


if __name__ == "__main__":
    main()
