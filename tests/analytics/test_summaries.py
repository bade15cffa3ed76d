"""Phase 3 game summaries on a sandbox season built the real way, checked against the simulator's truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from factories import open_season_copy, season_warehouse
from nbaprops.identity import player_lookup
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.build import build_range
from nbaprops.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBWarehouse]:
    sw = season_warehouse()
    warehouse = open_season_copy(tmp_path_factory.mktemp("summaries"))
    build_range(warehouse, sw.start, sw.end, phases=(3,))
    yield warehouse
    warehouse.close()


def _dicts(warehouse: DuckDBWarehouse, sql: str, params: Any = None) -> list[dict[str, Any]]:
    return warehouse.query_arrow(sql, params).to_pylist()  # type: ignore[no-any-return]


def test_team_points_equal_the_final_score_and_win_goes_to_the_higher_score(built: DuckDBWarehouse) -> None:
    season = season_warehouse().season
    games = season.game_by_id
    rows = _dicts(built, "SELECT game_id, team, pts, opponent_pts, win FROM team_offense_game_summary")
    assert len(rows) == 2 * sum(
        len(g)
        for d, g in season.games_by_date.items()
        if season_warehouse().start <= d <= season_warehouse().end
    )
    for row in rows:
        game = games[row["game_id"]]
        home, away = sum(game.home_periods), sum(game.away_periods)
        expected = home if row["team"] == game.home else away
        other = away if row["team"] == game.home else home
        assert (row["pts"], row["opponent_pts"]) == (expected, other)
        assert row["win"] is (expected > other)


def test_possessions_and_pace_are_in_nba_ranges(built: DuckDBWarehouse) -> None:
    ((avg_poss, avg_pace, lo_pace, hi_pace),) = built.query_rows(
        "SELECT avg(possessions), avg(pace), min(pace), max(pace) FROM team_offense_game_summary"
    )
    assert 90 <= avg_poss <= 110
    assert 90 <= avg_pace <= 110
    assert lo_pace >= 80
    assert hi_pace <= 125


def test_defense_summary_mirrors_the_opponents_offense(built: DuckDBWarehouse) -> None:
    mismatches = built.query_rows(
        "SELECT count(*) FROM team_defense_game_summary d JOIN team_offense_game_summary o "
        "ON o.game_id = d.game_id AND o.team = d.opponent "
        "WHERE d.opp_pts != o.pts OR d.defensive_rating != o.offensive_rating OR d.win = o.win"
    )
    assert mismatches == [(0,)]


def test_usage_rates_are_plausible_and_sum_to_about_100_per_team(built: DuckDBWarehouse) -> None:
    ((lo, hi, mean),) = built.query_rows(
        "SELECT min(usage_rate), max(usage_rate), avg(usage_rate) FROM player_game_summary "
        "WHERE played AND minutes >= 10"
    )
    assert lo >= 0
    assert hi < 60
    assert 15 < mean < 25
    # Minutes-weighted usage of a team's players averages 100/5 per player slot: the sum is ~100.
    ((avg_total,),) = built.query_rows(
        "SELECT avg(t) FROM (SELECT sum(usage_rate * minutes) / (sum(minutes) / 5) AS t "
        "FROM player_game_summary WHERE played GROUP BY game_id, team)"
    )
    assert abs(avg_total - 100) < 1


def test_player_lines_match_the_simulator_box_score(built: DuckDBWarehouse) -> None:
    season = season_warehouse().season
    truth = {(b.game_id, b.player_id): b for b in season.box if b.status == "played"}
    rows = _dicts(
        built,
        "SELECT game_id, player_id, pts, fta, ftm, plus_minus, source FROM player_game_summary WHERE played",
    )
    assert rows
    assert {r["source"] for r in rows} == {"nbacom"}
    matched = [r for r in rows if (r["game_id"], r["player_id"]) in truth]
    assert len(matched) == len(rows)
    for r in matched:
        t = truth[(r["game_id"], r["player_id"])]
        assert (r["ftm"], r["fta"], r["plus_minus"]) == (t.ftm, t.fta, t.plus_minus)


def test_dnp_rows_say_dnp_with_the_true_reason(built: DuckDBWarehouse) -> None:
    season = season_warehouse().season
    lookups = {p.player_id: player_lookup(f"{p.first_name} {p.last_name}") for p in season.players}
    truth = {(b.game_id, lookups[b.player_id]): b for b in season.box if b.status != "played"}
    rows = _dicts(
        built,
        "SELECT game_id, player_lookup, minutes, pts, dnp_reason, usage_rate, ts_pct "
        "FROM player_game_summary WHERE NOT played",
    )
    assert len(rows) > 100
    assert all(r["dnp_reason"] and r["minutes"] == 0 and r["pts"] is None for r in rows)
    assert all(r["usage_rate"] is None and r["ts_pct"] is None for r in rows)
    known = [r for r in rows if (r["game_id"], r["player_lookup"]) in truth]
    agree = sum(r["dnp_reason"] == truth[(r["game_id"], r["player_lookup"])].dnp_reason for r in known)
    assert len(known) > 0.9 * len(rows)
    assert agree > 0.9 * len(known)


def test_shooting_ratios_are_null_not_zero_without_attempts(built: DuckDBWarehouse) -> None:
    rows = built.query_rows(
        "SELECT count(*) FILTER (WHERE fga = 0 AND efg_pct IS NOT NULL), "
        "count(*) FILTER (WHERE fga = 0 AND fta = 0 AND ts_pct IS NOT NULL), "
        "count(*) FILTER (WHERE fga > 0 AND efg_pct IS NULL) FROM player_game_summary WHERE played"
    )
    assert rows == [(0, 0, 0)]


def test_starter_is_unknown_because_no_source_reports_it(built: DuckDBWarehouse) -> None:
    assert built.query_rows("SELECT count(starter) FROM player_game_summary") == [(0,)]


def test_minutes_and_points_disagreement_is_recorded_and_alerted(tmp_path: Path) -> None:
    sw = season_warehouse()
    with open_season_copy(tmp_path) as warehouse:
        ((game_id, lookup),) = warehouse.query_rows(
            "SELECT game_id, player_lookup FROM raw_nbac_player_boxscores WHERE game_date = ? "
            "ORDER BY game_id, player_lookup LIMIT 1",
            [sw.start],
        )
        warehouse.execute(
            "UPDATE raw_nbac_player_boxscores SET pts = pts + 7 WHERE game_id = ? AND player_lookup = ?",
            [game_id, lookup],
        )
        alerter = Alerter(warehouse)
        build_range(warehouse, sw.start, sw.start, alerter=alerter, phases=(3,))
        found = warehouse.query_rows("SELECT game_id, player_lookup, pts_diff FROM source_discrepancies")
        assert found == [(game_id, lookup, 7)]
        quality = warehouse.query_rows("SELECT check_name, game_id, player_id IS NOT NULL FROM data_quality")
        assert quality == [("box_score_source_discrepancy", game_id, True)]
        assert [a.kind for a in alerter.raised] == ["box_score_source_discrepancy"]
