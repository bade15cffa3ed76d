"""The two who-is-out / play-by-play-zone SQL models on DuckDB over a hand-made slate.

Team AAA plays BBB every other day. On the last day (D) AAA's star S is listed Out (he averaged 36
minutes and 30% usage in the team's last games) and a bench player B is listed Questionable; BBB
has nobody listed. Play-by-play shots are seeded for every earlier game: AAA's shooter takes 4 paint,
2 mid-range, 2 corner and 2 above-the-break threes a game; BBB's defence lets AAA make every paint
shot and nothing else, while the league (both defences) is in between.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

import nbaprops.warehouse.schema  # noqa: F401 - loads before the step registry (import cycle)
from nbaprops.dates import season_start_date
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.schema import create_schema
from nbaprops.warehouse.sqlmodel import load_model, materialize, query_model

SQL = Path(__file__).resolve().parents[2] / "src" / "nbaprops" / "features" / "sql"
ANALYTICS_SQL = SQL.parents[1] / "analytics" / "sql"
FIRST = date(2025, 11, 1)
DAYS = [FIRST + timedelta(days=2 * i) for i in range(6)]
LAST = DAYS[-1]
BUILT = datetime(2026, 1, 1, tzinfo=UTC)
SHOOTER, STAR, BENCH, OTHER = 1, 2, 3, 9


def _tip(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)


def _seed(wh: DuckDBWarehouse) -> None:
    schedule, teams, players, context, shots, injuries = [], [], [], [], [], []
    for i, day in enumerate(DAYS):
        gid = f"00225{i:05d}"
        schedule.append(
            {
                "game_id": gid,
                "game_date": day,
                "tip_utc": _tip(day),
                "home_team": "AAA",
                "away_team": "BBB",
                "is_nba_matchup": True,
            }
        )
        for team in ("AAA", "BBB"):
            teams.append(
                {
                    "game_date": day,
                    "game_id": gid,
                    "team": team,
                    "opponent": "BBB" if team == "AAA" else "AAA",
                    "is_home": team == "AAA",
                    "win": team == "AAA",
                    "built_at": BUILT,
                }
            )
        roster = (
            (SHOOTER, "AAA", 30.0, 20.0),
            (STAR, "AAA", 36.0, 30.0),
            (BENCH, "AAA", 12.0, 15.0),
            (OTHER, "BBB", 30.0, 20.0),
        )
        for pid, team, minutes, usage in roster:
            played = not (day == LAST and pid == STAR)
            players.append(
                {
                    "game_date": day,
                    "game_id": gid,
                    "player_id": pid,
                    "team": team,
                    "opponent": "BBB" if team == "AAA" else "AAA",
                    "is_home": team == "AAA",
                    "source": "test",
                    "played": played,
                    "minutes": minutes if played else 0.0,
                    "usage_rate": usage,
                    "built_at": BUILT,
                }
            )
            context.append(
                {
                    "game_date": day,
                    "game_id": gid,
                    "player_id": pid,
                    "player_lookup": f"p{pid}",
                    "team": team,
                    "opponent": "BBB" if team == "AAA" else "AAA",
                    "is_home": team == "AAA",
                    "tip_utc": _tip(day),
                    "as_of_kind": "pretip",
                    "as_of": _tip(day) - timedelta(seconds=1),
                    "built_at": BUILT,
                }
            )
        if day == LAST:
            continue  # no play-by-play of the game being predicted
        n = 0
        # AAA's shooter against BBB: paint always made, everything else missed
        for zone, action, area, count, made in (
            ("paint", "2pt", "Restricted Area", 4, True),
            ("mid_range", "2pt", "Mid-Range", 2, False),
            ("three", "3pt", "Left Corner 3", 2, False),
            ("three", "3pt", "Above the Break 3", 2, False),
        ):
            for _ in range(count):
                n += 1
                shots.append(
                    {
                        "game_id": gid,
                        "action_number": n,
                        "team": "AAA",
                        "player_id": SHOOTER,
                        "action_type": action,
                        "area": area,
                        "zone": zone,
                        "made": made,
                    }
                )
        # BBB's shooter against AAA: makes half his paint shots, all his threes
        for zone, action, area, count, made in (
            ("paint", "2pt", "Restricted Area", 4, False),
            ("three", "3pt", "Above the Break 3", 4, True),
        ):
            for _ in range(count):
                n += 1
                shots.append(
                    {
                        "game_id": gid,
                        "action_number": n,
                        "team": "BBB",
                        "player_id": OTHER,
                        "action_type": action,
                        "area": area,
                        "zone": zone,
                        "made": made,
                    }
                )
    report = datetime(LAST.year, LAST.month, LAST.day, 17, 0, tzinfo=UTC)
    for pid, status in ((STAR, "Out"), (BENCH, "Questionable")):
        injuries.append(
            {
                "snapshot_at": report,
                "game_date": LAST,
                "matchup": "BBB@AAA",
                "team": "AAA",
                "player_id": pid,
                "player_lookup": f"p{pid}",
                "status": status,
            }
        )
    late = _tip(LAST) + timedelta(minutes=5)  # after tip: never read
    injuries.append(
        {
            "snapshot_at": late,
            "game_date": LAST,
            "matchup": "BBB@AAA",
            "team": "AAA",
            "player_id": SHOOTER,
            "player_lookup": f"p{SHOOTER}",
            "status": "Out",
        }
    )
    provenance = {"source_file": "test", "payload_sha256": "0" * 64, "loaded_at": BUILT, "fetched_at": BUILT}
    for table, rows in (
        ("raw_nbac_schedule", schedule),
        ("team_offense_game_summary", teams),
        ("player_game_summary", players),
        ("upcoming_player_game_context", context),
        ("raw_nbac_pbp_shots", shots),
        ("raw_nbac_injury_report", injuries),
    ):
        extra = provenance if table.startswith("raw_") else {}
        wh.insert_arrow(table, pa.Table.from_pylist([{**row, **extra} for row in rows]))


@pytest.fixture(scope="module")
def wh() -> Iterator[DuckDBWarehouse]:
    warehouse = DuckDBWarehouse(":memory:", query_timeout_s=60)
    create_schema(warehouse)
    _seed(warehouse)
    # the merged injury status at each as-of, from the seeded schedule and report (phase 3)
    for model in ("game_as_of", "injury_status"):
        materialize(
            warehouse,
            model,
            load_model(ANALYTICS_SQL / f"{model}.sql"),
            start=FIRST,
            end=LAST,
            params={"prediction_minute_et": 11 * 60, "injury_sources": "nbacom,bdl"},
        )
    yield warehouse
    warehouse.close()


def _rows(wh: DuckDBWarehouse, model: str) -> dict[tuple[int, date], dict[str, object]]:
    params = {"start": FIRST, "end": LAST, "season_start": season_start_date(FIRST)}
    table = query_model(wh, load_model(SQL / f"{model}.sql"), params)
    return {(r["player_id"], r["game_date"]): r for r in table.to_pylist()}


def test_teammates_listed_out_leave_their_recent_minutes_and_usage(wh: DuckDBWarehouse) -> None:
    rows = _rows(wh, "player_teammate_absence")
    shooter = rows[(SHOOTER, LAST)]
    assert shooter["teammates_listed_out"] == 1  # the star; questionable is not out, post-tip is not read
    assert shooter["team_games_in_window"] == 5
    assert shooter["teammates_out_minutes"] == pytest.approx(36.0)
    assert shooter["teammates_out_usage"] == pytest.approx(0.30 * 36 / 240)
    assert rows[(STAR, LAST)]["teammates_out_minutes"] == 0.0  # his own absence is not his teammate's
    assert rows[(OTHER, LAST)]["teammates_out_minutes"] == 0.0  # the other team lost nobody
    assert rows[(SHOOTER, DAYS[2])]["teammates_listed_out"] == 0  # nobody listed that day
    assert len(rows) == 4 * len(DAYS)  # every target has a row


def test_zone_matchup_reads_four_play_by_play_zones_against_the_opponents_defence(
    wh: DuckDBWarehouse,
) -> None:
    rows = _rows(wh, "player_zone_matchup")
    shooter = rows[(SHOOTER, LAST)]
    assert shooter["games_in_window"] == 5
    assert shooter["share_paint"] == pytest.approx(0.4)
    assert shooter["share_mid"] == pytest.approx(0.2)
    assert shooter["share_corner3"] == pytest.approx(0.2)
    assert shooter["share_above_break3"] == pytest.approx(0.2)
    # BBB allows 100% in the paint; the league (both defences) 20/40 = 50%: +0.5
    assert shooter["opp_paint_vs_league"] == pytest.approx(0.5)
    # above the break BBB allows 0 of 10, the league 20 of 30
    assert shooter["opp_above_break3_vs_league"] == pytest.approx(-2 / 3)
    expected = 10 * (0.4 * 2 * 0.5 + 0.2 * 2 * 0.0 + 0.2 * 3 * 0.0 + 0.2 * 3 * (-2 / 3))
    assert shooter["zone_points_delta"] == pytest.approx(expected)
    first = rows[(SHOOTER, FIRST)]
    assert first["games_in_window"] == 0
    assert first["zone_points_delta"] is None  # no play-by-play before the first game: NULL, not 0
