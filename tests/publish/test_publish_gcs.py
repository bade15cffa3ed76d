"""Publishing to a bucket: the same files as in the local folder, with their content type and
Cache-Control, on the local Cloud Storage emulator (tests/gcsemu.py) through gcsfs."""

from __future__ import annotations

import uuid

from gcsemu import BUCKET
from nbaprops.lake import FsspecLake, open_lake
from nbaprops.publish.publisher import PREFIX, publish_date
from nbaprops.settings import load_settings
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from published_demo import Published


def test_a_bucket_gets_the_same_files_with_content_type_and_cache_control(
    published: Published, gcs_emulator: str
) -> None:
    settings = load_settings(
        data_dir=published.settings.data_dir,
        lake_url=f"gs://{BUCKET}/{uuid.uuid4().hex}",
        gcs_endpoint_url=gcs_emulator,
        gcp_project="test-project",
    )
    bucket = open_lake(settings)
    assert isinstance(bucket, FsspecLake)
    assert bucket.keeps_metadata
    warehouse = DuckDBWarehouse(str(published.settings.resolved_warehouse_path), query_timeout_s=30)
    try:
        for day in (published.graded_day, published.day):
            report = publish_date(warehouse, settings, day, lake=bucket)
    finally:
        warehouse.close()

    local = sorted(str(p.relative_to(published.folder)) for p in published.folder.rglob("*") if p.is_file())
    root = f"{bucket.root}/{PREFIX}/"
    stored = sorted(str(p).removeprefix(root) for p in bucket._fs.find(root))
    assert set(report.files) <= set(stored)
    assert stored == local
    for name in ("status.json", f"tonight/{published.day}.json", "index.html"):
        assert bucket.get_file(f"{PREFIX}/{name}") == (published.folder / name).read_bytes(), name

    dated = bucket._fs.info(f"{bucket.root}/{PREFIX}/picks/{published.day}.json")
    live = bucket._fs.info(f"{bucket.root}/{PREFIX}/status.json")
    page = bucket._fs.info(f"{bucket.root}/{PREFIX}/index.html")
    assert dated["contentType"] == "application/json"
    assert dated["cacheControl"] == f"public, max-age={settings.publish_max_age_s}"
    assert live["cacheControl"] == f"public, max-age={settings.publish_live_max_age_s}"
    assert page["contentType"].startswith("text/html")
