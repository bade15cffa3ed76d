"""Phase 2's raw tables: one per loaded payload kind, at the source's grain.

Every table ends with the provenance columns ``source_file`` (the lake path), ``payload_sha256``,
``fetched_at`` (when the payload was fetched: it decides which of two payloads is newer) and
``loaded_at``. Tables with player rows also carry ``player_id`` next to ``player_name``,
``player_lookup`` and ``player_source_id``; it is NULL when loaded and filled later by the identity
step from the player registry. Tables whose source has no NBA.com game id carry a nullable
``game_id`` that the identity step fills by (date, home, away).

Two write modes (``LOAD_RULES``):

* ``merge``: MERGE by the natural key; loading the same payload again changes nothing.
* ``append``: time series (odds, injuries). ``snapshot_at`` is part of the key, taken from the
  payload's own snapshot field or, for live payloads without one, from the lake object's
  ``fetched_at``, so each new snapshot adds rows.

In both modes a stored row is replaced only by a row of a newer payload: greater
``(fetched_at, payload_sha256, source_file)``. The newest fetch wins whatever the order in which
payloads are delivered (an 11:00 scrape ingested after the evening one never turns final games
back into scheduled ones); the hash and path only break ties, so that a tie is decided the same
way every time.

Columns are declared one per line as ``name TYPE`` (``!`` after the type: NOT NULL). The parser
fields ``source`` and ``kind`` are not stored: the table name says both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nbaprops.warehouse.spec import Column, TableSpec

WriteMode = Literal["merge", "append"]
PROVENANCE = ("source_file", "payload_sha256", "fetched_at", "loaded_at")
VERSION = ("fetched_at", "payload_sha256", "source_file")
"""What orders two payloads' rows of one key: the newer fetch wins (hash and path break ties)."""
IGNORED_FIELDS = frozenset({"source", "kind", "next_cursor"})
"""Parser fields that are not stored (constant per table, or paging state)."""


@dataclass(frozen=True)
class LoadRule:
    """How rows reach a raw table."""

    mode: WriteMode
    snapshot_field: str | None = None
    """Append tables: the parser field holding the snapshot time (None: use the lake's fetched_at)."""
    filled_later: tuple[str, ...] = ()
    """Columns the identity step fills; loads never write them, so a reload keeps its work."""


def _columns(block: str) -> tuple[Column, ...]:
    columns = []
    for line in block.split("\n"):
        if not line.strip():
            continue
        name, type_name = line.split()
        columns.append(Column(name, type_name.rstrip("!"), required=type_name.endswith("!")))
    columns += [
        Column("source_file", "STRING", required=True),
        Column("payload_sha256", "STRING", required=True),
        Column("fetched_at", "TIMESTAMP", required=True),
        Column("loaded_at", "TIMESTAMP", required=True),
    ]
    return tuple(columns)


_BOX_STATS = """
played BOOL
minutes FLOAT64
fgm INT64
fga INT64
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
pts INT64
fg_pct FLOAT64
fg3_pct FLOAT64
ft_pct FLOAT64
plus_minus INT64
"""

_ODDS_EVENT = """
snapshot_at TIMESTAMP!
event_id STRING!
game_id STRING
commence_time TIMESTAMP!
game_date DATE!
season STRING
home_team STRING
away_team STRING
home_team_name STRING
away_team_name STRING
snapshot_timestamp TIMESTAMP
previous_timestamp TIMESTAMP
next_timestamp TIMESTAMP
started_before_snapshot BOOL
"""

NBAC_SCHEDULE = TableSpec(
    name="raw_nbac_schedule",
    description="NBA.com league schedule: one row per game of the season (status, tip, teams, score).",
    key=("game_id",),
    columns=_columns("""
game_id STRING!
game_code STRING
season STRING
season_year STRING
season_type STRING
game_date DATE!
tip_utc TIMESTAMP
status INT64
status_text STRING
periods INT64
game_label STRING
game_sub_label STRING
game_subtype STRING
series_text STRING
is_neutral BOOL
home_team STRING
home_team_id INT64
home_source_code STRING
home_score INT64
away_team STRING
away_team_id INT64
away_source_code STRING
away_score INT64
is_nba_matchup BOOL
points_leaders_count INT64
points_leader_id INT64
points_leader_name STRING
points_leader_lookup STRING
points_leader_points INT64
"""),
)

