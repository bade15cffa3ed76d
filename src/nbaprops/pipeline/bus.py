"""The event bus between pipeline roles: a narrow protocol, and the in-process implementation.

Messages are bytes (JSON envelopes from ``encode_message``: a ``schema_version``, a ``kind`` and a
payload) with string attributes, so the same calls map one-to-one onto Google Pub/Sub later:

======================  =====================================================================
here                    Pub/Sub
======================  =====================================================================
``publish(topic, …)``   ``PublisherClient.publish(topic_path, data, **attributes)``
``subscribe(topic, h)`` a push subscription on the topic to the role's Cloud Run endpoint
                        (``POST /pubsub/{topic}``); the endpoint decodes the base64 ``data`` and
                        calls ``h``
handler returns         HTTP 2xx: the message is acked
``TransientError``      HTTP 5xx: nacked, redelivered with backoff (subscription retry policy)
other exception         HTTP 2xx plus a dead-letter record (retrying cannot help)
``max_attempts``        the subscription's dead-letter policy ``max_delivery_attempts``
``flush()``             resolve the publisher futures (delivery is then the subscriber's business)
======================  =====================================================================

Topic names are short kebab-case words (``predict-batches``); in production they become
``projects/{project}/topics/nbaprops-{name}``. Delivery is **at least once** on both: a handler may
see the same message twice, so every handler must be idempotent by a key carried in the message
(the prediction worker keys its results by ``batch_id``).

``InProcessBus`` delivers synchronously inside ``publish`` (``workers=0``), or on a small thread pool
(``workers>0``, ``flush()`` waits for it). A transient failure is retried up to ``max_attempts``;
then, or at once for any other failure, the message is dead-lettered: kept in ``dead_letters``,
logged and raised as an alert. A topic without subscribers is a ``ConfigError``, never a silent drop.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from nbaprops.errors import ConfigError, DeadlineExceeded, PayloadError, TransientError

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alerter

log = structlog.get_logger(__name__)

SCHEMA_VERSION = 1
"""Version of the message envelope; a consumer refuses any other."""


@dataclass(frozen=True)
class Message:
    """One delivery of a published message to one subscriber."""

    topic: str
    message_id: str
    data: bytes
    attributes: Mapping[str, str]
    delivery_attempt: int


Handler = Callable[[Message], None]
"""Processes one message; returning acks it, raising ``TransientError`` asks for redelivery."""


class Bus(Protocol):
    """Publish bytes to a topic; every subscriber of the topic gets each message at least once."""

    def publish(self, topic: str, message: bytes, attributes: Mapping[str, str] | None = None) -> str:
        """Send ``message`` to every subscriber of ``topic``; returns the message id."""
        ...

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Deliver the topic's future messages to ``handler``."""
        ...

    def flush(self) -> None:
        """Block until every message published so far has been handed over for delivery."""
        ...


@dataclass(frozen=True)
class DeadLetter:
    """A message no handler could process: after ``attempts`` deliveries, with the last error."""

    topic: str
    message_id: str
    attributes: Mapping[str, str]
    attempts: int
    error: str


def encode_message(kind: str, payload: Mapping[str, Any]) -> bytes:
    """A JSON envelope ``{"schema_version", "kind", "payload"}`` as UTF-8 bytes (NaN refused)."""
    envelope = {"schema_version": SCHEMA_VERSION, "kind": kind, "payload": dict(payload)}
    return json.dumps(envelope, allow_nan=False, separators=(",", ":")).encode()


def decode_message(data: bytes, kind: str) -> dict[str, Any]:
    """The payload of an envelope of ``kind``; ``PayloadError`` for anything else."""
    try:
        envelope = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"bus message is not JSON: {exc}") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), dict):
        raise PayloadError("bus message is not an envelope with a payload object")
    if envelope.get("schema_version") != SCHEMA_VERSION or envelope.get("kind") != kind:
        raise PayloadError(
            f"unsupported bus message: kind={envelope.get('kind')!r} "
            f"schema_version={envelope.get('schema_version')!r} (expected {kind!r} v{SCHEMA_VERSION})"
        )
    payload: dict[str, Any] = envelope["payload"]
    return payload


