"""``nbaprops doctor`` against each backend: DuckDB and a local folder, BigQuery through the fake
REST endpoint, and a gs:// lake on the Cloud Storage emulator."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from bqfake import FakeBigQuery
from gcsemu import BUCKET
from nbaprops.cli import app
from nbaprops.settings import load_settings
from nbaprops.warehouse import create_schema, open_warehouse


def _doctor(monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, list[str], dict[str, object]]:
    for key, value in env.items():
        monkeypatch.setenv(f"NBAPROPS_{key.upper()}", value)
    saved = structlog.get_config()
    try:
        lines = CliRunner().invoke(app, ["doctor"])
        as_json = CliRunner().invoke(app, ["doctor", "--json"])
    finally:
        structlog.configure(**saved)
    assert lines.exit_code == as_json.exit_code
    return (
        lines.exit_code,
        lines.output.strip().splitlines(),
        json.loads(as_json.output.strip().splitlines()[-1]),
    )


def test_the_embedded_defaults_pass(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NBAPROPS_DATA_DIR", str(tmp_path / "data"))
    wh = open_warehouse(load_settings())
    create_schema(wh)
    wh.close()
    code, lines, report = _doctor(monkeypatch)
    assert code == 0, lines
    assert report["ok"] is True
    assert [line.split()[:3] for line in lines] == [
        ["ok", "warehouse", "reach"],
        ["ok", "warehouse", "tables"],
        ["ok", "lake", "folder"],
        ["ok", "lake", "permissions"],
    ]


def test_a_fresh_duckdb_reports_its_missing_tables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, lines, _ = _doctor(monkeypatch, data_dir=str(tmp_path / "fresh"))
    assert code == 1
    [missing] = [line for line in lines if line.startswith("MISSING")]
    assert "tables missing" in missing
    assert "nbaprops ingest" in missing


def test_bigquery_and_gcs_report_what_is_missing_one_line_each(
    monkeypatch: pytest.MonkeyPatch, bigquery_fake: FakeBigQuery, gcs_emulator: str
) -> None:
    env = {k: str(v) for k, v in bigquery_fake.settings("nodataset").items()}
    code, lines, report = _doctor(
        monkeypatch,
        **env,
        lake_url="gs://no-such-bucket/lake",
        gcs_endpoint_url=gcs_emulator,
    )
    assert code == 1
    missing = [line for line in lines if line.startswith("MISSING")]
    assert len(missing) == 2
    assert "dataset fake-project.nodataset_nbaprops does not exist" in missing[0]
    assert "bucket no-such-bucket does not exist" in missing[1]
    assert lines[0].startswith("ok      warehouse reach")
    assert [c["name"] for c in report["checks"] if not c["ok"]] == ["dataset", "bucket"]  # type: ignore[index, union-attr]


def test_bigquery_and_gcs_pass_once_provisioned(
    monkeypatch: pytest.MonkeyPatch, bigquery_fake: FakeBigQuery, gcs_emulator: str
) -> None:
    env = bigquery_fake.settings(bigquery_fake.new_dataset())
    wh = open_warehouse(load_settings(**env))
    create_schema(wh)
    wh.close()
    lake = f"gs://{BUCKET}/doctor-{uuid.uuid4().hex[:8]}"
    code, lines, _ = _doctor(
        monkeypatch, **{k: str(v) for k, v in env.items()}, lake_url=lake, gcs_endpoint_url=gcs_emulator
    )
    assert code == 0, lines
    names = [line.split()[2] for line in lines]
    assert names == [
        "reach",
        "dataset",
        "tables",
        "permissions",
        "permissions",
        "quota",
        "bucket",
        "permissions",
    ]
    assert "capped at 10 GiB" in lines[5]

    bigquery_fake.denied = {"bigquery.tables.updateData"}
    try:
        code, lines, _ = _doctor(monkeypatch)
    finally:
        bigquery_fake.denied = set()
    assert code == 1
    [missing] = [line for line in lines if line.startswith("MISSING")]
    assert "lacking bigquery.tables.updateData: grant roles/bigquery.dataEditor" in missing


def test_an_unreachable_bigquery_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code, lines, _ = _doctor(
        monkeypatch,
        warehouse_backend="bigquery",
        gcp_project="p",
        bq_api_endpoint="http://127.0.0.1:9",
        bq_retry_deadline_s="1",
        data_dir=str(tmp_path),
    )
    assert code == 1
    assert lines[0].split()[:3] == ["MISSING", "warehouse", "reach"]
    assert "cannot reach BigQuery at http://127.0.0.1:9" in lines[0]