NBAC_SCOREBOARD = TableSpec(
    name="raw_nbac_scoreboard",
    description="NBA.com scoreboardV2: one row per game of a date with status and line score.",
    key=("game_id",),
    columns=_columns("""
game_id STRING!
game_code STRING
game_date DATE!
season STRING
game_sequence INT64
status INT64
status_text STRING
periods INT64
ot_periods INT64
national_tv STRING
arena STRING
home_team STRING
home_team_id INT64
home_source_code STRING
home_q1 INT64
home_q2 INT64
home_q3 INT64
home_q4 INT64
home_ot INT64
home_ot1 INT64
home_pts INT64
away_team STRING
away_team_id INT64
away_source_code STRING
away_q1 INT64
away_q2 INT64
away_q3 INT64
away_q4 INT64
away_ot INT64
away_ot1 INT64
away_pts INT64
"""),
)

NBAC_PLAYER_BOXSCORES = TableSpec(
    name="raw_nbac_player_boxscores",
    description="NBA.com leaguegamelog: one row per player per game (the primary box-score source).",
    key=("game_id", "player_source_id"),
    columns=_columns(
        """
game_id STRING!
source_game_id STRING
game_date DATE!
season STRING
season_id STRING
team STRING
team_source_code STRING
team_id INT64
opponent STRING
is_home BOOL
matchup STRING
wl STRING
player_id INT64
player_source_id INT64!
player_name STRING
player_lookup STRING
"""
        + _BOX_STATS
    ),
)

NBAC_PLAYER_LIST = TableSpec(
    name="raw_nbac_player_list",
    description="NBA.com playerindex: one row per rostered player per season (team, bio, draft).",
    key=("season", "player_source_id"),
    columns=_columns("""
season STRING!
player_id INT64
player_source_id INT64!
first_name STRING
last_name STRING
player_name STRING
player_lookup STRING
player_slug STRING
team STRING
team_id INT64
team_source_code STRING
jersey_number STRING
position STRING
height STRING
weight STRING
college STRING
country STRING
draft_year INT64
draft_round INT64
draft_number INT64
roster_status INT64
from_year STRING
to_year STRING
pts FLOAT64
reb FLOAT64
ast FLOAT64
"""),
)

NBAC_INJURY_REPORT = TableSpec(
    name="raw_nbac_injury_report",
    description=(
        "NBA.com official injury report (append-only): one row per player (or per team NOT YET "
        "SUBMITTED) per game per published report; snapshot_at is the report's publication time."
    ),
    key=("snapshot_at", "game_date", "matchup", "team", "player_lookup"),
    columns=_columns("""
snapshot_at TIMESTAMP!
report_time_et STRING
report_time_utc TIMESTAMP
game_date DATE!
game_id STRING
season STRING
game_time_et STRING
tip_utc TIMESTAMP
matchup STRING!
away_team STRING
home_team STRING
team STRING!
team_name STRING
is_home BOOL
player_id INT64
player_name_source STRING
player_name STRING
player_lookup STRING
status STRING
reason STRING
reason_category STRING
page INT64
"""),
)

NBAC_PBP_SHOTS = TableSpec(
    name="raw_nbac_pbp_shots",
    description="NBA.com liveData play-by-play: one row per shot attempt or free throw.",
    key=("game_id", "action_number"),
    columns=_columns("""
game_id STRING!
order_number INT64
action_number INT64!
period INT64
period_type STRING
clock_seconds FLOAT64
team STRING
team_source_code STRING
side STRING
player_id INT64
player_source_id INT64
player_name STRING
player_lookup STRING
action_type STRING
sub_type STRING
descriptor STRING
area STRING
zone STRING
shot_distance FLOAT64
made BOOL
points INT64
points_total INT64
score_home INT64
score_away INT64
"""),
)

_BDL_GAME = """
game_id STRING
source_game_id STRING!
game_date DATE!
season STRING
tip_utc TIMESTAMP
status STRING
period INT64
postseason BOOL
home_team STRING
visitor_team STRING
home_score INT64
home_q1 INT64
home_q2 INT64
home_q3 INT64
home_q4 INT64
home_ot INT64
visitor_score INT64
visitor_q1 INT64
visitor_q2 INT64
visitor_q3 INT64
visitor_q4 INT64
visitor_ot INT64
periods INT64
"""

