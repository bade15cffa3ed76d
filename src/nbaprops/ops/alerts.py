"""Alerts: the pipeline's way of saying "a person should know about this".

An alert is raised where the problem is seen (a source fell back, names went unresolved, a payload
was quarantined), recorded in the ``alerts`` table when a warehouse is attached, emitted as a
structured ``alert.raised`` event, and handed to every configured ``AlertChannel``. A channel that
fails to deliver does not hide the alert: the failure is itself logged as ``alert.delivery_failed``
and the alert stays recorded. (Email, Slack and Sentry channels plug in behind the same protocol.)
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

import structlog

from nbaprops.dates import now_utc
from nbaprops.errors import NbaPropsError
from nbaprops.secrets import scrub

if TYPE_CHECKING:
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


class AlertChannel(Protocol):
    """Somewhere an alert is delivered (log, email, Slack, Sentry…)."""

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver the alert or raise ``NbaPropsError``."""


@dataclass
class Alerter:
    """Raises alerts: records them, logs them, and fans them out to the channels."""

    warehouse: Warehouse | None = None
    channels: list[AlertChannel] = field(default_factory=list)
    raised: list[Alert] = field(default_factory=list)

    def raise_alert(
        self, kind: str, message: str, *, severity: Severity = "warning", **context: Any
    ) -> Alert:
        """Record and deliver one alert; returns it."""
        # Alerts quote error text; whatever path a key took into it, it stops here.
        message = scrub(message)
        context = {k: scrub(v) if isinstance(v, str) else v for k, v in context.items()}
        alert = Alert(uuid.uuid4().hex, now_utc(), kind, severity, message, dict(context))
        self.raised.append(alert)
        log.warning("alert.raised", kind=kind, severity=severity, message=message, **context)
        if self.warehouse is not None:
            self.warehouse.execute(
                "INSERT INTO alerts (alert_id, raised_at, kind, severity, message, context) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [alert.alert_id, alert.raised_at, kind, severity, message, json.dumps(context, default=str)],
            )
        for channel in self.channels:
            try:
                channel.send(alert)
            except NbaPropsError as exc:
                log.exception("alert.delivery_failed", channel=channel.name, kind=kind, error=str(exc))
        return alert

    def of_kind(self, kind: str) -> list[Alert]:
        """Alerts raised so far by this alerter with the given kind."""
        return [a for a in self.raised if a.kind == kind]
