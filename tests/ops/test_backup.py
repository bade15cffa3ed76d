"""Backup and restore on a small warehouse: Parquet + manifest, incremental partitions, verification."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from nbaprops.errors import QualityGateError
from nbaprops.ops.backup import BackupStore, backup, restore, verify_files
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

NOW = datetime(2025, 11, 4, 6, 0, tzinfo=UTC)


def _fact(wh: DuckDBWarehouse, day: date, fact: str) -> None:
    wh.execute(
        "INSERT INTO fact_sources (game_date, fact, source, status, reason, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [day, fact, "nbacom", "served", None, NOW],
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(str(tmp_path / "wh.duckdb"), query_timeout_s=30)
    create_schema(wh)
    for day in (date(2025, 10, 31), date(2025, 11, 3)):
        _fact(wh, day, "box_scores")
        _fact(wh, day, "schedule")
    wh.execute(
        "INSERT INTO alerts (alert_id, raised_at, kind, severity, message, context) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ["a1", NOW, "quarantine", "error", "bad payload", json.dumps({"step": "ingest"})],
    )
    yield wh
    wh.close()


def test_a_backup_restores_into_an_empty_warehouse_and_verifies(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    store = BackupStore(str(tmp_path / "backups"))
    snapshot = backup(warehouse, store)
    manifest = json.loads((tmp_path / "backups" / snapshot.snapshot_id / "manifest.json").read_text())
    facts = manifest["tables"]["fact_sources"]
    assert facts["rows"] == 4
    assert [f["partition"] for f in facts["files"]] == ["2025-10", "2025-11"]
    assert all(len(f["sha256"]) == 64 for f in facts["files"])
    assert manifest["tables"]["alerts"]["files"][0]["partition"] == "all"
    assert verify_files(store, snapshot) == []
    assert warehouse.query_rows("SELECT tables, rows FROM backups") == [(len(snapshot.tables), snapshot.rows)]

    target = DuckDBWarehouse(str(tmp_path / "restored.duckdb"), query_timeout_s=30)
    try:
        report = restore(target, store, "latest", verify=True)
        assert report.problems == []
        assert report.rows == snapshot.rows
        assert target.query_rows("SELECT * FROM alerts") == warehouse.query_rows("SELECT * FROM alerts")
        assert target.row_count("fact_sources") == 4
        with pytest.raises(QualityGateError, match="empty warehouse"):
            restore(target, store, snapshot.snapshot_id)
    finally:
        target.close()


def test_the_next_backup_rewrites_only_the_partitions_that_changed(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    store = BackupStore(str(tmp_path / "backups"))
    first = backup(warehouse, store)
    _fact(warehouse, date(2025, 11, 3), "injuries")
    second = backup(warehouse, store)
    facts = {f.partition: f.path for f in second.tables["fact_sources"].files}
    assert facts["2025-10"].startswith(first.snapshot_id), "an unchanged partition is reused"
    assert facts["2025-11"].startswith(second.snapshot_id), "a changed partition is written again"
    # backups (one more row) and fact_sources' November are the only new files.
    assert second.files_written == 2


def test_a_corrupted_file_is_caught_by_verify_and_refused_by_restore(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    store = BackupStore(str(tmp_path / "backups"))
    snapshot = backup(warehouse, store)
    victim = snapshot.tables["fact_sources"].files[0]
    path = tmp_path / "backups" / victim.path
    path.write_bytes(path.read_bytes()[:-8] + b"corrupt!")
    assert verify_files(store, snapshot) == [
        f"fact_sources/{victim.partition}: sha256 differs from the manifest"
    ]
    target = DuckDBWarehouse(":memory:", query_timeout_s=30)
    try:
        with pytest.raises(QualityGateError, match="does not match its sha256"):
            restore(target, store, snapshot.snapshot_id)
    finally:
        target.close()


def test_an_unknown_snapshot_is_one_clear_error(tmp_path: Path) -> None:
    store = BackupStore(str(tmp_path / "nothing"))
    target = DuckDBWarehouse(":memory:", query_timeout_s=30)
    try:
        with pytest.raises(QualityGateError, match="no snapshot"):
            restore(target, store, "latest")
    finally:
        target.close()


def test_a_backup_to_a_bucket_restores_and_verifies(
    warehouse: DuckDBWarehouse, gcs_emulator: str, tmp_path: Path
) -> None:
    """gs:// through gcsfs, against the local Cloud Storage emulator (tests/gcsemu.py)."""
    import uuid

    from gcsemu import BUCKET
    from nbaprops.settings import load_settings

    settings = load_settings(gcs_endpoint_url=gcs_emulator, gcp_project="test-project")
    store = BackupStore(f"gs://{BUCKET}/backups-{uuid.uuid4().hex}", settings=settings)
    snapshot = backup(warehouse, store)
    assert store.snapshot_ids() == [snapshot.snapshot_id]
    assert verify_files(store, snapshot) == []
    target = DuckDBWarehouse(str(tmp_path / "from-bucket.duckdb"), query_timeout_s=30)
    try:
        report = restore(target, store, "latest", verify=True)
        assert report.rows == snapshot.rows
        assert target.query_rows("SELECT * FROM fact_sources ORDER BY ALL") == warehouse.query_rows(
            "SELECT * FROM fact_sources ORDER BY ALL"
        )
    finally:
        target.close()
