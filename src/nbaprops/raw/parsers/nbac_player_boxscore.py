"""stats.nba.com ``leaguegamelog`` (PlayerOrTeam=P): one row per player who logged a game.

The feed lists only players who took the floor, so every row has ``played`` True; a player who
did not play is absent, not a zero row. ``MIN`` is a whole number of minutes. ``MATCHUP`` reads
"GSW vs. NYK" for the home side and "NYK @ GSW" for the visitors. A date with no games returns an
empty rowSet, which is a legitimate empty result.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from typing import Any

from nbaprops.dates import season_of
from nbaprops.errors import SchemaDrift
from nbaprops.identity import UnknownTeam, player_lookup, tricode_from_nba_id
from nbaprops.raw.stats_envelope import decode_json, opt_float, opt_int, req_int, req_str, rows

KIND = "nbac_player_boxscore"
DESCRIPTION = "NBA.com leaguegamelog player rows for a date range (stats.nba.com)"
RESULT_SET = "LeagueGameLog"
EXPECTED_HEADERS = (
    "SEASON_ID",
    "PLAYER_ID",
    "PLAYER_NAME",
    "TEAM_ID",
    "TEAM_ABBREVIATION",
    "TEAM_NAME",
    "GAME_ID",
    "GAME_DATE",
    "MATCHUP",
    "WL",
    "MIN",
    "FGM",
    "FGA",
    "FG_PCT",
    "FG3M",
    "FG3A",
    "FG3_PCT",
    "FTM",
    "FTA",
    "FT_PCT",
    "OREB",
    "DREB",
    "REB",
    "AST",
    "STL",
    "BLK",
    "TOV",
    "PF",
    "PTS",
    "PLUS_MINUS",
)
MAX_MINUTES = 70
_COUNTING = {
    "fgm": "FGM",
    "fga": "FGA",
    "fg3m": "FG3M",
    "fg3a": "FG3A",
    "ftm": "FTM",
    "fta": "FTA",
    "oreb": "OREB",
    "dreb": "DREB",
    "reb": "REB",
    "ast": "AST",
    "stl": "STL",
    "blk": "BLK",
    "tov": "TOV",
    "pf": "PF",
    "pts": "PTS",
}
_MATCHUP = re.compile(r"^([A-Z]{2,4}) (vs\.|@) ([A-Z]{2,4})$")


def parse(payload: bytes) -> list[dict[str, object]]:
    """Normalized player box-score rows (core box-score fields plus shooting percentages)."""
    parsed = [_player_row(raw, index) for index, raw in enumerate(_raw_rows(payload))]
    _check_games(parsed)
    return parsed


def _raw_rows(payload: bytes) -> list[dict[str, Any]]:
    return rows(decode_json(payload, KIND), RESULT_SET, EXPECTED_HEADERS, KIND)


def _player_row(raw: dict[str, Any], index: int) -> dict[str, object]:
    where = f"{KIND} row {index}"
    name = req_str(raw, "PLAYER_NAME", KIND)
    matchup = req_str(raw, "MATCHUP", KIND)
    found = _MATCHUP.match(matchup)
    if found is None:
        raise SchemaDrift(f"{where}: MATCHUP {matchup!r} is neither 'AAA vs. BBB' nor 'AAA @ BBB'")
    own, sep, opponent = found.groups()
    abbreviation = req_str(raw, "TEAM_ABBREVIATION", KIND)
    team_id = req_int(raw, "TEAM_ID", KIND)
    try:
        team = tricode_from_nba_id(team_id)
    except UnknownTeam:
        raise SchemaDrift(f"{where}: TEAM_ID {team_id} is not an NBA franchise") from None
    if own != abbreviation or team != abbreviation:
        raise SchemaDrift(f"{where}: team {abbreviation} disagrees with MATCHUP {matchup!r} or id {team_id}")
    try:
        day = date.fromisoformat(req_str(raw, "GAME_DATE", KIND)[:10])
    except ValueError:
        raise SchemaDrift(f"{where}: GAME_DATE {raw['GAME_DATE']!r} is not a date") from None
    minutes = req_int(raw, "MIN", KIND)
    if minutes > MAX_MINUTES:
        raise SchemaDrift(f"{where}: {name} has {minutes} minutes, more than {MAX_MINUTES}")
    stats = {field: req_int(raw, header, KIND) for field, header in _COUNTING.items()}
    _check_line(stats, where)
    wl = raw.get("WL")
    if wl not in {"W", "L", None}:
        raise SchemaDrift(f"{where}: WL is {wl!r}, expected 'W', 'L' or null")
    game_id = req_str(raw, "GAME_ID", KIND)
    return {
        "source": "nbacom",
        "kind": KIND,
        "game_id": game_id,
        "source_game_id": game_id,
        "game_date": day.isoformat(),
        "season": season_of(day),
        "season_id": req_str(raw, "SEASON_ID", KIND),
        "team": team,
        "team_source_code": abbreviation,
        "team_id": team_id,
        "opponent": opponent,
        "is_home": sep == "vs.",
        "matchup": matchup,
        "wl": wl,
        "player_source_id": req_int(raw, "PLAYER_ID", KIND),
        "player_name": name,
        "player_lookup": player_lookup(name),
        "played": True,
        "minutes": float(minutes),
        **stats,
        "fg_pct": opt_float(raw, "FG_PCT", KIND),
        "fg3_pct": opt_float(raw, "FG3_PCT", KIND),
        "ft_pct": opt_float(raw, "FT_PCT", KIND),
        "plus_minus": opt_int(raw, "PLUS_MINUS", KIND, minimum=None),
    }


def _check_line(stats: dict[str, int], where: str) -> None:
    """A box-score line must add up: made <= attempted, rebounds split, points from makes."""
    if not (stats["fgm"] <= stats["fga"] and stats["fg3m"] <= stats["fg3a"] and stats["ftm"] <= stats["fta"]):
        raise SchemaDrift(f"{where}: makes exceed attempts")
    if stats["fg3m"] > stats["fgm"] or stats["fg3a"] > stats["fga"]:
        raise SchemaDrift(f"{where}: three-pointers exceed field goals")
    if stats["oreb"] + stats["dreb"] != stats["reb"]:
        raise SchemaDrift(f"{where}: OREB + DREB != REB")
    if 2 * stats["fgm"] + stats["fg3m"] + stats["ftm"] != stats["pts"]:
        raise SchemaDrift(f"{where}: PTS {stats['pts']} does not match its makes")


def _check_games(parsed: list[dict[str, object]]) -> None:
    """Each game has one home and one away side, each other's opponent, and W goes to more points."""
    sides: dict[str, dict[bool, tuple[object, ...]]] = defaultdict(dict)
    points: dict[tuple[str, bool], int] = defaultdict(int)
    for row in parsed:
        game_id, is_home = str(row["game_id"]), bool(row["is_home"])
        side = (row["team"], row["opponent"], row["game_date"], row["wl"])
        if sides[game_id].setdefault(is_home, side) != side:
            raise SchemaDrift(f"{KIND}: game {game_id} has rows that disagree on one side's team or result")
        points[game_id, is_home] += int(str(row["pts"]))
    for game_id, by_side in sides.items():
        home, away = by_side.get(True), by_side.get(False)
        if home is None or away is None:
            continue  # a date-range cut can hold one side only when the other side has no rows
        if home[0] != away[1] or home[1] != away[0] or home[2] != away[2]:
            raise SchemaDrift(f"{KIND}: game {game_id} home and away rows disagree on teams or date")
        home_pts, away_pts = points[game_id, True], points[game_id, False]
        if home[3] is not None and away[3] is not None:
            winner_is_home = home[3] == "W"
            if home[3] == away[3] or (home_pts > away_pts) != winner_is_home:
                raise SchemaDrift(
                    f"{KIND}: game {game_id} W/L ({home[3]}/{away[3]}) does not match "
                    f"points {home_pts}-{away_pts}"
                )
