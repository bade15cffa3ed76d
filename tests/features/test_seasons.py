"""Season-to-date features over two seasons: a season figure never mixes in last season's games.

A hand-made league of two teams (AAA, BBB) plays six games every other day in March 2025 (season
2024-25) and six more from 21 October 2025 (season 2025-26); every row carries the season label
the parsers write (``dates.season_of``). Last season p1 scored 40 in 40 minutes a game and BBB won
every game, letting opponents hit 75% of their twos; this season p1 scores 10, 12, 14, ... in 30
minutes, AAA wins every game and defences allow 56% on twos. So any season figure of 2025-26 that
moved towards 40 points, 40 minutes, a 0% AAA win rate or a 75% league two-point percentage would
have read the old season. "Last N games" windows cross the summer on purpose (recent form).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

import nbaprops.warehouse.schema  # noqa: F401 - loads before the step registry (import cycle)
from nbaprops.dates import season_of, season_start_date
from nbaprops.pipeline.steps import StepContext, load_registry
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.schema import create_schema

OLD = [date(2025, 3, 1) + timedelta(days=2 * i) for i in range(6)]  # season 2024-25
NEW = [date(2025, 10, 21) + timedelta(days=2 * i) for i in range(6)]  # season 2025-26
BUILT = datetime(2026, 1, 1, tzinfo=UTC)
P1, P3 = 1001, 2001
SEASON_COLUMNS = (
    "games_played",
    "points_avg_season",
    "points_std_season",
    "minutes_avg_season",
    "avg_points_vs_opponent",
    "games_vs_opponent",
    "team_games",
    "team_win_pct",
)


def _tip(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)


def _seed(wh: DuckDBWarehouse, days: list[date]) -> None:
    players, teams, defense, context = [], [], [], []
    for day in days:
        old = day in OLD
        i = (OLD if old else NEW).index(day)
        gid = f"{'00224' if old else '00225'}{i:05d}"
        season = season_of(day)
        winner = "BBB" if old else "AAA"
        for team, opp in (("AAA", "BBB"), ("BBB", "AAA")):
            common = {"game_date": day, "game_id": gid, "season": season, "team": team, "opponent": opp}
            common |= {"is_home": team == "AAA", "win": team == winner, "built_at": BUILT}
            teams.append(
                common | {"pace": 100.0, "pts": 110, "offensive_rating": 110.0, "possessions": 100.0}
            )
            defense.append(
                common
                | {"possessions": 100.0, "pace": 100.0, "opp_pts": 110, "opp_fga": 80, "opp_fg3a": 30}
                | {"opp_fgm": 60 if old else 40, "opp_fg3m": 20 if old else 12}
            )
        for pid, lookup, team, opp, pts, minutes in (
            (P1, "p1", "AAA", "BBB", 40 if old else 10 + 2 * i, 40.0 if old else 30.0),
            (P3, "p3", "BBB", "AAA", 20, 32.0),
        ):
            row = {"game_date": day, "game_id": gid, "season": season, "player_lookup": lookup}
            row |= {
                "player_id": pid,
                "team": team,
                "opponent": opp,
                "is_home": team == "AAA",
                "built_at": BUILT,
            }
            players.append(
                row
                | {"played": True, "minutes": minutes, "pts": pts, "fga": 15, "fgm": 7, "fg3a": 5, "fg3m": 2}
                | {"fta": 4, "ftm": 3, "usage_rate": 25.0, "source": "test"}
            )
            context.append(
                row
                | {"tip_utc": _tip(day), "as_of_kind": "prediction", "as_of": _tip(day) - timedelta(hours=12)}
            )
    for table, rows in (
        ("player_game_summary", players),
        ("team_offense_game_summary", teams),
        ("team_defense_game_summary", defense),
        ("upcoming_player_game_context", context),
    ):
        wh.insert_arrow(table, pa.Table.from_pylist(rows))


def _build(days: list[date], start: date, end: date) -> DuckDBWarehouse:
    """A warehouse seeded with ``days``' games, phase 4 built over start..end."""
    wh = DuckDBWarehouse(":memory:", query_timeout_s=60)
    create_schema(wh)
    _seed(wh, days)
    ctx = StepContext(warehouse=wh, start=start, end=end, alerter=None)  # type: ignore[arg-type]
    for step in load_registry().order(phases=(4,)):
        assert step.run is not None
        step.run(ctx)
    return wh


@pytest.fixture(scope="module")
def both() -> Iterator[DuckDBWarehouse]:
    """Both seasons loaded and built in one range that spans the summer."""
    wh = _build(OLD + NEW, OLD[0], NEW[-1])
    yield wh
    wh.close()


