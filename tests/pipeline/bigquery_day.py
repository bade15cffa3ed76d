"""The day on two warehouses: the same history, ``nbaprops train`` then ``nbaprops run``, on each.

``run_both(bq_settings, root)`` copies the prepared history (``day_support``) into a DuckDB file
and into the BigQuery dataset ``bq_settings`` names (the fake endpoint in the suite, a real project
in ``make test-gcp``), runs the two commands through the CLI on each, chosen by settings only, and
returns both sides. ``table_rows`` and ``published_files`` read what a side wrote, as values: JSON
parsed, floats rounded, UTC one way, and the columns that name a run or a wall-clock moment left
out.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from day_support import VOLATILE as DAY_VOLATILE
from day_support import copy_prepared, shared_prepared_day
from typer.testing import CliRunner

from nbaprops.cli import app
from nbaprops.settings import load_settings
from nbaprops.warehouse import TABLES, Warehouse, create_schema, open_warehouse, table_spec
from nbaprops.warehouse.duckdb import DuckDBWarehouse

# Which run wrote a row, when by the wall clock, and where on this machine: not the data.
VOLATILE = DAY_VOLATILE | {
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


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run an nbaprops command with ``env``; its first line of output as JSON."""
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, (args, result.stdout, result.exception)
    parsed: dict[str, Any] = json.loads(result.stdout.splitlines()[0])
    return parsed


def run_both(bq_settings: dict[str, Any], root: Path) -> tuple[Side, Side]:
    """DuckDB's side and BigQuery's, each after ``train --as-of D`` and ``run --date D --sandbox``."""
    prepared = shared_prepared_day()
    day = prepared.day.isoformat()
    duck_dir, bq_dir = root / "duck", root / "bq"
    path = copy_prepared(prepared, duck_dir)
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
        "duck": {
            **common,
            "NBAPROPS_WAREHOUSE_BACKEND": "duckdb",
            "NBAPROPS_DATA_DIR": str(duck_dir),
            "NBAPROPS_WAREHOUSE_PATH": str(path),
        },
        "bq": {
            **common,
            "NBAPROPS_DATA_DIR": str(bq_dir),
            **{f"NBAPROPS_{k.upper()}": str(v) for k, v in bq_settings.items()},
        },
    }
    sides = []
    for name, directory in (("duck", duck_dir), ("bq", bq_dir)):
        env = envs[name]
        trained = cli(env, "train", "--as-of", day, "--json")
        ran = cli(env, "run", "--date", day, "--sandbox", "--json")
        sides.append(Side(env, directory, trained, ran))
    return sides[0], sides[1]


def plain(value: Any, *, is_json: bool = False) -> Any:
    """A value as compared: JSON text parsed, volatile keys dropped, floats rounded, UTC as one tzinfo."""
    if is_json and isinstance(value, str):
        return plain(json.loads(value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k not in PUBLISHED_VOLATILE}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 6)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)  # one tzinfo object for UTC, whichever the driver chose
    return value


def table_rows(wh: Warehouse, table: str) -> list[tuple[Any, ...]]:
    """Every row of ``table`` as values, sorted (checks of bookkeeping tables left out)."""
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
            tuple(plain(v, is_json=c.type == "JSON") for c, v in zip(columns, row, strict=True))
            for row in rows
        ),
        key=repr,
    )


def outcomes(side: Side) -> list[tuple[Any, ...]]:
    """The day's steps: occurrence, status, rows.

    The health step's rows are the alerts it raised: a slow step (wall clock) or the day's spend
    (BigQuery bills bytes, DuckDB nothing) may raise one on either side, so they are left out.
    """
    return [
        (s["occurrence"], s["status"], None if s["occurrence"] == "health" else s["rows"])
        for s in side.run["steps"]
    ]


def published_files(side: Side) -> dict[str, Any]:
    """Every JSON file a side wrote outside the raw payloads, as values (publishing moments out)."""
    root = side.data_dir / "lake"
    files = {}
    for path in sorted(root.rglob("*.json")):
        relative = path.relative_to(root).as_posix()
        # publish_state/ holds digests of the publisher's input rows (its own bookkeeping, not a
        # published file): the two warehouses' rows may differ in their Python form, not in what is published.
        if not relative.startswith(("raw/", "publish_state/")):
            document = plain(json.loads(path.read_text()))
            if isinstance(document, dict) and document.get("kind") in {"index", "status"}:
                document.pop("as_of")  # the moment of publishing
            files[relative] = document
    return files


def differing_tables(duck: Side, bq: Side) -> tuple[list[str], int]:
    """The tables (bookkeeping aside) whose rows differ between the sides, and how many hold rows."""
    on_duck, on_bq = duck.warehouse(), bq.warehouse()
    try:
        compared, differ = 0, []
        for table in sorted(TABLES):
            if table in BOOKKEEPING:
                continue
            expected = table_rows(on_duck, table)
            if table_rows(on_bq, table) != expected:
                differ.append(table)
            compared += bool(expected)
        return differ, compared
    finally:
        on_duck.close()
        on_bq.close()
