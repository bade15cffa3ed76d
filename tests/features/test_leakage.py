"""Point in time, proven: features as of the prediction time equal those built from data cut there.

The full range is built once (the real ``build_range``), post-prediction-time snapshots included:
the sandbox's odds snapshots up to ten minutes before tip and its pre-tip injury report. Then,
walking the chosen dates from the latest to the earliest on one copy of the raw warehouse, each
step truncates every source at that date's prediction as-of T (``Settings.prediction_as_of``): no
box score or game result of D or later, no odds snapshot, injury report or Ball Don't Lie note
published after T. It rebuilds phase 3 over start..D and phase 4 for D from that, and compares D's
``feature_store`` rows of the ``prediction`` as-of with the full build's, value for value.
(Descending order makes each truncation a superset of the previous one, so one copy serves every
date.)

The detector must see each class of leak: a model edited to read a same-day box score, a line
posted one second after the as-of, an injury note published after it, a season aggregate that
includes the game, or a rolling window that lets the game in — each planted on a fresh copy (with
a data point after T for the classes that need one) must make the same comparison fail.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

import nbaprops.warehouse.schema  # noqa: F401 - loads before the step registry (import cycle)
from factories import open_season_copy, season_warehouse
from nbaprops.analytics import models as analytics_models
from nbaprops.features import models as feature_models
from nbaprops.ops.alerts import Alerter
from nbaprops.pipeline.steps import StepContext, load_registry
from nbaprops.settings import load_settings
from nbaprops.warehouse import sqlmodel
from nbaprops.warehouse.duckdb import DuckDBWarehouse

DAYS = 24
DATES_CHECKED = 20


def _as_of(day: date) -> datetime:
    return load_settings().prediction_as_of(day)


def _truncate(wh: DuckDBWarehouse, day: date) -> None:
    """Make every source look as it did at ``day``'s prediction as-of."""
    as_of = _as_of(day)
    by_date = [
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
    ]
    for sql in by_date:
        wh.execute(sql, [day])
    for table in (
        "raw_oddsa_player_props",
        "raw_oddsa_game_lines",
        "raw_oddsa_events",
        "raw_nbac_injury_report",
        "raw_bdl_injuries",
    ):
        wh.execute(f"DELETE FROM {table} WHERE snapshot_at > ?", [as_of])  # noqa: S608 - fixed names


def _rebuild(wh: DuckDBWarehouse, start: date, day: date) -> None:
    """Phase 3 over start..day, phase 4 for day alone, with whatever SQL models are loaded."""
    registry = load_registry()
    for phase, first in ((3, start), (4, day)):
        ctx = StepContext(warehouse=wh, start=first, end=day, alerter=Alerter(wh))
        for step in registry.order((phase,)):
            if step.run is not None:
                step.run(ctx)


def _features(wh: DuckDBWarehouse, day: date) -> list[dict[str, object]]:
    rows = wh.query_arrow(
        "SELECT * FROM feature_store WHERE game_date = ? AND as_of_kind = 'prediction' ORDER BY player_id",
        [day],
    )
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


def _leaks(wh: DuckDBWarehouse, start: date, day: date) -> list[str]:
    """Build ``day`` from the full data, then from data truncated at its as-of: what differs."""
    _rebuild(wh, start, day)
    from_full = _features(wh, day)
    assert from_full, f"no features built for {day}"
    _truncate(wh, day)
    _rebuild(wh, start, day)
    return _differences(from_full, _features(wh, day))


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


