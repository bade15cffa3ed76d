"""File lock store: leases expire and are taken over, one winner among contenders, tokens guard release."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nbaprops.pipeline.locks import FileLockStore, LockHeld, hold


class FakeNow:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 31, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment


def test_a_held_lease_refuses_others_until_it_expires_then_is_taken_over(tmp_path: Path) -> None:
    now = FakeNow()
    store = FileLockStore(tmp_path, now=now)
    crashed = store.acquire("day.predict:2026-01-31", "worker-a", ttl_s=60)
    assert crashed is not None
    assert store.acquire("day.predict:2026-01-31", "worker-b", ttl_s=60) is None
    now.moment += timedelta(seconds=61)  # worker-a died without releasing; its lease ran out
    taken = store.acquire("day.predict:2026-01-31", "worker-b", ttl_s=60)
    assert taken is not None
    assert taken.owner == "worker-b"
    assert store.release(crashed) is False  # the old holder can no longer release the new lease
    assert store.renew(crashed, 60) is None
    holder = store.holder("day.predict:2026-01-31")
    assert holder is not None
    assert holder.owner == "worker-b"
    assert store.release(taken) is True
    assert store.holder("day.predict:2026-01-31") is None


def test_of_many_contenders_exactly_one_wins(tmp_path: Path) -> None:
    store = FileLockStore(tmp_path)
    barrier = threading.Barrier(8)
    winners: list[str] = []

    def contend(name: str) -> None:
        barrier.wait()
        if FileLockStore(tmp_path).acquire("k", name, ttl_s=30) is not None:
            winners.append(name)

    threads = [threading.Thread(target=contend, args=(f"c{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(winners) == 1
    assert store.holder("k") is not None


def test_hold_renews_while_working_and_releases_after(tmp_path: Path) -> None:
    store = FileLockStore(tmp_path)
    with hold(store, "k", "me", ttl_s=0.3) as lease:
        first = store.holder("k")
        threading.Event().wait(0.5)  # longer than the lease: the renewer keeps it alive
        later = store.holder("k")
        assert first is not None
        assert later is not None
        assert later.expires_at > lease.expires_at
        with pytest.raises(LockHeld, match="held by me"), hold(store, "k", "other", ttl_s=1):
            pass
    assert store.holder("k") is None