BDL_GAMES = TableSpec(
    name="raw_bdl_games",
    description="Ball Don't Lie games: one row per game (scheduled, live or final) with its line score.",
    key=("source_game_id",),
    columns=_columns(
        _BDL_GAME
        + """
is_final BOOL
home_team_source_id INT64
visitor_team_source_id INT64
"""
    ),
)

BDL_BOX_SCORES = TableSpec(
    name="raw_bdl_box_scores",
    description="Ball Don't Lie box scores: one row per player per game, DNPs kept (played false).",
    key=("source_game_id", "player_source_id"),
    columns=_columns(
        _BDL_GAME
        + """
player_id INT64
player_source_id INT64!
player_name STRING
player_lookup STRING
position STRING
team STRING
opponent STRING
is_home BOOL
team_source_id INT64
team_score INT64
opponent_score INT64
"""
        + _BOX_STATS
    ),
)

BDL_INJURIES = TableSpec(
    name="raw_bdl_injuries",
    description=(
        "Ball Don't Lie player injuries (append-only): one row per player note per fetch; "
        "snapshot_at is when the lake fetched the page (the payload has no time of its own)."
    ),
    key=("snapshot_at", "player_source_id"),
    columns=_columns("""
snapshot_at TIMESTAMP!
player_id INT64
player_source_id INT64!
player_name STRING
player_lookup STRING
team STRING
team_source_id INT64
status STRING
return_date_text STRING
return_month INT64
return_day INT64
note_date_text STRING
note_month INT64
note_day INT64
description STRING
"""),
)

BDL_PLAYERS = TableSpec(
    name="raw_bdl_players",
    description="Ball Don't Lie active players: one row per player (team, bio, draft); the latest load wins.",
    key=("player_source_id",),
    columns=_columns("""
player_id INT64
player_source_id INT64!
first_name STRING
last_name STRING
player_name STRING
player_lookup STRING
team STRING
team_source_id INT64
position STRING
height STRING
weight_lb INT64
jersey_number STRING
college STRING
country STRING
draft_year INT64
draft_round INT64
draft_number INT64
"""),
)

BDL_TEAMS = TableSpec(
    name="raw_bdl_teams",
    description="Ball Don't Lie teams: one row per franchise id, with its NBA.com tricode (null if defunct).",
    key=("team_source_id",),
    columns=_columns("""
team_source_id INT64!
team STRING
abbreviation STRING
city STRING
name STRING
full_name STRING
conference STRING
division STRING
"""),
)

ODDSA_EVENTS = TableSpec(
    name="raw_oddsa_events",
    description="The Odds API events (append-only): one row per event per snapshot.",
    key=("snapshot_at", "event_id"),
    columns=_columns(_ODDS_EVENT),
)

ODDSA_GAME_LINES = TableSpec(
    name="raw_oddsa_game_lines",
    description="The Odds API game lines (append-only): one row per snapshot x book x market x outcome.",
    key=("snapshot_at", "event_id", "book", "market", "outcome_name", "point"),
    columns=_columns(
        _ODDS_EVENT
        + """
book STRING!
book_title STRING
bookmaker_last_update TIMESTAMP
market STRING!
market_last_update TIMESTAMP
outcome_name STRING!
side STRING
team STRING
point FLOAT64
price FLOAT64
price_format STRING
price_decimal FLOAT64
price_american INT64
implied_probability FLOAT64
in_play BOOL
"""
    ),
)

ODDSA_PLAYER_PROPS = TableSpec(
    name="raw_oddsa_player_props",
    description=(
        "The Odds API player props (append-only): one row per snapshot x book x market x player x "
        "line, Over and Under side by side with implied and no-vig probabilities."
    ),
    key=("snapshot_at", "event_id", "book", "market", "player_lookup", "point"),
    columns=_columns(
        _ODDS_EVENT
        + """
book STRING!
book_title STRING
market STRING!
last_update TIMESTAMP
player_id INT64
player_name STRING
player_lookup STRING!
point FLOAT64!
price_format STRING
over_price INT64
under_price INT64
over_price_decimal FLOAT64
under_price_decimal FLOAT64
over_implied FLOAT64
under_implied FLOAT64
overround FLOAT64
over_no_vig FLOAT64
under_no_vig FLOAT64
"""
    ),
)

