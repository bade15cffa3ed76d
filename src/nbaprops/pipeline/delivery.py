"""One message, one decision: handle it once, ask for it again, or dead-letter it with the reason.

Used by ``PubSubBus``'s pull subscriptions; the services' ``POST /pubsub/push`` route decodes
push bodies with ``pipeline.push`` (one decoder) and maps the same outcomes onto HTTP. Both run
the handlers through ``attempt_delivery``, the one implementation of the redelivery rule. The
decision:

=============================================  ==========================================
the handler                                    outcome
=============================================  ==========================================
returns                                        ``ack``; the event id is recorded handled
was already handled for this event id          ``ack`` at once (a duplicate or redelivery)
raises ``NotReady`` (inputs still coming)      ``retry`` after a short pause, not counted
raises ``PermanentError`` (poison)             ``ack`` + dead letter with the reason
raises anything else (a crash, a transient)    ``retry`` (HTTP 5xx / nack) until
                                               ``max_attempts``, then dead letter
=============================================  ==========================================

The event id is the publisher's ``event_id`` attribute (the same on every copy of one event)
or, without it, the transport's message id (the same on every redelivery). Each is one
``bus_messages`` row: handled, retrying or dead-lettered, with attempts and the last error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

import structlog

from nbaprops.dates import now_utc
from nbaprops.errors import PermanentError, TransientError
from nbaprops.pipeline.bus import Handler, Message
from nbaprops.secrets import scrub

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alerter
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

Outcome = Literal["ack", "retry"]
_MAX_ERROR = 2000


class NotReady(TransientError):
    """The message came before its inputs: ask for it again later (not counted as a failed attempt)."""


@dataclass(frozen=True)
class Delivered:
    """What became of one delivery."""

    outcome: Outcome
    event_id: str
    status: Literal["handled", "duplicate", "not_ready", "retrying", "dead_letter"]
    error: str | None = None


DeadLetterSink = Callable[[Message, str], None]


class DeliveryLog:
    """``bus_messages``: each event id's state, read and written under one lock."""

    def __init__(self, warehouse: Warehouse) -> None:
        self._warehouse = warehouse
        self._lock = threading.Lock()

    def state(self, event_id: str) -> tuple[str | None, int]:
        """The recorded status (None: never seen) and attempts of ``event_id``."""
        rows = self._warehouse.query_rows(
            "SELECT status, attempts FROM bus_messages WHERE event_id = ?", [event_id]
        )
        return (rows[0][0], int(rows[0][1])) if rows else (None, 0)

    def record(self, event_id: str, message: Message, status: str, attempts: int, error: str | None) -> None:
        """Upsert the row of ``event_id``."""
        import pyarrow as pa

        moment = now_utc()
        row = {
            "event_id": event_id,
            "topic": message.topic,
            "message_id": message.message_id,
            "status": status,
            "attempts": attempts,
            "run_id": message.attributes.get("run_id"),
            "game_date": _date_attr(message.attributes.get("game_date")),
            "error": error,
            "first_seen_at": moment,
            "updated_at": moment,
        }
        with self._lock:
            seen = self._warehouse.query_rows(
                "SELECT first_seen_at FROM bus_messages WHERE event_id = ?", [event_id]
            )
            if seen:
                row["first_seen_at"] = seen[0][0]
            self._warehouse.merge_arrow("bus_messages", pa.Table.from_pylist([row]))

    def counts(self) -> dict[str, int]:
        """Rows per status (for reports and benchmarks)."""
        rows = self._warehouse.query_rows("SELECT status, count(*) FROM bus_messages GROUP BY status")
        return {str(s): int(n) for s, n in rows}


