"""Alerts delivered to real receivers on loopback: SMTP (STARTTLS and TLS, with AUTH), a Slack
webhook, a Sentry DSN; routing, fallback, dedup and rate limit; no secret in anything sent."""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from alert_receivers import free_port
from ops_support import SMTP_PASSWORD, SMTP_USER, Receivers
from structlog.testing import capture_logs

from nbaprops.ops.alerts import Alerter
from nbaprops.ops.delivery import delivery_from_settings
from nbaprops.secrets import remember_secrets
from nbaprops.settings import Settings, load_settings
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

ODDS_KEY = "oddsKEY0123456789abcdef"
SLACK_PATH = "/services/T000/B000/webhookSECRETxyz"
SENTRY_KEY = "sentrypublickey42"


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=10)
    create_schema(wh)
    yield wh
    wh.close()


def _settings(r: Receivers, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "odds_api_key": ODDS_KEY,
        "alert_smtp_host": "127.0.0.1",
        "alert_smtp_port": r.starttls.port,
        "alert_smtp_security": "starttls",
        "alert_smtp_user": SMTP_USER,
        "alert_smtp_password": SMTP_PASSWORD,
        "alert_smtp_ca_file": r.ca_file,
        "alert_smtp_timeout_s": 5,
        "alert_email_to": "oncall@nbaprops.test",
        "alert_slack_webhook_url": r.http.url(SLACK_PATH),
        "alert_sentry_dsn": f"http://{SENTRY_KEY}@127.0.0.1:{r.http.port}/42",
        "alert_http_timeout_s": 5,
        "alert_dedup_window_s": 0,
    }
    values.update(overrides)
    settings = load_settings(**values)
    remember_secrets(settings.secret_values())
    return settings


def _raise_step_failure(alerter: Alerter) -> None:
    # The failure text quotes a URL holding the Odds API key, as a careless error might.
    alerter.raise_alert(
        "step_failed",
        f"step scrape.oddsapi.props for 2025-11-03 failed: HTTP 500 from "
        f"https://api.the-odds-api.com/v4/sports?apiKey={ODDS_KEY}",
        severity="error",
        step="scrape.oddsapi.props",
        game_date="2025-11-03",
        detail=f"key was {ODDS_KEY}",
    )


def _secrets() -> list[str]:
    return [ODDS_KEY, SMTP_PASSWORD, "webhookSECRETxyz"]


def _assert_content(text: str) -> None:
    assert "step_failed" in text
    assert "scrape.oddsapi.props" in text
    assert "2025-11-03" in text
    assert "How to see more: nbaprops health" in text
    for secret in _secrets():
        assert secret not in text


def _mail_text(raw: bytes) -> str:
    message: Message = email.message_from_bytes(raw)
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return f"{message['Subject']}\n{payload.decode()}"


def _deliveries(warehouse: DuckDBWarehouse) -> list[tuple[str, str, str]]:
    return warehouse.query_rows(
        "SELECT channel, status, via FROM alert_deliveries ORDER BY attempted_at, channel"
    )


def test_an_error_reaches_email_slack_and_sentry_with_what_when_where_and_no_secret(
    fresh: Receivers, warehouse: DuckDBWarehouse
) -> None:
    delivery = delivery_from_settings(_settings(fresh))
    _raise_step_failure(Alerter(warehouse, delivery=delivery))

    assert SMTP_USER in fresh.starttls.mailbox.logins
    [mail] = fresh.starttls.mailbox.messages
    _assert_content(_mail_text(mail))
    [slack] = fresh.http.bodies(SLACK_PATH)
    _assert_content(json.loads(slack)["text"])
    [envelope] = fresh.http.bodies("/api/42/envelope/")
    sentry_text = envelope.decode()
    _assert_content(sentry_text)
    assert '"level":"error"' in sentry_text.replace(" ", "")
    assert {(c, s) for c, s, _ in _deliveries(warehouse)} == {
        ("log", "sent"),
        ("slack", "sent"),
        ("email", "sent"),
        ("sentry", "sent"),
    }


def test_implicit_tls_smtp_delivers_too(fresh: Receivers) -> None:
    settings = _settings(
        fresh,
        alert_smtp_port=fresh.smtps.port,
        alert_smtp_security="tls",
        alert_smtp_user=None,
        alert_routes="error=email",
    )
    _raise_step_failure(Alerter(None, delivery=delivery_from_settings(settings)))
    [mail] = fresh.smtps.mailbox.messages
    _assert_content(_mail_text(mail))


