"""An Odds API failure is alerted like any other source's: retries exhausted, a refused key, no credits.

Each case scrapes the Odds API for the fault world's game day on its morning (live: the lines are
required) over the loopback sandbox, and checks the failed ledger step, the one-line reason and the
``odds_unavailable`` alert (severity ``error``), with the credits the run had spent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from faults_world import World
from outcomes import SCANNED, record
from pydantic import SecretStr

from nbaprops.dates import et_datetime
from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.ops.alerts import Alerter
from nbaprops.sources.daily import ScrapeReport, scrape_source
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

EVENTS = "/v4/sports/basketball_nba/events"
ATTEMPTS = 3


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    SCANNED.append(tmp_path)
    with DuckDBWarehouse(str(tmp_path / "warehouse.duckdb"), query_timeout_s=60) as wh:
        create_schema(wh)
        yield wh


def _scrape(world: World, warehouse: DuckDBWarehouse, tmp_path: Path, **update: Any) -> ScrapeReport:
    now = et_datetime(world.day, 11, 0)
    world.session.clock.set(now)
    settings = world.session.settings.model_copy(
        update={
            "data_dir": tmp_path,
            "lake_url": str(tmp_path / "lake"),
            "http_max_attempts": ATTEMPTS,
            "http_backoff_base_s": 0.01,
            "http_backoff_cap_s": 0.05,
            **update,
        }
    )
    with HttpClient.from_settings(settings) as http:
        return scrape_source(
            settings,
            "oddsapi",
            world.day,
            http=http,
            lake=open_lake(settings),
            ledger=RunLedger(warehouse),
            alerter=Alerter(warehouse),
            warehouse=warehouse,
            now=now,
        )


def _alert(warehouse: DuckDBWarehouse, step: str, error_type: str) -> dict[str, Any]:
    rows = warehouse.query_rows(
        "SELECT kind, severity, message, context FROM alerts WHERE kind = 'odds_unavailable'"
    )
    [(kind, severity, message, context)] = rows  # beside the ledger's own step_failed alert
    doc: dict[str, Any] = json.loads(context)
    assert (kind, severity) == ("odds_unavailable", "error")
    assert doc["step"] == f"scrape.{step}"
    assert doc["error_type"] == error_type
    assert "\n" not in message
    [(status, error)] = warehouse.query_rows(
        "SELECT status, error FROM run_ledger WHERE step = ?", [f"scrape.{step}"]
    )
    assert status == "failed"
    assert error_type in error
    record("odds alert", f"{step} × {error_type}", "failed + alerted", message[:70])
    return doc


def test_retries_exhausted_on_the_events_list_raise_an_alert(
    world: World, warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    world.faults.clear()
    world.faults.queue(EVENTS, "server_error", ATTEMPTS)
    try:
        report = _scrape(world, warehouse, tmp_path)
    finally:
        world.faults.clear()
    assert [(s.step, s.status) for s in report.steps if s.step.startswith("oddsapi")] == [
        ("oddsapi.events", "failed")
    ]
    _alert(warehouse, "oddsapi.events", "SourceUnavailable")


def test_a_refused_key_raises_an_alert_without_the_key(
    world: World, warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    wrong = "MARKERwrongoddskey0123456789"
    world.faults.clear()
    report = _scrape(world, warehouse, tmp_path, odds_api_key=SecretStr(wrong))
    assert report.problems
    _alert(warehouse, "oddsapi.events", "AuthError")
    assert wrong not in repr(warehouse.query_rows("SELECT * FROM alerts"))


def test_a_credit_budget_refusal_raises_an_alert_and_buys_nothing(
    world: World, warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    world.faults.clear()
    report = _scrape(world, warehouse, tmp_path, odds_credit_budget=1)
    assert report.credits_spent == 0
    doc = _alert(warehouse, "oddsapi.event_odds", "BudgetExceeded")
    assert doc["credits_spent_run"] == 0
    stored = [p.relative_to(tmp_path).as_posix() for p in (tmp_path / "lake").rglob("*.json")]
    assert stored
    assert not [p for p in stored if "/event_odds/" in p]  # the events list is stored, no odds bought
