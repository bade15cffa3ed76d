"""``nbaprops demo`` end to end on a short stretch of the sandbox season."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbaprops.pipeline.demo import WARMUP_DAYS, run_demo
from nbaprops.sandbox.model import Season
from nbaprops.settings import load_settings
from nbaprops.warehouse.duckdb import DuckDBWarehouse


def test_demo_runs_every_phase_and_leaves_no_failed_step(
    sandbox_season: Season, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dates = sorted(sandbox_season.games_by_date)
    day = dates[WARMUP_DAYS + 3]
    report = run_demo(load_settings(data_dir=tmp_path / "demo"), day.isoformat())

    assert report.history_dates == WARMUP_DAYS + 3
    assert {s.step.split(".")[0] for s in report.scraped} >= {"nbacom", "oddsapi", "espn"}
    assert all(s.status in ("success", "skipped") for s in report.scraped)
    assert report.backtest is not None
    assert report.backtest.predicted_days == 3
    assert {row["system_id"] for row in report.backtest.systems} >= {
        "gbm",
        "ensemble",
        "book_line",
        "last5_avg",
    }
    assert report.prediction is not None
    assert report.prediction.prediction_rows > 0
    assert report.top_picks, "the demo date has posted lines, so some pick clears the thresholds"
    assert all(p["line"] is not None and p["recommendation"] in ("OVER", "UNDER") for p in report.top_picks)
    assert report.graded > 0
    printed = capsys.readouterr().out
    assert f"top recommendations for {day}" in printed
    assert "book_line" in printed

    warehouse = DuckDBWarehouse(str(tmp_path / "demo" / "warehouse.duckdb"), query_timeout_s=30)
    try:
        failed = warehouse.query_rows("SELECT step, error FROM run_ledger WHERE status = 'failed'")
        assert failed == []
        # The demo date was predicted with lines from snapshots taken before 11:00 ET on that day.
        late = warehouse.query_rows(
            "SELECT count(*) FROM predictions WHERE game_date = ? AND line_snapshot_at > ?",
            [day, f"{day}T16:00:00+00:00"],
        )
        assert late == [(0,)]
    finally:
        warehouse.close()
