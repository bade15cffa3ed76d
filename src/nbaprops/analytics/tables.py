"""Tables of the analytics phase (phase 3): game summaries, upcoming-game context, data quality.

Columns are declared one per line as ``name TYPE`` (``!``: NOT NULL). Every table has
``game_date`` (the build replaces a date range's rows) and ``built_at``.
"""

from __future__ import annotations

from nbaprops.warehouse.spec import Column, TableSpec


def _columns(block: str) -> tuple[Column, ...]:
    columns = []
    for line in block.split("\n"):
        if not line.strip():
            continue
        name, type_name = line.split()
        columns.append(Column(name, type_name.rstrip("!"), required=type_name.endswith("!")))
    return tuple(columns)


_SHOOTING = """
fgm INT64
fga INT64
fg2m INT64
fg2a INT64
fg3m INT64
fg3a INT64
ftm INT64
fta INT64
oreb INT64
dreb INT64
reb INT64
ast INT64
stl INT64
blk INT64
tov INT64
pf INT64
"""

PLAYER_GAME_SUMMARY = TableSpec(
    name="player_game_summary",
    description=(
        "One row per player per game, DNPs included (played false, with the reason). Box score from "
        "the preferred source of that team-game (settings.box_score_sources); usage rate from the "
        "team's totals in the same query; shot zones where play-by-play exists."
    ),
    key=("game_id", "player_id"),
    columns=_columns(
        """
game_date DATE!
game_id STRING!
season STRING
player_lookup STRING
player_id INT64!
player_name STRING
team STRING!
opponent STRING!
is_home BOOL!
played BOOL!
dnp_reason STRING
starter BOOL
minutes FLOAT64
pts INT64
"""
        + _SHOOTING
        + """
plus_minus INT64
ts_pct FLOAT64
efg_pct FLOAT64
usage_rate FLOAT64
paint_fgm INT64
paint_fga INT64
mid_fgm INT64
mid_fga INT64
three_fgm INT64
three_fga INT64
team_pts INT64
opponent_pts INT64
win BOOL
source STRING!
built_at TIMESTAMP!
"""
    ),
)

_TEAM_GAME = """
game_date DATE!
game_id STRING!
season STRING
team STRING!
opponent STRING!
is_home BOOL!
periods INT64
minutes FLOAT64
possessions FLOAT64
pace FLOAT64
"""

TEAM_OFFENSE_GAME_SUMMARY = TableSpec(
    name="team_offense_game_summary",
    description=(
        "One row per team per game, from the team's side: points, shooting, possessions "
        "(FGA - OREB + TOV + 0.44 FTA), pace (both teams' estimates averaged, per 48 minutes), "
        "offensive rating, points by zone, and the win flag (points above the opponent's)."
    ),
    key=("game_id", "team"),
    columns=_columns(
        _TEAM_GAME
        + """
pts INT64
"""
        + _SHOOTING
        + """
offensive_rating FLOAT64
paint_pts INT64
mid_pts INT64
three_pts INT64
ft_pts INT64
opponent_pts INT64
win BOOL!
source STRING
built_at TIMESTAMP!
"""
    ),
)

TEAM_DEFENSE_GAME_SUMMARY = TableSpec(
    name="team_defense_game_summary",
    description=(
        "One row per team per game, from the defence's side: what the opponent scored and shot, "
        "the opponent's possessions, defensive rating, and points allowed by zone."
    ),
    key=("game_id", "team"),
    columns=_columns(
        _TEAM_GAME
        + """
opp_pts INT64
opp_fgm INT64
opp_fga INT64
opp_fg3m INT64
opp_fg3a INT64
opp_ftm INT64
opp_fta INT64
opp_oreb INT64
opp_tov INT64
defensive_rating FLOAT64
paint_pts_allowed INT64
mid_pts_allowed INT64
three_pts_allowed INT64
ft_pts_allowed INT64
win BOOL!
built_at TIMESTAMP!
"""
    ),
)

PREDICTION_AS_OF = "prediction"
"""The as-of kind of the daily prediction (settings.prediction_time_et): what models learn on."""
PRETIP_AS_OF = "pretip"
"""The as-of kind of one second before tip."""

GAME_AS_OF = TableSpec(
    name="game_as_of",
    description=(
        "The as-ofs each scheduled game is built for, one row per game per kind: 'prediction' (the "
        "daily prediction time, settings.prediction_time_et, or just before tip when the game tips "
        "earlier) and 'pretip' (one second before tip). Every context and feature row is built for "
        "one of them and uses only what was published at or before its as_of."
    ),
    key=("game_id", "as_of_kind"),
    columns=_columns("""
game_date DATE!
game_id STRING!
season STRING
tip_utc TIMESTAMP
home_team STRING!
away_team STRING!
as_of_kind STRING!
as_of TIMESTAMP!
built_at TIMESTAMP!
"""),
)

