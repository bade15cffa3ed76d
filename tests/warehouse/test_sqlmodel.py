"""SQL models: BigQuery text checked for traps, transpiled once, run with bound values; golden BigQuery text.

Golden files live in tests/golden/<model>.bq.sql. After an intended change to a model, rewrite them
with ``UPDATE_GOLDENS=1 .venv/bin/pytest tests/warehouse/test_sqlmodel.py`` and review the diff.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from bqfake import open_backend
from nbaprops.errors import WarehouseError
from nbaprops.warehouse import Warehouse
from nbaprops.warehouse.sqlmodel import load_model, materialize, query_model

SRC = Path(__file__).resolve().parents[2] / "src" / "nbaprops"
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
MODEL_FILES = sorted([*SRC.glob("*/sql/*.sql")])


@contextmanager
def _opened(backend: str, request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    """A fresh warehouse with its schema on ``backend`` (BigQuery: the fake endpoint)."""
    wh = open_backend(backend, request)
    try:
        yield wh
    finally:
        wh.close()


def _model(tmp_path: Path, text: str, name: str = "m") -> Path:
    path = tmp_path / f"{name}.sql"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("SELECT now() AS t FROM alerts", "CURRENT_TIMESTAMP"),
        ("SELECT DATE_TRUNC('month', raised_at) FROM alerts", "DATE_TRUNC"),
        ("SELECT kind FROM alerts ORDER BY kind", "NULLS"),
        ("SELECT kind FROM alerts WHERE kind = $kind", "@name"),
        ("SELECT kind FROM not_a_table", "allow-list"),
        ("SELECT 1 FROM alerts; SELECT 2 FROM alerts", "exactly one SELECT"),
    ],
)
def test_traps_and_unknown_tables_are_refused(tmp_path: Path, text: str, why: str) -> None:
    with pytest.raises(WarehouseError, match=why):
        load_model(_model(tmp_path, text))


def test_insert_or_replace_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="MERGE"):
        load_model(_model(tmp_path, "INSERT OR REPLACE INTO alerts SELECT * FROM alerts"))


@pytest.mark.parametrize("backend", ["duckdb", "bigquery"])
def test_parameters_become_duckdb_placeholders_and_values_stay_bound(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    text = "SELECT kind FROM alerts WHERE kind = @kind AND raised_at < CURRENT_TIMESTAMP()"
    model = load_model(_model(tmp_path, text))
    assert model.params == ("kind",)
    assert "$kind" in model.duckdb
    assert "@kind" in model.bigquery
    with _opened(backend, request) as wh:
        wh.execute(
            "INSERT INTO alerts VALUES ('a', '2025-01-01', ?, 'info', 'm', NULL)",
            ["x'; DROP TABLE alerts; --"],
        )
        rows = query_model(wh, model, {"kind": "x'; DROP TABLE alerts; --", "unused": 1}).to_pylist()
        assert rows == [{"kind": "x'; DROP TABLE alerts; --"}]
        with pytest.raises(WarehouseError, match="missing parameter"):
            query_model(wh, model, {})


def test_a_model_is_transpiled_once_per_content(tmp_path: Path) -> None:
    path = _model(tmp_path, "SELECT kind FROM alerts ORDER BY kind NULLS LAST")
    assert load_model(path) is load_model(path)
    path.write_text("SELECT message FROM alerts ORDER BY message NULLS FIRST")
    assert load_model(path).duckdb.startswith("SELECT message")


@pytest.mark.parametrize("backend", ["duckdb", "bigquery"])
def test_materialize_replaces_only_the_range_and_is_idempotent(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    model = load_model(
        _model(
            tmp_path,
            "SELECT 'dq' AS check_name, d AS game_date, CAST(NULL AS STRING) AS game_id, "
            "CAST(NULL AS INT64) AS player_id, 'x' AS detail, 'info' AS severity, "
            "CURRENT_TIMESTAMP() AS recorded_at FROM UNNEST(GENERATE_DATE_ARRAY(@start, @end)) AS d",
        )
    )
    with _opened(backend, request) as wh:
        assert materialize(wh, "data_quality", model, start=date(2025, 1, 1), end=date(2025, 1, 5)) == 5
        assert materialize(wh, "data_quality", model, start=date(2025, 1, 4), end=date(2025, 1, 6)) == 3
        assert materialize(wh, "data_quality", model, start=date(2025, 1, 4), end=date(2025, 1, 6)) == 3
        assert wh.row_count("data_quality") == 6


@pytest.mark.parametrize("backend", ["duckdb", "bigquery"])
def test_rows_outside_the_range_roll_the_step_back(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    model = load_model(
        _model(
            tmp_path,
            "SELECT 'dq' AS check_name, DATE_ADD(@end, INTERVAL 1 DAY) AS game_date, "
            "CAST(NULL AS STRING) AS game_id, CAST(NULL AS INT64) AS player_id, 'x' AS detail, "
            "'info' AS severity, CURRENT_TIMESTAMP() AS recorded_at",
        )
    )
    with _opened(backend, request) as wh:
        with pytest.raises(WarehouseError, match="outside"):
            materialize(wh, "data_quality", model, start=date(2025, 1, 1), end=date(2025, 1, 1))
        assert wh.row_count("data_quality") == 0


def test_every_model_file_is_found() -> None:
    names = {p.stem for p in MODEL_FILES}
    assert {
        "player_game_summary",
        "team_offense_game_summary",
        "team_defense_game_summary",
        "upcoming_player_game_context",
        "upcoming_team_game_context",
        "source_discrepancies",
        "completeness",
        "player_daily_cache",
        "player_shot_zone_analysis",
        "team_defense_zone_analysis",
        "player_composite_inputs",
        "feature_store_inputs",
        "grade_inputs",
    } <= names


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.stem)
def test_bigquery_text_matches_its_golden_file(path: Path) -> None:
    model = load_model(path)
    golden = GOLDEN / f"{model.name}.bq.sql"
    if os.environ.get("UPDATE_GOLDENS") == "1":
        golden.write_text(model.bigquery)
    assert golden.is_file(), f"no golden file {golden.name}: run with UPDATE_GOLDENS=1 and review it"
    assert golden.read_text() == model.bigquery
