"""Bounded waits: lake calls with deadlines and retries, the parser pool and the bus with deadlines.

A hanging bucket cannot run here, so the lake tests use fsspec's real in-memory file system with
one method made to hang or fail the way gcsfs and a stuck mount do; everything else is real.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from nbaprops.bounded import retry_transient, with_deadline
from nbaprops.errors import (
    ConfigError,
    DeadlineExceeded,
    LakeError,
    LakeUnavailable,
    PayloadError,
    SourceUnavailable,
)
from nbaprops.lake import FsspecLake
from nbaprops.pipeline.bus import InProcessBus, Message
from nbaprops.raw import ingest

WHEN = datetime(2026, 1, 15, 16, tzinfo=UTC)
RELEASE = threading.Event()


@pytest.fixture(autouse=True)
def _release_hung_threads() -> Iterator[None]:
    """Threads left waiting by a test are let go at its end."""
    RELEASE.clear()
    yield
    RELEASE.set()


class HttpError(Exception):
    """What gcsfs raises for a bucket's HTTP error: the status sits in ``code``."""

    def __init__(self, code: int) -> None:
        super().__init__(f"HTTP {code}")
        self.code = code


class FaultyMemoryFS(MemoryFileSystem):
    """The real memory file system; ``faults`` lists what each next ``cat_file`` does first."""

    cachable = False  # fsspec would otherwise hand every test the same instance

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store: dict[str, Any] = {}
        self.pseudo_dirs = [""]
        self.faults: list[str] = []
        self.calls = 0

    def cat_file(self, path: str, *args: Any, **kwargs: Any) -> bytes:
        self.calls += 1
        fault = self.faults.pop(0) if self.faults else None
        if fault == "hang":
            RELEASE.wait()
        elif fault == "reset":
            raise ConnectionResetError(errno.ECONNRESET, "connection reset by peer")
        elif fault == "503":
            raise HttpError(503)
        elif fault == "denied":
            raise PermissionError(errno.EACCES, "permission denied")
        data: bytes = super().cat_file(path, *args, **kwargs)
        return data


def _lake_with_object(**bounds: Any) -> tuple[FsspecLake, FaultyMemoryFS, str]:
    fs = FaultyMemoryFS()
    lake = FsspecLake(fs, "/lake", **bounds)
    obj = lake.put(
        "bdl", "games", date(2026, 1, 15), b'{"data": []}', fetched_at=WHEN, content_type="application/json"
    )
    fs.calls = 0
    return lake, fs, obj.path


@pytest.mark.parametrize("faults", [["hang"], ["reset", "503"], ["hang", "reset"]])
def test_a_lake_read_that_hangs_or_drops_is_retried_and_recovers(faults: list[str]) -> None:
    lake, fs, path = _lake_with_object(timeout_s=0.2, attempts=3)
    fs.faults = list(faults)
    assert lake.get(path) == b'{"data": []}'
    assert fs.calls == len(faults) + 1


def test_a_lake_that_never_answers_fails_transient_after_its_attempts() -> None:
    lake, fs, path = _lake_with_object(timeout_s=0.1, attempts=2)
    fs.faults = ["hang", "hang"]
    with pytest.raises(LakeUnavailable, match=r"no answer within 0\.1s"):
        lake.get(path)
    assert fs.calls == 2


def test_a_lake_refusal_is_permanent_and_not_retried() -> None:
    lake, fs, path = _lake_with_object(timeout_s=1, attempts=3)
    fs.faults = ["denied"]
    with pytest.raises(LakeError, match="PermissionError"):
        lake.get(path)
    assert fs.calls == 1


def test_a_missing_object_is_still_a_payload_error() -> None:
    lake, _, path = _lake_with_object()
    with pytest.raises(PayloadError, match="no lake object"):
        lake.get(path.replace(path.rsplit("_", 1)[-1][:16], "0" * 16))


def test_listing_goes_through_the_bounded_calls_too() -> None:
    lake, fs, _ = _lake_with_object(timeout_s=0.2, attempts=2)
    fs.faults = ["hang"]
    assert [o.endpoint for o in lake.list(source="bdl")] == ["games"]


def test_a_local_lake_that_cannot_be_written_is_a_lake_error(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    root.mkdir()
    (root / "bdl").write_text("a file where the source folder should be")
    lake = FsspecLake(LocalFileSystem(), root.as_posix())
    with pytest.raises(LakeError, match="Not a directory"):
        lake.put("bdl", "games", date(2026, 1, 15), b"{}", fetched_at=WHEN, content_type="application/json")


def test_with_deadline_returns_raises_or_gives_up() -> None:
    assert with_deadline(lambda: 7, 1.0, lambda: LakeUnavailable("late")) == 7
    with pytest.raises(ConfigError, match="boom"):
        with_deadline(
            lambda: (_ for _ in ()).throw(ConfigError("boom")), 1.0, lambda: LakeUnavailable("late")
        )
    with pytest.raises(LakeUnavailable, match="late"):
        with_deadline(RELEASE.wait, 0.05, lambda: LakeUnavailable("late"))


def test_retry_transient_retries_only_transient_failures() -> None:
    seen: list[int] = []

    def flaky() -> str:
        seen.append(1)
        if len(seen) < 3:
            raise SourceUnavailable("down")
        return "ok"

    assert retry_transient(flaky, attempts=3, what="t", sleep=lambda _: None) == "ok"
    assert len(seen) == 3

    def refused() -> str:
        seen.append(1)
        raise ConfigError("no")

    seen.clear()
    with pytest.raises(ConfigError):
        retry_transient(refused, attempts=5, what="t", sleep=lambda _: None)
    assert len(seen) == 1


def test_the_parser_pool_wait_has_a_deadline() -> None:
    kinds = ["bdl_teams"] * ingest.PARALLEL_FROM
    payloads = [b'{"data": []}'] * ingest.PARALLEL_FROM
    # A fresh pool: its spawned workers are still importing when a zero deadline runs out (a warm
    # pool left by an earlier test could finish the batch before the first wait).
    ingest._pool(2).shutdown(wait=True)
    ingest._pool.cache_clear()
    with pytest.raises(DeadlineExceeded, match="took longer than 0s; the pool was replaced"):
        ingest._parse_all(kinds, payloads, workers=2, deadline_s=0)
    parsed = ingest._parse_all(kinds, payloads, workers=2)
    assert len(parsed) == ingest.PARALLEL_FROM, "a fresh pool serves the next batch"


def test_bus_flush_stops_waiting_for_a_stuck_handler() -> None:
    bus = InProcessBus(workers=1, flush_deadline_s=0.05)
    done: list[Message] = []

    def stuck(message: Message) -> None:
        RELEASE.wait()
        done.append(message)

    bus.subscribe("t", stuck)
    bus.publish("t", b"x")
    with pytest.raises(DeadlineExceeded, match="1 deliver"):
        bus.flush()
    RELEASE.set()
    bus.flush()
    assert [m.data for m in done] == [b"x"], "the late delivery still completes and is waited for"
    bus.close()
