"""Ball Don't Lie ``/v1/games`` (one cursor page): one row per game, scheduled, live or final.

A scheduled game has ``status`` set to its tip time, period 0, zero scores and null quarters; a
live one has the quarters played so far. Checks that make a corrupted page fail loudly: ``date``
must be the ET date of the UTC ``datetime``, ``season`` must match that date's season, both teams
must be NBA teams (and different), and per side the quarters and overtimes reported so far must
add up to the score. ``is_final`` is BDL's ``status == "Final"``; ``periods`` counts the periods
with points reported (4 plus overtimes) and is null until the game is final.

BDL serves games in two real shapes: with the line score (``home_q1`` … ``visitor_ot3``) and
without any of those keys (older and lower-tier responses). Without them the quarters and overtime
stay null, the score is taken as given, and a final game's ``periods`` is BDL's ``period`` (at least
4). A game with the keys on one side only is drift.
"""

from __future__ import annotations

from typing import Any

from nbaprops.dates import game_date_of, season_of, season_start_year
from nbaprops.errors import SchemaDrift
from nbaprops.identity import UnknownTeam, tricode_from_bdl_id
from nbaprops.raw.parsers.oddsa_events_his import field, integer, iso_utc, items, load_json, text, timestamp
from nbaprops.raw.registry import Row

KIND = "bdl_games"
DESCRIPTION = "Ball Don't Lie games (one cursor page): one row per game with status and line score"
SOURCE = "bdl"
SIDES = ("home", "visitor")
QUARTERS = ("q1", "q2", "q3", "q4")
OVERTIMES = ("ot1", "ot2", "ot3")
GAME_KEYS = (
    "id",
    "date",
    "datetime",
    "season",
    "status",
    "period",
    "postseason",
    "home_team_score",
    "visitor_team_score",
    "home_team",
    "visitor_team",
)
FINAL = "Final"


def parse(payload: bytes) -> list[Row]:
    """One row per game of the page; a repeated game id is drift."""
    document = load_json(KIND, payload)
    field(KIND, document, "meta", "payload")
    rows = [_game(game, f"data[{g}]") for g, game in enumerate(items(KIND, document, "data", "payload"))]
    ids = [row["source_game_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: a game id appears twice")
    return rows


def _game(game: Any, where: str) -> Row:
    for key in GAME_KEYS:
        field(KIND, game, key, where)
    tip = timestamp(KIND, game, "datetime", where)
    day = game_date_of(tip)
    stated = text(KIND, game, "date", where)
    if stated[:10] != day.isoformat():
        raise SchemaDrift(f"{KIND}: {where}.date {stated!r} is not the ET date {day} of tip {iso_utc(tip)}")
    bdl_season = integer(KIND, game, "season", where, (1946, 2100))
    if bdl_season != season_start_year(day):
        raise SchemaDrift(f"{KIND}: {where}.season {bdl_season} does not match game date {day}")
    postseason = field(KIND, game, "postseason", where)
    if not isinstance(postseason, bool):
        raise SchemaDrift(f"{KIND}: {where}.postseason must be a boolean")
    status = text(KIND, game, "status", where)
    row: Row = {
        "source": SOURCE,
        "kind": KIND,
        "game_id": None,
        "source_game_id": str(integer(KIND, game, "id", where, (1, 10**12))),
        "game_date": day.isoformat(),
        "season": season_of(day),
        "tip_utc": iso_utc(tip),
        "status": status,
        "is_final": status == FINAL,
        "period": integer(KIND, game, "period", where, (0, 20)),
        "postseason": postseason,
    }
    teams = {side: _team(game, side, where) for side in SIDES}
    if teams["home"][0] == teams["visitor"][0]:
        raise SchemaDrift(f"{KIND}: {where} has {teams['home'][0]} on both sides")
    line_score = _has_line_score(game, where)
    played_ots = 0
    for side in SIDES:
        score = integer(KIND, game, f"{side}_team_score", where, (0, 300))
        quarters = [_optional_points(game, f"{side}_{q}", where) for q in QUARTERS]
        overtimes = [_optional_points(game, f"{side}_{ot}", where) for ot in OVERTIMES]
        reported = sum(p for p in quarters + overtimes if p is not None)
        if line_score and reported != score:
            raise SchemaDrift(f"{KIND}: {where} {side} periods add up to {reported}, not the score {score}")
        ots = [p for p in overtimes if p is not None]
        played_ots = max(played_ots, len(ots))
        row |= {
            f"{side}_team": teams[side][0],
            f"{side}_team_source_id": teams[side][1],
            f"{side}_score": score,
            **{f"{side}_{q}": v for q, v in zip(QUARTERS, quarters, strict=True)},
            f"{side}_ot": sum(ots) if ots else None,
        }
    if not row["is_final"]:
        row["periods"] = None
    else:
        row["periods"] = 4 + played_ots if line_score else max(4, row["period"])
    return row


def _has_line_score(game: Any, where: str) -> bool:
    """Whether the game carries the period keys; both sides or neither, anything else is drift."""
    present = {side: any(f"{side}_{p}" in game for p in QUARTERS + OVERTIMES) for side in SIDES}
    if present["home"] != present["visitor"]:
        raise SchemaDrift(f"{KIND}: {where} has a line score for one side only")
    return present["home"]


def _team(game: Any, side: str, where: str) -> tuple[str, int]:
    here = f"{where}.{side}_team"
    team = field(KIND, game, f"{side}_team", where)
    team_id = integer(KIND, team, "id", here, (1, 10**6))
    try:
        tricode = tricode_from_bdl_id(team_id)
    except UnknownTeam:
        raise SchemaDrift(f"{KIND}: {here}.id {team_id} is not an NBA team") from None
    abbreviation = text(KIND, team, "abbreviation", here)
    if abbreviation != tricode:
        raise SchemaDrift(f"{KIND}: {here} id {team_id} is {tricode} but abbreviation says {abbreviation!r}")
    return tricode, team_id


def _optional_points(game: Any, key: str, where: str) -> int | None:
    """A period's points, or null when it has not been played; absent keys are read as null."""
    if game.get(key) is None:
        return None
    return integer(KIND, game, key, where, (0, 100))
