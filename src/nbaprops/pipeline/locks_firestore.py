"""``LockStore`` on Firestore: one document per key, every change in a transaction.

A document ``{owner, token, expires_at}`` in ``settings.firestore_collection``; its id is a
hash of the key (keys hold ``/`` and ``:``, which document ids may not). ``acquire`` reads the
document inside a transaction and writes it only when it is absent or its lease has expired, so
two contenders racing for one key cannot both commit: Firestore aborts the loser's transaction,
which then retries, sees the winner's live lease and returns None. Expiry is compared with this
process's clock (UTC), so hosts need NTP-grade clocks, and leases should be minutes, not seconds.

Every call passes ``timeout=settings.firestore_timeout_s``. On this machine tests run it against
the Firestore emulator (``FIRESTORE_EMULATOR_HOST``), which the client honours by itself.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.errors import TransientError
from nbaprops.pipeline.locks import Holder, Lease, Now

if TYPE_CHECKING:
    from nbaprops.settings import Settings

log = structlog.get_logger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FirestoreLockStore:
    """Leased locks as Firestore documents."""

    def __init__(self, client: Any, collection: str, *, timeout_s: float = 10.0, now: Now = _utc_now) -> None:
        self._client = client
        self._collection = client.collection(collection)
        self._timeout_s = timeout_s
        self._now = now

    @classmethod
    def from_settings(cls, settings: Settings) -> FirestoreLockStore:
        """A store on the settings' project and collection (the emulator when its variable is set)."""
        from google.cloud import firestore

        client = firestore.Client(project=settings.firestore_project)
        return cls(client, settings.firestore_collection, timeout_s=settings.firestore_timeout_s)

    def _doc(self, key: str) -> Any:
        return self._collection.document(hashlib.sha256(key.encode()).hexdigest()[:40])

    def _transact(self, body: Any) -> Any:
        from google.api_core import exceptions
        from google.cloud import firestore

        run = firestore.transactional(body)
        try:
            return run(self._client.transaction(max_attempts=5))
        except (exceptions.ServiceUnavailable, exceptions.DeadlineExceeded, exceptions.Aborted) as exc:
            raise TransientError(f"firestore lock: {type(exc).__name__}: {exc}") from None

    def acquire(self, key: str, owner: str, ttl_s: float) -> Lease | None:
        """Grant ``key`` when no live lease holds it (an expired one is taken over)."""
        doc = self._doc(key)

        def body(transaction: Any) -> Lease | None:
            snapshot = doc.get(transaction=transaction, timeout=self._timeout_s)
            now = self._now()
            current = snapshot.to_dict() if snapshot.exists else None
            if current is not None and current["expires_at"] > now:
                return None
            lease = Lease(key, owner, uuid.uuid4().hex, now + timedelta(seconds=ttl_s))
            transaction.set(doc, _doc_of(lease))
            if current is not None:
                log.warning("lock.taken_over", key=key, previous_owner=current["owner"], owner=owner)
            return lease

        granted: Lease | None = self._transact(body)
        return granted

    def renew(self, lease: Lease, ttl_s: float) -> Lease | None:
        """Extend ``lease`` while its token is still the stored one."""
        doc = self._doc(lease.key)

        def body(transaction: Any) -> Lease | None:
            snapshot = doc.get(transaction=transaction, timeout=self._timeout_s)
            if not snapshot.exists or snapshot.to_dict()["token"] != lease.token:
                return None
            renewed = Lease(lease.key, lease.owner, lease.token, self._now() + timedelta(seconds=ttl_s))
            transaction.set(doc, _doc_of(renewed))
            return renewed

        renewed: Lease | None = self._transact(body)
        return renewed

    def release(self, lease: Lease) -> bool:
        """Delete the document while its token is still ``lease.token``."""
        doc = self._doc(lease.key)

        def body(transaction: Any) -> bool:
            snapshot = doc.get(transaction=transaction, timeout=self._timeout_s)
            if not snapshot.exists or snapshot.to_dict()["token"] != lease.token:
                return False
            transaction.delete(doc)
            return True

        released: bool = self._transact(body)
        return released

    def holder(self, key: str) -> Holder | None:
        """The stored holder of ``key``."""
        snapshot = self._doc(key).get(timeout=self._timeout_s)
        if not snapshot.exists:
            return None
        current = snapshot.to_dict()
        return Holder(str(current["owner"]), current["expires_at"])


def _doc_of(lease: Lease) -> dict[str, Any]:
    return {"key": lease.key, "owner": lease.owner, "token": lease.token, "expires_at": lease.expires_at}
