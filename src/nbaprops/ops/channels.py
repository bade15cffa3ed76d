"""Alert channels: where an alert is delivered (the log, email over SMTP, a Slack webhook, Sentry).

Each channel is one small class behind ``alerts.AlertChannel``: ``send(alert)`` delivers or raises
``DeliveryFailed`` (transient: the delivery layer then falls back to the next channel). Every
outside call is bounded (SMTP connect and command timeout, HTTP timeout) and nothing a channel
sends or raises carries a secret: the text passes ``scrub`` and Sentry events pass a scrubbing
``before_send`` as well as the SDK's own ``EventScrubber``.

The message always says what failed, for which date and step, when, and how to see more::

    [nbaprops ERROR] step_failed: scrape.nbacom.schedule 2025-11-03
    What failed: step scrape.nbacom.schedule for 2025-11-03 failed: SourceUnavailable: …
    Step: scrape.nbacom.schedule   Game date: 2025-11-03   Raised at: 2025-11-04T06:12:00+00:00
    How to see more: nbaprops health; …
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import structlog

from nbaprops.errors import TransientError
from nbaprops.secrets import scrub

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alert

log = structlog.get_logger(__name__)

_HEADLINE_KEYS = ("step", "game_date", "source", "table", "rule")
DEFAULT_SEE_MORE = "nbaprops health; nbaprops report perf; the alerts table; <data_dir>/logs/nbaprops.jsonl"


class DeliveryFailed(TransientError):
    """A channel could not deliver an alert (server down, refused, timed out)."""


def render(alert: Alert, see_more: str) -> tuple[str, str]:
    """The alert as (subject, body) text, scrubbed of every remembered secret."""
    headline = " ".join(str(alert.context[k]) for k in _HEADLINE_KEYS if alert.context.get(k) is not None)
    subject = f"[nbaprops {alert.severity.upper()}] {alert.kind}" + (f": {headline}" if headline else "")
    details = [f"{k}: {v}" for k, v in sorted(alert.context.items()) if k not in _HEADLINE_KEYS]
    lines = [
        f"What failed: {alert.message}",
        f"Kind: {alert.kind}   Severity: {alert.severity}",
        f"Step: {alert.context.get('step', '-')}   Game date: {alert.context.get('game_date', '-')}",
        f"Raised at: {alert.raised_at.isoformat()}   Alert id: {alert.alert_id}",
        *details,
        f"How to see more: {see_more}",
    ]
    return scrub(subject), scrub("\n".join(lines))


class LogChannel:
    """The structured log: always available, the last link of every fallback chain."""

    name = "log"

    def __init__(self, see_more: str = DEFAULT_SEE_MORE) -> None:
        self.see_more = see_more

    def send(self, alert: Alert) -> None:
        """Write the rendered alert as one ``alert.notify`` event."""
        subject, body = render(alert, self.see_more)
        log.info("alert.notify", channel=self.name, alert_id=alert.alert_id, subject=subject, body=body)


class EmailChannel:
    """Email over SMTP: STARTTLS or implicit TLS (or plain, for a loopback relay), optional AUTH."""

    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        sender: str,
        recipients: list[str],
        timeout_s: float,
        see_more: str,
        user: str | None = None,
        password: str | None = None,
        ca_file: Path | None = None,
    ) -> None:
        if not recipients:
            raise ValueError("email channel: no recipients (alert_email_to)")
        self.host, self.port, self.security = host, port, security
        self.sender, self.recipients = sender, recipients
        self.timeout_s, self.see_more = timeout_s, see_more
        self._user, self._password, self._ca_file = user, password, ca_file

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self._ca_file) if self._ca_file else None)

    def send(self, alert: Alert) -> None:
        """Send one message; any SMTP, TLS or socket error becomes ``DeliveryFailed``."""
        subject, body = render(alert, self.see_more)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["X-Nbaprops-Alert-Id"] = alert.alert_id
        message.set_content(body)
        try:
            smtp: smtplib.SMTP
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=self._tls())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=self._tls())
                if self._user:
                    smtp.login(self._user, self._password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            # SMTP replies never hold our password, but scrub anyway: the error goes to a table.
            where = f"{self.host}:{self.port} ({self.security})"
            raise DeliveryFailed(f"email via {where}: {type(exc).__name__}: {scrub(str(exc))}") from None


class SlackChannel:
    """A Slack incoming webhook (the URL is the credential: it never appears in errors)."""

    name = "slack"

    def __init__(self, webhook_url: str, *, timeout_s: float, see_more: str) -> None:
        self._url = webhook_url
        self.timeout_s, self.see_more = timeout_s, see_more

    def send(self, alert: Alert) -> None:
        """POST the message as ``{"text": …}``; anything but a 2xx is ``DeliveryFailed``."""
        subject, body = render(alert, self.see_more)
        try:
            response = httpx.post(
                self._url, json={"text": f"*{subject}*\n{body}"}, timeout=httpx.Timeout(self.timeout_s)
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"slack webhook: {type(exc).__name__}: {scrub(str(exc))}") from None
        if not response.is_success:
            raise DeliveryFailed(
                f"slack webhook answered HTTP {response.status_code}: {scrub(response.text[:200])}"
            )


def scrub_event(event: Any, _hint: Any = None) -> Any:
    """A Sentry ``before_send``: every string of the event scrubbed of remembered secrets."""
    if isinstance(event, str):
        return scrub(event)
    if isinstance(event, Mapping):
        return {k: scrub_event(v) for k, v in event.items()}
    if isinstance(event, list | tuple):
        return [scrub_event(v) for v in event]
    return event


class SentryChannel:
    """Sentry through sentry-sdk: the SDK builds and scrubs the event; our transport sends it, bounded.

    The transport posts each envelope synchronously with a timeout and keeps the outcome, so a
    Sentry that is down is a ``DeliveryFailed`` (recorded, then the fallback) instead of an event
    silently dropped by a background thread.
    """

    name = "sentry"

    def __init__(self, dsn: str, *, timeout_s: float, see_more: str, environment: str = "production") -> None:
        import sentry_sdk
        from sentry_sdk.scrubber import EventScrubber

        self.see_more = see_more
        self._outcomes = _Outcomes()
        self._client = sentry_sdk.Client(
            dsn=dsn,
            transport=_sync_transport(dsn, timeout_s, self._outcomes),
            default_integrations=False,
            auto_enabling_integrations=False,
            event_scrubber=EventScrubber(),
            before_send=scrub_event,
            enable_backpressure_handling=False,
            auto_session_tracking=False,
            environment=environment,
        )

    def send(self, alert: Alert) -> None:
        """Capture one event (message, level, tags, fingerprint by alert key) and wait for its answer."""
        subject, body = render(alert, self.see_more)
        event: dict[str, Any] = {
            "message": f"{subject}\n{body}",
            "level": {"info": "info", "warning": "warning", "error": "error"}[alert.severity],
            "logger": "nbaprops.alerts",
            "tags": {
                "kind": alert.kind,
                **{k: str(alert.context[k]) for k in _HEADLINE_KEYS if k in alert.context},
            },
            "extra": {k: str(v) for k, v in alert.context.items()},
            "fingerprint": [alert.key or alert.kind],
        }
        self._outcomes.clear()
        self._client.capture_event(event)  # type: ignore[arg-type]  # a plain dict is what the SDK takes
        if not self._outcomes:
            raise DeliveryFailed("sentry: the SDK dropped the event before sending it")
        problem = self._outcomes[-1]
        if problem:
            raise DeliveryFailed(f"sentry: {problem}")

    def close(self) -> None:
        """Release the SDK client."""
        self._client.close(timeout=0)


class _Outcomes(list[str]):
    """What the transport saw for each envelope: '' when sent, else the error."""


def _sync_transport(dsn: str, timeout_s: float, outcomes: _Outcomes) -> Any:
    """A sentry-sdk ``Transport`` posting each envelope at once over httpx with a timeout.

    Built here rather than at import time: sentry-sdk comes with the ``[gcp]`` extra.
    """
    from sentry_sdk.consts import EndpointType
    from sentry_sdk.transport import Transport

    class SyncTransport(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            auth = self.parsed_dsn.to_auth() if self.parsed_dsn else None
            if auth is None:
                outcomes.append("no DSN")
                return
            try:
                response = httpx.post(
                    auth.get_api_url(EndpointType.ENVELOPE),
                    content=envelope.serialize(),
                    headers={
                        "Content-Type": "application/x-sentry-envelope",
                        "X-Sentry-Auth": auth.to_header(),
                    },
                    timeout=httpx.Timeout(timeout_s),
                )
            except httpx.HTTPError as exc:
                outcomes.append(f"{type(exc).__name__}: {scrub(str(exc))}")
                return
            outcomes.append("" if response.is_success else f"HTTP {response.status_code}")

        def flush(self, timeout: float, callback: Any = None) -> None:
            """Nothing is queued: every envelope was sent when captured."""

        def kill(self) -> None:
            """Nothing runs in the background."""

    return SyncTransport({"dsn": dsn})
