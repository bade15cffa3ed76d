"""Alert delivery: routing by severity, deduplication, rate limits and the fallback chain.

``Delivery.deliver(alert)`` hands an alert to the channels its severity routes to
(``alert_routes``). Before that:

* **dedup** — an alert whose key (kind + step/date/subject) was already delivered within
  ``alert_dedup_window_s`` is held back (``deduplicated``): a failing step re-run every ten minutes
  pages once, not six times an hour;
* **rate limit** — a channel that has sent ``alert_rate_limit_per_hour`` alerts in the last hour
  holds the next back (``rate_limited``) and the alert takes the fallback instead.

A channel that raises (``DeliveryFailed``) is recorded as ``failed`` with the error, and the alert
goes down its fallback chain (``alert_fallback``: Slack down -> email -> log); the log cannot fail, so
an alert always lands somewhere. Every attempt is an ``alert_deliveries`` row when a warehouse is
attached (the dedup window and rate limit read those rows, so they hold across processes), else it
is kept in memory.

``configure_delivery(settings)`` (called by ``configure_logging`` at every entry point) builds the
process's delivery from the settings; an ``Alerter`` without explicit channels uses it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from nbaprops.dates import now_utc
from nbaprops.errors import ConfigError, NbaPropsError, WarehouseError
from nbaprops.ops.channels import LogChannel
from nbaprops.secrets import remember_secrets, scrub

if TYPE_CHECKING:
    from nbaprops.ops.alerts import Alert, AlertChannel
    from nbaprops.settings import Settings
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

SEVERITIES = ("info", "warning", "error")
CHANNEL_NAMES = ("log", "email", "slack", "sentry")


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt, as recorded in ``alert_deliveries``."""

    alert_id: str
    alert_key: str
    channel: str
    attempted_at: datetime
    status: str  # sent | failed | deduplicated | rate_limited
    via: str
    error: str | None = None


@dataclass
class Delivery:
    """Routes, dedups, rate-limits and falls back; records every attempt."""

    channels: dict[str, AlertChannel]
    routes: dict[str, list[str]]
    fallback: dict[str, list[str]] = field(default_factory=dict)
    dedup_window_s: float = 0.0
    rate_limit_per_hour: int = 1_000_000
    clock: Callable[[], datetime] = now_utc
    _memory: list[Attempt] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.channels.setdefault("log", LogChannel())

    def deliver(self, alert: Alert, warehouse: Warehouse | None = None) -> list[Attempt]:
        """Deliver ``alert``; returns every attempt made (also recorded)."""
        now = self.clock()
        routed = [name for name in self.routes.get(alert.severity, ["log"]) if name in self.channels]
        with self._lock:
            if self.dedup_window_s and self._recently_sent(alert.key, now, warehouse):
                attempts = [
                    Attempt(alert.alert_id, alert.key, name, now, "deduplicated", "route") for name in routed
                ]
                log.info("alert.deduplicated", kind=alert.kind, alert_key=alert.key)
                self._record(attempts, warehouse)
                return attempts
            attempts = self._walk(alert, routed, now, warehouse)
            self._record(attempts, warehouse)
        return attempts

    def _walk(
        self, alert: Alert, routed: list[str], now: datetime, warehouse: Warehouse | None
    ) -> list[Attempt]:
        attempts: list[Attempt] = []
        outcome: dict[str, bool] = {}  # channel -> delivered

        def attempt(name: str, via: str) -> bool:
            if name not in outcome:
                outcome[name] = self._try(
                    alert, name, via=via, now=now, warehouse=warehouse, attempts=attempts
                )
            return outcome[name]

        for name in routed:
            if attempt(name, "route"):
                continue
            # Down the chain (Slack -> email -> log) until one link delivers; the log always does.
            for link in [*self.fallback.get(name, []), "log"]:
                if link in self.channels and attempt(link, f"fallback:{name}"):
                    break
        return attempts

    def _try(
        self,
        alert: Alert,
        name: str,
        *,
        via: str,
        now: datetime,
        warehouse: Warehouse | None,
        attempts: list[Attempt],
    ) -> bool:
        if name != "log" and self._sent_last_hour(name, now, warehouse) >= self.rate_limit_per_hour:
            attempts.append(Attempt(alert.alert_id, alert.key, name, now, "rate_limited", via))
            log.warning("alert.rate_limited", channel=name, kind=alert.kind)
            return False
        try:
            self.channels[name].send(alert)
        except NbaPropsError as exc:
            error = scrub(f"{type(exc).__name__}: {exc}")[:2000]
            attempts.append(Attempt(alert.alert_id, alert.key, name, now, "failed", via, error))
            log.warning("alert.delivery_failed", channel=name, kind=alert.kind, error=error)
            return False
        attempts.append(Attempt(alert.alert_id, alert.key, name, now, "sent", via))
        if name == "log" and via != "route":
            # Every channel of the chain failed: the log line is all there is, so make it loud.
            log.error("alert.undelivered", kind=alert.kind, alert_id=alert.alert_id, message=alert.message)
        return True

    # --- what was sent before: the warehouse when attached, else this process's memory ---------

    def _recently_sent(self, key: str, now: datetime, warehouse: Warehouse | None) -> bool:
        since = now - timedelta(seconds=self.dedup_window_s)
        if warehouse is not None:
            rows = warehouse.query_rows(
                "SELECT count(*) FROM alert_deliveries WHERE alert_key = ? AND status = 'sent' "
                "AND attempted_at >= ?",
                [key, since],
            )
            return bool(rows[0][0])
        return any(
            a.alert_key == key and a.status == "sent" and a.attempted_at >= since for a in self._memory
        )

    def _sent_last_hour(self, channel: str, now: datetime, warehouse: Warehouse | None) -> int:
        since = now - timedelta(hours=1)
        if warehouse is not None:
            rows = warehouse.query_rows(
                "SELECT count(*) FROM alert_deliveries WHERE channel = ? AND status = 'sent' "
                "AND attempted_at >= ?",
                [channel, since],
            )
            return int(rows[0][0])
        return sum(
            1 for a in self._memory if a.channel == channel and a.status == "sent" and a.attempted_at >= since
        )

    def _record(self, attempts: list[Attempt], warehouse: Warehouse | None) -> None:
        if warehouse is None:
            self._memory.extend(attempts)
            return
        try:
            for a in attempts:
                warehouse.execute(
                    "INSERT INTO alert_deliveries (alert_id, alert_key, channel, attempted_at, status, "
                    "via, error) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [a.alert_id, a.alert_key, a.channel, a.attempted_at, a.status, a.via, a.error],
                )
        except WarehouseError as exc:
            # The alert itself went out (or is in the log); losing its delivery rows must not hide it.
            self._memory.extend(attempts)
            log.exception("alert.delivery_record_failed", error=str(exc))


