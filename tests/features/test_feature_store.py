"""Phase-4 models on DuckDB over a small hand-made league.

The phase-3 tables are seeded directly (two teams, one game every other day), so every expected
value below can be computed by hand from the seeded rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import nbaprops.warehouse.schema  # noqa: F401 - loads before the step registry (import cycle)
from nbaprops.features.contract import FEATURE_VERSION, FEATURES, REQUIRED_FEATURES
from nbaprops.pipeline.steps import StepContext, load_registry
from nbaprops.warehouse.duckdb import DuckDBWarehouse
from nbaprops.warehouse.schema import create_schema

FIRST = date(2025, 11, 1)
DAYS = [FIRST + timedelta(days=2 * i) for i in range(12)]  # a game every other day
LAST = DAYS[-1]
BUILT = datetime(2026, 1, 1, tzinfo=UTC)
# player -> (team, points per game index); p1 scores 10, 12, 14, …; p3 always 20
P1, P2, P3, P_NEW = 1001, 1002, 2001, 1009


def _tip(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)


def _as_of(day: date) -> datetime:
    """The seeded context's (only) as-of: the morning of the game."""
    return _tip(day) - timedelta(hours=12)


def _seed(wh: DuckDBWarehouse) -> None:
    players, teams, defense, context = [], [], [], []
    for i, day in enumerate(DAYS):
        gid = f"00225{i:05d}"
        for team, opp, home in (("AAA", "BBB", True), ("BBB", "AAA", False)):
            teams.append(
                {
                    "game_date": day,
                    "game_id": gid,
                    "team": team,
                    "opponent": opp,
                    "is_home": home,
                    "pace": 100.0 + (2 if team == "BBB" else 0),
                    "pts": 110,
                    "offensive_rating": 110.0,
                    "win": team == "AAA",
                    "built_at": BUILT,
                    "possessions": 100.0,
                }
            )
            defense.append(
                {
                    "game_date": day,
                    "game_id": gid,
                    "team": team,
                    "opponent": opp,
                    "is_home": home,
                    "possessions": 100.0,
                    "pace": 100.0 + (2 if team == "BBB" else 0),
                    "opp_pts": 110,
                    "opp_fga": 80,
                    "opp_fgm": 40,
                    "opp_fg3a": 30,
                    "opp_fg3m": 12 if team == "BBB" else 9,
                    "win": team == "AAA",
                    "built_at": BUILT,
                }
            )
        rows = [
            (P1, "p1", "AAA", "BBB", True, 10 + 2 * i, 30.0, 20.0),
            (P2, "p2", "AAA", "BBB", True, 25, 34.0, 30.0),
            (P3, "p3", "BBB", "AAA", False, 20, 32.0, 24.0),
        ]
        for pid, lookup, team, opp, home, pts, minutes, usage in rows:
            players.append(
                {
                    "game_date": day,
                    "game_id": gid,
                    "player_lookup": lookup,
                    "player_id": pid,
                    "team": team,
                    "opponent": opp,
                    "is_home": home,
                    "played": True,
                    "minutes": minutes,
                    "pts": pts,
                    "fga": 15,
                    "fgm": 7,
                    "fg3a": 5,
                    "fg3m": 2,
                    "fta": 4,
                    "ftm": 3,
                    "usage_rate": usage,
                    "source": "test",
                    "built_at": BUILT,
                }
            )
            context.append(
                {
                    "game_date": day,
                    "game_id": gid,
                    "player_lookup": lookup,
                    "player_id": pid,
                    "team": team,
                    "opponent": opp,
                    "is_home": home,
                    "tip_utc": _tip(day),
                    "as_of_kind": "prediction",
                    "as_of": _as_of(day),
                    "points_line": 14.5 if pid == P1 and day == LAST else None,
                    "built_at": BUILT,
                }
            )
    context.append(
        {
            "game_date": LAST,
            "game_id": f"00225{len(DAYS) - 1:05d}",
            "player_lookup": "pnew",
            "player_id": P_NEW,
            "team": "AAA",
            "opponent": "BBB",
            "is_home": True,
            "tip_utc": _tip(LAST),
            "as_of_kind": "prediction",
            "as_of": _as_of(LAST),
            "built_at": BUILT,
        }
    )
    for table, rows_ in (
        ("player_game_summary", players),
        ("team_offense_game_summary", teams),
        ("team_defense_game_summary", defense),
        ("upcoming_player_game_context", context),
    ):
        wh.insert_arrow(table, pa.Table.from_pylist(rows_))


@pytest.fixture(scope="module")
def built() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:", query_timeout_s=60)
    create_schema(wh)
    _seed(wh)
    ctx = StepContext(warehouse=wh, start=FIRST, end=LAST, alerter=None)  # type: ignore[arg-type]
    for step in load_registry().order(phases=(4,)):
        assert step.run is not None
        step.run(ctx)
    yield wh
    wh.close()


def _row(wh: DuckDBWarehouse, player: int, day: date) -> dict[str, Any]:
    table = wh.query_arrow("SELECT * FROM feature_store WHERE player_id = ? AND game_date = ?", [player, day])
    rows: list[dict[str, Any]] = table.to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_rolling_averages_use_only_games_before_the_date(built: DuckDBWarehouse) -> None:
    # p1 scored 10 + 2i in game i; on game 11 (22 + 10 = 32 pts) his features see games 0..10 only
    row = _row(built, P1, LAST)
    assert row["points_avg_last_3"] == pytest.approx((26 + 28 + 30) / 3)
    assert row["points_avg_last_5"] == pytest.approx((22 + 24 + 26 + 28 + 30) / 5)
    assert row["points_avg_season"] == pytest.approx(sum(10 + 2 * i for i in range(11)) / 11)
    assert row["pts_slope_10g"] == pytest.approx(2.0)
    assert row["feature_version"] == FEATURE_VERSION