INJURY_STATUS = TableSpec(
    name="injury_status",
    description=(
        "Every injury source merged: one status per listed player per scheduled game per as-of "
        "(game_as_of), from each source's latest report published at or before the as_of, the "
        "first source of settings.injury_sources winning when several list the player."
    ),
    key=("game_id", "player_id", "as_of_kind"),
    columns=_columns("""
game_date DATE!
game_id STRING!
as_of_kind STRING!
as_of TIMESTAMP!
team STRING!
player_id INT64!
player_lookup STRING
player_name STRING
status STRING
reason STRING
source STRING!
published_at TIMESTAMP!
built_at TIMESTAMP!
"""),
)

UPCOMING_PLAYER_GAME_CONTEXT = TableSpec(
    name="upcoming_player_game_context",
    description=(
        "One row per rostered player per scheduled game of a date per as-of (game_as_of; OUT players "
        "excluded), using only games before the date and snapshots published at or before the as_of: "
        "injury status, the chosen points line (latest snapshot at the as_of, book priority; "
        "`line_listed` false when no listed book had one and another book's stands in), opening line "
        "and movement, game spread and total, rest, back-to-back, recent load, teammates out."
    ),
    key=("game_id", "player_id", "as_of_kind"),
    columns=_columns("""
game_date DATE!
game_id STRING!
as_of_kind STRING!
as_of TIMESTAMP!
season STRING
tip_utc TIMESTAMP
player_lookup STRING
player_id INT64!
player_name STRING
team STRING!
opponent STRING!
is_home BOOL!
injury_status STRING
injury_reason STRING
injury_report_at TIMESTAMP
points_line FLOAT64
line_book STRING
line_listed BOOL
line_snapshot_at TIMESTAMP
over_price INT64
under_price INT64
opening_line FLOAT64
opening_book STRING
opening_snapshot_at TIMESTAMP
line_movement FLOAT64
team_spread FLOAT64
game_total FLOAT64
days_rest INT64
back_to_back BOOL
games_last_7 INT64
games_last_14 INT64
minutes_last_7 FLOAT64
minutes_last_14 FLOAT64
teammates_out INT64
teammates_out_names STRING
built_at TIMESTAMP!
"""),
)

UPCOMING_TEAM_GAME_CONTEXT = TableSpec(
    name="upcoming_team_game_context",
    description=(
        "One row per team per scheduled game of a date per as-of (game_as_of): opponent, home/away, "
        "spread and total (latest snapshot at the as_of, book priority), rest, back-to-back, games in "
        "the last 7/14 days, players out at the as_of."
    ),
    key=("game_id", "team", "as_of_kind"),
    columns=_columns("""
game_date DATE!
game_id STRING!
as_of_kind STRING!
as_of TIMESTAMP!
season STRING
tip_utc TIMESTAMP
team STRING!
opponent STRING!
is_home BOOL!
team_spread FLOAT64
game_total FLOAT64
lines_book STRING
lines_snapshot_at TIMESTAMP
days_rest INT64
back_to_back BOOL
games_last_7 INT64
games_last_14 INT64
players_out INT64
built_at TIMESTAMP!
"""),
)

SOURCE_DISCREPANCIES = TableSpec(
    name="source_discrepancies",
    description=(
        "One row per player-game where NBA.com and Ball Don't Lie disagree on minutes or points by "
        "more than the tolerance (each also recorded in data_quality and alerted)."
    ),
    key=("game_id", "player_id"),
    columns=_columns("""
game_date DATE!
game_id STRING!
player_id INT64!
player_lookup STRING
team STRING
nbac_minutes FLOAT64
bdl_minutes FLOAT64
nbac_pts INT64
bdl_pts INT64
minutes_diff FLOAT64
pts_diff INT64
built_at TIMESTAMP!
"""),
)

DATA_QUALITY = TableSpec(
    name="data_quality",
    description="Data-quality findings of the build (check name, where, what, how bad).",
    key=("check_name", "game_date", "game_id", "player_id", "detail"),
    columns=_columns("""
check_name STRING!
game_date DATE
game_id STRING
player_id INT64
detail STRING
severity STRING!
recorded_at TIMESTAMP!
"""),
)

ANALYTICS_TABLES: tuple[TableSpec, ...] = (
    PLAYER_GAME_SUMMARY,
    TEAM_OFFENSE_GAME_SUMMARY,
    TEAM_DEFENSE_GAME_SUMMARY,
    GAME_AS_OF,
    INJURY_STATUS,
    UPCOMING_PLAYER_GAME_CONTEXT,
    UPCOMING_TEAM_GAME_CONTEXT,
    SOURCE_DISCREPANCIES,
    DATA_QUALITY,
)
