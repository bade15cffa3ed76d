"""Point in time, proven: features for date D built from data truncated at D equal the full build's.

The full range is built once (the real ``build_range``). Then, walking the chosen dates from the
latest to the earliest on one copy of the raw warehouse, each step truncates the raw tables further
— no box score or game result of D or later, no odds or injury snapshot at or after a game's tip —
rebuilds phase 3 over start..D and phase 4 for D from that, and compares D's ``feature_store`` rows
with the full build's, value for value. (Descending order makes each truncation a superset of the
previous one, so one copy serves every date.) A planted leaky model — a rolling window that lets
the game being predicted into its frame — must make the same comparison fail.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

import pytest

import nbaprops.warehouse.schema  # noqa: F401 - loads before the step registry (import cycle)
from factories import open_season_copy, season_warehouse
from nbaprops.features import models
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.steps import StepContext, load_registry
from nbaprops.warehouse.duckdb import DuckDBWarehouse

DAYS = 24
DATES_CHECKED = 20


def _truncate(wh: DuckDBWarehouse, day: date) -> None:
    """Make the raw tables look as they did before the first tip of ``day``."""
    statements = [
        "DELETE FROM raw_nbac_player_boxscores WHERE game_date >= ?",
        "DELETE FROM raw_bdl_box_scores WHERE game_date >= ?",
        "DELETE FROM raw_bdl_games WHERE game_date >= ?",
        "DELETE FROM raw_nbac_scoreboard WHERE game_date >= ?",
        "DELETE FROM raw_espn_scoreboard WHERE game_date >= ?",
        "DELETE FROM raw_nbac_pbp_shots WHERE game_id IN "
        "(SELECT game_id FROM raw_nbac_schedule WHERE game_date >= ?)",
        # the schedule is known ahead, its results are not
        "UPDATE raw_nbac_schedule SET home_score = NULL, away_score = NULL, status = 1, "
        "status_text = 'scheduled', points_leader_id = NULL, points_leader_name = NULL, "
        "points_leader_lookup = NULL, points_leader_points = NULL WHERE game_date >= ?",
        "DELETE FROM raw_oddsa_player_props WHERE game_date > ? OR snapshot_at >= commence_time",
        "DELETE FROM raw_oddsa_game_lines WHERE game_date > ? OR snapshot_at >= commence_time",
        "DELETE FROM raw_oddsa_events WHERE game_date > ? OR snapshot_at >= commence_time",
        "DELETE FROM raw_nbac_injury_report AS t WHERE game_date > ? OR snapshot_at >= "
        "(SELECT MIN(s.tip_utc) FROM raw_nbac_schedule AS s WHERE s.game_date = t.game_date "
        "AND (s.home_team = t.team OR s.away_team = t.team))",
    ]
    for sql in statements:
        wh.execute(sql, [day])
    first_tip = wh.query_rows("SELECT MIN(tip_utc) FROM raw_nbac_schedule WHERE game_date = ?", [day])[0][0]
    wh.execute("DELETE FROM raw_bdl_injuries WHERE snapshot_at >= ?", [first_tip])


def _rebuild(wh: DuckDBWarehouse, start: date, day: date, overrides: Mapping[str, Path]) -> None:
    """Phase 3 over start..day, phase 4 for day alone (``overrides``: step name -> planted SQL)."""
    from nbaprops.warehouse.sqlmodel import load_model, materialize

    registry = load_registry()
    for phase, first in ((3, start), (4, day)):
        ctx = StepContext(warehouse=wh, start=first, end=day, alerter=Alerter(wh))
        for step in registry.order((phase,)):
            if step.name in overrides:
                materialize(
                    wh,
                    step.outputs[0],
                    load_model(overrides[step.name]),
                    start=first,
                    end=day,
                    date_column="cache_date",
                )
            elif step.run is not None:
                step.run(ctx)


def _features(wh: DuckDBWarehouse, day: date) -> list[dict[str, object]]:
    rows = wh.query_arrow("SELECT * FROM feature_store WHERE game_date = ? ORDER BY player_id", [day])
    return [
        {k: round(v, 9) if isinstance(v, float) and not math.isnan(v) else v for k, v in r.items()}
        for r in rows.to_pylist()
    ]


def _differences(full: list[dict[str, object]], cut: list[dict[str, object]]) -> list[str]:
    if len(full) != len(cut):
        return [f"{len(full)} rows in the full build, {len(cut)} from truncated data"]
    return [
        f"player {a['player_id']} {k}: full {a[k]!r} vs truncated {b[k]!r}"
        for a, b in zip(full, cut, strict=True)
        for k in a
        if a[k] != b[k]
    ]


@pytest.fixture(scope="module")
def full_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBWarehouse, list[date]]]:
    from nbaprops.pipeline.build import build_range

    sw = season_warehouse(DAYS)
    wh = open_season_copy(tmp_path_factory.mktemp("full"), DAYS)
    build_range(wh, sw.start, sw.end)
    # dates whose upcoming context (phase 3) has players, i.e. that have feature rows to compare
    days = [r[0] for r in wh.query_rows("SELECT DISTINCT game_date FROM feature_store ORDER BY game_date")]
    yield wh, days
    wh.close()


def _checked_dates(days: list[date]) -> list[date]:
    step = len(days) / DATES_CHECKED
    return sorted({days[min(len(days) - 1, int(i * step))] for i in range(DATES_CHECKED)})


def test_features_built_from_truncated_data_equal_the_full_build(
    full_build: tuple[DuckDBWarehouse, list[date]],
    tmp_path: Path,
) -> None:
    full, days = full_build
    dates = _checked_dates(days)
    assert len(dates) >= DATES_CHECKED
    cut = open_season_copy(tmp_path, DAYS)
    full_start = season_warehouse(DAYS).start
    compared = 0
    for day in sorted(dates, reverse=True):
        _truncate(cut, day)
        _rebuild(cut, full_start, day, {})
        expected, got = _features(full, day), _features(cut, day)
        assert expected, f"no features built for {day}"
        assert _differences(expected, got) == [], day
        compared += len(got)
    cut.close()
    assert compared > 1000


def test_a_planted_leaky_window_is_caught(
    full_build: tuple[DuckDBWarehouse, list[date]],
    tmp_path: Path,
) -> None:
    full, days = full_build
    # The analog's bug: the rolling window includes the game being predicted. Sorting the target row
    # after that day's game puts the game inside a frame that "ends at 1 PRECEDING".
    honest = (models.SQL_DIR / "player_daily_cache.sql").read_text(encoding="utf-8")
    leaky = honest.replace(
        "ORDER BY game_date ASC NULLS FIRST, is_game ASC NULLS FIRST",
        "ORDER BY game_date ASC NULLS FIRST, is_game DESC NULLS LAST",
    )
    assert leaky != honest
    planted = tmp_path / "player_daily_cache.sql"
    planted.write_text(leaky, encoding="utf-8")
    leaky_wh = open_season_copy(tmp_path, DAYS)
    day = days[len(days) // 2]
    start = season_warehouse(DAYS).start
    _rebuild(leaky_wh, start, day, {"player_daily_cache": planted})  # the full data
    from_full = _features(leaky_wh, day)
    _truncate(leaky_wh, day)
    _rebuild(leaky_wh, start, day, {"player_daily_cache": planted})  # the same model, truncated data
    leaked = _differences(from_full, _features(leaky_wh, day))
    leaky_wh.close()
    assert any("points_avg_last_5" in d for d in leaked)
    assert _differences(_features(full, day), from_full) != []  # and it disagrees with the honest build
