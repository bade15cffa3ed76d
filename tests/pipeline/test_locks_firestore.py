"""Firestore lock store on the Firestore emulator: leases, takeover after expiry, one winner of a race."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from nbaprops.pipeline.locks import hold, open_lock_store
from nbaprops.pipeline.locks_firestore import FirestoreLockStore
from nbaprops.settings import load_settings


class FakeNow:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def client(firestore_emulator: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from google.cloud import firestore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", firestore_emulator)
    return firestore.Client(project="nbaprops-test")


def test_a_crashed_holders_lease_is_taken_over_after_it_expires(client) -> None:  # type: ignore[no-untyped-def]
    now = FakeNow()
    store = FirestoreLockStore(client, f"locks-{uuid.uuid4().hex[:8]}", now=now)
    crashed = store.acquire("day.grade:2026-01-31", "worker-a", ttl_s=60)
    assert crashed is not None
    assert store.acquire("day.grade:2026-01-31", "worker-b", ttl_s=60) is None
    now.moment += timedelta(seconds=61)
    taken = store.acquire("day.grade:2026-01-31", "worker-b", ttl_s=60)
    assert taken is not None
    assert taken.token != crashed.token
    assert store.renew(crashed, 60) is None
    assert store.release(crashed) is False
    holder = store.holder("day.grade:2026-01-31")
    assert holder is not None
    assert holder.owner == "worker-b"
    renewed = store.renew(taken, 120)
    assert renewed is not None
    assert renewed.expires_at > taken.expires_at
    assert store.release(renewed) is True
    assert store.holder("day.grade:2026-01-31") is None


def test_of_two_contenders_racing_for_one_key_exactly_one_wins(client) -> None:  # type: ignore[no-untyped-def]
    from google.cloud import firestore

    collection = f"locks-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(2)
    winners: list[str] = []

    def contend(name: str) -> None:
        store = FirestoreLockStore(firestore.Client(project="nbaprops-test"), collection)
        barrier.wait()
        if store.acquire("day.predict:2026-01-31", name, ttl_s=30) is not None:
            winners.append(name)

    threads = [threading.Thread(target=contend, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(winners) == 1
    holder = FirestoreLockStore(client, collection).holder("day.predict:2026-01-31")
    assert holder is not None
    assert holder.owner == winners[0]


def test_settings_choose_firestore_and_hold_works_through_the_protocol(client) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        lock_backend="firestore",
        firestore_project="nbaprops-test",
        firestore_collection=f"c{uuid.uuid4().hex[:8]}",
    )
    store = open_lock_store(settings)
    assert isinstance(store, FirestoreLockStore)
    with hold(store, "k", "me", ttl_s=30):
        holder = store.holder("k")
        assert holder is not None
        assert holder.owner == "me"
    assert store.holder("k") is None


def test_the_push_replay_guard_is_shared_through_firestore(client) -> None:  # type: ignore[no-untyped-def]
    """Two service instances (two clients) on one collection: a replay is refused by the other one."""
    from google.cloud import firestore

    from nbaprops.services.auth import AuthFailure, ReplayGuard

    collection, now = f"locks-{uuid.uuid4().hex[:8]}", FakeNow()
    sub = "projects/nbaprops-test/subscriptions/nbaprops-run-predict.coordinator"
    one = ReplayGuard(FirestoreLockStore(client, collection, now=now), 60, owner="instance-1")
    other_client = firestore.Client(project="nbaprops-test")
    two = ReplayGuard(FirestoreLockStore(other_client, collection, now=now), 60, owner="instance-2")
    one.claim(sub, "42")
    one.settle(sub, "42")
    with pytest.raises(AuthFailure) as caught:
        two.claim(sub, "42")
    assert caught.value.status == 409
    two.claim(sub, "43")
    two.release(sub, "43")  # nacked: the redelivery may land anywhere
    one.claim(sub, "43")
    now.moment += timedelta(seconds=61)
    two.claim(sub, "42")  # the window has passed