@dataclass
class InProcessBus:
    """``Bus`` inside one process: synchronous (``workers=0``) or on a thread pool."""

    max_attempts: int = 3
    workers: int = 0
    backoff_s: float = 0.0
    flush_deadline_s: float = 900.0  # a whole slate's batches; a handler past it is stuck
    alerter: Alerter | None = None
    dead_letters: list[DeadLetter] = field(default_factory=list)
    _handlers: dict[str, list[Handler]] = field(default_factory=dict)
    _pending: list[Future[None]] = field(default_factory=list)
    _pool: ThreadPoolExecutor | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, got {self.workers}")

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Add a subscriber; each subscriber of a topic receives every message (fan-out)."""
        with self._lock:
            self._handlers.setdefault(topic, []).append(handler)

    def publish(self, topic: str, message: bytes, attributes: Mapping[str, str] | None = None) -> str:
        """Deliver to every subscriber now (synchronous) or queue on the pool; returns the id."""
        with self._lock:
            handlers = list(self._handlers.get(topic, ()))
            message_id = f"{topic}-{next(self._ids)}"
        if not handlers:
            raise ConfigError(f"bus topic {topic!r} has no subscriber: the message would be lost")
        attrs = dict(attributes or {})
        for handler in handlers:
            if self.workers == 0:
                self._deliver(handler, topic, message_id, message, attrs)
                continue
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="nbaprops-bus")
                self._pending.append(
                    self._pool.submit(self._deliver, handler, topic, message_id, message, attrs)
                )
        return message_id

    def flush(self) -> None:
        """Wait for every queued delivery (a no-op when synchronous), for at most ``flush_deadline_s``.

        A handler that never returns would otherwise hold the publisher forever; past the deadline
        ``DeadlineExceeded`` says how many deliveries are still running (they are not cancelled:
        a thread cannot be, and their outcome still reaches the ledger or the dead letters).
        """
        deadline = time.monotonic() + self.flush_deadline_s
        while True:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return
            _, running = wait(pending, timeout=max(deadline - time.monotonic(), 0.0))
            if running:
                with self._lock:
                    self._pending.extend(running)
                raise DeadlineExceeded(
                    f"bus: {len(running)} deliver(ies) still running after {self.flush_deadline_s:g}s"
                )
            for future in pending:
                future.result()

    def close(self) -> None:
        """Finish queued deliveries and stop the pool."""
        self.flush()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _deliver(
        self, handler: Handler, topic: str, message_id: str, data: bytes, attributes: dict[str, str]
    ) -> None:
        for attempt in range(1, self.max_attempts + 1):
            message = Message(topic, message_id, data, attributes, attempt)
            try:
                handler(message)
            except TransientError as exc:
                log.warning("bus.retry", topic=topic, message_id=message_id, attempt=attempt, error=str(exc))
                if attempt == self.max_attempts:
                    self._dead_letter(topic, message_id, attributes, attempt, exc)
                elif self.backoff_s:
                    time.sleep(self.backoff_s * 2 ** (attempt - 1))
            except Exception as exc:  # noqa: BLE001 - any other handler failure is final: dead-letter it
                self._dead_letter(topic, message_id, attributes, attempt, exc)
                return
            else:
                return

    def _dead_letter(
        self, topic: str, message_id: str, attributes: Mapping[str, str], attempts: int, exc: Exception
    ) -> None:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        letter = DeadLetter(topic, message_id, dict(attributes), attempts, error)
        with self._lock:
            self.dead_letters.append(letter)
        log.error("bus.dead_letter", topic=topic, message_id=message_id, attempts=attempts, error=error)
        if self.alerter is not None:
            self.alerter.raise_alert(
                "bus.dead_letter",
                f"message {message_id} on {topic} dead-lettered after {attempts} attempt(s): {error}",
                severity="error",
                topic=topic,
                message_id=message_id,
                attempts=attempts,
                **{f"attr_{k}": v for k, v in attributes.items()},
            )