def test_full_data_holds_snapshots_published_after_the_prediction_time(
    full_build: tuple[DuckDBWarehouse, list[date]],
) -> None:
    # Without them, a cut-off at the tip instead of the as-of would pass unseen.
    full, days = full_build
    day = days[len(days) // 2]
    for table in ("raw_oddsa_player_props", "raw_nbac_injury_report"):
        ((late,),) = full.query_rows(
            f"SELECT count(*) FROM {table} WHERE game_date = ? AND snapshot_at > ?",  # noqa: S608
            [day, _as_of(day)],
        )
        assert late > 0, table


def test_features_built_from_data_truncated_at_the_prediction_time_equal_the_full_build(
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
        _rebuild(cut, full_start, day)
        expected, got = _features(full, day), _features(cut, day)
        assert expected, f"no features built for {day}"
        assert all(r["as_of"] == _as_of(day) for r in expected), day
        assert _differences(expected, got) == [], day
        compared += len(got)
    cut.close()
    assert compared > 1000


@dataclass(frozen=True)
class Plant:
    """One class of leak: an edit of an SQL model and, when the leak needs one, a row after T."""

    model: Path
    honest: str
    leaky: str
    data_sql: str | None = None  # bound to (T + 1 s, day, T)
    feature: str | None = None  # a feature that must differ (None: the rows themselves)


PLANTS = {
    "same_day_box_score": Plant(
        feature_models.SQL_DIR / "player_daily_cache.sql",
        "AND p.game_date < t.game_date AND p.game_date >= @season_start",
        "AND p.game_date <= t.game_date AND p.game_date >= @season_start",
        feature="avg_points_vs_opponent",
    ),
    "line_one_second_after_as_of": Plant(
        analytics_models.SQL_DIR / "upcoming_player_game_context.sql",
        "pp.snapshot_at <= t.as_of",
        "pp.snapshot_at <= TIMESTAMP_ADD(t.as_of, INTERVAL 1 SECOND)",
        # every morning line moves two points one second after the as-of
        data_sql="INSERT INTO raw_oddsa_player_props SELECT * REPLACE "
        "(CAST(? AS TIMESTAMPTZ) AS snapshot_at, point + 2 AS point) FROM raw_oddsa_player_props "
        "WHERE game_date = ? AND snapshot_at <= ?",
        feature="vegas_points_line",
    ),
    "late_injury_note": Plant(
        analytics_models.SQL_DIR / "injury_status.sql",
        "ON n.game_date = a.game_date AND n.published_at <= a.as_of",
        "ON n.game_date = a.game_date AND n.published_at <= TIMESTAMP_ADD(a.as_of, INTERVAL 1 HOUR)",
        # a report one second after the as-of rules out every player the morning report listed
        data_sql="INSERT INTO raw_nbac_injury_report SELECT * REPLACE "
        "(CAST(? AS TIMESTAMPTZ) AS snapshot_at, 'Out' AS status) FROM raw_nbac_injury_report "
        "WHERE game_date = ? AND snapshot_at <= ?",
    ),
    "season_aggregate_with_the_game": Plant(
        feature_models.SQL_DIR / "player_daily_cache.sql",
        "season AS (PARTITION BY player_id, season ORDER BY k ASC NULLS FIRST "
        "RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)",
        "season AS (PARTITION BY player_id, season ORDER BY k ASC NULLS FIRST "
        "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
        feature="points_avg_season",
    ),
    "rolling_window_with_the_game": Plant(
        feature_models.SQL_DIR / "player_daily_cache.sql",
        "ORDER BY game_date ASC NULLS FIRST, is_game ASC NULLS FIRST",
        "ORDER BY game_date ASC NULLS FIRST, is_game DESC NULLS LAST",
        feature="points_avg_last_5",
    ),
}


@pytest.mark.parametrize("name", sorted(PLANTS))
def test_each_planted_leak_turns_the_comparison_red(
    name: str,
    full_build: tuple[DuckDBWarehouse, list[date]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import timedelta

    plant = PLANTS[name]
    _, days = full_build
    day = days[len(days) // 2]
    start = season_warehouse(DAYS).start
    honest = plant.model.read_text(encoding="utf-8")
    assert plant.honest in honest, f"{plant.model.name} changed: update the {name} plant"
    planted = tmp_path / "planted" / plant.model.name
    planted.parent.mkdir()
    planted.write_text(honest.replace(plant.honest, plant.leaky), encoding="utf-8")
    real_load = sqlmodel.load_model
    monkeypatch.setattr(
        sqlmodel, "load_model", lambda path: real_load(planted if Path(path) == plant.model else path)
    )
    wh = open_season_copy(tmp_path, DAYS)
    if plant.data_sql is not None:
        as_of = _as_of(day)
        wh.execute(plant.data_sql, [as_of + timedelta(seconds=1), day, as_of])
    leaked = _leaks(wh, start, day)
    wh.close()
    assert leaked, f"the {name} leak went unseen"
    if plant.feature is not None:
        assert any(f" {plant.feature}: " in d for d in leaked), leaked[:5]


def test_the_honest_models_pass_the_same_check_with_the_planted_data(tmp_path: Path) -> None:
    # The planted rows alone (no model edit) change nothing: only a leaky model can read them.
    from datetime import timedelta

    days = season_warehouse(DAYS)
    day = days.start + timedelta(days=DAYS // 2)
    wh = open_season_copy(tmp_path, DAYS)
    as_of = _as_of(day)
    for plant in PLANTS.values():
        if plant.data_sql is not None:
            wh.execute(plant.data_sql, [as_of + timedelta(seconds=1), day, as_of])
    assert _leaks(wh, days.start, day) == []
    wh.close()
