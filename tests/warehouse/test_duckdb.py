"""The warehouse contract on both backends (DuckDB, and BigQuery through the fake REST endpoint):
schema, Arrow in and out, MERGE, binding, transactions; then DuckDB's own timeouts and locks."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from bqfake import open_backend
from nbaprops.errors import ConfigError, SchemaMismatch, WarehouseBusy, WarehouseError
from nbaprops.settings import load_settings
from nbaprops.warehouse import TABLES, TableSpec, Warehouse, create_schema, open_warehouse
from nbaprops.warehouse.duckdb import DuckDBWarehouse

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
BACKENDS = ["duckdb", "duckdb-delete-insert", "bigquery"]


@pytest.fixture(params=BACKENDS)
def wh(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    warehouse = open_backend(request.param, request)
    yield warehouse
    warehouse.close()


def _quarantine(shas: list[str], errors: list[str]) -> pa.Table:
    return pa.table(
        {
            "quarantined_at": pa.array([NOW] * len(shas), pa.timestamp("us", tz="UTC")),
            "kind": ["nbac_schedule_api"] * len(shas),
            "error_type": ["SchemaDrift"] * len(shas),
            "error": errors,
            "first_bytes": pa.array([b"\x00{" for _ in shas], pa.binary()),
            "payload_sha256": shas,
        }
    )


def test_create_schema_is_idempotent(wh: Warehouse) -> None:
    wh.insert_arrow("quarantine", _quarantine(["a"], ["e"]))
    create_schema(wh)
    create_schema(wh)
    assert all(wh.table_exists(name) for name in TABLES)
    assert wh.row_count("quarantine") == 1


def _old_layout(monkeypatch: pytest.MonkeyPatch, column: str, retyped: str | None = None) -> None:
    """Make ``quarantine`` look as an older version declared it: without ``column``, or with it
    of type ``retyped``; ``monkeypatch.undo()`` brings back today's spec."""
    spec = TABLES["quarantine"]
    columns = tuple(
        replace(c, type=retyped) if c.name == column else c
        for c in spec.columns
        if c.name != column or retyped is not None
    )
    monkeypatch.setitem(TABLES, "quarantine", TableSpec(spec.name, columns, spec.key, spec.description))


