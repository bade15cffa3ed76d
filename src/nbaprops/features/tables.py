"""Tables of the features phase (phase 4): precompute tables and the point-in-time feature store.

Every row describes a game date D using only games strictly before D and injury/odds snapshots
taken before the game's tip. ``analysis_date``/``cache_date``/``game_date`` is D itself.
"""

from __future__ import annotations

from nbaprops.features.contract import FEATURES
from nbaprops.warehouse.spec import Column, TableSpec


def _columns(block: str) -> tuple[Column, ...]:
    out = []
    for line in block.split("\n"):
        if line.strip():
            name, type_name = line.split()
            out.append(Column(name, type_name.rstrip("!"), required=type_name.endswith("!")))
    return tuple(out)


TEAM_DEFENSE_ZONE_ANALYSIS = TableSpec(
    name="team_defense_zone_analysis",
    description=(
        "Per team and game date D: its defence over its last 15 games before D — FG% allowed by zone "
        "(two, three) and vs the league over the same window, defensive rating, points allowed, pace."
    ),
    key=("team", "analysis_date"),
    columns=_columns("""
team STRING!
analysis_date DATE!
games_in_window INT64!
opp_points_per_game FLOAT64
def_rating FLOAT64
pace FLOAT64
opp_two_fg_pct FLOAT64
opp_three_fg_pct FLOAT64
league_two_fg_pct FLOAT64
league_three_fg_pct FLOAT64
league_pace FLOAT64
two_pct_vs_league FLOAT64
three_pct_vs_league FLOAT64
weakest_zone STRING
"""),
)

PLAYER_SHOT_ZONE_ANALYSIS = TableSpec(
    name="player_shot_zone_analysis",
    description=(
        "Per player and game date D: shot profile over his last 10 games played before D — share of "
        "field-goal attempts by zone, FG% by zone, free-throw rate, primary zone."
    ),
    key=("player_id", "analysis_date"),
    columns=_columns("""
player_id INT64!
analysis_date DATE!
games_in_window INT64!
fga_per_game FLOAT64
share_two FLOAT64
share_three FLOAT64
fta_per_fga FLOAT64
two_fg_pct FLOAT64
three_fg_pct FLOAT64
primary_zone STRING
"""),
)

PLAYER_COMPOSITE_FACTORS = TableSpec(
    name="player_composite_factors",
    description=(
        "Per player, game date and as-of kind (game_as_of): rest/load inputs and the four composite "
        "factors (fatigue 0-100, higher = fresher; zone mismatch; pace; usage spike), see "
        "features/composite.py. Only the usage spike depends on the as-of (who is out then)."
    ),
    key=("player_id", "game_date", "as_of_kind"),
    columns=_columns("""
player_id INT64!
game_date DATE!
as_of_kind STRING!
game_id STRING
team STRING
opponent STRING
days_rest FLOAT64
back_to_back FLOAT64
games_in_last_7_days FLOAT64
minutes_load_last_7d FLOAT64
back_to_backs_last_14 FLOAT64
fatigue_score FLOAT64
team_days_rest FLOAT64
opponent_days_rest FLOAT64
rest_advantage FLOAT64
opponent_pace FLOAT64
league_pace FLOAT64
pace_score FLOAT64
share_two FLOAT64
share_three FLOAT64
opp_two_delta FLOAT64
opp_three_delta FLOAT64
shot_zone_mismatch_score FLOAT64
usage_rate_last_10 FLOAT64
out_usage_load FLOAT64
star_teammates_out FLOAT64
usage_spike_score FLOAT64
"""),
)