def parse_table(text: str, keys: tuple[str, ...], what: str) -> dict[str, list[str]]:
    """``'a=x,y;b=z'`` as ``{'a': ['x','y'], 'b': ['z']}``, names checked against the allowed ones."""
    table: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, values = part.partition("=")
        names = [v.strip() for v in values.split(",") if v.strip()]
        unknown = [n for n in [key.strip(), *names] if n not in (*keys, *CHANNEL_NAMES)]
        if not sep or unknown or key.strip() not in keys:
            allowed = f"names: {', '.join(keys)}; channels: {', '.join(CHANNEL_NAMES)}"
            raise ConfigError(f"{what}: cannot read {part!r} ({allowed})")
        table[key.strip()] = names
    return table


def build_channels(settings: Settings) -> dict[str, AlertChannel]:
    """Every channel the settings configure (the log always)."""
    from nbaprops.ops.channels import EmailChannel, SentryChannel, SlackChannel

    remember_secrets(settings.secret_values())
    see_more = settings.alert_see_more
    channels: dict[str, AlertChannel] = {"log": LogChannel(see_more)}
    if settings.alert_smtp_host:
        recipients = [r.strip() for r in settings.alert_email_to.split(",") if r.strip()]
        if not recipients:
            raise ConfigError(
                "NBAPROPS_ALERT_SMTP_HOST is set but NBAPROPS_ALERT_EMAIL_TO names no recipient"
            )
        password = settings.alert_smtp_password
        channels["email"] = EmailChannel(
            host=settings.alert_smtp_host,
            port=settings.alert_smtp_port,
            security=settings.alert_smtp_security,
            sender=settings.alert_email_from,
            recipients=recipients,
            timeout_s=settings.alert_smtp_timeout_s,
            see_more=see_more,
            user=settings.alert_smtp_user,
            password=password.get_secret_value() if password else None,
            ca_file=settings.alert_smtp_ca_file,
        )
    if settings.alert_slack_webhook_url:
        channels["slack"] = SlackChannel(
            settings.alert_slack_webhook_url.get_secret_value(),
            timeout_s=settings.alert_http_timeout_s,
            see_more=see_more,
        )
    if settings.alert_sentry_dsn:
        channels["sentry"] = SentryChannel(
            settings.alert_sentry_dsn.get_secret_value(),
            timeout_s=settings.alert_http_timeout_s,
            see_more=see_more,
        )
    return channels


def delivery_from_settings(
    settings: Settings, channels: Mapping[str, AlertChannel] | None = None
) -> Delivery:
    """The delivery the settings describe (``channels`` replaces the configured ones, for tests)."""
    return Delivery(
        channels=dict(channels) if channels is not None else build_channels(settings),
        routes=parse_table(settings.alert_routes, SEVERITIES, "NBAPROPS_ALERT_ROUTES"),
        fallback=parse_table(settings.alert_fallback, CHANNEL_NAMES, "NBAPROPS_ALERT_FALLBACK"),
        dedup_window_s=settings.alert_dedup_window_s,
        rate_limit_per_hour=settings.alert_rate_limit_per_hour,
    )


_configured: dict[str, Delivery] = {}


def configure_delivery(settings: Settings) -> Delivery:
    """Build this process's delivery from the settings (entry points call it once)."""
    _configured["process"] = delivery_from_settings(settings)
    return _configured["process"]


def reset_delivery() -> None:
    """Forget the configured delivery (tests; ``reset_logging``)."""
    _configured.clear()


def default_delivery() -> Delivery:
    """The configured delivery, or the log alone when no entry point configured one."""
    if "process" in _configured:
        return _configured["process"]
    return Delivery(channels={}, routes={s: ["log"] for s in SEVERITIES})


def explicit_delivery(channels: list[AlertChannel]) -> Delivery:
    """Every severity to every one of ``channels``, no dedup, no fallback (an explicit fan-out)."""
    names = [c.name for c in channels]
    return Delivery(
        channels={c.name: c for c in channels},
        routes={s: list(names) for s in SEVERITIES},
        fallback={n: [] for n in names},
    )