def test_routing_sends_info_to_the_log_only(fresh: Receivers, warehouse: DuckDBWarehouse) -> None:
    alerter = Alerter(warehouse, delivery=delivery_from_settings(_settings(fresh)))
    with capture_logs() as events:
        alerter.raise_alert("backfill_note", "12 dates resumed", severity="info")
    assert fresh.http.posts == []
    assert fresh.starttls.mailbox.messages == []
    assert _deliveries(warehouse) == [("log", "sent", "route")]
    assert any(e["event"] == "alert.notify" for e in events)


def test_slack_down_falls_back_to_email_and_both_down_to_a_loud_log_line(
    fresh: Receivers, warehouse: DuckDBWarehouse
) -> None:
    fresh.http.fail_paths.add(SLACK_PATH)
    settings = _settings(fresh, alert_routes="error=slack")
    _raise_step_failure(Alerter(warehouse, delivery=delivery_from_settings(settings)))
    assert len(fresh.http.bodies(SLACK_PATH)) == 1
    [mail] = fresh.starttls.mailbox.messages
    _assert_content(_mail_text(mail))
    rows = warehouse.query_rows("SELECT channel, status, via, error FROM alert_deliveries ORDER BY channel")
    assert [(c, s, v) for c, s, v, _ in rows] == [
        ("email", "sent", "fallback:slack"),
        ("slack", "failed", "route"),
    ]
    assert "HTTP 500" in rows[1][3]
    assert "webhookSECRETxyz" not in rows[1][3]

    # Now email is down as well (nothing listens on its port): the log is the last link.
    settings = _settings(fresh, alert_routes="error=slack", alert_smtp_port=free_port())
    with capture_logs() as events:
        _raise_step_failure(Alerter(warehouse, delivery=delivery_from_settings(settings)))
    undelivered = [e for e in events if e["event"] == "alert.undelivered"]
    assert len(undelivered) == 1
    assert undelivered[0]["log_level"] == "error"
    failed = warehouse.query_rows(
        "SELECT channel FROM alert_deliveries WHERE status = 'failed' ORDER BY attempted_at, channel"
    )
    assert [c for (c,) in failed] == ["slack", "email", "slack"]


def test_the_same_problem_is_sent_once_per_dedup_window(fresh: Receivers, warehouse: DuckDBWarehouse) -> None:
    settings = _settings(fresh, alert_routes="error=slack", alert_dedup_window_s=3600)
    delivery = delivery_from_settings(settings)
    for _ in range(3):
        _raise_step_failure(Alerter(warehouse, delivery=delivery))
    Alerter(warehouse, delivery=delivery).raise_alert(
        "step_failed", "another step", severity="error", step="build", game_date="2025-11-03"
    )
    assert len(fresh.http.bodies(SLACK_PATH)) == 2
    statuses = warehouse.query_rows(
        "SELECT status, count(*) FROM alert_deliveries GROUP BY status ORDER BY 1"
    )
    assert statuses == [("deduplicated", 2), ("sent", 2)]
    assert warehouse.row_count("alerts") == 4, "every alert is recorded, even when not sent again"


def test_a_channel_past_its_rate_limit_hands_the_alert_to_its_fallback(
    fresh: Receivers, warehouse: DuckDBWarehouse
) -> None:
    settings = _settings(fresh, alert_routes="warning=slack", alert_rate_limit_per_hour=2)
    alerter = Alerter(warehouse, delivery=delivery_from_settings(settings))
    for n in range(3):
        alerter.raise_alert("stale_source", f"no payload for {n} h", severity="warning", source=f"s{n}")
    assert len(fresh.http.bodies(SLACK_PATH)) == 2
    assert len(fresh.starttls.mailbox.messages) == 1
    limited = warehouse.query_rows("SELECT channel FROM alert_deliveries WHERE status = 'rate_limited'")
    assert limited == [("slack",)]


def test_the_sentry_event_carries_tags_and_no_secret_in_any_field(fresh: Receivers) -> None:
    settings = _settings(fresh, alert_routes="error=sentry")
    _raise_step_failure(Alerter(None, delivery=delivery_from_settings(settings)))
    [(_path, headers, body)] = [p for p in fresh.http.posts if p[0].startswith("/api/42/")]
    assert f"sentry_key={SENTRY_KEY}" in headers["X-Sentry-Auth"]
    event = json.loads(body.decode().splitlines()[-1])
    assert event["tags"]["kind"] == "step_failed"
    assert event["tags"]["step"] == "scrape.oddsapi.props"
    text = json.dumps(event)
    for secret in _secrets():
        assert secret not in text


def test_bad_routing_settings_are_refused_with_one_line() -> None:
    from nbaprops.errors import ConfigError

    with pytest.raises(ConfigError, match="NBAPROPS_ALERT_ROUTES"):
        delivery_from_settings(load_settings(alert_routes="error=pager"))
