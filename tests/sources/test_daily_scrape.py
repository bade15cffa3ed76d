"""The daily scrape of every source over the real sandbox on loopback: bytes, ledger, lake, secrets."""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from structlog.testing import capture_logs

from nbaprops.errors import BudgetExceeded
from nbaprops.http import HttpClient
from nbaprops.lake import Lake, open_lake
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.sandbox_session import SandboxSession, sandbox_session
from nbaprops.settings import Settings, load_settings
from nbaprops.sources.base import Fetcher
from nbaprops.sources.daily import ScrapeReport, scrape_source
from nbaprops.sources.oddsapi import OddsScraper
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse


@dataclass
class Scraped:
    session: SandboxSession
    lake: Lake
    warehouse: DuckDBWarehouse
    reports: dict[tuple[str, date], ScrapeReport]
    events: list[MutableMapping[str, Any]]


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scraped]:
    """Every source scraped for the sandbox's today (upcoming games) and yesterday (finished ones)."""
    settings = load_settings(data_dir=tmp_path_factory.mktemp("scrape"))
    with sandbox_session(settings) as session:
        warehouse = DuckDBWarehouse(":memory:", query_timeout_s=30)
        create_schema(warehouse)
        lake = open_lake(session.settings)
        today = session.clock.now().date()
        reports: dict[tuple[str, date], ScrapeReport] = {}
        with capture_logs() as events, HttpClient.from_settings(session.settings) as http:
            for source in ("nbacom", "injury_report", "bdl", "oddsapi", "espn"):
                for day in (today, today - timedelta(days=1)):
                    reports[(source, day)] = scrape_source(
                        session.settings,
                        source,
                        day,
                        http=http,
                        lake=lake,
                        ledger=RunLedger(warehouse),
                        alerter=Alerter(warehouse),
                        now=session.clock.now(),
                    )
        yield Scraped(session, lake, warehouse, reports, events)
        warehouse.close()


def _refetch(settings: Settings, url: str, source: str) -> bytes:
    """What the sandbox sends for the stored URL right now (the clock has not moved)."""
    parts = urlsplit(url)
    params: list[tuple[str, str | int | float | bool | None]] = [
        (k, v) for k, v in parse_qsl(parts.query) if k != "apiKey"
    ]
    headers: dict[str, str] = {}
    if source == "oddsapi":
        assert settings.odds_api_key is not None
        params.append(("apiKey", settings.odds_api_key.get_secret_value()))
    if source == "bdl":
        assert settings.bdl_api_key is not None
        headers["Authorization"] = settings.bdl_api_key.get_secret_value()
    bare = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return httpx.get(bare, params=params, headers=headers, timeout=10).content


def test_every_source_scrapes_both_days_without_a_failed_step(scraped: Scraped) -> None:
    problems = {key: r.problems for key, r in scraped.reports.items() if r.problems}
    assert problems == {}
    today = scraped.session.clock.now().date()
    yesterday = today - timedelta(days=1)
    steps = {s.step: s for s in scraped.reports[("nbacom", yesterday)].steps}
    assert steps["nbacom.leaguegamelog"].status == "success"
    assert steps["nbacom.leaguegamelog"].rows > 100
    assert steps["nbacom.playbyplay"].rows > 0
    # Before tip nothing is final: box scores are skipped, not "successfully empty".
    early = {s.step: s for s in scraped.reports[("nbacom", today)].steps}
    assert early["nbacom.leaguegamelog"].status == "skipped"
    odds_today = {s.step for s in scraped.reports[("oddsapi", today)].steps}
    odds_yesterday = {s.step for s in scraped.reports[("oddsapi", yesterday)].steps}
    assert {"oddsapi.events", "oddsapi.event_odds"} <= odds_today
    assert {"oddsapi.historical_events", "oddsapi.historical_event_odds"} <= odds_yesterday


def test_lake_holds_exactly_the_bytes_the_server_sent(scraped: Scraped) -> None:
    settings = scraped.session.settings
    checked = 0
    for report in scraped.reports.values():
        for step in report.steps:
            for path in step.lake_paths:
                source = path.split("/")[0]
                objects = [o for o in scraped.lake.list(source=source) if o.path == path]
                assert len(objects) == 1, f"{path} is in the manifest once"
                stored = scraped.lake.get(path)
                assert stored == _refetch(settings, objects[0].meta["url"], source)
                checked += 1
    assert checked > 30


