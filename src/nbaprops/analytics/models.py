"""Phase 3's steps: each analytics table is one SQL model (``sql/<name>.sql``), registered here.

Order comes from the declared inputs, not from this file: the team summaries read
``player_game_summary`` and the player context reads ``upcoming_team_game_context``, so the
registry runs them after those. The source-discrepancy step also records each finding in
``data_quality`` and raises one alert per run that found any.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbaprops.pipeline.steps import Step, StepContext, register, sql_step

if TYPE_CHECKING:
    from nbaprops.settings import Settings

SQL_DIR = Path(__file__).parent / "sql"
MINUTES_TOLERANCE = 2.0
"""Minutes by which NBA.com and Ball Don't Lie may differ before it is a discrepancy."""
POINTS_TOLERANCE = 0
"""Points must agree exactly."""

_BOX = ("raw_nbac_schedule", "raw_nbac_player_boxscores", "raw_bdl_box_scores")


def _box_params(ctx: StepContext) -> Mapping[str, Any]:
    order = ctx.settings.source_order("box_scores") if ctx.settings is not None else ["nbacom", "bdl"]
    return {"primary_box_source": order[0]}


def _settings(ctx: StepContext) -> Settings:
    """The run's settings, or the defaults when a step runs without any (tests, one-off rebuilds)."""
    from nbaprops.settings import load_settings

    return ctx.settings if ctx.settings is not None else load_settings()


def _book_params(ctx: StepContext) -> Mapping[str, Any]:
    books = _settings(ctx).odds_bookmakers
    return {"book_priority": ",".join(b.strip() for b in books.split(",") if b.strip())}


def _as_of_params(ctx: StepContext) -> Mapping[str, Any]:
    return {"prediction_minute_et": _settings(ctx).prediction_minute_et()}


def _injury_params(ctx: StepContext) -> Mapping[str, Any]:
    return {"injury_sources": ",".join(_settings(ctx).source_order("injuries"))}


def _resolve_identities(ctx: StepContext) -> int:
    """Resolve every source's players to the registry and match games without NBA.com ids.

    It also fills ``player_id`` / ``game_id`` in the raw tables (their only writer besides ingest);
    unresolved names are recorded in ``unresolved_names`` and alerted, never guessed. Only the
    build range's rows are read and filled (a day's partitions, not the whole history).
    """
    from nbaprops.raw.resolve import resolve_identities

    report = resolve_identities(ctx.warehouse, ctx.alerter, dates=(ctx.start, ctx.end))
    return sum(report.player_rows_filled.values()) + sum(report.game_rows_filled.values())


register(
    Step(
        "resolve_identities",
        3,
        (
            *_BOX,
            "raw_nbac_player_list",
            "raw_nbac_injury_report",
            "raw_nbac_pbp_shots",
            "raw_oddsa_player_props",
        ),
        ("player_registry", "player_source_ids", "unresolved_names", "unmatched_games"),
        _resolve_identities,
        "never",
        "one player_id per player across sources (registry, aliases); games matched by date and teams",
    )
)

