"""Data-quality rules on a built sandbox warehouse: all pass on clean data; planted faults fail the
right rule, are recorded in quality_results, alert, and make `nbaprops quality` exit non-zero."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from ops_support import BuiltSeason
from typer.testing import CliRunner

from nbaprops.cli import app
from nbaprops.errors import QualityGateError, WarehouseError
from nbaprops.ops.alerts import Alerter
from nbaprops.ops.quality import Rule, evaluate, evaluate_all, rules, run_checks
from nbaprops.pipeline.build import build_date, pregame_steps
from nbaprops.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture
def copy(built_season: BuiltSeason, tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_season.path, path)
    with DuckDBWarehouse(str(path), query_timeout_s=60) as wh:
        yield wh


def _day(built_season: BuiltSeason) -> date:
    return built_season.end - timedelta(days=1)


def test_every_rule_kind_is_declared_and_keys_cover_every_dated_table() -> None:
    kinds = {r.check_type for r in rules()}
    assert kinds == {"freshness", "row_count", "null_rate", "range", "unique_key", "cross_source", "coverage"}
    assert "predictions.unique_key" in {r.name for r in rules()}


def test_clean_sandbox_data_passes_every_error_rule(copy: DuckDBWarehouse, built_season: BuiltSeason) -> None:
    report = run_checks(copy, _day(built_season))
    assert report.failed_errors == [], [r.message for r in report.failed_errors]
    checked = [r for r in report.results if r.observed is not None]
    assert len(checked) >= 15, "most rules had something to check on a played date"
    stored = copy.query_rows(
        "SELECT count(*), count(DISTINCT rule) FROM quality_results WHERE run_id = ?", [report.check_id]
    )
    assert stored == [(len(report.results), len(report.results))]
    again = run_checks(copy, _day(built_season))
    rerun = copy.query_rows(
        "SELECT DISTINCT run_id FROM quality_results WHERE game_date = ?", [_day(built_season)]
    )
    assert rerun == [(again.check_id,)], "a re-check replaces the date's verdicts"


def test_planted_faults_fail_their_rules_and_alert(copy: DuckDBWarehouse, built_season: BuiltSeason) -> None:
    day = _day(built_season)
    # A duplicated box-score row, an impossible points value, one final game's box scores lost.
    copy.execute(
        "INSERT INTO player_game_summary SELECT * FROM player_game_summary WHERE game_date = ? LIMIT 1", [day]
    )
    first, last = copy.query_rows(
        "SELECT min(game_id), max(game_id) FROM raw_nbac_player_boxscores WHERE game_date = ?", [day]
    )[0]
    copy.execute(
        "UPDATE raw_nbac_player_boxscores SET pts = 250 WHERE rowid IN "
        "(SELECT rowid FROM raw_nbac_player_boxscores WHERE game_id = ? LIMIT 1)",
        [first],
    )
    copy.execute("DELETE FROM raw_nbac_player_boxscores WHERE game_id = ?", [last])
    alerter = Alerter(copy)
    report = run_checks(copy, day, alerter)
    failed = {r.rule for r in report.failed_errors}
    assert {
        "player_game_summary.unique_key",
        "raw_nbac_player_boxscores.points_minutes_range",
        "raw_nbac_player_boxscores.games_vs_schedule",
    } <= failed
    alerts = copy.query_rows("SELECT kind, severity, context FROM alerts WHERE kind = 'quality_failed'")
    assert {json.loads(c)["rule"] for _, s, c in alerts if s == "error"} == failed
    assert all(json.loads(c)["game_date"] == day.isoformat() for _, _, c in alerts)


def test_the_rules_run_in_one_statement_give_each_rule_its_own_verdict(
    copy: DuckDBWarehouse, built_season: BuiltSeason
) -> None:
    day = _day(built_season)
    copy.execute(
        "DELETE FROM raw_nbac_player_boxscores WHERE game_id = "
        "(SELECT max(game_id) FROM raw_nbac_player_boxscores WHERE game_date = ?)",
        [day],
    )
    chosen = list(rules())
    batched = evaluate_all(copy, day, chosen)
    one_by_one = [evaluate(copy, day, rule) for rule in chosen]
    assert batched == one_by_one
    assert any(not r.passed for r in batched)
    assert any(r.observed is None for r in batched)

    broken = Rule(
        "player_game_summary.broken",
        "player_game_summary",
        "range",
        "error",
        "SELECT sum(no_such_column), count(*) FROM player_game_summary WHERE game_date = @day",
        "<=",
        0,
        "a rule whose SQL is wrong",
    )
    with pytest.raises(WarehouseError, match="no_such_column"):
        evaluate_all(copy, day, [chosen[0], broken])


def test_a_pregame_build_leaves_the_box_score_summaries_rules_to_the_postgame_build(
    copy: DuckDBWarehouse, built_season: BuiltSeason
) -> None:
    # A refresh after the first game has ended: the game is final and its raw box scores are in
    # (the gate wants them), but its summaries come with the post-game build. That is the day
    # going to plan; the refresh's quality step must not call it an error.
    day = _day(built_season)
    copy.execute("DELETE FROM player_game_summary WHERE game_date = ?", [day])
    copy.execute("DELETE FROM quality_results")
    everything = run_checks(copy, day)
    assert "player_game_summary.games_vs_schedule" in {r.rule for r in everything.failed_errors}

    copy.execute("DELETE FROM quality_results")
    alerter = Alerter(copy)
    build_date(copy, day, alerter=alerter, steps=pregame_steps())
    checked = dict(copy.query_rows("SELECT rule, passed FROM quality_results WHERE game_date = ?", [day]))
    assert checked, "the pre-game build ran its quality step"
    assert not any(rule.startswith("player_game_summary.") for rule in checked)
    assert checked["raw_nbac_player_boxscores.games_vs_schedule"] is True  # raw rules still checked
    assert copy.query_rows("SELECT count(*) FROM alerts WHERE kind = 'quality_failed'") == [(0,)]


def test_the_quality_command_exits_non_zero_on_an_error_rule(
    copy: DuckDBWarehouse, built_season: BuiltSeason, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    day = _day(built_season)
    copy.execute("UPDATE predictions SET p_over = 1.5")  # no-op when no predictions: planted below
    copy.execute(
        "UPDATE raw_oddsa_player_props SET point = -1 WHERE rowid IN "
        "(SELECT rowid FROM raw_oddsa_player_props WHERE game_date = ? LIMIT 1)",
        [day],
    )
    copy.close()
    monkeypatch.setenv("NBAPROPS_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    result = CliRunner().invoke(app, ["quality", "--date", day.isoformat(), "--json"])
    assert isinstance(result.exception, QualityGateError)
    assert "raw_oddsa_player_props.line_range" in str(result.exception)
    document = json.loads(result.output.strip().splitlines()[-1])  # stderr (warnings) comes first
    assert document["errors"] >= 1
    clean = CliRunner().invoke(
        app, ["quality", "--date", (built_season.start - timedelta(days=3)).isoformat()]
    )
    assert clean.exit_code == 0, clean.output
    assert "0 error(s)" in clean.output