def test_one_ledger_row_per_step_with_its_outcome(scraped: Scraped) -> None:
    steps = [s for r in scraped.reports.values() for s in r.steps]
    rows = scraped.warehouse.query_rows("SELECT step, status, rows_out, details FROM run_ledger")
    assert len(rows) == len(steps)
    assert sorted((f"scrape.{s.step}", s.status) for s in steps) == sorted((r[0], r[1]) for r in rows)
    stored = [r for r in rows if r[1] == "success" and r[0] != "scrape.nbacom.schedule"]
    assert all(json.loads(r[3])["lake_paths"] for r in stored)


def test_the_odds_key_never_names_a_file_nor_reaches_a_log_event(scraped: Scraped) -> None:
    key = scraped.session.settings.odds_api_key
    assert key is not None
    secret = key.get_secret_value()
    lake_root = Path(scraped.session.settings.resolved_lake_url)
    names = [str(p.relative_to(lake_root)) for p in lake_root.rglob("*")]
    assert any(n.startswith("oddsapi/event_odds/") for n in names)
    assert not [n for n in names if secret in n]
    manifests = "".join(p.read_text() for p in lake_root.rglob("_manifest.jsonl"))
    assert "apiKey" in manifests
    assert secret not in manifests
    assert secret not in json.dumps(scraped.events, default=str)
    assert any(e["event"] == "scrape.stored" for e in scraped.events)


def test_fact_sources_records_who_served_each_fact(scraped: Scraped) -> None:
    yesterday = scraped.session.clock.now().date() - timedelta(days=1)
    rows = scraped.warehouse.query_rows(
        "SELECT fact, source, status FROM fact_sources WHERE game_date = ? ORDER BY fact, source", [yesterday]
    )
    assert ("box_scores", "nbacom", "served") in rows
    assert ("box_scores", "bdl", "served") in rows
    assert ("injuries", "nbacom", "served") in rows
    assert ("schedule", "espn", "served") in rows


def test_credit_budget_refuses_before_any_request_is_sent(scraped: Scraped) -> None:
    settings = scraped.session.settings.model_copy(update={"odds_credit_budget": 5})
    today = scraped.session.clock.now().date()
    event_ids = [g.odds_event_id for g in scraped.session.season.games_by_date[today]]
    with HttpClient.from_settings(settings) as http:
        odds = OddsScraper(Fetcher(settings, http, scraped.lake), settings)
        before = len(scraped.lake.list(source="oddsapi", endpoint="historical_event_odds"))
        with capture_logs() as events, pytest.raises(BudgetExceeded, match="no request was sent") as raised:
            odds.historical_event_odds(today, event_ids[0], scraped.session.clock.now())
    assert "30 credits" in str(raised.value)
    assert "budget of 5" in str(raised.value)
    assert not [e for e in events if e["event"] == "http.request"]
    assert len(scraped.lake.list(source="oddsapi", endpoint="historical_event_odds")) == before
    assert odds.meter.spent == 0


def test_daily_odds_step_is_refused_whole_and_recorded_when_over_budget(scraped: Scraped) -> None:
    settings = scraped.session.settings.model_copy(update={"odds_credit_budget": 4})
    today = scraped.session.clock.now().date()
    warehouse = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(warehouse)
    with HttpClient.from_settings(settings) as http:
        report = scrape_source(
            settings,
            "oddsapi",
            today,
            http=http,
            lake=scraped.lake,
            ledger=RunLedger(warehouse),
            alerter=Alerter(warehouse),
            now=scraped.session.clock.now(),
        )
    failed = {s.step: s.error for s in report.problems}
    assert list(failed) == ["oddsapi.event_odds"]
    assert "BudgetExceeded" in (failed["oddsapi.event_odds"] or "")
    assert report.credits_spent == 0
    ledger = warehouse.query_rows(
        "SELECT status, error FROM run_ledger WHERE step = 'scrape.oddsapi.event_odds'"
    )
    assert ledger[0][0] == "failed"
    assert "budget is 4" in ledger[0][1]
    warehouse.close()
