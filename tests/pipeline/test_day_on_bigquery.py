"""The whole pipeline on BigQuery (the fake endpoint) gives DuckDB's rows: ``train``, then ``run``.

From one history (two weeks of the sandbox season built, ``day_support.shared_prepared_day``),
each warehouse runs the same two commands through the CLI, chosen by settings only:
``nbaprops train --as-of D`` (training reads, model files, the registry) and ``nbaprops run
--date D --sandbox`` (scrape, load, build, predict through the coordinator and the worker, the
refreshes, box scores, grade, publish, the health check). Then every table and every published
file must hold the same values on both: JSON compared as values, floats rounded, and the columns
that name a run or the wall-clock moment of a write left out.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from day_support import copy_prepared, shared_prepared_day
from typer.testing import CliRunner

from bqfake import FakeBigQuery
from nbaprops.cli import app
from nbaprops.settings import load_settings
from nbaprops.warehouse import TABLES, Warehouse, create_schema, open_warehouse, table_spec
from nbaprops.warehouse.duckdb import DuckDBWarehouse

# Which run wrote a row, when by the wall clock, and where on this machine: not the data.
VOLATILE = {
    "run_id",
    "created_at",
    "recorded_at",
    "graded_at",
    "built_at",
    "loaded_at",
    "fetched_at",
    "source_file",
    "started_at",
    "finished_at",
    "dispatched_at",
    "completed_at",
    "raised_at",
    "path",
    "alert_id",
    "duration_s",
    "trained_at",
    "resolved_at",
}
# Each backend's own statements, durations and ids.
BOOKKEEPING = {"query_log", "run_ledger", "alerts", "alert_deliveries", "prediction_batches"}
# The published documents' wall-clock moments (when predicted, raised, served, reported).
PUBLISHED_VOLATILE = {
    "generated_at",
    "alert_id",
    "raised_at",
    "started_at",
    "finished_at",
    "predicted_at",
    "reported_at",
    "last_served_at",
}


@dataclass
class Side:
    """One backend's settings (as environment variables), its data folder and its command outputs."""

    env: dict[str, str]
    data_dir: Path
    train: dict[str, Any]
    run: dict[str, Any]

    def warehouse(self) -> Warehouse:
        overrides = {k.removeprefix("NBAPROPS_").lower(): v for k, v in self.env.items()}
        return open_warehouse(load_settings(**overrides))


def _cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, (args, result.stdout, result.exception)
    parsed: dict[str, Any] = json.loads(result.stdout.splitlines()[0])
    return parsed


def _both_days(bigquery_fake: FakeBigQuery, root: Path) -> tuple[Side, Side]:
    prepared = shared_prepared_day()
    day = prepared.day.isoformat()
    duck_dir, bq_dir = root / "duck", root / "bq"
    path = copy_prepared(prepared, duck_dir)
    bq_env = bigquery_fake.new_dataset()
    bq_settings = bigquery_fake.settings(bq_env, query_timeout_s=120)
    with DuckDBWarehouse(str(path), query_timeout_s=120) as duck:
        create_schema(duck)
        bq = open_warehouse(load_settings(**bq_settings))
        create_schema(bq)
        for name in TABLES:
            arrow = duck.query_arrow(f"SELECT * FROM {name}")  # noqa: S608 - allow-listed
            if arrow.num_rows and name != "query_log":
                assert bq.insert_arrow(name, arrow) == arrow.num_rows
        bq.close()
    common = {"NBAPROPS_LOG_LEVEL": "ERROR"}
    envs = {
        "duck": {**common, "NBAPROPS_DATA_DIR": str(duck_dir), "NBAPROPS_WAREHOUSE_PATH": str(path)},
        "bq": {
            **common,
            "NBAPROPS_DATA_DIR": str(bq_dir),
            **{f"NBAPROPS_{k.upper()}": str(v) for k, v in bq_settings.items()},
        },
    }
    sides = []
    for name, directory in (("duck", duck_dir), ("bq", bq_dir)):
        env = envs[name]
        trained = _cli(env, "train", "--as-of", day, "--json")
        ran = _cli(env, "run", "--date", day, "--sandbox", "--json")
        sides.append(Side(env, directory, trained, ran))
    return sides[0], sides[1]


