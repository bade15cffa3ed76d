"""NBA.com league schedule v2 (``scheduleleaguev2``): one row per game of a whole season.

The season type is only told by the gameId prefix (the NBA Cup final has its own ``006``, which is
not regular season). Preseason guests (New Zealand Breakers, ratiopharm Ulm) and the All-Star
weekend teams are not franchises: their tricode fields are None, the source's code is kept, and
``is_nba_matchup`` is False. The game date is the US/Eastern date of the UTC tip
(``gameDateTimeUTC``), the one timestamp that carries a real zone; ``gameDateEst`` is only a label.
A schedule without games is drift: NBA.com publishes a season only once it has a calendar.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from nbaprops.dates import game_date_of, season_of
from nbaprops.errors import SchemaDrift
from nbaprops.identity import UnknownTeam, player_lookup, tricode_from_nba_id
from nbaprops.raw.stats_envelope import (
    decode_json,
    opt_int,
    opt_str,
    req_int,
    req_str,
    require_keys,
    require_object,
)

KIND = "nbac_schedule_api"
DESCRIPTION = "NBA.com league schedule v2: every game of a season with status, tip time and score"
SCHEDULE_KEYS = ("seasonYear", "gameDates")
GAME_KEYS = (
    "gameId",
    "gameCode",
    "gameStatus",
    "gameStatusText",
    "gameDateTimeUTC",
    "homeTeam",
    "awayTeam",
    "pointsLeaders",
    "gameLabel",
    "gameSubLabel",
    "gameSubtype",
    "seriesText",
    "isNeutral",
)
TEAM_KEYS = ("teamId", "teamTricode", "score")
LEADER_KEYS = ("personId", "firstName", "lastName", "points")
SEASON_TYPES = {
    "001": "preseason",
    "002": "regular",
    "003": "all_star",
    "004": "playoffs",
    "005": "play_in",
    "006": "cup_final",
}
FINAL = 3
_GAME_ID = re.compile(r"^\d{10}$")
_OT = re.compile(r"^Final/OT(\d*)$")


def parse(payload: bytes) -> list[dict[str, object]]:
    """One row per game: ids, season type, ET game date, UTC tip, status, periods, teams, scores."""
    root = require_object(decode_json(payload, KIND), KIND, "the document")
    require_keys(root, ("leagueSchedule",), KIND, "the document")
    schedule = require_object(root["leagueSchedule"], KIND, "leagueSchedule")
    require_keys(schedule, SCHEDULE_KEYS, KIND, "leagueSchedule")
    season_year = req_str(schedule, "seasonYear", KIND)
    dates = schedule["gameDates"]
    if not isinstance(dates, list):
        raise SchemaDrift(f"{KIND}: leagueSchedule.gameDates is not a list")
    parsed: list[dict[str, object]] = []
    for entry in dates:
        games = require_object(entry, KIND, "a gameDates entry").get("games")
        if not isinstance(games, list):
            raise SchemaDrift(f"{KIND}: a gameDates entry lacks its games list")
        parsed.extend(_game(require_object(game, KIND, "a game"), season_year) for game in games)
    if not parsed:
        raise SchemaDrift(f"{KIND}: the schedule holds no games")
    ids = [row["game_id"] for row in parsed]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: a gameId appears twice")
    return parsed


def _game(game: dict[str, Any], season_year: str) -> dict[str, object]:
    require_keys(game, GAME_KEYS, KIND, "a game")
    game_id = req_str(game, "gameId", KIND)
    season_type = SEASON_TYPES.get(game_id[:3])
    if not _GAME_ID.match(game_id) or season_type is None:
        raise SchemaDrift(f"{KIND}: gameId {game_id!r} is not a 10-digit id with a known prefix")
    tip_text = req_str(game, "gameDateTimeUTC", KIND)
    try:
        tip = datetime.fromisoformat(tip_text.replace("Z", "+00:00"))
        day = game_date_of(tip)
    except ValueError:
        raise SchemaDrift(f"{KIND}: game {game_id} gameDateTimeUTC {tip_text!r} is not a UTC time") from None
    status = req_int(game, "gameStatus", KIND, minimum=1)
    status_text = (opt_str(game, "gameStatusText", KIND) or "").strip()
    home = _team(game["homeTeam"], game_id, "homeTeam")
    away = _team(game["awayTeam"], game_id, "awayTeam")
    if status == FINAL and home["score"] == away["score"]:
        raise SchemaDrift(f"{KIND}: final game {game_id} is tied {home['score']}-{away['score']}")
    leaders = game["pointsLeaders"]
    if not isinstance(leaders, list):
        raise SchemaDrift(f"{KIND}: game {game_id} pointsLeaders is not a list")
    top = [_leader(leader, game_id) for leader in leaders]
    first = top[0] if top else {}
    return {
        "source": "nbacom",
        "kind": KIND,
        "game_id": game_id,
        "game_code": req_str(game, "gameCode", KIND),
        "season": season_of(day),
        "season_year": season_year,
        "season_type": season_type,
        "game_date": day.isoformat(),
        "tip_utc": tip.isoformat().replace("+00:00", "Z"),
        "status": status,
        "status_text": status_text,
        "periods": _periods(status, status_text),
        "game_label": opt_str(game, "gameLabel", KIND) or None,
        "game_sub_label": opt_str(game, "gameSubLabel", KIND) or None,
        "game_subtype": opt_str(game, "gameSubtype", KIND) or None,
        "series_text": opt_str(game, "seriesText", KIND) or None,
        "is_neutral": _flag(game, "isNeutral", game_id),
        **{f"home_{key}": value for key, value in home.items()},
        **{f"away_{key}": value for key, value in away.items()},
        "is_nba_matchup": home["team"] is not None and away["team"] is not None,
        "points_leaders_count": len(top),
        "points_leader_id": first.get("id"),
        "points_leader_name": first.get("name"),
        "points_leader_lookup": first.get("lookup"),
        "points_leader_points": first.get("points"),
    }


def _team(value: object, game_id: str, where: str) -> dict[str, object]:
    side = require_object(value, KIND, f"game {game_id} {where}")
    require_keys(side, TEAM_KEYS, KIND, f"game {game_id} {where}")
    team_id = req_int(side, "teamId", KIND)
    code = opt_str(side, "teamTricode", KIND)
    try:
        team: str | None = tricode_from_nba_id(team_id)
    except UnknownTeam:
        team = None
    if team is not None and code != team:
        raise SchemaDrift(f"{KIND}: game {game_id} {where} tricode {code!r} disagrees with team id {team_id}")
    return {"team": team, "team_id": team_id, "source_code": code, "score": opt_int(side, "score", KIND)}


def _leader(value: object, game_id: str) -> dict[str, object]:
    leader = require_object(value, KIND, f"game {game_id} points leader")
    require_keys(leader, LEADER_KEYS, KIND, f"game {game_id} points leader")
    name = f"{opt_str(leader, 'firstName', KIND) or ''} {opt_str(leader, 'lastName', KIND) or ''}".strip()
    return {
        "id": req_int(leader, "personId", KIND, minimum=1),
        "name": name,
        "lookup": player_lookup(name),
        "points": req_int(leader, "points", KIND),
    }


def _periods(status: int, status_text: str) -> int | None:
    """Periods played, read from a final game's status text ("Final/OT2" -> 6); None otherwise."""
    if status != FINAL:
        return None
    if status_text == "Final":
        return 4
    found = _OT.match(status_text)
    if found is None:
        return None
    return 4 + int(found.group(1) or 1)


def _flag(game: dict[str, Any], key: str, game_id: str) -> bool:
    value = game[key]
    if not isinstance(value, bool):
        raise SchemaDrift(f"{KIND}: game {game_id} {key} is {value!r}, expected true or false")
    return value
