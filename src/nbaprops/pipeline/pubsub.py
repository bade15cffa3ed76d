"""``Bus`` on Google Pub/Sub: one topic per event, a dead-letter topic, idempotent delivery.

``publish(topic, data, attributes)`` publishes to ``projects/{project}/topics/{prefix}{topic}``
with the attributes plus ``bus_topic`` and an ``event_id`` (the caller's, else a fresh one), and waits
for the server's id (``pubsub_timeout_s``). Production delivers by push subscriptions to the
services (``POST /pubsub/push``, decoded by ``pipeline.push``); ``subscribe(topic, handler)``
here opens a pull subscription ``{prefix}{topic}.{suffix}`` in this process, which is how the
tests, the benchmark and a single-machine run use it. Either way each message goes through
``delivery.deliver``: handled once per event id (``bus_messages``), retried (nack) on a crash, and
acknowledged and republished to ``{prefix}dead-letter`` with the reason when it is poison or has
crashed ``bus_max_attempts`` times.

Handlers run one at a time in this process (the warehouse and the sandbox's clock are shared),
whatever the number of subscriptions. ``flush()`` waits until every message published to a topic
subscribed here has been acknowledged, so a caller that publishes and then reads the results
(the day runner) sees them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from nbaprops.errors import ConfigError, DeadlineExceeded, TransientError
from nbaprops.pipeline.bus import Handler, Message
from nbaprops.pipeline.delivery import DeliveryLog, deliver

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alerter
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

DEAD_LETTER_TOPIC = "dead-letter"


@dataclass
class PubSubBus:
    """Publish to Pub/Sub topics; subscribe handlers through pull subscriptions in this process."""

    delivers_during_handler = False
    """Handlers here run one at a time: a message published by a handler is delivered after it
    returns (the day runner then predicts a step's batches in the step, not on the bus)."""

    project: str
    deliveries: DeliveryLog
    prefix: str = "nbaprops-"
    suffix: str = "local"
    timeout_s: float = 30.0
    max_attempts: int = 5
    flush_deadline_s: float = 900.0
    not_ready_pause_s: float = 0.2
    alerter: Alerter | None = None
    publisher: Any = None
    subscriber: Any = None
    published: int = 0
    delivered: int = 0
    _local: set[str] = field(default_factory=set)
    _outstanding: set[str] = field(default_factory=set)
    _futures: list[Any] = field(default_factory=list)
    _handler_lock: threading.Lock = field(default_factory=threading.Lock)
    _state: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

        self.publisher = self.publisher or PublisherClient()
        self.subscriber = self.subscriber or SubscriberClient()
        self.ensure_topic(DEAD_LETTER_TOPIC)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        warehouse: Warehouse,
        alerter: Alerter | None = None,
        suffix: str = "local",
    ) -> PubSubBus:
        """A bus on the settings' project and prefix (the emulator when ``PUBSUB_EMULATOR_HOST`` is set)."""
        return cls(
            settings.pubsub_project,
            DeliveryLog(warehouse),
            prefix=settings.pubsub_prefix,
            suffix=suffix,
            timeout_s=settings.pubsub_timeout_s,
            max_attempts=settings.bus_max_attempts,
            alerter=alerter,
        )

    # --- names and resources -------------------------------------------------------------------

    def topic_path(self, topic: str) -> str:
        """The full name of a topic."""
        return f"projects/{self.project}/topics/{self.prefix}{topic}"

    def subscription_path(self, topic: str) -> str:
        """The full name of this process's subscription to a topic."""
        return f"projects/{self.project}/subscriptions/{self.prefix}{topic}.{self.suffix}"

    def ensure_topic(self, topic: str) -> None:
        """Create the topic unless it exists."""
        from google.api_core import exceptions

        try:
            self.publisher.create_topic(request={"name": self.topic_path(topic)}, timeout=self.timeout_s)
        except exceptions.AlreadyExists:
            log.debug("pubsub.topic_exists", topic=topic)

    # --- the Bus protocol ----------------------------------------------------------------------

    def publish(self, topic: str, message: bytes, attributes: Mapping[str, str] | None = None) -> str:
        """Publish and wait for the server's message id; the id is returned."""
        from google.api_core import exceptions

        attrs = {**dict(attributes or {}), "bus_topic": topic}
        attrs.setdefault("event_id", uuid.uuid4().hex)
        try:
            future = self.publisher.publish(self.topic_path(topic), message, **attrs)
            message_id = str(future.result(timeout=self.timeout_s))
        except exceptions.NotFound:
            raise ConfigError(f"pubsub topic {self.topic_path(topic)} does not exist") from None
        except (exceptions.ServiceUnavailable, exceptions.DeadlineExceeded, TimeoutError) as exc:
            raise TransientError(f"pubsub publish to {topic}: {type(exc).__name__}") from None
        with self._state:
            self.published += 1
            if topic in self._local:
                self._outstanding.add(message_id)
        return message_id

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Create (if needed) this process's pull subscription to ``topic`` and start delivering."""
        from google.api_core import exceptions
        from google.cloud.pubsub_v1.types import FlowControl

        self.ensure_topic(topic)
        path = self.subscription_path(topic)
        try:
            self.subscriber.create_subscription(
                request={"name": path, "topic": self.topic_path(topic), "ack_deadline_seconds": 60},
                timeout=self.timeout_s,
            )
        except exceptions.AlreadyExists:
            log.debug("pubsub.subscription_exists", subscription=path)
        with self._state:
            self._local.add(topic)

        def callback(received: Any) -> None:
            self._on_message(topic, handler, received)

        flow = FlowControl(max_messages=20)
        self._futures.append(self.subscriber.subscribe(path, callback=callback, flow_control=flow))

    def flush(self) -> None:
        """Wait until every message published to a topic subscribed here has been acknowledged."""
        deadline = time.monotonic() + self.flush_deadline_s
        with self._state:
            while self._outstanding:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DeadlineExceeded(
                        f"pubsub: {len(self._outstanding)} message(s) not handled "
                        f"after {self.flush_deadline_s:g}s"
                    )
                self._state.wait(timeout=min(left, 1.0))

    def close(self) -> None:
        """Stop the pull subscriptions (waiting a bounded time for each to wind down)."""
        for future in self._futures:
            future.cancel()
        for future in self._futures:
            try:
                future.result(timeout=self.timeout_s)
            except Exception as exc:  # noqa: BLE001 - a cancelled stream ends with an error; it is done
                log.debug("pubsub.stream_closed", error=type(exc).__name__)
        self._futures.clear()

    # --- delivery --------------------------------------------------------------------------------

    def _on_message(self, topic: str, handler: Handler, received: Any) -> None:
        message = Message(
            topic,
            str(received.message_id),
            bytes(received.data),
            dict(received.attributes),
            int(received.delivery_attempt or 1),
        )
        with self._handler_lock:
            self.delivered += 1
            try:
                outcome = deliver(
                    message,
                    handler,
                    deliveries=self.deliveries,
                    dead_letter=self.dead_letter,
                    max_attempts=self.max_attempts,
                    alerter=self.alerter,
                )
            except Exception:
                # the delivery record itself failed (warehouse down?): redeliver, never drop
                log.exception("pubsub.delivery_failed", topic=topic, message_id=message.message_id)
                received.nack()
                return
        if outcome.outcome == "ack":
            received.ack()
            with self._state:
                self._outstanding.discard(message.message_id)
                self._state.notify_all()
            return
        if outcome.status == "not_ready":
            time.sleep(self.not_ready_pause_s)  # the inputs are being made: do not spin on them
        received.nack()

    def dead_letter(self, message: Message, reason: str) -> None:
        """Republish ``message`` to the dead-letter topic, its reason and origin as attributes."""
        attributes = {
            **message.attributes,
            "dead_letter_reason": reason[:1000],
            "original_topic": message.topic,
            "original_message_id": message.message_id,
            "event_id": f"dead:{message.attributes.get('event_id') or message.message_id}",
        }
        self.publish(DEAD_LETTER_TOPIC, message.data, attributes)
