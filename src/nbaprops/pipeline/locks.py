"""Run locks with leases: one holder per key (a step and a date), taken over once its lease expires.

``LockStore`` is the protocol; ``FileLockStore`` (one JSON file per key under
``<data_dir>/locks``, guarded by ``flock``) is the embedded default and ``FirestoreLockStore``
(``pipeline/locks_firestore.py``, one document per key, updated in a transaction) the production
one. ``open_lock_store(settings)`` picks one from ``settings.lock_backend``.

A lease is a promise with an expiry, not a hold forever: a holder that crashes stops renewing, and
the next contender takes the key over once ``expires_at`` has passed. Every grant carries a fresh
``token``; ``renew`` and ``release`` act only while the stored token is still the holder's, so a
holder that lost its lease (it stalled past expiry and someone took over) cannot release or extend
the new holder's lock. ``hold(...)`` renews in the background while the work runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import structlog

from nbaprops.errors import ConfigError, DeadlineExceeded

if TYPE_CHECKING:
    from nbaprops.settings import Settings

log = structlog.get_logger(__name__)

Now = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Lease:
    """A granted lock: who holds ``key`` until when, and the token that proves it."""

    key: str
    owner: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Holder:
    """Who holds a key now (as stored), for messages and tests."""

    owner: str
    expires_at: datetime


class LockStore(Protocol):
    """Leased locks by key."""

    def acquire(self, key: str, owner: str, ttl_s: float) -> Lease | None:
        """A lease on ``key`` for ``ttl_s`` seconds, or None while another holder's lease runs."""
        ...

    def renew(self, lease: Lease, ttl_s: float) -> Lease | None:
        """Extend a lease still held (same token); None when it was lost (expired and taken over)."""
        ...

    def release(self, lease: Lease) -> bool:
        """Give the key back; False when the lease was no longer the holder's."""
        ...

    def holder(self, key: str) -> Holder | None:
        """The current holder of ``key`` (an expired lease still shows until taken over)."""
        ...


class FileLockStore:
    """Leases as JSON files in a folder; every read-modify-write under an exclusive ``flock``."""

    def __init__(self, root: Path, *, now: Now = _utc_now, guard_wait_s: float = 10.0) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._now = now
        self._guard_wait_s = guard_wait_s

    def acquire(self, key: str, owner: str, ttl_s: float) -> Lease | None:
        """Grant ``key`` when free or expired (a crashed holder's lease runs out and is taken over)."""
        with self._guarded(key) as path:
            current = _read(path)
            now = self._now()
            if current is not None and current.expires_at > now:
                return None
            if current is not None:
                log.warning("lock.taken_over", key=key, previous_owner=current.owner, owner=owner)
            lease = Lease(key, owner, uuid.uuid4().hex, now + timedelta(seconds=ttl_s))
            _write(path, lease)
            return lease

    def renew(self, lease: Lease, ttl_s: float) -> Lease | None:
        """Push the expiry out, if the stored token is still ``lease.token``."""
        with self._guarded(lease.key) as path:
            current = _read(path)
            if current is None or current.token != lease.token:
                return None
            renewed = Lease(lease.key, lease.owner, lease.token, self._now() + timedelta(seconds=ttl_s))
            _write(path, renewed)
            return renewed

    def release(self, lease: Lease) -> bool:
        """Delete the lease file, if the stored token is still ``lease.token``."""
        with self._guarded(lease.key) as path:
            current = _read(path)
            if current is None or current.token != lease.token:
                return False
            path.unlink()
            return True

    def holder(self, key: str) -> Holder | None:
        """The stored holder of ``key``."""
        with self._guarded(key) as path:
            current = _read(path)
        return None if current is None else Holder(current.owner, current.expires_at)

    @contextmanager
    def _guarded(self, key: str) -> Iterator[Path]:
        """The lease file of ``key``, with its guard file locked exclusively (bounded wait)."""
        name = hashlib.sha256(key.encode()).hexdigest()[:32]
        guard = os.open(self.root / f"{name}.guard", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            deadline = time.monotonic() + self._guard_wait_s
            while True:
                try:
                    fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise DeadlineExceeded(
                            f"lock store: guard of {key!r} busy for {self._guard_wait_s:g}s"
                        ) from None
                    time.sleep(0.005)
            yield self.root / f"{name}.json"
        finally:
            os.close(guard)  # closing the descriptor drops the flock


def _read(path: Path) -> Lease | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Lease(doc["key"], doc["owner"], doc["token"], datetime.fromisoformat(doc["expires_at"]))


def _write(path: Path, lease: Lease) -> None:
    doc = {
        "key": lease.key,
        "owner": lease.owner,
        "token": lease.token,
        "expires_at": lease.expires_at.isoformat(),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(path)


class LockHeld(Exception):
    """Raised by ``hold`` when another holder's lease on the key is still running."""

    def __init__(self, key: str, holder: Holder | None) -> None:
        who = f"{holder.owner} until {holder.expires_at.isoformat()}" if holder else "another holder"
        super().__init__(f"lock {key!r} is held by {who}")
        self.key = key
        self.holder = holder


@contextmanager
def hold(store: LockStore, key: str, owner: str, ttl_s: float) -> Iterator[Lease]:
    """Hold ``key`` while the block runs, renewing every third of ``ttl_s``; ``LockHeld`` if taken.

    A renewal that finds the lease lost is logged (the work goes on: it cannot be interrupted from
    here, and its writes are idempotent by key); the lease is released at the end.
    """
    lease = store.acquire(key, owner, ttl_s)
    if lease is None:
        raise LockHeld(key, store.holder(key))
    stop = threading.Event()
    current = [lease]

    def renew() -> None:
        while not stop.wait(ttl_s / 3):
            renewed = store.renew(current[0], ttl_s)
            if renewed is None:
                log.error("lock.lost", key=key, owner=owner)
                return
            current[0] = renewed

    renewer = threading.Thread(target=renew, name=f"lock-renew-{key}", daemon=True)
    renewer.start()
    try:
        yield lease
    finally:
        stop.set()
        renewer.join(timeout=ttl_s)
        if not store.release(current[0]):
            log.warning("lock.release_lost", key=key, owner=owner)


def open_lock_store(settings: Settings) -> LockStore:
    """The lock store the settings choose (``lock_backend``)."""
    if settings.lock_backend == "file":
        return FileLockStore(Path(settings.data_dir) / "locks")
    if settings.lock_backend == "firestore":
        from nbaprops.pipeline.locks_firestore import FirestoreLockStore

        return FirestoreLockStore.from_settings(settings)
    raise ConfigError(f"unknown lock backend {settings.lock_backend!r}")
