"""A Pub/Sub push delivery, decoded and handed to the bus handlers: one function for every service.

Pub/Sub POSTs each message of a push subscription as a JSON envelope::

    {"message": {"data": "<base64>", "attributes": {...}, "messageId": "...", "publishTime": "..."},
     "subscription": "projects/P/subscriptions/nbaprops-predict-batches.worker",
     "deliveryAttempt": 2}

``PushEnvelope`` validates that shape (sizes and patterns bounded); ``dispatch_push`` finds the
topic from the subscription id (``nbaprops-{topic}`` or ``nbaprops-{topic}.{role}``), builds the
same ``bus.Message`` the in-process bus delivers, calls the topic's handlers and maps the outcome
onto the push protocol, exactly as ``bus.py``'s table says:

==========================================  ==============  =====================================
outcome                                     ``status``      HTTP answer (Pub/Sub's reading)
==========================================  ==============  =====================================
every handler returned                      ``acked``       204 (ack)
a handler raised ``NotReady`` (inputs not    ``retry``       503 (nack: redelivered with backoff)
complete yet), or raised ``TransientError``
or crashed before delivery ``max_attempts``
what retrying cannot fix: undecodable       ``dead_letter`` 200 (ack) after the dead letter is
data, a topic this service does not                         recorded (logged as ``bus.dead_letter``
handle, a ``PermanentError``, a crash on                    and given to ``on_dead_letter``)
the last attempt
==========================================  ==============  =====================================

This is ``pipeline.delivery``'s decision table (the pull side of ``PubSubBus``), and the same
code: both call ``delivery.attempt_delivery`` and differ only in where the attempt number comes
from and where the outcome is recorded. On the push side the attempt number is the envelope's
``deliveryAttempt`` (set when the subscription has a dead-letter policy), so a crash is
redelivered until the last attempt and then recorded here with its reason, before Pub/Sub's own
policy would forward it without one.

Acking a poison message is deliberate: redelivering it would only fail again until the
subscription's dead-letter policy gave up. It is never a silent drop: the dead letter carries the
reason, and ``on_dead_letter`` (the services record an alert) raising makes the delivery a
``retry`` instead, so a dead letter nobody recorded is redelivered rather than lost.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field

from nbaprops.pipeline.bus import DeadLetter, Handler, Message
from nbaprops.pipeline.delivery import attempt_delivery

log = structlog.get_logger(__name__)

SUBSCRIPTION_PREFIX = "nbaprops-"
_SUBSCRIPTION = re.compile(r"^projects/[a-z][a-z0-9-]{4,29}/subscriptions/(?P<id>[A-Za-z][\w.~%+-]{2,254})$")
_TOPIC = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
MAX_ATTEMPTS = 5
"""Pub/Sub's default ``max_delivery_attempts`` of a dead-letter policy (docs/deploy.md sets it)."""
MAX_DATA_CHARS = 10 * 1024 * 1024 * 4 // 3 + 4  # Pub/Sub's 10 MB message limit, base64-encoded

Outcome = Literal["acked", "retry", "dead_letter"]


class PushMessage(BaseModel):
    """The ``message`` of a push envelope (Pub/Sub also sends snake_case twins; they are ignored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    data: str = Field("", max_length=MAX_DATA_CHARS, description="The payload, base64.")
    attributes: dict[str, str] = Field(default_factory=dict, max_length=100)
    message_id: str = Field(alias="messageId", min_length=1, max_length=128, pattern=r"^[\w.:-]+$")
    publish_time: str | None = Field(None, alias="publishTime", max_length=64)


class PushEnvelope(BaseModel):
    """The body Pub/Sub POSTs to a push endpoint."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    message: PushMessage
    subscription: str = Field(max_length=512)
    delivery_attempt: int | None = Field(None, alias="deliveryAttempt", ge=1, le=1000)


@dataclass(frozen=True)
class PushOutcome:
    """What became of one push delivery; ``reason`` is internal (logs and alerts, never a body)."""

    status: Outcome
    topic: str
    message_id: str
    reason: str | None = None

    @property
    def http_status(self) -> int:
        """The status code that tells Pub/Sub to ack (2xx) or redeliver (5xx)."""
        return {"acked": 204, "retry": 503, "dead_letter": 200}[self.status]


