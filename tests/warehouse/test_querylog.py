"""The query log on DuckDB: every statement recorded (kind, rows, duration, step), written in batches."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nbaprops.errors import WarehouseError
from nbaprops.settings import load_settings
from nbaprops.warehouse import RunLedger, create_schema, open_warehouse
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.querylog import QueryLog, query_context, statement_kind

DAY = date(2025, 1, 15)


def _logged(path: Path) -> list[tuple[object, ...]]:
    with DuckDBWarehouse(str(path), query_timeout_s=30, read_only=True) as reader:
        return reader.query_rows(
            "SELECT statement_kind, step, game_date, rows, duration_s, backend, bytes_billed, error "
            "FROM query_log ORDER BY started_at, query_id"
        )


def test_every_statement_is_logged_with_its_step_rows_and_duration(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    wh = open_warehouse(load_settings(warehouse_path=str(path)))
    create_schema(wh)
    ledger = RunLedger(wh)
    with ledger.step("build", game_date=DAY):
        wh.query_rows("SELECT * FROM range(7)")
        wh.execute("DELETE FROM alerts WHERE kind = ?", ["x"])
    with query_context("r1", "publish", None):
        wh.query_arrow("SELECT 1 AS a UNION ALL SELECT 2")
    wh.close()
    rows = _logged(path)
    in_build = [r for r in rows if r[1] == "build"]
    assert [(r[0], r[2], r[3]) for r in in_build] == [("select", DAY, 7), ("delete", DAY, 0)]
    assert all(isinstance(r[4], float) and r[4] >= 0 for r in rows)
    assert all(r[5] == "duckdb" and r[6] is None and r[7] is None for r in rows)
    assert [(r[0], r[3]) for r in rows if r[1] == "publish"] == [("select", 2)]
    assert any(r[0] == "ddl" for r in rows)  # create_schema's statements, outside any step
    assert any(r[0] == "insert" and r[1] is None for r in rows)  # the ledger's own row


class _Counting(DuckDBWarehouse):
    """Counts the statements that write the log."""

    log_writes = 0

    def flush_query_log(self) -> int:
        written = super().flush_query_log()
        self.log_writes += bool(written)
        return written


def test_the_log_is_written_in_batches_not_a_statement_per_statement(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    wh = _Counting(str(path), query_timeout_s=30, query_log_batch=50)
    create_schema(wh)
    for n in range(120):
        wh.query_rows("SELECT ?", [n])
    before_close = wh.log_writes
    wh.close()
    rows = _logged(path)
    # ~170 statements (create_schema's ~50 among them): one write per 50, none inside the
    # schema's transaction, and the rest at close.
    assert len(rows) >= 170
    assert before_close == len(rows) // 50
    assert wh.log_writes == before_close + 1
    assert sum(1 for r in rows if r[0] == "select") >= 120


def test_a_failed_statement_is_logged_with_its_error(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    wh = DuckDBWarehouse(str(path), query_timeout_s=30)
    create_schema(wh)
    with pytest.raises(WarehouseError, match="no_such_table"):
        wh.query_rows("SELECT * FROM no_such_table")
    wh.close()
    [failed] = [r for r in _logged(path) if r[7] is not None]
    assert failed[0] == "select"
    assert "CatalogException" in str(failed[7])


def test_without_a_query_log_table_nothing_is_written_and_nothing_fails() -> None:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=30, query_log_batch=1)
    assert wh.query_rows("SELECT 1") == [(1,)]
    assert wh.flush_query_log() == 0
    wh.close()


def test_the_log_can_be_turned_off(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    wh = open_warehouse(load_settings(warehouse_path=str(path), query_log_enabled=False))
    create_schema(wh)
    wh.query_rows("SELECT 1")
    wh.close()
    assert _logged(path) == []


def test_statement_kinds() -> None:
    assert statement_kind("  (SELECT 1)") == "select"
    assert statement_kind("WITH a AS (SELECT 1) SELECT * FROM a") == "select"
    assert statement_kind("MERGE INTO t") == "merge"
    assert statement_kind("CREATE TABLE IF NOT EXISTS t (a INT)") == "ddl"
    assert statement_kind("BEGIN TRANSACTION") == "transaction"
    assert statement_kind("CALL x()") == "other"
    log = QueryLog("duckdb", batch_rows=2)
    assert log.drain() is None
