"""Same inputs, same figures: clean builds give byte-identical tables; a backtest re-run, the same scores.

Two private copies of the same raw warehouse (the sandbox's first two weeks) are built separately;
every table's contents (ORDER BY ALL) are hashed, leaving out only the columns that record when or
in which run a row was written. Then a short walk-forward backtest runs on each copy, and again on
the first one, where the models registered by the first run are served instead of retrained.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from factories import open_season_copy, season_warehouse
from nbaprops.dates import et_datetime
from nbaprops.pipeline.backtest import run_backtest
from nbaprops.pipeline.build import build_range
from nbaprops.predict.train import WalkForwardTrainer
from nbaprops.settings import load_settings
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.schema import TABLES

DAYS = 14
# Columns stamped with the wall clock, a fresh run id or the data folder's path: these differ between
# any two runs by design. Everything else, model versions (which carry the model file's sha256)
# included, must be the same.
RUN_STAMPS = {
    "run_id",
    "batch_id",
    "path",
    *("started_at", "finished_at", "quarantined_at", "raised_at", "loaded_at", "resolved_at"),
    *("first_seen_at", "last_seen_at", "created_at", "recorded_at", "dispatched_at", "completed_at"),
    *("trained_at", "graded_at", "built_at"),
}


def table_checksums(warehouse: DuckDBWarehouse) -> dict[str, str]:
    """sha256 of every table's rows in a fixed order, wall-clock columns left out."""
    sums = {}
    for name, spec in sorted(TABLES.items()):
        columns = ", ".join(c for c in spec.column_names if c not in RUN_STAMPS)
        rows = warehouse.query_rows(f"SELECT {columns} FROM {name} ORDER BY ALL")  # noqa: S608 - allow-listed
        sums[name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()}"
    return sums


def _built_copy(directory: Path) -> DuckDBWarehouse:
    source = season_warehouse(DAYS)
    warehouse = open_season_copy(directory, DAYS)
    build_range(warehouse, source.start, source.end, now=et_datetime(source.end + timedelta(days=1), 6))
    return warehouse


def _backtest(warehouse: DuckDBWarehouse, directory: Path) -> list[dict[str, Any]]:
    source = season_warehouse(DAYS)
    report = run_backtest(
        warehouse,
        load_settings(data_dir=directory),
        source.end - timedelta(days=3),
        source.end,
        retrain_days=2,
        trainer=WalkForwardTrainer(date(2100, 1, 1), fold_days=3),
    )
    assert report.predicted_days == 4
    return report.systems


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    first_dir, second_dir = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    with _built_copy(first_dir) as first, _built_copy(second_dir) as second:
        built = (table_checksums(first), table_checksums(second))
        scores = (_backtest(first, first_dir), _backtest(second, second_dir))
        retrains_before = first.row_count("model_registry")
        rerun = _backtest(first, first_dir)
        retrains_after = first.row_count("model_registry")
    return {
        "built": built,
        "scores": scores,
        "rerun": rerun,
        "registered": (retrains_before, retrains_after),
    }


def test_two_clean_builds_give_byte_identical_tables(runs: dict[str, Any]) -> None:
    first, second = runs["built"]
    assert first["feature_store"].split(":")[0] != "0", "the build wrote features"
    assert first["player_composite_factors"].split(":")[0] != "0"
    assert {t: s for t, s in first.items() if second[t] != s} == {}


def test_two_clean_backtests_give_identical_scores(runs: dict[str, Any]) -> None:
    first, second = runs["scores"]
    assert first, "the backtest scored some rows"
    assert first == second


def test_a_backtest_rerun_serves_the_registered_models_and_gives_the_same_scores(
    runs: dict[str, Any],
) -> None:
    before, after = runs["registered"]
    assert before == after, "the re-run found every retrain already registered"
    assert runs["rerun"] == runs["scores"][0]