def topic_of_subscription(subscription: str, prefix: str = SUBSCRIPTION_PREFIX) -> str | None:
    """The bus topic of a push subscription's full name, or ``None`` when it is not one of ours."""
    match = _SUBSCRIPTION.match(subscription)
    if match is None:
        return None
    sub_id = match.group("id")
    if not sub_id.startswith(prefix):
        return None
    topic = sub_id.removeprefix(prefix).split(".", 1)[0]
    return topic if _TOPIC.match(topic) else None


def dispatch_push(
    envelope: PushEnvelope,
    handlers: Mapping[str, Sequence[Handler]],
    *,
    on_dead_letter: Callable[[DeadLetter], None] | None = None,
    max_attempts: int | Mapping[str, int] = MAX_ATTEMPTS,
    prefix: str = SUBSCRIPTION_PREFIX,
) -> PushOutcome:
    """Deliver one push envelope to its topic's handlers (see the module's table of outcomes).

    ``max_attempts`` is the subscription's ``maxDeliveryAttempts``: one number, or one per topic
    (``nbaprops schedule export`` gives each step's subscription 5 x (its retries + 1)).
    """
    message_id = envelope.message.message_id
    attempt = envelope.delivery_attempt or 1
    attributes = dict(envelope.message.attributes)
    topic = topic_of_subscription(envelope.subscription, prefix)
    if topic is None or not handlers.get(topic):
        reason = f"no handler here for subscription {envelope.subscription!r}"
        return _dead_letter(
            topic or "?",
            message_id,
            attributes=attributes,
            attempt=attempt,
            reason=reason,
            on_dead_letter=on_dead_letter,
        )
    try:
        data = base64.b64decode(envelope.message.data, validate=True)
    except (binascii.Error, ValueError):
        reason = "data is not base64"
        return _dead_letter(
            topic,
            message_id,
            attributes=attributes,
            attempt=attempt,
            reason=reason,
            on_dead_letter=on_dead_letter,
        )
    message = Message(topic, message_id, data, attributes, attempt)
    limit = max_attempts if isinstance(max_attempts, int) else max_attempts.get(topic, MAX_ATTEMPTS)
    # NotReady (inputs still coming) is asked for again, never given up on here: Pub/Sub's
    # dead-letter policy bounds it.
    attempted = attempt_delivery(message, handlers[topic], attempt=attempt, max_attempts=limit)
    if attempted.status == "dead_letter":
        return _dead_letter(
            topic,
            message_id,
            attributes=attributes,
            attempt=attempt,
            reason=attempted.reason or "dead-lettered",
            on_dead_letter=on_dead_letter,
        )
    if attempted.status in ("not_ready", "retrying"):
        return PushOutcome("retry", topic, message_id, attempted.reason)
    log.info("bus.push_acked", topic=topic, message_id=message_id, attempt=attempt)
    return PushOutcome("acked", topic, message_id)


def _dead_letter(
    topic: str,
    message_id: str,
    *,
    attributes: Mapping[str, str],
    attempt: int,
    reason: str,
    on_dead_letter: Callable[[DeadLetter], None] | None,
) -> PushOutcome:
    letter = DeadLetter(topic, message_id, dict(attributes), attempt, reason)
    log.error("bus.dead_letter", topic=topic, message_id=message_id, attempts=attempt, error=reason)
    if on_dead_letter is not None:
        try:
            on_dead_letter(letter)
        except Exception as exc:  # unrecorded: have Pub/Sub redeliver it instead of losing it
            log.exception("bus.dead_letter_unrecorded", topic=topic, message_id=message_id, error=str(exc))
            return PushOutcome("retry", topic, message_id, f"dead letter not recorded: {exc}"[:2000])
    return PushOutcome("dead_letter", topic, message_id, reason)


def encode_push(
    topic: str,
    data: bytes,
    *,
    message_id: str,
    attributes: Mapping[str, str] | None = None,
    project: str = "nbaprops-local",
    role: str | None = None,
    delivery_attempt: int | None = None,
) -> dict[str, object]:
    """The envelope Pub/Sub would POST for ``data`` on ``topic`` (the emulator and tests use it)."""
    sub_id = f"{SUBSCRIPTION_PREFIX}{topic}" + (f".{role}" if role else "")
    body: dict[str, object] = {
        "message": {
            "data": base64.b64encode(data).decode("ascii"),
            "attributes": dict(attributes or {}),
            "messageId": message_id,
        },
        "subscription": f"projects/{project}/subscriptions/{sub_id}",
    }
    if delivery_attempt is not None:
        body["deliveryAttempt"] = delivery_attempt
    return body
