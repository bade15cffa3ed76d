"""Failure behaviour of the daily scrape over the sandbox's real faults: blocks, empties, 429s, 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from nbaprops.dates import EASTERN
from nbaprops.http import HttpClient
from nbaprops.lake import open_lake
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.sandbox_session import SandboxSession, sandbox_session
from nbaprops.settings import Settings, load_settings
from nbaprops.sources import injury_report
from nbaprops.sources.daily import ScrapeReport, scrape_source
from nbaprops.warehouse import RunLedger, create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxSession]:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("faults"))
    with sandbox_session(settings) as running:
        yield running


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=30)
    create_schema(wh)
    yield wh
    wh.close()


def _queue(session: SandboxSession, prefix: str, kind: str, count: int = 1) -> None:
    answer = httpx.post(
        f"{session.base_url}/_sandbox/faults",
        json={"prefix": prefix, "kind": kind, "count": count},
        timeout=5,
    )
    answer.raise_for_status()


def _scrape(
    session: SandboxSession, warehouse: DuckDBWarehouse, source: str, day: date, **bounds: Any
) -> tuple[ScrapeReport, Alerter]:
    settings: Settings = session.settings.model_copy(update={"http_backoff_base_s": 0.05, **bounds})
    alerter = Alerter(warehouse)
    with HttpClient.from_settings(settings) as http:
        report = scrape_source(
            settings,
            source,
            day,
            http=http,
            lake=open_lake(settings),
            ledger=RunLedger(warehouse),
            alerter=alerter,
            now=session.clock.now(),
        )
    return report, alerter


def _yesterday(session: SandboxSession) -> date:
    return session.clock.now().date() - timedelta(days=1)


def test_nbacom_hang_is_reported_blocked_and_bdl_serves_box_scores(
    session: SandboxSession, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, "/stats/leaguegamelog", "hang")
    report, alerter = _scrape(
        session, warehouse, "all", _yesterday(session), http_deadline_s=2.0, http_max_attempts=1
    )
    assert report.served_by("box_scores") == "bdl"
    assert report.problems == []
    failed = next(s for s in report.steps if s.step == "nbacom.leaguegamelog")
    assert failed.status == "failed"
    assert failed.rescued_by == "bdl"
    assert "blocked/hung" in (failed.error or "")
    rows = warehouse.query_rows(
        "SELECT source, status, reason FROM fact_sources WHERE fact = 'box_scores' ORDER BY source"
    )
    assert rows[0][:2] == ("bdl", "served")
    assert "nbacom" in rows[0][2]
    assert rows[1][:2] == ("nbacom", "failed")
    assert rows[1][2].startswith("blocked: ")
    [alert] = alerter.of_kind("source_fallback")
    assert alert.context["served_by"] == "bdl"
    assert "blocked" in alert.message
    recorded = warehouse.query_rows("SELECT kind FROM alerts")
    assert ("source_fallback",) in recorded
    ledger = warehouse.query_rows(
        "SELECT status, error FROM run_ledger WHERE step = 'scrape.nbacom.leaguegamelog'"
    )
    assert ledger[0][0] == "failed"
    assert "SourceUnavailable" in ledger[0][1]


def test_empty_but_200_on_a_game_day_is_a_recorded_failure_with_the_bytes_kept(
    session: SandboxSession, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, "/stats/leaguegamelog", "empty")
    report, _ = _scrape(session, warehouse, "nbacom", _yesterday(session))
    [problem] = report.problems
    assert problem.step == "nbacom.leaguegamelog"
    assert "QualityGateError" in (problem.error or "")
    assert "0 rows" in (problem.error or "")
    ledger = warehouse.query_rows(
        "SELECT status, rows_out, details FROM run_ledger WHERE step = 'scrape.nbacom.leaguegamelog'"
    )
    assert ledger[0][:2] == ("failed", 0)
    lake = open_lake(session.settings)
    kept = lake.list(source="nbacom", endpoint="leaguegamelog", game_date=_yesterday(session))
    assert any(b'"rowSet":[]' in lake.get(o.path).replace(b" ", b"") for o in kept)


def test_injury_report_pattern_change_falls_back_to_bdl_with_an_alert(
    session: SandboxSession, warehouse: DuckDBWarehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    def hour_only(published: datetime) -> str:  # the names before the December 2025 change
        et = published.astimezone(EASTERN)
        return f"Injury-Report_{et:%Y-%m-%d}_{et:%I%p}.pdf"

    monkeypatch.setattr(injury_report, "report_filename", hour_only)
    report, alerter = _scrape(session, warehouse, "all", session.clock.now().date())
    assert report.served_by("injuries") == "bdl"
    [alert] = alerter.of_kind("source_fallback")
    assert alert.context["fact"] == "injuries"
    assert "not_found" in alert.message
    failed = next(s for s in report.steps if s.step == "nbacom.injury_report")
    assert "ReportNotFound" in (failed.error or "")


def test_rate_limit_and_server_error_bursts_are_recovered_within_budget(
    session: SandboxSession, warehouse: DuckDBWarehouse
) -> None:
    _queue(session, "/v1/box_scores", "rate_limit")
    _queue(session, "/stats/leaguegamelog", "server_error", count=2)
    with capture_logs() as events:
        report, alerter = _scrape(session, warehouse, "all", _yesterday(session))
        bdl = _scrape(session, warehouse, "bdl", _yesterday(session))[0]
    assert report.problems == []
    assert bdl.problems == []
    assert report.served_by("box_scores") == "nbacom"
    assert alerter.of_kind("source_fallback") == []
    retries = [e for e in events if e["event"] == "http.retry"]
    assert [e["reason"] for e in retries] == ["HTTP 502", "HTTP 502", "HTTP 429"]
    assert retries[-1]["wait_s"] >= 1.0  # the sandbox's Retry-After
    statuses = warehouse.query_rows("SELECT DISTINCT status FROM run_ledger")
    assert ("failed",) not in statuses
