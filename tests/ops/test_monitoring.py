"""Monitoring and health on hand-made ledger, query_log, schedule and backup rows: the degradation
detector, cost and credits (with the season forecast), stale sources, backups, and the alerts
`watch` raises for each; `nbaprops health` and `nbaprops report` on the same rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories import put_rows
from nbaprops.cli import app
from nbaprops.ops.alerts import Alerter
from nbaprops.ops.health import health_report
from nbaprops.ops.monitor import credit_forecast, detect_slowdowns, odds_credits, robust_z, watch
from nbaprops.ops.report import cost_report, perf_report
from nbaprops.settings import load_settings
from nbaprops.warehouse import create_schema
from nbaprops.warehouse.duckdb import DuckDBWarehouse

NOW = datetime(2025, 11, 20, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(str(tmp_path / "warehouse.duckdb"), query_timeout_s=30)
    create_schema(wh)
    yield wh
    wh.close()


def _run(
    wh: DuckDBWarehouse,
    step: str,
    *,
    ago_h: float,
    seconds: float = 1.0,
    status: str = "success",
    day: date | None = None,
    details: dict[str, object] | None = None,
    owner: str = "host:1:1",
    error: str | None = None,
) -> None:
    started = NOW - timedelta(hours=ago_h)
    wh.execute(
        "INSERT INTO run_ledger (run_id, step, game_date, started_at, finished_at, status, rows_in, "
        "rows_out, error, details, owner) VALUES (?, ?, ?, ?, ?, ?, 0, 10, ?, ?, ?)",
        [
            uuid.uuid4().hex,
            step,
            day,
            started,
            started + timedelta(seconds=seconds),
            status,
            error,
            json.dumps(details or {}),
            owner,
        ],
    )


def _schedule(wh: DuckDBWarehouse, days: list[date]) -> None:
    rows = [{"game_id": f"00225{i:05d}", "game_date": d, "status": 1} for i, d in enumerate(days)]
    put_rows(wh, "raw_nbac_schedule", rows, when=NOW, day=TODAY)


def test_robust_z_floors_its_scale_so_a_flat_history_is_not_alarmed_by_noise() -> None:
    z, median, mad = robust_z(2.03, [2.0] * 10)
    assert (median, mad) == (2.0, 0.0)
    assert z < 1
    assert robust_z(10.0, [2.0, 2.1, 1.9, 2.0, 2.05])[0] > 20


def test_a_step_slower_than_its_baseline_is_detected_and_alerted(warehouse: DuckDBWarehouse) -> None:
    for i in range(8):
        _run(warehouse, "feature_store", ago_h=48 - i, seconds=2.0 + 0.05 * (i % 3))
    _run(warehouse, "feature_store", ago_h=1, seconds=9.0, day=TODAY)
    for i in range(8):
        _run(warehouse, "player_game_summary", ago_h=48 - i, seconds=1.0)
    _run(warehouse, "player_game_summary", ago_h=1, seconds=1.02)
    settings = load_settings()
    verdicts = {s.step: s for s in detect_slowdowns(warehouse, settings)}
    assert verdicts["feature_store"].slow
    assert not verdicts["player_game_summary"].slow
    alerter = Alerter(warehouse)
    assert "run_slow" in watch(warehouse, settings, alerter, NOW)
    [slow] = alerter.of_kind("run_slow")
    assert slow.context["step"] == "feature_store"
    assert "median of 2.05 s" in slow.message
    perf = perf_report(warehouse, settings, TODAY - timedelta(days=3), TODAY)
    assert any(t["step"] == "feature_store" and t["max_s"] == 9.0 for t in perf["timings"])


def test_credits_per_day_the_balance_and_the_season_forecast(warehouse: DuckDBWarehouse) -> None:
    # Two scrapes of the 19th (a re-run) and one of the 18th; each scrape's meter counts up.
    for day, owner, spends in (
        (TODAY - timedelta(days=2), "h:1:1", (60, 300)),
        (TODAY - timedelta(days=1), "h:2:2", (90, 450)),
        (TODAY - timedelta(days=1), "h:3:3", (0, 30)),
    ):
        for n, spent in enumerate(spends):
            _run(
                warehouse,
                f"scrape.oddsapi.step{n}",
                ago_h=30 - n,
                day=day,
                owner=owner,
                details={"credits_spent_run": spent, "credits_remaining": 9000 - spent},
            )
    credits = odds_credits(warehouse)
    assert credits["by_day"] == {"2025-11-18": 300, "2025-11-19": 480}
    _schedule(warehouse, [TODAY + timedelta(days=i) for i in range(1, 41)])
    forecast = credit_forecast(warehouse, TODAY)
    assert forecast["burn_per_game_date"] == 390.0
    assert forecast["game_dates_left"] == 40
    assert forecast["enough"] is False
    assert forecast["runs_out_after_game_dates"] == int(credits["remaining"] // 390)
    settings = load_settings(odds_credit_alert_threshold=10_000)
    alerter = Alerter(warehouse)
    assert "odds_credits_low" in watch(warehouse, settings, alerter, NOW)
    assert alerter.of_kind("odds_credits_low")[0].context["source"] == "oddsapi"


def test_cost_is_query_log_per_step_and_day_and_a_spend_over_budget_alerts(
    warehouse: DuckDBWarehouse,
) -> None:
    rows = [
        {
            "query_id": uuid.uuid4().hex,
            "step": "feature_store",
            "game_date": TODAY,
            "backend": "bigquery",
            "started_at": NOW,
            "duration_s": 2.5,
            "rows": 100,
            "bytes_billed": 2 * 10**9,
            "estimated_usd": 4.0,
        },
        {
            "query_id": uuid.uuid4().hex,
            "step": "feature_store",
            "game_date": TODAY,
            "backend": "bigquery",
            "started_at": NOW,
            "duration_s": 1.5,
            "rows": 50,
            "bytes_billed": 10**9,
            "estimated_usd": 2.0,
        },
    ]
    put_rows(warehouse, "query_log", rows, when=NOW, day=TODAY)
    report = cost_report(warehouse, TODAY, TODAY, TODAY)
    [row] = report["queries"]
    assert (row["statements"], row["seconds"], row["bytes_billed"], row["usd"]) == (2, 4.0, 3 * 10**9, 6.0)
    alerter = Alerter(warehouse)
    assert "cost_over_budget" in watch(warehouse, load_settings(cost_budget_usd_per_day=5), alerter, NOW)


def test_health_names_a_stale_source_a_failed_phase_and_a_missing_backup(warehouse: DuckDBWarehouse) -> None:
    _schedule(warehouse, [TODAY])  # in season
    _run(warehouse, "scrape.nbacom.schedule", ago_h=50)
    _run(warehouse, "scrape.bdl.box_scores", ago_h=2)
    _run(warehouse, "scrape.bdl.injuries", ago_h=1, status="failed", error="SourceUnavailable: HTTP 503")
    _run(warehouse, "feature_store", ago_h=1, status="failed", error="QualityGateError: 0 rows")
    settings = load_settings()
    report = health_report(warehouse, settings, NOW)
    sources = {s.name: s for s in report.sources}
    assert sources["nbacom"].status == "failing"
    assert sources["nbacom"].stale
    assert "no new data for 36 h" in sources["nbacom"].reason
    assert sources["bdl"].status == "degraded"
    assert "scrape.bdl.injuries failed" in sources["bdl"].reason
    assert sources["bdl"].last_success is not None
    phases = {p.name: p for p in report.phases}
    assert phases["4 precompute"].status == "failing"
    checks = {c.name: c for c in report.checks}
    assert checks["backup"].status == "degraded"
    assert report.exit_code == 2
    alerter = Alerter(warehouse)
    kinds = watch(warehouse, settings, alerter, NOW)
    assert {"stale_source", "backup_missing"} <= set(kinds)


def test_the_health_and_report_commands_exit_by_status_and_print_json(
    warehouse: DuckDBWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(warehouse, "scrape.nbacom.schedule", ago_h=1)
    warehouse.close()
    monkeypatch.setenv("NBAPROPS_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    runner = CliRunner()
    result = runner.invoke(app, ["health", "--json"])
    document = json.loads(result.output.strip().splitlines()[-1])
    assert result.exit_code == 1, "no quality check and no backup yet: degraded"
    assert document["status"] == "degraded"
    assert [s["name"] for s in document["sources"]] == ["nbacom"]
    text = runner.invoke(app, ["health"])
    assert "degraded" in text.output
    assert "no backup recorded" in text.output
    for kind in ("cost", "perf", "quality"):
        shown = runner.invoke(app, ["report", kind, "--from", "2025-11-01", "--to", "2025-11-30", "--json"])
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.output.strip().splitlines()[-1])["from"] == "2025-11-01"