sql_step(
    "player_game_summary",
    phase=3,
    sql_file=SQL_DIR / "player_game_summary.sql",
    inputs=(*_BOX, "raw_nbac_injury_report", "raw_nbac_pbp_shots", "player_source_ids"),
    params=_box_params,
    description="player x game box score, DNPs with reasons, usage/TS%/eFG%, shot zones",
)
sql_step(
    "team_offense_game_summary",
    phase=3,
    sql_file=SQL_DIR / "team_offense_game_summary.sql",
    inputs=("player_game_summary",),
    description="team x game: possessions, pace, offensive rating, points by zone, win",
)
sql_step(
    "team_defense_game_summary",
    phase=3,
    sql_file=SQL_DIR / "team_defense_game_summary.sql",
    inputs=("team_offense_game_summary",),
    description="team x game from the defence's side: points allowed, defensive rating",
)
sql_step(
    "game_as_of",
    phase=3,
    sql_file=SQL_DIR / "game_as_of.sql",
    inputs=("raw_nbac_schedule",),
    rows_due="scheduled_games",
    params=_as_of_params,
    description="the as-ofs of every scheduled game: the daily prediction time and just before tip",
)
sql_step(
    "injury_status",
    phase=3,
    sql_file=SQL_DIR / "injury_status.sql",
    inputs=("game_as_of", "raw_nbac_injury_report", "raw_bdl_injuries", "player_source_ids"),
    params=_injury_params,
    rows_due="never",
    description="every injury source merged by settings.injury_sources, as known at each as-of",
)
sql_step(
    "upcoming_team_game_context",
    phase=3,
    sql_file=SQL_DIR / "upcoming_team_game_context.sql",
    inputs=("raw_nbac_schedule", "game_as_of", "raw_oddsa_game_lines", "injury_status"),
    rows_due="scheduled_games",
    params=_book_params,
    description="team x scheduled game: spread, total, rest, recent load, players out",
)
sql_step(
    "upcoming_player_game_context",
    phase=3,
    sql_file=SQL_DIR / "upcoming_player_game_context.sql",
    inputs=(
        "game_as_of",
        "player_game_summary",
        "injury_status",
        "raw_nbac_player_list",
        "raw_oddsa_player_props",
        "upcoming_team_game_context",
    ),
    rows_due="scheduled_games",
    params=_book_params,
    description="player x scheduled game: injury, chosen line, opening line, rest, teammates out",
)


def _discrepancies(ctx: StepContext) -> int:
    from nbaprops.warehouse.sqlmodel import load_model, materialize

    wh = ctx.warehouse
    found = materialize(
        wh,
        "source_discrepancies",
        load_model(SQL_DIR / "source_discrepancies.sql"),
        start=ctx.start,
        end=ctx.end,
        params={"minutes_tolerance": MINUTES_TOLERANCE, "points_tolerance": POINTS_TOLERANCE},
    )
    with wh.transaction():
        wh.execute(
            "DELETE FROM data_quality WHERE check_name = 'box_score_source_discrepancy' "
            "AND game_date BETWEEN ? AND ?",
            [ctx.start, ctx.end],
        )
        wh.execute(
            "INSERT INTO data_quality (check_name, game_date, game_id, player_id, detail, severity, "
            "recorded_at) "
            "SELECT 'box_score_source_discrepancy', d.game_date, d.game_id, d.player_id, "
            "d.player_lookup || ': minutes ' || CAST(d.nbac_minutes AS VARCHAR) || ' vs ' || "
            "CAST(d.bdl_minutes AS VARCHAR) || ', points ' || CAST(d.nbac_pts AS VARCHAR) || ' vs ' || "
            "CAST(d.bdl_pts AS VARCHAR), 'warning', d.built_at "
            "FROM source_discrepancies AS d LEFT JOIN player_game_summary AS p "
            "ON p.game_id = d.game_id AND p.player_id = d.player_id "
            "WHERE d.game_date BETWEEN ? AND ?",
            [ctx.start, ctx.end],
        )
    if found:
        sample = wh.query_rows(
            "SELECT game_date, game_id, player_lookup, minutes_diff, pts_diff FROM source_discrepancies "
            "WHERE game_date BETWEEN ? AND ? ORDER BY game_date, game_id, player_lookup LIMIT 10",
            [ctx.start, ctx.end],
        )
        ctx.alerter.raise_alert(
            "box_score_source_discrepancy",
            f"{found} player-game(s) where NBA.com and Ball Don't Lie disagree on minutes or points "
            f"({ctx.start}..{ctx.end})",
            severity="warning",
            count=found,
            sample=json.loads(json.dumps(sample, default=str)),
        )
    return found


register(
    Step(
        "source_discrepancies",
        3,
        ("raw_nbac_player_boxscores", "raw_bdl_box_scores", "player_game_summary"),
        ("source_discrepancies", "data_quality"),
        _discrepancies,
        "never",
        "cross-source check of minutes and points; findings to data_quality and an alert",
    )
)