@pytest.mark.parametrize("backend", BACKENDS)
def test_create_schema_adds_a_declared_column_to_an_old_table_and_keeps_its_rows(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_layout(monkeypatch, "error")
    old = open_backend(backend, request)  # a warehouse created by the older version, with rows
    try:
        old.insert_arrow("quarantine", _quarantine(["a", "b"], ["x", "y"]).drop_columns(["error"]))
        assert "error" not in old.table_columns(["quarantine"])["quarantine"]
        monkeypatch.undo()
        create_schema(old)
        create_schema(old)  # once added, nothing more to do
        assert set(old.table_columns(["quarantine"])["quarantine"]) == set(TABLES["quarantine"].column_names)
        rows = old.query_rows("SELECT payload_sha256, error FROM quarantine ORDER BY 1")
        assert rows == [("a", None), ("b", None)]
        old.insert_arrow("quarantine", _quarantine(["c"], ["new"]))
        assert old.query_rows("SELECT error FROM quarantine WHERE payload_sha256 = 'c'") == [("new",)]
    finally:
        old.close()


@pytest.mark.parametrize("backend", ["duckdb", "bigquery"])
def test_create_schema_refuses_a_column_stored_with_another_type(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_layout(monkeypatch, "error", retyped="INT64")
    old = open_backend(backend, request)
    try:
        monkeypatch.undo()
        with pytest.raises(SchemaMismatch, match="quarantine: error is INT64, declared STRING"):
            create_schema(old)
        assert old.table_columns(["quarantine"])["quarantine"]["error"] in {"BIGINT", "INTEGER", "INT64"}
    finally:
        old.close()


def test_insert_and_query_arrow_round_trip(wh: Warehouse) -> None:
    batch = _quarantine(["s1", "s2", "s3"], ["bad", "worse", "worst"])
    assert wh.insert_arrow("quarantine", batch) == 3
    back = wh.query_arrow(
        "SELECT quarantined_at, kind, error_type, error, first_bytes, payload_sha256 "
        "FROM quarantine ORDER BY payload_sha256"
    )
    assert back.to_pylist() == batch.to_pylist()
    assert wh.query_rows("SELECT error FROM quarantine WHERE payload_sha256 = ?", ["s2"]) == [("worse",)]


def test_merge_twice_keeps_row_count_and_updates_values(wh: Warehouse) -> None:
    wh.merge_arrow("quarantine", _quarantine(["s1", "s2"], ["old", "old"]))
    wh.merge_arrow("quarantine", _quarantine(["s1", "s2"], ["old", "old"]))
    assert wh.row_count("quarantine") == 2
    wh.merge_arrow("quarantine", _quarantine(["s2", "s3"], ["new", "new"]))
    rows = wh.query_rows("SELECT payload_sha256, error FROM quarantine ORDER BY 1")
    assert rows == [("s1", "old"), ("s2", "new"), ("s3", "new")]


def test_merge_newer_by_lets_only_newer_rows_replace_stored_ones(wh: Warehouse) -> None:
    newer = _quarantine(["s1", "s2"], ["new", "new"]).set_column(
        0, "quarantined_at", pa.array([NOW, NOW], pa.timestamp("us", tz="UTC"))
    )
    older = _quarantine(["s1", "s3"], ["old", "old"]).set_column(
        0, "quarantined_at", pa.array([NOW.replace(hour=9)] * 2, pa.timestamp("us", tz="UTC"))
    )
    wh.merge_arrow("quarantine", newer, newer_by=("quarantined_at",))
    wh.merge_arrow("quarantine", older, newer_by=("quarantined_at",))
    rows = wh.query_rows("SELECT payload_sha256, error FROM quarantine ORDER BY 1")
    assert rows == [("s1", "new"), ("s2", "new"), ("s3", "old")]


def test_merge_refuses_a_batch_that_repeats_a_key(wh: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="repeat"):
        wh.merge_arrow("quarantine", _quarantine(["s1", "s1"], ["a", "b"]))
    assert wh.row_count("quarantine") == 0


def test_query_past_timeout_raises_and_connection_still_works() -> None:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=0.2)
    with pytest.raises(WarehouseError, match=r"timed out after 0\.2 s"):
        wh.query_rows("SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000000) b")
    assert wh.query_rows("SELECT 41 + 1") == [(42,)]
    wh.close()


def test_a_statement_right_after_quick_ones_still_times_out() -> None:
    # The watchdog is not woken for a statement armed while it sleeps until an earlier deadline:
    # it must still look at the new deadline when it wakes, and interrupt the slow statement.
    wh = DuckDBWarehouse(":memory:", query_timeout_s=0.3)
    for value in range(50):
        assert wh.query_rows("SELECT ?", [value]) == [(value,)]
    with pytest.raises(WarehouseError, match=r"timed out after 0\.3 s"):
        wh.query_rows("SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000000) b")
    assert wh.query_rows("SELECT 41 + 1") == [(42,)]
    wh.close()


def test_values_are_bound_not_spliced(wh: Warehouse) -> None:
    hostile = "x'); DROP TABLE quarantine; --"
    wh.execute(
        "INSERT INTO quarantine (quarantined_at, kind, error_type, error, payload_sha256) "
        "VALUES (?, ?, ?, ?, ?)",
        [NOW, "k", "E", hostile, "s"],
    )
    assert wh.table_exists("quarantine")
    assert wh.query_rows("SELECT error FROM quarantine") == [(hostile,)]


def test_unknown_table_and_column_names_are_rejected(wh: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="allow-list"):
        wh.row_count("quarantine; DROP TABLE run_ledger")
    with pytest.raises(WarehouseError, match="allow-list"):
        wh.insert_arrow("users", pa.table({"a": [1]}))
    with pytest.raises(WarehouseError, match="no column"):
        wh.insert_arrow("quarantine", pa.table({'kind"; DROP TABLE run_ledger; --': ["x"]}))
    assert wh.table_exists("run_ledger")


class _StepFailedError(Exception):
    pass


def _load_then_fail(wh: Warehouse) -> None:
    with wh.transaction():
        wh.insert_arrow("quarantine", _quarantine(["s1", "s2"], ["a", "b"]))
        with wh.transaction():  # nested blocks join the outer transaction
            wh.insert_arrow("quarantine", _quarantine(["s3"], ["c"]))
        raise _StepFailedError


def test_transaction_rolls_back_on_exception(wh: Warehouse) -> None:
    with pytest.raises(_StepFailedError):
        _load_then_fail(wh)
    assert wh.row_count("quarantine") == 0
    with wh.transaction():
        wh.insert_arrow("quarantine", _quarantine(["s1"], ["a"]))
    assert wh.row_count("quarantine") == 1


def test_sql_errors_become_warehouse_errors(wh: Warehouse) -> None:
    with pytest.raises(WarehouseError, match=r"CatalogException|no_such_table"):
        wh.query_rows("SELECT * FROM no_such_table")


_SECOND_WRITER = """
import sys
from nbaprops.errors import WarehouseBusy
from nbaprops.warehouse.duckdb import DuckDBWarehouse
try:
    DuckDBWarehouse(sys.argv[1], query_timeout_s=5)
except WarehouseBusy as exc:
    print("busy:", exc)
    sys.exit(3)
sys.exit(0)
"""


def _second_writer(path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", _SECOND_WRITER, path], capture_output=True, text=True, timeout=60, check=False
    )


def test_second_process_writer_gets_warehouse_busy(tmp_path: Path) -> None:
    path = str(tmp_path / "wh.duckdb")
    with DuckDBWarehouse(path, query_timeout_s=5) as wh:
        create_schema(wh)
        done = _second_writer(path)
        assert done.returncode == 3, done.stderr
        assert "locked by another process" in done.stdout
    after = _second_writer(path)
    assert after.returncode == 0, after.stdout + after.stderr


def test_read_only_warehouse_refuses_writes(tmp_path: Path) -> None:
    path = str(tmp_path / "wh.duckdb")
    DuckDBWarehouse(path, query_timeout_s=5).close()
    reader = DuckDBWarehouse(path, query_timeout_s=5, read_only=True)
    with pytest.raises(WarehouseError):
        reader.execute("CREATE TABLE run_ledger (x INTEGER)")
    reader.close()


def test_open_warehouse_follows_settings(tmp_path: Path) -> None:
    wh = open_warehouse(load_settings(data_dir=tmp_path / "d"))
    create_schema(wh)
    assert (tmp_path / "d" / "warehouse.duckdb").exists()
    assert wh.capabilities.dialect == "duckdb"
    wh.close()
    with pytest.raises(ConfigError, match="NBAPROPS_GCP_PROJECT"):
        open_warehouse(load_settings(warehouse_backend="bigquery"))


_HOLDER = """
import sys, time
from nbaprops.warehouse.duckdb import DuckDBWarehouse
wh = DuckDBWarehouse(sys.argv[1], query_timeout_s=5)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
wh.close()
"""


def _holder(path: Path, seconds: float) -> subprocess.Popen[str]:
    """A second process that holds the warehouse file's lock for ``seconds``."""
    holder = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", _HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_locked_warehouse_is_retried_until_the_holder_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    with _holder(path, 1.5) as holder:
        wh = open_warehouse(load_settings(warehouse_path=str(path), warehouse_lock_wait_s=60))
        create_schema(wh)
        wh.close()
        assert holder.wait(timeout=60) == 0


def test_a_warehouse_locked_past_the_wait_fails_with_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    with _holder(path, 30) as holder:
        with pytest.raises(WarehouseBusy, match=r"still locked after waiting 0\.5 s"):
            open_warehouse(load_settings(warehouse_path=str(path), warehouse_lock_wait_s=0.5))
        holder.kill()