def _date_attr(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def event_id_of(message: Message) -> str:
    """The idempotency key of a message: its ``event_id`` attribute, else the transport's id."""
    return message.attributes.get("event_id") or message.message_id


@dataclass(frozen=True)
class Attempted:
    """How one delivery attempt of a message to its handlers ended (before any bookkeeping)."""

    status: Literal["handled", "not_ready", "retrying", "dead_letter"]
    reason: str | None = None


def attempt_delivery(
    message: Message, handlers: Sequence[Handler], *, attempt: int, max_attempts: int
) -> Attempted:
    """Hand ``message`` to each of ``handlers`` in turn, as delivery attempt ``attempt``; classify.

    The one redelivery rule of every transport (the pull side's ``deliver``, the push route's
    ``pipeline.push.dispatch_push``): every handler returned: ``handled``; ``NotReady``: ask again
    later (``not_ready``, never counted against the limit); a ``PermanentError``: ``dead_letter``
    at once; anything else (a crash, a transient fault): ``retrying`` until ``attempt`` reaches
    ``max_attempts``, then ``dead_letter``. The reason is scrubbed of secrets and bounded.
    """
    event_id = event_id_of(message)
    for handler in handlers:
        try:
            handler(message)
        except NotReady as exc:
            reason = scrub(str(exc))[:_MAX_ERROR]
            log.info("bus.not_ready", topic=message.topic, event_id=event_id, attempt=attempt, reason=reason)
            return Attempted("not_ready", reason)
        except PermanentError as exc:
            return Attempted("dead_letter", _reason(exc))
        except Exception as exc:  # noqa: BLE001 - a crash or a transient fault: retried, then dead-lettered
            reason = _reason(exc)
            if attempt >= max_attempts:
                return Attempted("dead_letter", reason)
            log.warning("bus.retry", topic=message.topic, event_id=event_id, attempt=attempt, error=reason)
            return Attempted("retrying", reason)
    return Attempted("handled")


def deliver(
    message: Message,
    handler: Handler,
    *,
    deliveries: DeliveryLog,
    dead_letter: DeadLetterSink,
    max_attempts: int,
    alerter: Alerter | None = None,
) -> Delivered:
    """Run ``handler`` on ``message`` at most once per event id; see the module's table."""
    event_id = event_id_of(message)
    status, attempts = deliveries.state(event_id)
    if status in ("handled", "dead_letter"):
        log.info("bus.duplicate", topic=message.topic, event_id=event_id, status=status)
        return Delivered("ack", event_id, "duplicate")
    attempted = attempt_delivery(message, [handler], attempt=attempts + 1, max_attempts=max_attempts)
    if attempted.status == "not_ready":
        return Delivered("retry", event_id, "not_ready", attempted.reason)
    if attempted.status == "dead_letter":
        reason = attempted.reason or "dead-lettered"
        _dead(
            message,
            event_id,
            attempts=attempts + 1,
            reason=reason,
            deliveries=deliveries,
            dead_letter=dead_letter,
            alerter=alerter,
        )
        return Delivered("ack", event_id, "dead_letter", reason)
    if attempted.status == "retrying":
        deliveries.record(event_id, message, "retrying", attempts + 1, attempted.reason)
        return Delivered("retry", event_id, "retrying", attempted.reason)
    deliveries.record(event_id, message, "handled", attempts + 1, None)
    return Delivered("ack", event_id, "handled")


def _reason(exc: BaseException) -> str:
    return scrub(f"{type(exc).__name__}: {exc}")[:_MAX_ERROR]


def _dead(
    message: Message,
    event_id: str,
    *,
    attempts: int,
    reason: str,
    deliveries: DeliveryLog,
    dead_letter: DeadLetterSink,
    alerter: Alerter | None,
) -> None:
    deliveries.record(event_id, message, "dead_letter", attempts, reason)
    dead_letter(message, reason)
    log.error("bus.dead_letter", topic=message.topic, event_id=event_id, attempts=attempts, error=reason)
    if alerter is not None:
        alerter.raise_alert(
            "bus.dead_letter",
            f"message {event_id} on {message.topic} dead-lettered after {attempts} attempt(s): {reason}",
            severity="error",
            topic=message.topic,
            event_id=event_id,
        )
