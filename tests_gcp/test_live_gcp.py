"""Live checks against a real Google Cloud project: ``make test-gcp`` only, never ``make test``.

Not under ``tests/`` (the suite's testpaths), so the default run never collects it. Needs
``NBAPROPS_GCP_PROJECT``, ``NBAPROPS_TEST_GCS_BUCKET`` and credentials
(``GOOGLE_APPLICATION_CREDENTIALS`` or ``gcloud auth application-default login``) with
roles/bigquery.user on the project (datasets and jobs) and roles/storage.objectUser on the bucket.
Each run works in its own dataset ``ci<random>_nbaprops`` and bucket prefix, deleted at the end.

``test_the_day_on_bigquery_gives_duckdbs_rows`` is the suite's whole-pipeline comparison
(tests/pipeline/test_day_on_bigquery.py: ``nbaprops train`` and ``nbaprops run --sandbox`` on each
warehouse, every table and published file compared) against the real project instead of the fake
endpoint. Thousands of jobs: expect tens of minutes.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from nbaprops.settings import Settings, load_settings
from nbaprops.warehouse import RunLedger, create_schema, open_warehouse
from nbaprops.warehouse.bigquery import BigQueryWarehouse, bigquery_client

PROJECT = os.environ.get("NBAPROPS_GCP_PROJECT", "")
BUCKET = os.environ.pop("NBAPROPS_TEST_GCS_BUCKET", "")  # not a setting: a test input
if not PROJECT or not BUCKET:
    raise RuntimeError("make test-gcp needs NBAPROPS_GCP_PROJECT, NBAPROPS_TEST_GCS_BUCKET and credentials")

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    env = f"ci{uuid.uuid4().hex[:8]}"
    settings = load_settings(deploy_env=env, bq_max_bytes=2**30, query_timeout_s=120)
    client = bigquery_client(settings)
    from google.cloud import bigquery

    dataset = bigquery.Dataset(f"{PROJECT}.{settings.bq_dataset_name}")
    dataset.location = settings.bq_location
    dataset.default_table_expiration_ms = 24 * 3600 * 1000
    client.create_dataset(dataset, timeout=60)
    try:
        yield settings
    finally:
        client.delete_dataset(dataset, delete_contents=True, not_found_ok=True, timeout=60)
        client.close()  # type: ignore[no-untyped-call]


def test_schema_merge_query_transaction_and_query_log(settings: Settings) -> None:
    wh = open_warehouse(settings)
    assert isinstance(wh, BigQueryWarehouse)
    create_schema(wh)
    rows = pa.table(
        {
            "quarantined_at": pa.array([NOW, NOW], pa.timestamp("us", tz="UTC")),
            "kind": ["k", "k"],
            "error_type": ["E", "E"],
            "error": ["a", "b"],
            "payload_sha256": ["s1", "s2"],
        }
    )
    ledger = RunLedger(wh)
    with ledger.step("live", game_date=TODAY) as run:
        run.rows_out = wh.merge_arrow("quarantine", rows)
        assert wh.merge_arrow("quarantine", rows) == 2
    assert wh.row_count("quarantine") == 2
    assert wh.query_rows("SELECT error FROM quarantine WHERE payload_sha256 = ?", ["s2"]) == [("b",)]
    with pytest.raises(RuntimeError, match="roll back"):
        _delete_then_fail(wh)
    assert wh.row_count("quarantine") == 2
    [entry] = ledger.recent("live")
    assert entry.status == "success"
    wh.close()
    again = open_warehouse(settings)
    logged = again.query_rows(
        "SELECT count(*), sum(bytes_billed) FROM query_log WHERE step = ? AND backend = 'bigquery'", ["live"]
    )
    assert logged[0][0] >= 3
    again.close()


def _delete_then_fail(wh: BigQueryWarehouse) -> None:
    with wh.transaction():
        wh.execute("DELETE FROM quarantine WHERE kind = ?", ["k"])
        raise RuntimeError("roll back")


def test_gcs_lake_round_trip(settings: Settings) -> None:
    from nbaprops.lake import lake_at

    url = f"gs://{BUCKET}/ci-{uuid.uuid4().hex[:8]}"
    lake = lake_at(url, settings)
    payload = os.urandom(100_000)
    obj = lake.put("live", "check", TODAY, payload, fetched_at=NOW, content_type="application/octet-stream")
    assert lake.get(obj.path) == payload
    assert [o.path for o in lake.list("live")] == [obj.path]
    assert all(check.ok for check in lake.doctor())


def test_the_day_on_bigquery_gives_duckdbs_rows(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The suite's day helpers (tests/pipeline) drive the whole-pipeline comparison here too.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "pipeline"))
    from bigquery_day import differing_tables, outcomes, published_files, run_both

    # Each side gets its settings from run_both alone (no lake URL or backend from this shell).
    for key in [k for k in os.environ if k.upper().startswith("NBAPROPS_")]:
        monkeypatch.delenv(key)

    bq_settings = {
        "warehouse_backend": "bigquery",
        "gcp_project": PROJECT,
        "deploy_env": settings.deploy_env,
        "bq_dataset": settings.bq_dataset,
        "bq_max_bytes": settings.bq_max_bytes,
        "query_timeout_s": settings.query_timeout_s,
    }
    duck, bq = run_both(bq_settings, tmp_path)
    assert bq.train == duck.train
    assert outcomes(bq) == outcomes(duck)
    differ, compared = differing_tables(duck, bq)
    assert differ == []
    assert compared >= 30
    assert published_files(bq) == published_files(duck)
