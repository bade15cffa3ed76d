"""The lake stores payloads exactly, once, atomically, and detects corruption."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import pytest
from fsspec.implementations.memory import MemoryFileSystem
from structlog.testing import capture_logs

from nbaprops.errors import LakeError, PayloadError
from nbaprops.lake import MANIFEST_NAME, BadManifestLine, FsspecLake, Lake, LakeObject, open_lake
from nbaprops.settings import load_settings

DAY = date(2025, 1, 15)
FETCHED = datetime(2025, 1, 15, 17, 30, 5, tzinfo=UTC)


@pytest.fixture
def lake(tmp_path: Path) -> FsspecLake:
    settings = load_settings(lake_url=str(tmp_path / "lake"))
    opened = open_lake(settings)
    assert isinstance(opened, FsspecLake)
    return opened


def _put(lake: Lake, payload: bytes, **kwargs: object) -> LakeObject:
    args: dict[str, object] = {
        "fetched_at": FETCHED,
        "content_type": "application/json",
        **kwargs,
    }
    return lake.put("nbac_schedule_api", "schedule", DAY, payload, **args)  # type: ignore[arg-type]


def test_json_gzip_and_pdf_bytes_round_trip_exactly(lake: FsspecLake, real_fixtures: Path) -> None:
    pdf = (real_fixtures / "nbac_gamebook_pdf" / "raw_0173bcd1.pdf").read_bytes()
    pbp = (real_fixtures / "nbac_play_by_play" / "raw_416e8d5c.json.gz").read_bytes()
    plain = json.dumps({"name": "Nikola Jokić", "pts": 31}).encode()
    for payload, content_type in ((pdf, "application/pdf"), (pbp, "application/json"), (plain, "text/json")):
        obj = _put(lake, payload, content_type=content_type)
        assert lake.get(obj.path) == payload
        assert obj.size == len(payload)
    names = [o.path.rsplit("/", 1)[-1] for o in lake.list()]
    assert any(n.endswith(".pdf") for n in names)
    assert any(n.endswith(".json.gz") for n in names)
    assert gzip.decompress(lake.get(next(o.path for o in lake.list() if o.path.endswith(".gz"))))


def test_object_path_follows_the_layout(lake: FsspecLake) -> None:
    eastern_noon = datetime(2025, 1, 15, 12, 0, 0, tzinfo=timezone(timedelta(hours=-5)))
    obj = _put(lake, b'{"a":1}', fetched_at=eastern_noon)
    assert obj.path.startswith("nbac_schedule_api/schedule/2025-01-15/20250115T170000Z_")
    assert obj.path.endswith(f"_{obj.sha256[:16]}.json")
    undated = lake.put("bdl", "players", None, b"[]", fetched_at=FETCHED, content_type="application/json")
    assert undated.path.startswith("bdl/players/undated/")
    assert undated.game_date is None


def test_same_bytes_are_stored_once(lake: FsspecLake) -> None:
    first = _put(lake, b'{"same": true}')
    second = _put(lake, b'{"same": true}', fetched_at=FETCHED + timedelta(hours=1))
    assert second == first
    folder = Path(lake.root) / "nbac_schedule_api" / "schedule" / "2025-01-15"
    assert len([p for p in folder.iterdir() if p.name != MANIFEST_NAME]) == 1
    assert len((folder / MANIFEST_NAME).read_text().splitlines()) == 1
    other_day = lake.put(
        "nbac_schedule_api",
        "schedule",
        DAY + timedelta(days=1),
        b'{"same": true}',
        fetched_at=FETCHED,
        content_type="application/json",
    )
    assert other_day.path != first.path


class _FailingLake(FsspecLake):
    """Writes half of the payload, then fails as a full disk would."""

    def _write_payload(self, handle: IO[bytes], payload: bytes) -> None:
        handle.write(payload[: len(payload) // 2])
        raise OSError(28, "No space left on device")


def test_interrupted_write_leaves_no_file_and_no_manifest_line(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    good = open_lake(load_settings(lake_url=str(root)))
    assert isinstance(good, FsspecLake)
    kept = _put(good, b'{"kept": 1}')
    failing = _FailingLake(good._fs, good.root)  # same file system, same folder
    payload = b"x" * 3_000_000
    with pytest.raises(LakeError, match=r"cannot write .*No space left on device"):
        _put(failing, payload)
    folder = root / "nbac_schedule_api" / "schedule" / "2025-01-15"
    assert sorted(p.name for p in folder.iterdir()) == sorted([MANIFEST_NAME, kept.path.rsplit("/", 1)[-1]])
    assert [o.path for o in good.list()] == [kept.path]
    # The same payload written later by a healthy lake lands whole.
    stored = _put(good, payload)
    assert good.get(stored.path) == payload


def test_manifest_lists_objects_with_filters(lake: FsspecLake) -> None:
    a = _put(lake, b"1")
    b = lake.put(
        "oddsa_player_props",
        "event_odds",
        DAY,
        b"2",
        fetched_at=FETCHED + timedelta(minutes=1),
        content_type="application/json",
        meta={"event_id": "abc"},
    )
    c = lake.put(
        "oddsa_player_props",
        "event_odds",
        DAY + timedelta(days=1),
        b"3",
        fetched_at=FETCHED + timedelta(minutes=2),
        content_type="application/json",
    )
    assert lake.list() == [a, b, c]
    assert lake.list(source="oddsa_player_props") == [b, c]
    assert lake.list(game_date=DAY) == [a, b]
    assert lake.list(source="oddsa_player_props", endpoint="event_odds", game_date=DAY)[0].meta == {
        "event_id": "abc"
    }
    assert lake.list(source="espn") == []


def test_torn_last_manifest_line_is_skipped_and_reported(lake: FsspecLake) -> None:
    kept = _put(lake, b"kept")
    manifest = Path(lake.root) / "nbac_schedule_api" / "schedule" / "2025-01-15" / MANIFEST_NAME
    with manifest.open("ab") as handle:
        handle.write(b'{"path": "nbac_schedule_api/sched')
    with capture_logs() as events:
        assert lake.list() == [kept]
    assert any(e["event"] == "lake.manifest_torn_line" for e in events)
    later = _put(lake, b"later", fetched_at=FETCHED + timedelta(seconds=1))
    with capture_logs():
        assert lake.list() == [kept, later]


def test_corrupted_file_fails_its_hash_check(lake: FsspecLake) -> None:
    obj = _put(lake, b'{"pts": 31}')
    (Path(lake.root) / obj.path).write_bytes(b'{"pts": 13}')
    with pytest.raises(PayloadError, match="corrupt"):
        lake.get(obj.path)


def test_get_refuses_paths_outside_the_lake(lake: FsspecLake) -> None:
    with pytest.raises(PayloadError):
        lake.get("../../etc/passwd")
    with pytest.raises(PayloadError, match="no lake object"):
        lake.get("a/b/2025-01-15/20250115T000000Z_0123456789abcdef.json")


def test_names_carry_no_query_string_and_meta_hides_keys(lake: FsspecLake) -> None:
    with pytest.raises(ValueError, match="letters, digits"):
        lake.put("oddsa", "odds?apiKey=s3cret", DAY, b"{}", fetched_at=FETCHED, content_type="text/json")
    obj = lake.put(
        "oddsa",
        "odds",
        DAY,
        b"{}",
        fetched_at=FETCHED,
        content_type="application/json; charset=utf-8",
        meta={"url": "https://api.the-odds-api.com/v4/odds?apiKey=s3cret&regions=us"},
    )
    assert "?" not in obj.path
    assert "s3cret" not in obj.path
    manifest = (Path(lake.root) / "oddsa" / "odds" / "2025-01-15" / MANIFEST_NAME).read_text()
    assert "s3cret" not in manifest
    assert "regions=us" in manifest


def test_naive_fetch_time_is_refused(lake: FsspecLake) -> None:
    with pytest.raises(ValueError, match="timezone"):
        _put(lake, b"{}", fetched_at=datetime(2025, 1, 15, 12, 0))  # noqa: DTZ001


def test_memory_lake_round_trips_and_dedupes() -> None:
    # MemoryFileSystem shares one store per process: a fresh root keeps the test independent.
    lake = FsspecLake(MemoryFileSystem(), f"/lake-{uuid.uuid4().hex}")
    first = _put(lake, b"\x00\x01binary")
    assert _put(lake, b"\x00\x01binary") == first
    assert lake.get(first.path) == b"\x00\x01binary"
    assert lake.list() == [first]


def test_a_bad_manifest_line_is_reported_and_only_a_torn_last_line_is_tolerated(lake: FsspecLake) -> None:
    first = _put(lake, b"first")
    manifest = Path(lake.root) / "nbac_schedule_api" / "schedule" / "2025-01-15" / MANIFEST_NAME
    with manifest.open("ab") as handle:
        handle.write(b'{"path": "not a record"}\n')
    second = _put(lake, b"second", fetched_at=FETCHED + timedelta(seconds=1))
    with manifest.open("ab") as handle:
        handle.write(b'{"path": "nbac_schedule_api/sched')  # a crash mid-append
    listing = lake.scan()
    assert listing.objects == [first, second]
    manifest_path = "nbac_schedule_api/schedule/2025-01-15/_manifest.jsonl"
    assert listing.bad_lines == [
        BadManifestLine(manifest_path, 2, b'{"path": "not a record"}', "KeyError: 'game_date'")
    ]


class RacingMemoryFS(MemoryFileSystem):  # type: ignore[misc]
    """A memory store where another writer's ``put`` lands while this one writes its manifest."""

    def __init__(self, race: Any = None) -> None:
        super().__init__()
        self.race = race

    def pipe_file(self, path: str, value: bytes, **kwargs: Any) -> None:
        if self.race is not None and "_manifest" in path:
            race, self.race = self.race, None
            race()
        super().pipe_file(path, value, **kwargs)


