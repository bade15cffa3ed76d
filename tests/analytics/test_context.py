"""Upcoming game context: the line chosen, nothing after its as-of, Out players left out, point in time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from factories import open_season_copy, season_warehouse
from nbaprops.pipeline.build import build_date, build_range
from nbaprops.warehouse.duckdb import DuckDBWarehouse

BOOKS = ("draftkings", "fanduel", "betmgm")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBWarehouse]:
    sw = season_warehouse()
    wh = open_season_copy(tmp_path_factory.mktemp("context"))
    build_range(wh, sw.start, sw.end, phases=(3,))
    yield wh
    wh.close()


def _dicts(wh: DuckDBWarehouse, sql: str, params: Any = None) -> list[dict[str, Any]]:
    return wh.query_arrow(sql, params).to_pylist()  # type: ignore[no-any-return]


def test_the_line_is_the_first_books_latest_snapshot_at_the_as_of(built: DuckDBWarehouse) -> None:
    props = _dicts(
        built,
        "SELECT p.game_date, s.game_id, s.as_of_kind, s.as_of, p.player_id, p.book, p.point, p.snapshot_at, "
        "p.over_no_vig FROM raw_oddsa_player_props p JOIN game_as_of s "
        "ON s.game_date = p.game_date AND s.home_team = p.home_team "
        "AND s.away_team = p.away_team "
        "WHERE p.market = 'player_points'",
    )
    expected: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for p in props:
        if p["snapshot_at"] > p["as_of"]:
            continue
        rank = (BOOKS.index(p["book"]), -p["snapshot_at"].timestamp(), abs((p["over_no_vig"] or 0.5) - 0.5))
        # Keyed by the registry's player id: books spell names their own way ("Kevin Allen" for
        # NBA.com's "Kevin Allen II"), and the identity step has matched them.
        key = (p["game_id"], p["player_id"], p["as_of_kind"])
        if key not in expected or rank < expected[key][0]:
            expected[key] = (rank, p["point"], p["book"], p["snapshot_at"])
    rows = _dicts(
        built,
        "SELECT game_id, player_id, as_of_kind, as_of, points_line, line_book, line_snapshot_at, tip_utc, "
        "opening_snapshot_at, line_movement, opening_line FROM upcoming_player_game_context "
        "WHERE points_line IS NOT NULL",
    )
    assert len(rows) > 500
    assert {r["as_of_kind"] for r in rows} == {"prediction", "pretip"}
    for r in rows:
        _, point, book, at = expected[(r["game_id"], r["player_id"], r["as_of_kind"])]
        assert (r["points_line"], r["line_book"], r["line_snapshot_at"]) == (point, book, at)
        assert r["line_snapshot_at"] <= r["as_of"] < r["tip_utc"]
        assert r["opening_snapshot_at"] <= r["line_snapshot_at"]
        assert r["line_movement"] == r["points_line"] - r["opening_line"]


def test_no_snapshot_published_after_the_as_of_is_used(built: DuckDBWarehouse) -> None:
    late = built.query_rows(
        "SELECT count(*) FROM upcoming_player_game_context WHERE line_snapshot_at > as_of "
        "OR opening_snapshot_at > as_of OR injury_report_at > as_of OR as_of >= tip_utc"
    )
    late_team = built.query_rows(
        "SELECT count(*) FROM upcoming_team_game_context WHERE lines_snapshot_at > as_of OR as_of >= tip_utc"
    )
    late_notes = built.query_rows("SELECT count(*) FROM injury_status WHERE published_at > as_of")
    assert late == late_team == late_notes == [(0,)]


def test_the_morning_as_of_is_the_prediction_time_and_its_lines_are_the_morning_ones(
    built: DuckDBWarehouse,
) -> None:
    from nbaprops.settings import Settings

    settings = Settings()
    rows = built.query_rows("SELECT game_date, as_of_kind, as_of, tip_utc FROM game_as_of")
    for day, kind, as_of, tip in rows:
        expected = min(settings.prediction_as_of(day), tip - timedelta(seconds=1))
        assert as_of == (expected if kind == "prediction" else tip - timedelta(seconds=1))
    ((moved,), (closing,)) = built.query_rows(
        "SELECT avg(CAST(points_line = closing AS INT)) FROM ("
        "  SELECT m.points_line, p.points_line AS closing, m.as_of_kind FROM upcoming_player_game_context m "
        "  JOIN upcoming_player_game_context p ON p.game_id = m.game_id AND p.player_id = m.player_id "
        "  AND p.as_of_kind = 'pretip' WHERE m.as_of_kind IN ('prediction', 'pretip')"
        ") GROUP BY as_of_kind ORDER BY as_of_kind"
    )
    assert closing == 1.0
    assert moved < 0.9  # lines move between the morning and the tip: the morning one is not the closing one


def test_players_reported_out_are_not_in_the_pool_and_count_as_teammates_out(built: DuckDBWarehouse) -> None:
    ctx = "SELECT count(*) FROM upcoming_player_game_context"
    assert built.query_rows(f"{ctx} WHERE injury_status = 'Out'") == [(0,)]
    ((with_outs,),) = built.query_rows(f"{ctx} WHERE teammates_out > 0")
    assert with_outs > 0


def test_team_context_has_opposite_spreads_and_one_total(built: DuckDBWarehouse) -> None:
    bad = built.query_rows(
        "SELECT count(*) FROM upcoming_team_game_context a JOIN upcoming_team_game_context b "
        "ON a.game_id = b.game_id AND a.as_of_kind = b.as_of_kind AND a.team < b.team "
        "WHERE a.lines_book = b.lines_book "
        "AND (a.team_spread != -b.team_spread OR a.game_total != b.game_total)"
    )
    assert bad == [(0,)]
    ((priced,),) = built.query_rows("SELECT count(team_spread) FROM upcoming_team_game_context")
    assert priced > 0


def test_rest_days_and_back_to_backs_follow_the_schedule(built: DuckDBWarehouse) -> None:
    season = season_warehouse().season
    rows = _dicts(built, "SELECT game_date, team, days_rest, back_to_back FROM upcoming_team_game_context")
    dates: dict[str, list[Any]] = {}
    for g in season.games:
        for team in (g.home, g.away):
            dates.setdefault(team, []).append(g.game_date)
    for r in rows:
        earlier = [d for d in dates[r["team"]] if d < r["game_date"]]
        expected = (r["game_date"] - max(earlier)).days if earlier else None
        assert r["days_rest"] == expected
        assert r["back_to_back"] == (expected == 1 if expected is not None else None)


def test_context_for_a_date_is_the_same_from_data_truncated_at_that_date(
    built: DuckDBWarehouse, tmp_path: Path
) -> None:
    sw = season_warehouse()
    day = sw.start + timedelta(days=6)
    query = (
        "SELECT * EXCLUDE (built_at) FROM upcoming_player_game_context WHERE game_date = ? "
        "AND as_of_kind = 'prediction' ORDER BY ALL"
    )
    full = built.query_rows(query, [day])
    with open_season_copy(tmp_path) as wh:
        from nbaprops.settings import Settings

        as_of = Settings().prediction_as_of(day)
        for table in ("raw_nbac_player_boxscores", "raw_bdl_box_scores", "raw_nbac_injury_report"):
            wh.execute(f"DELETE FROM {table} WHERE game_date > ?", [day])  # noqa: S608 - fixed names
        wh.execute("DELETE FROM raw_nbac_player_boxscores WHERE game_date = ?", [day])
        wh.execute("DELETE FROM raw_bdl_box_scores WHERE game_date = ?", [day])
        for table in ("raw_oddsa_player_props", "raw_oddsa_game_lines", "raw_nbac_injury_report"):
            wh.execute(f"DELETE FROM {table} WHERE game_date > ? OR snapshot_at > ?", [day, as_of])  # noqa: S608
        wh.execute(
            "UPDATE raw_nbac_schedule SET status = 1, home_score = 0, away_score = 0 WHERE game_date >= ?",
            [day],
        )
        build_range(wh, sw.start, day - timedelta(days=1), phases=(3,))
        build_date(wh, day, phases=(3,), now=min(g.tip_utc for g in sw.season.games_by_date[day]))
        assert wh.query_rows(query, [day]) == full
    assert full


def test_a_line_only_an_unlisted_book_posted_stands_in_but_is_marked_unlisted(
    built: DuckDBWarehouse, tmp_path: Path
) -> None:
    from nbaprops.settings import load_settings

    lined = (
        "SELECT line_listed, COUNT(*) FROM upcoming_player_game_context WHERE points_line IS NOT NULL "
        "GROUP BY 1"
    )
    groups = dict(built.query_rows(lined))
    assert set(groups) == {True}  # with the default books every line is a listed book's
    assert groups[True] > 500
    sw = season_warehouse()
    day = sw.start + timedelta(days=6)
    with open_season_copy(tmp_path) as wh:
        # The books the sandbox posts are not the configured ones: each line is another book's stand-in.
        settings = load_settings(data_dir=tmp_path, odds_bookmakers="caesars,pointsbet")
        build_range(wh, sw.start, day, phases=(3,), settings=settings)
        rows = wh.query_rows(lined.replace("GROUP BY 1", "AND game_date = ? GROUP BY 1"), [day])
        assert [r[0] for r in rows] == [False]
        assert rows[0][1] > 50
