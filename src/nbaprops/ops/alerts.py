"""Alerts: the pipeline's way of saying "a person should know about this".

An alert is raised where the problem is seen (a source fell back, names went unresolved, a payload
was quarantined), recorded in the ``alerts`` table when a warehouse is attached, emitted as a
structured ``alert.raised`` event, and handed to the delivery layer (``ops.delivery``): routing by
severity to the configured channels (``ops.channels``: log, email, Slack, Sentry), deduplication by
alert key, a rate limit per channel and a fallback chain. A channel that fails to deliver does not
hide the alert: the failure is logged as ``alert.delivery_failed``, recorded in
``alert_deliveries``, and the alert goes to the next channel of its chain.

An alert's **key** says "the same problem": its kind plus the step, date, source, table or rule it
names (or ``alert_key=`` given explicitly); the dedup window compares keys.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import structlog

from nbaprops.dates import now_utc
from nbaprops.secrets import scrub

if TYPE_CHECKING:
    from nbaprops.ops.delivery import Delivery
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

Severity = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class Alert:
    """One raised alert."""

    alert_id: str
    raised_at: datetime
    kind: str
    severity: Severity
    message: str
    context: dict[str, Any]
    key: str = ""


class AlertChannel(Protocol):
    """Somewhere an alert is delivered (log, email, Slack, Sentry…)."""

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver the alert or raise ``NbaPropsError``."""


_KEY_FIELDS = ("step", "game_date", "source", "table", "rule", "host", "system_id")


def alert_key(kind: str, message: str, context: dict[str, Any]) -> str:
    """What makes two alerts "the same problem" for deduplication."""
    named = [f"{k}={context[k]}" for k in _KEY_FIELDS if context.get(k) is not None]
    if not named:
        named = [hashlib.sha256(message.encode()).hexdigest()[:12]]
    return "|".join([kind, *named])


@dataclass
class Alerter:
    """Raises alerts: records them, logs them, and hands them to the delivery layer.

    With explicit ``channels`` every alert goes to each of them (no routing, dedup or fallback);
    without, to the process's configured delivery (``ops.delivery.configure_delivery``).
    """

    warehouse: Warehouse | None = None
    channels: list[AlertChannel] | None = None
    raised: list[Alert] = field(default_factory=list)
    delivery: Delivery | None = None

    def __post_init__(self) -> None:
        from nbaprops.ops.delivery import default_delivery, explicit_delivery

        if self.delivery is None:
            self.delivery = (
                explicit_delivery(self.channels) if self.channels is not None else default_delivery()
            )

    def raise_alert(
        self, kind: str, message: str, *, severity: Severity = "warning", **context: Any
    ) -> Alert:
        """Record and deliver one alert; returns it."""
        # Alerts quote error text; whatever path a key took into it, it stops here.
        message = scrub(message)
        explicit_key = context.pop("alert_key", None)
        context = {k: scrub(v) if isinstance(v, str) else v for k, v in context.items()}
        key = str(explicit_key) if explicit_key else alert_key(kind, message, context)
        alert = Alert(uuid.uuid4().hex, now_utc(), kind, severity, message, dict(context), key)
        self.raised.append(alert)
        emit = log.info if severity == "info" else log.warning
        emit("alert.raised", kind=kind, severity=severity, message=message, **context)
        if self.warehouse is not None:
            self.warehouse.execute(
                "INSERT INTO alerts (alert_id, raised_at, kind, severity, message, context) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [alert.alert_id, alert.raised_at, kind, severity, message, json.dumps(context, default=str)],
            )
        if self.delivery is not None:  # always set by __post_init__
            self.delivery.deliver(alert, self.warehouse)
        return alert

    def of_kind(self, kind: str) -> list[Alert]:
        """Alerts raised so far by this alerter with the given kind."""
        return [a for a in self.raised if a.kind == kind]