def test_concurrent_writers_to_a_bucket_lose_no_manifest_entry() -> None:
    root = f"/lake-{uuid.uuid4().hex}"
    fs = RacingMemoryFS()
    mine, theirs = FsspecLake(fs, root), FsspecLake(MemoryFileSystem(), root)
    fs.race = lambda: _put(theirs, b"theirs")
    _put(mine, b"mine")
    assert sorted(mine.get(o.path) for o in mine.list()) == [b"mine", b"theirs"]


def test_named_files_replace_atomically_and_stay_inside_the_lake(lake: FsspecLake) -> None:
    lake.put_file("publish/status.json", b'{"v":1}', content_type="application/json")
    lake.put_file("publish/status.json", b'{"v":2}', content_type="application/json", durable=False)
    lake.put_file("publish/tonight/2025-11-21.json", b"{}", content_type="application/json")
    assert lake.get_file("publish/status.json") == b'{"v":2}'
    assert lake.list_files("publish/*.json") == ["publish/status.json"]
    assert lake.list_files("publish/tonight/*.json") == ["publish/tonight/2025-11-21.json"]
    assert not lake.keeps_metadata
    for bad in ("../x.json", "/etc/passwd", "publish/../x", "publish/.hidden", "publish//x"):
        with pytest.raises(ValueError, match="not a lake file path"):
            lake.put_file(bad, b"", content_type="text/plain")
    with pytest.raises(PayloadError, match="no lake file"):
        lake.get_file("publish/missing.json")


class _BucketRecorder(MemoryFileSystem):  # type: ignore[misc]
    """A memory store that calls itself a bucket and records the metadata each upload carried."""

    protocol = ("gs", "gcs")

    def __init__(self) -> None:
        super().__init__()
        self.uploads: dict[str, dict[str, Any]] = {}

    def pipe_file(self, path: str, value: bytes, **kwargs: Any) -> None:
        self.uploads[path] = kwargs
        super().pipe_file(path, value)


def test_a_bucket_gets_the_content_type_and_cache_control() -> None:
    fs = _BucketRecorder()
    bucket = FsspecLake(fs, f"/{uuid.uuid4().hex}")
    path = bucket.put_file(
        "publish/index.json", b"{}", content_type="application/json", cache_control="public, max-age=60"
    )
    assert bucket.keeps_metadata
    assert fs.uploads[path] == {
        "content_type": "application/json",
        "fixed_key_metadata": {"cache_control": "public, max-age=60"},
    }
    assert bucket.get_file("publish/index.json") == b"{}"
