"""stats.nba.com ``playerindex``: one row per rostered player of a season.

Suffixes live inside the last name ("Butler III", once "Miličić, Jr."), so the display name is
"First Last" with the last name kept whole. ``PTS/REB/AST`` are null before a season starts. A
well-formed index with no rows would mean a league without players, so it is drift, not data.
"""

from __future__ import annotations

import re
from typing import Any

from nbaprops.dates import season_start_of
from nbaprops.errors import ConfigError, SchemaDrift
from nbaprops.identity import UnknownTeam, player_lookup, tricode_from_nba_id
from nbaprops.raw.stats_envelope import (
    decode_json,
    opt_float,
    opt_int,
    opt_str,
    req_int,
    req_str,
    require_keys,
    require_object,
    rows,
)

KIND = "nbac_player_list"
DESCRIPTION = "NBA.com playerindex: every rostered player with team, position and draft data"
RESULT_SET = "PlayerIndex"
EXPECTED_HEADERS = (
    "PERSON_ID",
    "PLAYER_LAST_NAME",
    "PLAYER_FIRST_NAME",
    "PLAYER_SLUG",
    "TEAM_ID",
    "TEAM_SLUG",
    "TEAM_CITY",
    "TEAM_NAME",
    "TEAM_ABBREVIATION",
    "JERSEY_NUMBER",
    "POSITION",
    "HEIGHT",
    "WEIGHT",
    "COLLEGE",
    "COUNTRY",
    "DRAFT_YEAR",
    "DRAFT_ROUND",
    "DRAFT_NUMBER",
    "ROSTER_STATUS",
    "FROM_YEAR",
    "TO_YEAR",
    "PTS",
    "REB",
    "AST",
)
_SUFFIX_COMMA = re.compile(r",\s*(Jr\.?|Sr\.?|II|III|IV|V)$")


def parse(payload: bytes) -> list[dict[str, object]]:
    """One row per player: ids, names (display and lookup), team tricode, bio and draft fields."""
    document = decode_json(payload, KIND)
    raw_rows = rows(document, RESULT_SET, EXPECTED_HEADERS, KIND)
    if not raw_rows:
        raise SchemaDrift(f"{KIND}: the player index is empty")
    season = _season(document)
    parsed = [_player(raw, index, season) for index, raw in enumerate(raw_rows)]
    ids = [row["player_source_id"] for row in parsed]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: a PERSON_ID appears twice")
    return parsed


def _season(document: Any) -> str:
    """The season the index was asked for, echoed in ``parameters`` (the rows do not carry it)."""
    root = require_object(document, KIND, "the document")
    parameters = require_object(root.get("parameters"), KIND, "parameters")
    require_keys(parameters, ("Season",), KIND, "parameters")
    season = req_str(parameters, "Season", KIND)
    try:
        season_start_of(season)
    except ConfigError:
        raise SchemaDrift(f"{KIND}: parameters.Season {season!r} is not a season like 2025-26") from None
    return season


def _player(raw: dict[str, Any], index: int, season: str) -> dict[str, object]:
    where = f"{KIND} row {index}"
    first = opt_str(raw, "PLAYER_FIRST_NAME", KIND) or ""
    last = req_str(raw, "PLAYER_LAST_NAME", KIND)
    # "Miličić, Jr." -> "Miličić Jr.": the comma belongs to "Last, First" forms, not display names
    plain_last = _SUFFIX_COMMA.sub(r" \1", last)
    display = f"{first} {plain_last}".strip()
    team_id = opt_int(raw, "TEAM_ID", KIND)
    team: str | None = None
    if team_id:  # 0 or null: a player without a team (free agent in a historical index)
        try:
            team = tricode_from_nba_id(team_id)
        except UnknownTeam:
            raise SchemaDrift(f"{where}: TEAM_ID {team_id} is not an NBA franchise") from None
        abbreviation = opt_str(raw, "TEAM_ABBREVIATION", KIND)
        if abbreviation != team:
            raise SchemaDrift(f"{where}: TEAM_ABBREVIATION {abbreviation!r} disagrees with id {team_id}")
    return {
        "source": "nbacom",
        "kind": KIND,
        "season": season,
        "player_source_id": req_int(raw, "PERSON_ID", KIND, minimum=1),
        "first_name": first,
        "last_name": last,
        "player_name": display,
        "player_lookup": player_lookup(display),
        "player_slug": opt_str(raw, "PLAYER_SLUG", KIND),
        "team": team,
        "team_id": team_id or None,
        "team_source_code": opt_str(raw, "TEAM_ABBREVIATION", KIND),
        "jersey_number": opt_str(raw, "JERSEY_NUMBER", KIND),
        "position": opt_str(raw, "POSITION", KIND),
        "height": opt_str(raw, "HEIGHT", KIND),
        "weight": opt_str(raw, "WEIGHT", KIND),
        "college": opt_str(raw, "COLLEGE", KIND),
        "country": opt_str(raw, "COUNTRY", KIND),
        "draft_year": opt_int(raw, "DRAFT_YEAR", KIND),
        "draft_round": opt_int(raw, "DRAFT_ROUND", KIND),
        "draft_number": opt_int(raw, "DRAFT_NUMBER", KIND),
        "roster_status": opt_int(raw, "ROSTER_STATUS", KIND),
        "from_year": opt_str(raw, "FROM_YEAR", KIND),
        "to_year": opt_str(raw, "TO_YEAR", KIND),
        "pts": opt_float(raw, "PTS", KIND, high=100.0),
        "reb": opt_float(raw, "REB", KIND, high=100.0),
        "ast": opt_float(raw, "AST", KIND, high=100.0),
    }
