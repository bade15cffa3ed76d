"""End to end on the sandbox's ``real-history`` profile: backfill two weeks through the trade, backtest.

The profile serves a past season the way the real APIs do (no play-by-play for some games, no
injury PDF on some dates, no player index, BDL injuries only for "now", historical odds only at
the requested snapshot times) with a name shared by two teams, a name spelled three ways and a
mid-season trade (``sandbox/profiles.py``). The backfill goes through ``run_backfill`` with the
settings' base URLs pointed at the sandbox: the path a backfill against any real-format server
takes. One backfill and one backtest are shared by every test of the module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from nbaprops.dates import game_date_of
from nbaprops.identity import player_lookup
from nbaprops.pipeline.backfill import BackfillReport, run_backfill, sandbox_clock_start
from nbaprops.pipeline.backtest import BacktestReport, run_backtest
from nbaprops.predict.train import WalkForwardTrainer
from nbaprops.sandbox.profiles import REAL_HISTORY, Cast, cast_of, get_profile, profile_season
from nbaprops.settings import Settings, load_settings

DAYS = 18  # two and a half weeks of backfill, ending AFTER_TRADE days after the trade's first game date
AFTER_TRADE = 3
BACKTEST_DAYS = 6  # predicted days: the last ones, the trade's date among them
UNRESOLVED_PROPS_MAX = 0.001


@dataclass
class History:
    settings: Settings
    cast: Cast
    teams: dict[int, tuple[str, str]]  # player id -> (team before the trade, team after)
    trade_date: date
    backfill: BackfillReport
    backtest: BacktestReport
    warehouse: Any


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from nbaprops.pipeline.sandbox_session import sandbox_session
    from nbaprops.warehouse import open_warehouse

    settings = load_settings(data_dir=tmp_path_factory.mktemp("real-history"), log_level="ERROR")
    profile = get_profile(REAL_HISTORY)
    season = profile_season(profile, settings.sandbox_seed, settings.sandbox_season)
    cast = cast_of(season)
    trade_date = game_date_of(cast.trade_at)
    end = trade_date + timedelta(days=AFTER_TRADE)
    start = end - timedelta(days=DAYS - 1)
    # The two traded players swapped teams: each one's team before is the other's after.
    swap = dict(zip(cast.traded, reversed(cast.traded), strict=True))
    teams = {
        pid: (season.player_by_id[swap.get(pid, pid)].team, season.player_by_id[pid].team)
        for pid in (*cast.namesakes, *cast.traded, cast.transliterated)
    }
    clock = sandbox_clock_start(end)
    with sandbox_session(settings, now=clock, season=season, profile=REAL_HISTORY) as served:
        backfilled = run_backfill(served.settings, start, end, progress=False)
    warehouse = open_warehouse(settings)
    backtested = run_backtest(
        warehouse,
        settings,
        end - timedelta(days=BACKTEST_DAYS - 1),
        end,
        retrain_days=3,
        trainer=WalkForwardTrainer(date(2100, 1, 1), fold_days=3),
    )
    yield History(settings, cast, teams, trade_date, backfilled, backtested, warehouse)
    warehouse.close()


def test_the_backfill_spans_the_trade_and_finishes_every_date(history: History) -> None:
    report = history.backfill
    assert report.end - report.start == timedelta(days=DAYS - 1)
    assert report.start < history.trade_date < report.end
    assert report.failed == {}
    days = {d for d, stage in report.ran if stage == "build"}
    assert len(days) == DAYS
    # What the profile leaves out degrades dates (optional facts); nothing required is missing.
    assert report.degraded


def test_the_backtest_compares_systems_on_rows_with_lines(history: History) -> None:
    report = history.backtest
    assert report.skipped == {}, report.skipped
    assert report.predicted_days == report.days >= BACKTEST_DAYS - 1
    assert report.no_line_days == []
    assert report.comparison_rows > 100
    assert {row["n"] for row in report.systems} == {report.comparison_rows}


def test_every_line_used_was_published_by_the_predictions_as_of(history: History) -> None:
    rows = history.warehouse.query_rows(
        "SELECT p.game_date, p.game_id, p.player_id, p.system_id, p.as_of, p.line_snapshot_at, "
        "COUNT(pp.player_id) AS found, MAX(pp.last_update) AS book_update "
        "FROM predictions AS p LEFT JOIN raw_oddsa_player_props AS pp "
        "ON pp.game_date = p.game_date AND pp.player_id = p.player_id AND pp.book = p.line_book "
        "AND pp.snapshot_at = p.line_snapshot_at AND pp.point = p.line AND pp.market = 'player_points' "
        "WHERE p.line IS NOT NULL GROUP BY ALL"
    )
    assert len(rows) > 100
    for game_date, _, _, _, as_of, snapshot_at, found, book_update in rows:
        assert as_of == history.settings.prediction_as_of(game_date)  # the daily run's time
        assert snapshot_at <= as_of, (game_date, snapshot_at, as_of)
        assert found >= 1  # the line is one the book posted in that snapshot
        assert book_update is None or book_update <= as_of  # and the book had posted it by then
    # The pre-tip snapshot exists too: the lines used were not simply the latest ones.
    [(later,)] = history.warehouse.query_rows(
        "SELECT COUNT(*) FROM raw_oddsa_player_props AS pp JOIN predictions AS p "
        "ON pp.game_date = p.game_date AND pp.player_id = p.player_id WHERE pp.snapshot_at > p.as_of"
    )
    assert later > 0


def test_the_traded_player_is_on_his_new_team_from_his_first_game_there(history: History) -> None:
    warehouse = history.warehouse
    for pid in history.cast.traded:
        old, new = history.teams[pid]
        assert old != new
        games = warehouse.query_rows(
            "SELECT game_date, team FROM player_game_summary WHERE player_id = ? ORDER BY game_date", [pid]
        )
        assert {team for day, team in games if day < history.trade_date} == {old}
        assert {team for day, team in games if day >= history.trade_date} == {new}
        first_there = min(day for day, team in games if team == new)
        # Predictions after that game: his new team's games only, on his new team.
        rows = warehouse.query_rows(
            "SELECT DISTINCT p.game_date, p.team, s.home_team, s.away_team FROM predictions AS p "
            "JOIN raw_nbac_schedule AS s ON s.game_id = p.game_id WHERE p.player_id = ? AND p.game_date > ?",
            [pid, first_there],
        )
        assert rows, f"no prediction for {pid} after his first game with {new}"
        assert all(team == new and new in (home, away) for _, team, home, away in rows), rows
        context = warehouse.query_rows(
            "SELECT DISTINCT team FROM upcoming_player_game_context WHERE player_id = ? AND game_date > ?",
            [pid, first_there],
        )
        assert context == [(new,)]


def test_no_player_has_two_context_rows_for_one_game(history: History) -> None:
    [(duplicates,)] = history.warehouse.query_rows(
        "SELECT COUNT(*) FROM (SELECT game_id, as_of_kind, player_id FROM upcoming_player_game_context "
        "GROUP BY ALL HAVING COUNT(*) > 1)"
    )
    [(rows,)] = history.warehouse.query_rows("SELECT COUNT(*) FROM upcoming_player_game_context")
    assert rows > 0
    assert duplicates == 0


def test_players_sharing_one_name_are_told_apart_by_team(history: History) -> None:
    warehouse = history.warehouse
    first, second = history.cast.namesakes
    props = warehouse.query_rows(
        "SELECT player_id, home_team, away_team FROM raw_oddsa_player_props WHERE player_lookup = ?",
        [player_lookup("Omari Young")],
    )
    resolved = {pid for pid, _, _ in props}
    assert resolved == {first, second}  # both priced, none left open
    for pid, home, away in props:
        assert history.teams[pid][1] in (home, away)
    for pid in (first, second):
        team = history.teams[pid][1]
        predicted = warehouse.query_rows("SELECT DISTINCT team FROM predictions WHERE player_id = ?", [pid])
        assert predicted == [(team,)]
        box = warehouse.query_rows("SELECT DISTINCT team FROM player_game_summary WHERE player_id = ?", [pid])
        assert box == [(team,)]


def test_the_transliterated_name_resolves_in_every_spelling(history: History) -> None:
    warehouse = history.warehouse
    pid = history.cast.transliterated
    props = warehouse.query_rows(
        "SELECT DISTINCT player_name, player_id FROM raw_oddsa_player_props WHERE player_lookup = ?",
        [player_lookup("Nikola Djurdjevic")],
    )
    assert props == [("Nikola Djurdjevic", pid)]
    [(predicted,)] = warehouse.query_rows("SELECT COUNT(*) FROM predictions WHERE player_id = ?", [pid])
    assert predicted > 0


def test_fewer_than_one_prop_row_in_a_thousand_is_unresolved(history: History) -> None:
    [(rows, unresolved)] = history.warehouse.query_rows(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE player_id IS NULL) FROM raw_oddsa_player_props"
    )
    assert rows > 1000
    assert unresolved / rows < UNRESOLVED_PROPS_MAX
