from __future__ import annotations

import json

import pytest
from structlog.testing import capture_logs

from nbaprops.errors import SourceUnavailable
from nbaprops.ops.alerts import Alert, Alerter
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse


class _BrokenChannel:
    name = "broken"

    def send(self, alert: Alert) -> None:
        raise SourceUnavailable("smtp down")


class _ListChannel:
    name = "list"

    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> None:
        self.sent.append(alert)


@pytest.fixture
def warehouse() -> DuckDBWarehouse:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=10)
    create_schema(wh)
    return wh


def test_alert_is_recorded_logged_and_delivered(warehouse: DuckDBWarehouse) -> None:
    channel = _ListChannel()
    alerter = Alerter(warehouse, [channel])
    with capture_logs() as events:
        alert = alerter.raise_alert("source_fallback", "nbacom box scores down; used bdl", step="ingest")
    assert channel.sent == [alert]
    assert alerter.of_kind("source_fallback") == [alert]
    assert any(e["event"] == "alert.raised" and e["kind"] == "source_fallback" for e in events)
    rows = warehouse.query_rows("SELECT kind, severity, message, context FROM alerts")
    assert rows[0][:3] == ("source_fallback", "warning", "nbacom box scores down; used bdl")
    assert json.loads(rows[0][3]) == {"step": "ingest"}


def test_a_failing_channel_does_not_hide_the_alert(warehouse: DuckDBWarehouse) -> None:
    good = _ListChannel()
    alerter = Alerter(warehouse, [_BrokenChannel(), good])
    with capture_logs() as events:
        alerter.raise_alert("quarantine", "bad payload", severity="error")
    assert len(good.sent) == 1
    assert warehouse.row_count("alerts") == 1
    assert any(e["event"] == "alert.delivery_failed" and e["channel"] == "broken" for e in events)
