"""The lake on gs:// through gcsfs, against a real local Cloud Storage emulator (tests/gcsemu.py).

Byte-exact round trips, create-only uploads (``ifGenerationMatch=0``) for payloads and manifest
entries, concurrent writers that cannot lose each other's entries, listing, replay with
``ingest --from-dir gs://…``, and bounded calls.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from fsspec.implementations.local import LocalFileSystem
from typer.testing import CliRunner

from gcsemu import BUCKET
from nbaprops.cli import app
from nbaprops.errors import LakeError, LakeUnavailable
from nbaprops.lake import ENTRIES_DIR, FsspecLake, lake_at, open_lake
from nbaprops.sandbox.archive import write_archive
from nbaprops.sandbox.model import Season
from nbaprops.settings import Settings, load_settings

FETCHED = datetime(2025, 1, 15, 16, 0, tzinfo=UTC)
DAY = date(2025, 1, 15)


def _settings(endpoint: str, prefix: str | None = None, **extra: Any) -> Settings:
    url = f"gs://{BUCKET}/{prefix or uuid.uuid4().hex}"
    return load_settings(lake_url=url, gcs_endpoint_url=endpoint, gcp_project="test-project", **extra)


class _Recording:
    """A file system wrapper that records the keyword arguments of every upload."""

    def __init__(self, fs: Any) -> None:
        self._fs = fs
        self.protocol = fs.protocol
        self.uploads: list[tuple[str, dict[str, Any]]] = []

    def pipe_file(self, path: str, data: bytes, **kwargs: Any) -> Any:
        self.uploads.append((path, kwargs))
        return self._fs.pipe_file(path, data, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fs, name)


class _Enforcing(_Recording):
    """The precondition the emulator accepts but does not enforce: create-only refuses an existing object."""

    def pipe_file(self, path: str, data: bytes, **kwargs: Any) -> Any:
        if kwargs.get("mode") == "create" and self._fs.exists(path):
            self.uploads.append((path, {**kwargs, "refused": True}))
            raise FileExistsError(path)
        return super().pipe_file(path, data, **kwargs)


def test_payloads_round_trip_byte_exact_with_one_entry_object_each(gcs_emulator: str) -> None:
    lake = open_lake(_settings(gcs_emulator))
    rng = random.Random(7)  # noqa: S311 - test bytes
    payloads = [
        b'{"resultSets": []}',
        gzip.compress(b"x" * 5000, mtime=0),
        bytes(rng.getrandbits(8) for _ in range(300_000)),
        "Jokić \u00e9\r\n".encode(),
    ]
    stored = [
        lake.put(
            "nbacom",
            "boxscore",
            DAY,
            p,
            fetched_at=FETCHED + timedelta(seconds=i),
            content_type="application/json",
        )
        for i, p in enumerate(payloads)
    ]
    for obj, payload in zip(stored, payloads, strict=True):
        assert lake.get(obj.path) == payload
        assert obj.sha256 == hashlib.sha256(payload).hexdigest()
    assert [o.path for o in lake.list("nbacom", "boxscore", DAY)] == [o.path for o in stored]
    assert stored[1].path.endswith(".json.gz")
    fs = lake._fs
    entries = fs.glob(f"{lake.root}/nbacom/boxscore/{DAY}/{ENTRIES_DIR}/*.json")
    assert len(entries) == len(payloads)
    assert not fs.exists(f"{lake.root}/nbacom/boxscore/{DAY}/_manifest.jsonl")
    again = lake.put(
        "nbacom", "boxscore", DAY, payloads[0], fetched_at=FETCHED, content_type="application/json"
    )
    assert again == stored[0]  # identical bytes are stored once


def test_payloads_and_entries_are_created_only_if_absent(gcs_emulator: str) -> None:
    settings = _settings(gcs_emulator)
    base = lake_at(settings.resolved_lake_url, settings)
    recording = _Recording(base._fs)
    lake = FsspecLake(recording, base.root)
    lake.put("odds", "events", DAY, b"[]", fetched_at=FETCHED, content_type="application/json")
    assert len(recording.uploads) == 2  # the payload, then its entry
    assert all(kwargs["mode"] == "create" for _, kwargs in recording.uploads)


def test_a_refused_precondition_keeps_what_is_stored(gcs_emulator: str) -> None:
    settings = _settings(gcs_emulator)
    base = lake_at(settings.resolved_lake_url, settings)
    enforcing = _Enforcing(base._fs)
    lake = FsspecLake(enforcing, base.root)
    path = f"{base.root}/odds/events/{DAY}/20250115T160000Z_0123456789abcdef.json"
    assert lake._create_object(path, b"first")
    # Our own retry after a late success, or another writer of the same bytes: fine.
    assert lake._create_object(path, b"first")
    with pytest.raises(LakeError, match="exists with other bytes"):
        lake._create_object(path, b"second")
    assert base._fs.cat_file(path) == b"first"
    assert any(kwargs.get("refused") for _, kwargs in enforcing.uploads)


def test_concurrent_writers_cannot_lose_each_others_entries(gcs_emulator: str) -> None:
    settings = _settings(gcs_emulator)
    writers = [open_lake(settings) for _ in range(3)]  # separate clients, like separate processes
    errors: list[BaseException] = []

    def write(index: int, lake: Any) -> None:
        try:
            for n in range(8):
                payload = json.dumps({"writer": index, "n": n}).encode()
                lake.put(
                    "bdl", "box_scores", DAY, payload, fetched_at=FETCHED, content_type="application/json"
                )
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i, lake)) for i, lake in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    listing = open_lake(settings).scan("bdl", "box_scores", DAY)
    assert listing.bad_lines == []
    assert len(listing.objects) == 24
    assert len({o.sha256 for o in listing.objects}) == 24


def test_ingest_from_dir_replays_a_bucket_like_a_folder(
    gcs_emulator: str, sandbox_season: Season, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = sorted(sandbox_season.games_by_date)[:2]
    folder = tmp_path / "archive"
    write_archive(sandbox_season, FsspecLake(LocalFileSystem(), str(folder)), start=days[0], end=days[-1])
    prefix = f"archive-{uuid.uuid4().hex[:8]}"
    bucket_lake = open_lake(_settings(gcs_emulator, prefix))
    write_archive(sandbox_season, bucket_lake, start=days[0], end=days[-1])
    assert len(bucket_lake.list()) == len(FsspecLake(LocalFileSystem(), str(folder)).list())

    counts = {}
    for name, source in (("bucket", f"gs://{BUCKET}/{prefix}"), ("folder", str(folder))):
        monkeypatch.setenv("NBAPROPS_WAREHOUSE_PATH", str(tmp_path / f"{name}.duckdb"))
        monkeypatch.setenv("NBAPROPS_GCS_ENDPOINT_URL", gcs_emulator)
        monkeypatch.setenv("NBAPROPS_GCP_PROJECT", "test-project")
        saved = structlog.get_config()
        try:
            result = CliRunner().invoke(app, ["ingest", "--from-dir", source, "--json"])
        finally:
            structlog.configure(**saved)
        assert result.exit_code == 0, result.output
        report = json.loads(result.output.strip().splitlines()[-1])
        counts[name] = report["counts"]
    assert counts["bucket"] == counts["folder"]
    assert sum(counts["bucket"].values()) > 0


def test_an_unreachable_bucket_fails_bounded_and_retried(gcs_emulator: str) -> None:
    del gcs_emulator
    settings = load_settings(
        lake_url=f"gs://{BUCKET}/x",
        gcs_endpoint_url="http://127.0.0.1:9",  # discard port: nothing listens
        gcp_project="test-project",
        lake_timeout_s=1.0,
        lake_max_attempts=2,
    )
    lake = open_lake(settings)
    # gcsfs keeps retrying the refused connection; the lake's deadline cuts each attempt at 1 s.
    with pytest.raises(LakeUnavailable, match="no answer within 1s"):
        lake.list("nbacom")
