"""Live checks against a real Google Cloud project: ``make test-gcp`` only, never ``make test``.

Not under ``tests/`` (the suite's testpaths), so the default run never collects it. Needs
``NBAPROPS_GCP_PROJECT``, ``NBAPROPS_TEST_GCS_BUCKET`` and credentials
(``GOOGLE_APPLICATION_CREDENTIALS`` or ``gcloud auth application-default login``) with
roles/bigquery.user on the project (datasets and jobs) and roles/storage.objectUser on the bucket.
Each run works in its own dataset ``ci<random>_nbaprops`` and bucket prefix, deleted at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

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