def _rows(wh: DuckDBWarehouse, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = wh.query_arrow(sql, params).to_pylist()
    return rows


def _cache(wh: DuckDBWarehouse, player: int, day: date) -> dict[str, Any]:
    rows = _rows(wh, "SELECT * FROM player_daily_cache WHERE player_id = ? AND cache_date = ?", [player, day])
    assert len(rows) == 1
    return rows[0]


def test_the_season_starts_in_july_and_the_playoffs_stay_in_their_season() -> None:
    assert season_of(date(2025, 6, 20)) == "2024-25"  # the Finals
    assert season_start_date(date(2025, 6, 20)) == date(2024, 7, 1)
    assert season_of(date(2025, 10, 21)) == "2025-26"
    assert season_start_date(date(2026, 1, 9)) == date(2025, 7, 1)


@pytest.mark.parametrize("j", range(1, 6))
def test_season_figures_of_the_second_season_count_only_its_games(both: DuckDBWarehouse, j: int) -> None:
    row = _cache(both, P1, NEW[j])
    this_season = [10 + 2 * k for k in range(j)]  # his games before NEW[j], none of last season's 40s
    assert row["games_played"] == j
    assert row["points_avg_season"] == pytest.approx(sum(this_season) / j)
    assert row["minutes_avg_season"] == pytest.approx(30.0)
    assert row["avg_points_vs_opponent"] == pytest.approx(sum(this_season) / j)
    assert row["games_vs_opponent"] == j
    assert row["team_games"] == j
    assert row["team_win_pct"] == pytest.approx(1.0)  # AAA lost every game last season
    defence = _rows(
        both, "SELECT * FROM team_defense_zone_analysis WHERE team = 'BBB' AND analysis_date = ?", [NEW[j]]
    )
    assert defence[0]["league_two_fg_pct"] == pytest.approx(28 / 50)  # not last season's 40 / 50


def test_the_first_season_keeps_its_own_figures(both: DuckDBWarehouse) -> None:
    row = _cache(both, P1, OLD[3])
    assert row["points_avg_season"] == pytest.approx(40.0)
    assert row["games_played"] == 3
    assert row["team_win_pct"] == pytest.approx(0.0)


def test_the_opener_has_no_season_figures_but_recent_form_crosses_the_summer(both: DuckDBWarehouse) -> None:
    row = _cache(both, P1, NEW[0])
    assert row["games_played"] == 0
    assert row["points_avg_season"] is None
    assert row["team_win_pct"] is None
    assert row["avg_points_vs_opponent"] is None
    assert row["points_avg_last_5"] == pytest.approx(40.0)  # last N games: March's games, by design
    assert row["last_game_date"] == OLD[-1]
    features = _rows(both, "SELECT * FROM feature_store WHERE player_id = ? AND game_date = ?", [P1, NEW[0]])
    assert features[0]["predictable"] is False
    assert "no games played this season before this date" in str(features[0]["unpredictable_reason"])
    # one game into the season, his season mean is that game alone
    second = _rows(both, "SELECT * FROM feature_store WHERE player_id = ? AND game_date = ?", [P1, NEW[1]])
    assert second[0]["points_avg_season"] == pytest.approx(10.0)


def test_season_figures_do_not_depend_on_whether_last_season_is_loaded_or_in_the_range(
    both: DuckDBWarehouse,
) -> None:
    alone = _build(NEW, NEW[0], NEW[-1])  # only this season's games exist
    in_range = _build(OLD + NEW, NEW[0], NEW[-1])  # both loaded, this season built
    try:
        sql = f"SELECT player_id, cache_date, {', '.join(SEASON_COLUMNS)} FROM player_daily_cache "  # noqa: S608
        sql += "WHERE cache_date >= ? ORDER BY player_id, cache_date"
        expected = _rows(alone, sql, [NEW[0]])
        assert len(expected) == 2 * len(NEW)
        assert _rows(in_range, sql, [NEW[0]]) == expected
        assert _rows(both, sql, [NEW[0]]) == expected
        # and every table built for this season is the same whether the range starts last March
        for table, day_column in (
            ("player_daily_cache", "cache_date"),
            ("team_defense_zone_analysis", "analysis_date"),
            ("player_composite_factors", "game_date"),
        ):
            everything = f"SELECT * FROM {table} WHERE {day_column} >= ? ORDER BY ALL"  # noqa: S608
            assert _rows(in_range, everything, [NEW[0]]) == _rows(both, everything, [NEW[0]])
    finally:
        alone.close()
        in_range.close()