@pytest.fixture(scope="module")
def days(
    bigquery_fake: FakeBigQuery, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Side, Side]]:
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.upper().startswith("NBAPROPS_")]:
            mp.delenv(key)
        yield _both_days(bigquery_fake, tmp_path_factory.mktemp("bqday"))


def _plain(value: Any, *, is_json: bool = False) -> Any:
    if is_json and isinstance(value, str):
        return _plain(json.loads(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in PUBLISHED_VOLATILE}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 6)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)  # one tzinfo object for UTC, whichever the driver chose
    return value


def _table(wh: Warehouse, table: str) -> list[tuple[Any, ...]]:
    spec = table_spec(table)
    columns = [c for c in spec.columns if c.name not in VOLATILE]
    names = ", ".join(c.name for c in columns)
    if "table_name" in spec.column_names:  # checks of each backend's own bookkeeping tables differ
        rows = wh.query_rows(
            f"SELECT {names} FROM {table} WHERE NOT list_contains(?, table_name)",  # noqa: S608 - allow-listed
            [sorted(BOOKKEEPING)],
        )
    else:
        rows = wh.query_rows(f"SELECT {names} FROM {table}")  # noqa: S608 - allow-listed
    return sorted(
        (
            tuple(_plain(v, is_json=c.type == "JSON") for c, v in zip(columns, row, strict=True))
            for row in rows
        ),
        key=repr,
    )


def test_train_on_bigquery_registers_the_same_models_as_on_duckdb(days: tuple[Side, Side]) -> None:
    duck, bq = days
    assert bq.train == duck.train
    assert duck.train["rows"] > 0
    assert duck.train["models"]


def test_the_day_on_bigquery_runs_the_same_steps_with_the_same_rows(days: tuple[Side, Side]) -> None:
    duck, bq = days

    def outcomes(side: Side) -> list[tuple[Any, ...]]:
        # The health step's rows are the alerts it raised: a slow step (wall clock) or the day's
        # spend (BigQuery bills bytes, DuckDB nothing) may raise one on either side.
        return [
            (s["occurrence"], s["status"], None if s["occurrence"] == "health" else s["rows"])
            for s in side.run["steps"]
        ]

    assert outcomes(bq) == outcomes(duck)
    statuses = {s[1] for s in outcomes(duck)}
    assert statuses <= {"success", "degraded", "skipped"}
    assert {"predict", "grade", "publish"} <= {s[0] for s in outcomes(duck)}


def test_every_table_holds_the_same_rows_after_the_day(days: tuple[Side, Side]) -> None:
    duck, bq = days
    on_duck, on_bq = duck.warehouse(), bq.warehouse()
    try:
        compared, differ = 0, []
        for table in sorted(TABLES):
            if table in BOOKKEEPING:
                continue
            expected = _table(on_duck, table)
            if _table(on_bq, table) != expected:
                differ.append(table)
            compared += bool(expected)
        assert differ == []
        for table in ("predictions", "prediction_grades", "prediction_history", "model_registry"):
            assert on_duck.row_count(table) > 0, table
        assert compared >= 30
    finally:
        on_duck.close()
        on_bq.close()


def test_the_published_files_are_the_same(days: tuple[Side, Side]) -> None:
    duck, bq = days

    def published(side: Side) -> dict[str, Any]:
        root = side.data_dir / "lake"
        files = {}
        for path in sorted(root.rglob("*.json")):
            relative = path.relative_to(root).as_posix()
            if not relative.startswith("raw/"):
                document = _plain(json.loads(path.read_text()))
                if isinstance(document, dict) and document.get("kind") in {"index", "status"}:
                    document.pop("as_of")  # the moment of publishing
                files[relative] = document
        return files

    expected = published(duck)
    assert len(expected) > 3
    assert published(bq) == expected