PLAYER_DAILY_CACHE = TableSpec(
    name="player_daily_cache",
    description=(
        "Per player and game date D: his history before D in one row (scoring, minutes, usage, "
        "team context), so phase 5 reads one row instead of re-querying the season."
    ),
    key=("player_id", "cache_date"),
    columns=_columns("""
player_id INT64!
cache_date DATE!
game_id STRING
team STRING
opponent STRING
is_home BOOL
games_played INT64!
last_game_date DATE
points_avg_last_3 FLOAT64
points_avg_last_5 FLOAT64
points_avg_last_10 FLOAT64
points_avg_season FLOAT64
points_std_last_10 FLOAT64
points_std_season FLOAT64
pts_slope_10g FLOAT64
ppm_avg_last_10 FLOAT64
pct_free_throw FLOAT64
minutes_avg_last_5 FLOAT64
minutes_avg_last_10 FLOAT64
minutes_std_last_10 FLOAT64
minutes_avg_season FLOAT64
usage_rate_last_10 FLOAT64
dnp_rate_last_10 FLOAT64
avg_points_vs_opponent FLOAT64
games_vs_opponent INT64
team_games INT64
team_pace FLOAT64
team_off_rating FLOAT64
team_win_pct FLOAT64
"""),
)

PLAYER_TEAMMATE_ABSENCE = TableSpec(
    name="player_teammate_absence",
    description=(
        "Per player, game date D and as-of kind: teammates listed Out or Doubtful in the merged "
        "injury status at that as-of, and the minutes and usage load (usage% x minutes / 240) they "
        "averaged per team game over the team's last 10 games before D."
    ),
    key=("player_id", "game_date", "as_of_kind"),
    columns=_columns("""
player_id INT64!
game_date DATE!
as_of_kind STRING!
game_id STRING
team STRING
teammates_listed_out INT64!
team_games_in_window INT64!
teammates_out_minutes FLOAT64
teammates_out_usage FLOAT64
"""),
)

PLAYER_ZONE_MATCHUP = TableSpec(
    name="player_zone_matchup",
    description=(
        "Per player and game date D, from play-by-play before D: his shot mix (paint, mid-range, corner "
        "three, above-the-break three) over his last 10 games, the opponent's FG% allowed per zone over "
        "its last 15 games vs the league's, and the points per game that matchup is worth. NULL "
        "values where no play-by-play is loaded."
    ),
    key=("player_id", "game_date"),
    columns=_columns("""
player_id INT64!
game_date DATE!
game_id STRING
team STRING
opponent STRING
games_in_window INT64!
fga_per_game FLOAT64
share_paint FLOAT64
share_mid FLOAT64
share_corner3 FLOAT64
share_above_break3 FLOAT64
opp_paint_vs_league FLOAT64
opp_mid_vs_league FLOAT64
opp_corner3_vs_league FLOAT64
opp_above_break3_vs_league FLOAT64
zone_points_delta FLOAT64
"""),
)

FEATURE_STORE = TableSpec(
    name="feature_store",
    description=(
        "The point-in-time feature store: one row per player x game date x as-of kind x "
        "feature_version (as_of_kind 'prediction': the daily prediction time; 'pretip': just before "
        "tip; as_of: the instant, nothing published after it is used), one column per contract "
        "feature, per-feature source/quality (JSON), a quality score, the count of required "
        "features that fell back to defaults, and whether the row is predictable (with the reason "
        "when not)."
    ),
    key=("player_id", "game_date", "as_of_kind", "feature_version"),
    columns=(
        Column("player_id", "INT64", required=True),
        Column("game_date", "DATE", required=True),
        Column("as_of_kind", "STRING", required=True),
        Column("feature_version", "STRING", required=True),
        Column("game_id", "STRING"),
        Column("team", "STRING"),
        Column("opponent", "STRING"),
        Column("as_of", "TIMESTAMP", required=True),
        *(Column(f.name, "FLOAT64") for f in FEATURES),
        Column("quality_score", "FLOAT64", required=True),
        Column("defaulted_required_count", "INT64", required=True),
        Column("predictable", "BOOL", required=True),
        Column("unpredictable_reason", "STRING"),
        Column("feature_sources", "JSON", required=True),
    ),
)

FEATURES_TABLES: tuple[TableSpec, ...] = (
    TEAM_DEFENSE_ZONE_ANALYSIS,
    PLAYER_SHOT_ZONE_ANALYSIS,
    PLAYER_COMPOSITE_FACTORS,
    PLAYER_DAILY_CACHE,
    PLAYER_TEAMMATE_ABSENCE,
    PLAYER_ZONE_MATCHUP,
    FEATURE_STORE,
)