ESPN_SCOREBOARD = TableSpec(
    name="raw_espn_scoreboard",
    description="ESPN scoreboard: one row per game (ET date, tricodes, scores, quarters, points leaders).",
    key=("source_game_id",),
    columns=_columns("""
game_id STRING
source_game_id STRING!
game_date DATE!
season STRING
season_type INT64
tip_utc TIMESTAMP
name STRING
short_name STRING
status STRING
completed BOOL
period INT64
home_team STRING
home_abbr STRING
home_team_source_id STRING
home_team_name STRING
home_score INT64
home_q1 INT64
home_q2 INT64
home_q3 INT64
home_q4 INT64
home_ot INT64
home_points_leader STRING
home_points_leader_lookup STRING
home_points_leader_pts INT64
away_team STRING
away_abbr STRING
away_team_source_id STRING
away_team_name STRING
away_score INT64
away_q1 INT64
away_q2 INT64
away_q3 INT64
away_q4 INT64
away_ot INT64
away_points_leader STRING
away_points_leader_lookup STRING
away_points_leader_pts INT64
periods INT64
"""),
)

LOADED_PAYLOADS = TableSpec(
    name="loaded_payloads",
    description=(
        "Every (payload, kind) an ingest run has handled, with its outcome: re-ingesting skips "
        "what is listed here, so running an ingest twice changes nothing. run_id names the "
        "run_ledger row of the run that handled it."
    ),
    key=("payload_sha256", "kind"),
    columns=(
        Column("payload_sha256", "STRING", required=True),
        Column("kind", "STRING", required=True),
        Column("lake_path", "STRING", required=True),
        Column("raw_table", "STRING"),
        Column("status", "STRING", required=True),  # loaded | unchanged | quarantined
        Column("rows_in", "INT64"),
        Column("rows_written", "INT64"),
        Column("run_id", "STRING"),
        Column("loaded_at", "TIMESTAMP", required=True),
    ),
)

RAW_TABLES: tuple[TableSpec, ...] = (
    NBAC_SCHEDULE,
    NBAC_SCOREBOARD,
    NBAC_PLAYER_BOXSCORES,
    NBAC_PLAYER_LIST,
    NBAC_INJURY_REPORT,
    NBAC_PBP_SHOTS,
    BDL_GAMES,
    BDL_BOX_SCORES,
    BDL_INJURIES,
    BDL_PLAYERS,
    BDL_TEAMS,
    ODDSA_EVENTS,
    ODDSA_GAME_LINES,
    ODDSA_PLAYER_PROPS,
    ESPN_SCOREBOARD,
    LOADED_PAYLOADS,
)

_PLAYER = ("player_id",)
_GAME = ("game_id",)
LOAD_RULES: dict[str, LoadRule] = {
    NBAC_SCHEDULE.name: LoadRule("merge"),
    NBAC_SCOREBOARD.name: LoadRule("merge"),
    NBAC_PLAYER_BOXSCORES.name: LoadRule("merge", filled_later=_PLAYER),
    NBAC_PLAYER_LIST.name: LoadRule("merge", filled_later=_PLAYER),
    NBAC_INJURY_REPORT.name: LoadRule("append", "report_time_utc", filled_later=_PLAYER + _GAME),
    NBAC_PBP_SHOTS.name: LoadRule("merge", filled_later=_PLAYER),
    BDL_GAMES.name: LoadRule("merge", filled_later=_GAME),
    BDL_BOX_SCORES.name: LoadRule("merge", filled_later=_PLAYER + _GAME),
    BDL_INJURIES.name: LoadRule("append", None, filled_later=_PLAYER),
    BDL_PLAYERS.name: LoadRule("merge", filled_later=_PLAYER),
    BDL_TEAMS.name: LoadRule("merge"),
    ODDSA_EVENTS.name: LoadRule("append", "snapshot_timestamp", filled_later=_GAME),
    ODDSA_GAME_LINES.name: LoadRule("append", "snapshot_timestamp", filled_later=_GAME),
    ODDSA_PLAYER_PROPS.name: LoadRule("append", "snapshot_timestamp", filled_later=_PLAYER + _GAME),
    ESPN_SCOREBOARD.name: LoadRule("merge", filled_later=_GAME),
}
"""Write mode and snapshot source of every raw table (a test checks every table has one)."""
