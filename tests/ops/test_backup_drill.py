"""The drill: back up a demo-like warehouse, delete it, restore it, compare every table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ops_support import BuiltSeason
from typer.testing import CliRunner

from nbaprops.cli import app
from nbaprops.errors import QualityGateError
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.schema import TABLES


def _contents(path: Path) -> dict[str, list[str]]:
    """Every table's rows as sorted text: an independent check of what the restore compares."""
    with DuckDBWarehouse(str(path), query_timeout_s=120, read_only=True) as wh:
        return {name: sorted(map(repr, wh.query_rows(f"SELECT * FROM {name}"))) for name in TABLES}  # noqa: S608


def test_backup_delete_restore_gives_back_every_table(
    built_season: BuiltSeason, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse_path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_season.path, warehouse_path)
    monkeypatch.setenv("NBAPROPS_WAREHOUSE_PATH", str(warehouse_path))
    monkeypatch.setenv("NBAPROPS_BACKUP_URL", str(tmp_path / "backups"))
    runner = CliRunner()

    backed = runner.invoke(app, ["backup", "--verify"])
    assert backed.exit_code == 0, backed.output
    assert "verified" in backed.output
    before = _contents(warehouse_path)
    populated = [name for name, rows in before.items() if rows]
    assert {"raw_nbac_player_boxscores", "player_game_summary", "run_ledger"} <= set(populated)

    warehouse_path.unlink()  # the lost warehouse
    # The operator looks before restoring: any command records its own statements in query_log,
    # which must not make the new warehouse count as occupied.
    runner.invoke(app, ["health", "--json"])
    with DuckDBWarehouse(str(warehouse_path), query_timeout_s=30, read_only=True) as wh:
        assert wh.row_count("query_log") > 0
        assert wh.row_count("run_ledger") == 0

    restored = runner.invoke(app, ["restore", "latest", "--verify", "--json"])
    assert restored.exit_code == 0, restored.output
    after = _contents(warehouse_path)
    # The restore itself marks the snapshot verified in `backups`, and `query_log` records the
    # backup's and the restore's own statements; every other table is identical.
    own = {"backups", "query_log"}
    assert {n: r for n, r in after.items() if n not in own} == {
        n: r for n, r in before.items() if n not in own
    }
    assert len(after["query_log"]) > len(before["query_log"]) > 0
    with DuckDBWarehouse(str(warehouse_path), query_timeout_s=30, read_only=True) as wh:
        assert wh.query_rows("SELECT count(*) FROM backups WHERE verified_at IS NOT NULL") == [(1,)]

    again = runner.invoke(app, ["restore", "latest"])
    assert isinstance(again.exception, QualityGateError)
    assert "empty warehouse" in str(again.exception)


def test_restore_from_the_lake_rebuilds_raw_and_built_tables_by_replay(
    built_season: BuiltSeason, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse_path = tmp_path / "replayed.duckdb"
    monkeypatch.setenv("NBAPROPS_WAREHOUSE_PATH", str(warehouse_path))
    monkeypatch.setenv("NBAPROPS_LAKE_URL", str(built_season.lake_root))
    result = CliRunner().invoke(app, ["restore", "--from-lake", "--json"])
    assert result.exit_code == 0, result.output
    original, replayed = _contents(built_season.path), _contents(warehouse_path)
    for table in ("raw_nbac_player_boxscores", "raw_nbac_schedule", "player_game_summary"):
        assert replayed[table], f"{table} is empty after the replay"
        assert len(replayed[table]) == len(original[table]), table
