"""Tables of the player registry, name resolution and game matching.

* ``player_registry``: one row per canonical player; ``player_id`` is NBA.com's PERSON_ID. Filled
  from NBA.com's player index and box scores, the two feeds that carry that id.
* ``player_source_ids``: every (source, source player id) the identity step has matched, with the
  method it used, so a later run resolves it by id. Sources without player ids (the injury PDF,
  sportsbooks) are keyed ``name:<player_lookup>@<team or both game teams>``.
* ``unresolved_names``: names no method could match (or that matched two players). A row stays
  while raw rows still carry the name without a ``player_id``, and is removed once they resolve.
* ``unmatched_games``: rows of sources without NBA.com game ids whose (date, home, away) matches no
  scheduled game.
"""

from __future__ import annotations

from nbaprops.warehouse.spec import Column, TableSpec

PLAYER_REGISTRY = TableSpec(
    name="player_registry",
    description="Canonical players: NBA.com PERSON_ID, display name, latest team, when first/last seen.",
    key=("player_id",),
    columns=(
        Column("player_id", "INT64", required=True),
        Column("display_name", "STRING", required=True),
        Column("player_lookup", "STRING", required=True),
        Column("team", "STRING"),
        Column("first_seen", "DATE"),  # first game date in a box score (NULL: roster only)
        Column("last_seen", "DATE"),
        Column("source", "STRING", required=True),  # raw table the display name and team come from
    ),
)

PLAYER_SOURCE_IDS = TableSpec(
    name="player_source_ids",
    description="Source player ids (or name keys for sources without ids) matched to a registry player.",
    key=("source", "source_player_id"),
    columns=(
        Column("source", "STRING", required=True),  # bdl | nbacom | oddsapi
        Column("source_player_id", "STRING", required=True),
        Column("player_id", "INT64", required=True),
        Column("method", "STRING", required=True),  # alias | exact_lookup | … (players.METHODS)
        Column("resolved_at", "TIMESTAMP", required=True),
    ),
)

UNRESOLVED_NAMES = TableSpec(
    name="unresolved_names",
    description="Player names that resolved to no single registry player; alerted, never dropped.",
    key=("source", "player_lookup", "team"),
    columns=(
        Column("source", "STRING", required=True),
        Column("player_name", "STRING", required=True),
        Column("player_lookup", "STRING", required=True),
        Column("team", "STRING"),
        Column("game_date", "DATE"),  # latest game date the name appeared on
        Column("first_seen_at", "TIMESTAMP", required=True),
        Column("last_seen_at", "TIMESTAMP", required=True),
        Column("occurrences", "INT64", required=True),  # raw rows carrying the name, as of last_seen_at
        Column("context", "JSON"),  # reason, candidate ids, raw tables, source player id
    ),
)

UNMATCHED_GAMES = TableSpec(
    name="unmatched_games",
    description="Games of sources without NBA.com ids that match no scheduled (date, home, away).",
    key=("raw_table", "game_date", "home_team", "away_team"),
    columns=(
        Column("raw_table", "STRING", required=True),
        Column("game_date", "DATE"),
        Column("home_team", "STRING"),
        Column("away_team", "STRING"),
        Column("first_seen_at", "TIMESTAMP", required=True),
        Column("last_seen_at", "TIMESTAMP", required=True),
        Column("occurrences", "INT64", required=True),  # raw rows without a game_id, as of last_seen_at
    ),
)

IDENTITY_TABLES: tuple[TableSpec, ...] = (
    PLAYER_REGISTRY,
    PLAYER_SOURCE_IDS,
    UNRESOLVED_NAMES,
    UNMATCHED_GAMES,
)