def test_first_game_of_a_player_is_not_predictable_and_says_why(built: DuckDBWarehouse) -> None:
    row = _row(built, P_NEW, LAST)
    assert row["predictable"] is False
    assert row["defaulted_required_count"] > 0
    assert "no games played before this date" in str(row["unpredictable_reason"])
    assert "points_avg_last_5" in str(row["unpredictable_reason"])
    sources = json.loads(str(row["feature_sources"]))
    assert sources["points_avg_last_5"]["source"] == "default"


def test_established_player_is_predictable_with_full_required_quality(built: DuckDBWarehouse) -> None:
    row = _row(built, P3, LAST)
    assert row["predictable"] is True, row["unpredictable_reason"]
    assert row["defaulted_required_count"] == 0
    sources = json.loads(str(row["feature_sources"]))
    assert all(sources[name]["quality"] == 100 for name in REQUIRED_FEATURES)
    assert row["has_vegas_line"] == 0.0
    assert row["vegas_points_line"] is None  # optional and missing: NULL, not a made-up line


def test_feature_sources_is_the_canonical_json_of_each_features_source_and_quality(
    built: DuckDBWarehouse,
) -> None:
    for player in (P_NEW, P3, P1):
        text = str(_row(built, player, LAST)["feature_sources"])
        sources = json.loads(text)
        assert text == json.dumps(sources, sort_keys=True, separators=(",", ":"))
        assert set(sources) == {f.name for f in FEATURES}
        assert {s["source"] for s in sources.values()} <= {f.source_table for f in FEATURES} | {
            "default",
            "missing",
        }


def test_line_features_come_from_the_context(built: DuckDBWarehouse) -> None:
    row = _row(built, P1, LAST)
    assert row["vegas_points_line"] == 14.5
    assert row["has_vegas_line"] == 1.0
    # the row carries the as-of of the context it was built from, not the tip
    assert (row["as_of_kind"], row["as_of"]) == ("prediction", _as_of(LAST))


def test_rest_and_fatigue_from_the_schedule(built: DuckDBWarehouse) -> None:
    row = _row(built, P1, LAST)
    assert row["days_rest"] == 1.0  # a game every other day
    assert row["back_to_back"] == 0.0
    assert row["games_in_last_7_days"] == 3.0  # D-2, D-4, D-6
    assert row["minutes_load_last_7d"] == 90.0
    assert row["fatigue_score"] == 100.0
    first = _row(built, P1, FIRST)
    assert first["fatigue_score"] == 50.0  # no previous game: defaulted, and flagged
    assert first["predictable"] is False


def test_opponent_defence_and_zone_shares(built: DuckDBWarehouse) -> None:
    row = _row(built, P1, LAST)
    assert row["opponent_def_rating"] == pytest.approx(110.0)
    assert row["opponent_pace"] == pytest.approx(102.0)
    assert row["pct_three"] == pytest.approx(5 / 15)
    # BBB allows threes 12/30 = 40% vs the league's 21/60 = 35% (+5 points) and twos 28/50 = 56%
    # vs 59/100 (-3 points); p1 takes 10 of 15 shots inside the arc
    assert row["shot_zone_mismatch_score"] == pytest.approx(10 / 15 * -3.0 + 5 / 15 * 5.0)
    assert row["pace_score"] == pytest.approx((102 - 101) / 2)


def test_building_twice_changes_nothing(built: DuckDBWarehouse) -> None:
    before = built.query_arrow("SELECT * FROM feature_store ORDER BY player_id, game_date")
    ctx = StepContext(warehouse=built, start=FIRST, end=LAST, alerter=None)  # type: ignore[arg-type]
    for step in load_registry().order(phases=(4,)):
        assert step.run is not None
        step.run(ctx)
    after = built.query_arrow("SELECT * FROM feature_store ORDER BY player_id, game_date")
    assert before.equals(after)


# The BigQuery text of every phase-4 model has its golden file in tests/golden/, checked (with every
# other SQL model of the project) by tests/warehouse/test_sqlmodel.py.


def test_show_renders_a_dates_rows_in_contract_order(built: DuckDBWarehouse) -> None:
    import csv
    import io

    from nbaprops.features.contract import FEATURE_NAMES
    from nbaprops.features.show import feature_rows, render

    rows = feature_rows(built, LAST)
    assert [r["player_id"] for r in rows] == sorted([P1, P2, P3, P_NEW])
    table = list(csv.DictReader(io.StringIO(render(rows, "csv"))))
    header = list(table[0])
    assert header[header.index(FEATURE_NAMES[0]) :][: len(FEATURE_NAMES)] == list(FEATURE_NAMES)
    decoded = json.loads(render(rows, "json"))
    assert decoded[0]["feature_sources"]["points_avg_last_5"]["quality"] in (100.0, 40.0)
    assert feature_rows(built, LAST + timedelta(days=1)) == []


def test_features_show_command_prints_csv_and_refuses_a_bad_format(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import typer
    from typer.testing import CliRunner

    from nbaprops.features.commands import features_show

    monkeypatch.setenv("NBAPROPS_DATA_DIR", str(tmp_path))
    app = typer.Typer()
    app.command()(features_show)
    ok = CliRunner().invoke(app, ["--date", "2025-11-01"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("game_date,player_id,")
    bad = CliRunner().invoke(app, ["--date", "2025-11-01", "--format", "xml"])
    assert bad.exit_code != 0
