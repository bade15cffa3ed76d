"""Phase 4's steps, registered in the pipeline's step registry at import.

Five precompute tables are plain SQL models (``features/sql/*.sql``, materialised for the build
range by ``warehouse.sqlmodel``). Two steps add Python to a SQL model: ``player_composite_factors``
(the SQL gathers the inputs, ``composite.py`` computes the scores, vectorized) and
``feature_store`` (the SQL joins every feature's raw value, ``store.py`` applies defaults, quality
and the predictability rule). Each runs once per build range — set-based, never a loop over dates.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

# The schema loads before the step registry: steps.py imports raw.tables, which would otherwise
# start warehouse/__init__ -> schema -> raw.tables while raw.tables is half-imported.
import nbaprops.warehouse.schema  # noqa: F401
from nbaprops.dates import season_start_date
from nbaprops.features.composite import STAR_USAGE
from nbaprops.features.contract import FEATURE_VERSION
from nbaprops.pipeline.steps import Step, StepContext, register, sql_step

if TYPE_CHECKING:
    import pyarrow as pa

    from nbaprops.warehouse.protocol import Warehouse

SQL_DIR = Path(__file__).parent / "sql"
PHASE = 4


def season_params(ctx: StepContext) -> dict[str, date]:
    """``@season_start``: the first day of the build start's season. Season-to-date windows are
    partitioned by season (so a range across two seasons never mixes them) and read no game dated
    before it (a constant bound: BigQuery prunes the older partitions)."""
    return {"season_start": season_start_date(ctx.start)}


sql_step(
    "team_defense_zone_analysis",
    phase=PHASE,
    sql_file=SQL_DIR / "team_defense_zone_analysis.sql",
    params=season_params,
    inputs=("team_defense_game_summary", "upcoming_player_game_context"),
    date_column="analysis_date",
    rows_due="scheduled_games",
    description="opponent defence by zone, pace, rating over the last 15 games",
)
sql_step(
    "player_shot_zone_analysis",
    phase=PHASE,
    sql_file=SQL_DIR / "player_shot_zone_analysis.sql",
    inputs=("player_game_summary", "upcoming_player_game_context"),
    date_column="analysis_date",
    rows_due="scheduled_games",
    description="player shot profile over the last 10 games played",
)
sql_step(
    "player_daily_cache",
    phase=PHASE,
    sql_file=SQL_DIR / "player_daily_cache.sql",
    params=season_params,
    inputs=("player_game_summary", "team_offense_game_summary", "upcoming_player_game_context"),
    date_column="cache_date",
    rows_due="scheduled_games",
    description="one row of history per player and date, for phase 5",
)
sql_step(
    "player_teammate_absence",
    phase=PHASE,
    sql_file=SQL_DIR / "player_teammate_absence.sql",
    inputs=(
        "upcoming_player_game_context",
        "injury_status",
        "team_offense_game_summary",
        "player_game_summary",
    ),
    rows_due="scheduled_games",
    description="minutes and usage load left by teammates listed Out/Doubtful",
)
sql_step(
    "player_zone_matchup",
    phase=PHASE,
    sql_file=SQL_DIR / "player_zone_matchup.sql",
    params=season_params,
    inputs=("upcoming_player_game_context", "raw_nbac_schedule", "raw_nbac_pbp_shots"),
    rows_due="scheduled_games",
    description="play-by-play shot mix (4 zones) against the opponent's zone defence",
)


def replace_range(
    warehouse: Warehouse,
    table: str,
    rows: pa.Table,
    *,
    start: date,
    end: date,
    date_column: str = "game_date",
    feature_version: str | None = None,
) -> int:
    """Replace ``table``'s rows dated start..end with ``rows`` in one transaction; return the count.

    With ``feature_version``, only that version's rows are replaced (other versions are kept).
    """
    from nbaprops.warehouse.schema import table_spec

    spec = table_spec(table)  # the allow-list check before the name reaches SQL text
    where = f"{date_column} BETWEEN ? AND ?"
    params: list[object] = [start, end]
    if feature_version is not None:
        where += " AND feature_version = ?"
        params.append(feature_version)
    with warehouse.transaction():
        warehouse.execute(f"DELETE FROM {spec.name} WHERE {where}", params)  # noqa: S608
        return warehouse.insert_arrow(spec.name, rows) if rows.num_rows else 0


def composite_rows(inputs: pa.Table) -> pa.Table:
    """player_composite_factors rows from the gathered inputs (scores by ``composite.py``)."""
    import numpy as np
    import pyarrow as pa

    from nbaprops.features import composite
    from nbaprops.features.tables import PLAYER_COMPOSITE_FACTORS

    def col(name: str) -> np.ndarray:
        return np.asarray(inputs.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

    days_rest = col("days_rest")
    scores = {
        "back_to_back": np.where(np.isnan(days_rest), np.nan, (days_rest == 0).astype(np.float64)),
        "fatigue_score": composite.fatigue_score(
            days_rest, col("games_in_last_7_days"), col("minutes_load_last_7d"), col("back_to_backs_last_14")
        ),
        "rest_advantage": composite.rest_advantage(col("team_days_rest"), col("opponent_days_rest")),
        "pace_score": composite.pace_score(col("opponent_pace"), col("league_pace")),
        "shot_zone_mismatch_score": composite.shot_zone_mismatch(
            col("share_two"), col("share_three"), col("opp_two_delta"), col("opp_three_delta")
        ),
        "usage_spike_score": composite.usage_spike(
            col("usage_rate_last_10"), col("out_usage_load"), col("star_teammates_out")
        ),
    }
    arrays = {}
    for column in PLAYER_COMPOSITE_FACTORS.columns:
        if column.name in scores:
            arrays[column.name] = pa.array(scores[column.name], type=pa.float64(), from_pandas=True)
        elif column.type == "FLOAT64":
            arrays[column.name] = pa.array(col(column.name), type=pa.float64(), from_pandas=True)
        else:
            arrays[column.name] = inputs.column(column.name)
    return pa.table(arrays)


def _run_composite(ctx: StepContext) -> int:
    from nbaprops.warehouse.sqlmodel import load_model, query_model

    model = load_model(SQL_DIR / "player_composite_inputs.sql")
    params = {"start": ctx.start, "end": ctx.end, "star_usage": STAR_USAGE, **season_params(ctx)}
    inputs = query_model(ctx.warehouse, model, params)
    return replace_range(
        ctx.warehouse, "player_composite_factors", composite_rows(inputs), start=ctx.start, end=ctx.end
    )


def feature_rows(warehouse: Warehouse, start: date, end: date, *, sql_file: Path | None = None) -> pa.Table:
    """feature_store rows for start..end (``sql_file`` swaps the inputs model; tests plant variants)."""
    from nbaprops.features.store import assemble
    from nbaprops.warehouse.sqlmodel import load_model, query_model

    model = load_model(sql_file or SQL_DIR / "feature_store_inputs.sql")
    return assemble(query_model(warehouse, model, {"start": start, "end": end}))


def _run_feature_store(ctx: StepContext) -> int:
    rows = feature_rows(ctx.warehouse, ctx.start, ctx.end)
    return replace_range(
        ctx.warehouse, "feature_store", rows, start=ctx.start, end=ctx.end, feature_version=FEATURE_VERSION
    )


register(
    Step(
        "player_composite_factors",
        PHASE,
        (
            "player_game_summary",
            "team_offense_game_summary",
            "upcoming_player_game_context",
            "injury_status",
            "team_defense_zone_analysis",
            "player_shot_zone_analysis",
            "player_daily_cache",
        ),
        ("player_composite_factors",),
        _run_composite,
        "scheduled_games",
        "fatigue, zone mismatch, pace and usage-spike factors (features/composite.py)",
    )
)
register(
    Step(
        "feature_store",
        PHASE,
        (
            "upcoming_player_game_context",
            "raw_oddsa_player_props",
            "player_daily_cache",
            "player_composite_factors",
            "team_defense_zone_analysis",
            "player_shot_zone_analysis",
            "player_teammate_absence",
            "player_zone_matchup",
        ),
        ("feature_store",),
        _run_feature_store,
        "scheduled_games",
        "the point-in-time feature store (features/contract.py, features/store.py)",
    )
)
