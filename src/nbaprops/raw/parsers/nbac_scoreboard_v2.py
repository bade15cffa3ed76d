"""stats.nba.com ``scoreboardV2``: one row per game of a date, GameHeader joined with LineScore.

Each game has one GameHeader row and two LineScore rows (home and visitor, matched by team id).
For a started game the quarter and overtime columns must add up to ``PTS``; for one not started
they are all null. ``GAME_STATUS_TEXT`` says just "Final" for an overtime game, so the number of
periods comes from ``LIVE_PERIOD``. A date without games gives empty result sets and an empty list.
``team_leaders`` and ``standings`` expose two more of the payload's result sets.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nbaprops.dates import season_of
from nbaprops.errors import SchemaDrift
from nbaprops.identity import UnknownTeam, player_lookup, tricode_from_nba_id
from nbaprops.raw.stats_envelope import decode_json, opt_float, opt_int, opt_str, req_int, req_str, rows

KIND = "nbac_scoreboard_v2"
DESCRIPTION = "NBA.com scoreboardV2: games of a date with status and quarter-by-quarter line scores"
GAME_HEADER = (
    "GAME_DATE_EST",
    "GAME_SEQUENCE",
    "GAME_ID",
    "GAME_STATUS_ID",
    "GAME_STATUS_TEXT",
    "GAMECODE",
    "HOME_TEAM_ID",
    "VISITOR_TEAM_ID",
    "SEASON",
    "LIVE_PERIOD",
    "NATL_TV_BROADCASTER_ABBREVIATION",
    "ARENA_NAME",
)
QUARTERS = ("PTS_QTR1", "PTS_QTR2", "PTS_QTR3", "PTS_QTR4")
OVERTIMES = tuple(f"PTS_OT{n}" for n in range(1, 11))
LINE_SCORE = ("GAME_ID", "TEAM_ID", "TEAM_ABBREVIATION", *QUARTERS, *OVERTIMES, "PTS")
TEAM_LEADERS = (
    "GAME_ID",
    "TEAM_ID",
    "TEAM_ABBREVIATION",
    "PTS_PLAYER_ID",
    "PTS_PLAYER_NAME",
    "PTS",
    "REB_PLAYER_ID",
    "REB_PLAYER_NAME",
    "REB",
    "AST_PLAYER_ID",
    "AST_PLAYER_NAME",
    "AST",
)
STANDINGS = ("TEAM_ID", "SEASON_ID", "STANDINGSDATE", "CONFERENCE", "TEAM", "G", "W", "L", "W_PCT")
STANDINGS_SETS = ("EastConfStandingsByDay", "WestConfStandingsByDay")
FINAL = 3


def parse(payload: bytes) -> list[dict[str, object]]:
    """One row per game: ids, ET date, status, periods, both teams with quarter, OT and total points."""
    document = decode_json(payload, KIND)
    headers = rows(document, "GameHeader", GAME_HEADER, KIND)
    lines: dict[tuple[str, int], dict[str, Any]] = {}
    for line in rows(document, "LineScore", LINE_SCORE, KIND):
        key = (req_str(line, "GAME_ID", KIND), req_int(line, "TEAM_ID", KIND))
        if key in lines:
            raise SchemaDrift(f"{KIND}: LineScore has two rows for game {key[0]} team {key[1]}")
        lines[key] = line
    parsed = [_game(header, lines) for header in headers]
    if len(parsed) * 2 != len(lines):
        raise SchemaDrift(f"{KIND}: {len(lines)} LineScore rows for {len(parsed)} games")
    return parsed


def _game(header: dict[str, Any], lines: dict[tuple[str, int], dict[str, Any]]) -> dict[str, object]:
    game_id = req_str(header, "GAME_ID", KIND)
    text = req_str(header, "GAME_DATE_EST", KIND)
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        raise SchemaDrift(f"{KIND}: game {game_id} GAME_DATE_EST {text!r} is not a date") from None
    status = req_int(header, "GAME_STATUS_ID", KIND, minimum=1)
    periods = opt_int(header, "LIVE_PERIOD", KIND)
    row: dict[str, object] = {
        "source": "nbacom",
        "kind": KIND,
        "game_id": game_id,
        "game_code": req_str(header, "GAMECODE", KIND),
        "game_date": day.isoformat(),
        "season": season_of(day),
        "game_sequence": opt_int(header, "GAME_SEQUENCE", KIND),
        "status": status,
        "status_text": (opt_str(header, "GAME_STATUS_TEXT", KIND) or "").strip(),
        "periods": periods or None,
        "ot_periods": max(periods - 4, 0) if periods and status == FINAL else None,
        "national_tv": opt_str(header, "NATL_TV_BROADCASTER_ABBREVIATION", KIND),
        "arena": opt_str(header, "ARENA_NAME", KIND),
    }
    for side, id_field in (("home", "HOME_TEAM_ID"), ("away", "VISITOR_TEAM_ID")):
        team_id = req_int(header, id_field, KIND)
        line = lines.get((game_id, team_id))
        if line is None:
            raise SchemaDrift(f"{KIND}: game {game_id} has no LineScore row for team {team_id}")
        row |= _side(side, team_id, line, game_id)
    if status == FINAL and (row["home_pts"] is None or row["home_pts"] == row["away_pts"]):
        raise SchemaDrift(f"{KIND}: final game {game_id} has no winner ({row['home_pts']}-{row['away_pts']})")
    return row


def _side(side: str, team_id: int, line: dict[str, Any], game_id: str) -> dict[str, object]:
    team = _tricode(team_id)
    quarters = [opt_int(line, column, KIND) for column in QUARTERS]
    overtimes = [opt_int(line, column, KIND) for column in OVERTIMES]
    points = opt_int(line, "PTS", KIND)
    if points is not None:
        parts = [value or 0 for value in (*quarters, *overtimes)]
        if sum(parts) != points:
            raise SchemaDrift(
                f"{KIND}: game {game_id} team {team_id} periods add up to {sum(parts)}, not PTS {points}"
            )
    return {
        f"{side}_team": team,
        f"{side}_team_id": team_id,
        f"{side}_source_code": opt_str(line, "TEAM_ABBREVIATION", KIND),
        **{f"{side}_q{n}": value for n, value in enumerate(quarters, start=1)},
        f"{side}_ot": None if points is None else sum(value or 0 for value in overtimes),
        f"{side}_ot1": overtimes[0],
        f"{side}_pts": points,
    }


def team_leaders(payload: bytes) -> list[dict[str, object]]:
    """The TeamLeaders result set: per game and team, its points, rebounds and assists leaders."""
    leaders: list[dict[str, object]] = []
    for raw in rows(decode_json(payload, KIND), "TeamLeaders", TEAM_LEADERS, KIND):
        team_id = req_int(raw, "TEAM_ID", KIND)
        row: dict[str, object] = {
            "source": "nbacom",
            "kind": KIND,
            "game_id": req_str(raw, "GAME_ID", KIND),
            "team": _tricode(team_id),
            "team_id": team_id,
            "team_source_code": opt_str(raw, "TEAM_ABBREVIATION", KIND),
        }
        for stat in ("PTS", "REB", "AST"):
            name = opt_str(raw, f"{stat}_PLAYER_NAME", KIND)
            prefix = stat.lower()
            row[f"{prefix}_player_id"] = opt_int(raw, f"{stat}_PLAYER_ID", KIND)
            row[f"{prefix}_player_name"] = name
            row[f"{prefix}_player_lookup"] = player_lookup(name) if name else None
            row[prefix] = opt_int(raw, stat, KIND)
        leaders.append(row)
    return leaders


def standings(payload: bytes) -> list[dict[str, object]]:
    """The East and West standings of the day, one row per team, in the payload's order."""
    document = decode_json(payload, KIND)
    table: list[dict[str, object]] = []
    for name in STANDINGS_SETS:
        for rank, raw in enumerate(rows(document, name, STANDINGS, KIND), start=1):
            table.append(
                {
                    "source": "nbacom",
                    "kind": KIND,
                    "conference": req_str(raw, "CONFERENCE", KIND),
                    "rank": rank,
                    "team_id": req_int(raw, "TEAM_ID", KIND),
                    "team_name": req_str(raw, "TEAM", KIND),
                    "season_id": req_str(raw, "SEASON_ID", KIND),
                    "standings_date": req_str(raw, "STANDINGSDATE", KIND)[:10],
                    "games": req_int(raw, "G", KIND),
                    "wins": req_int(raw, "W", KIND),
                    "losses": req_int(raw, "L", KIND),
                    "win_pct": opt_float(raw, "W_PCT", KIND),
                }
            )
    return table


def _tricode(team_id: int) -> str | None:
    try:
        return tricode_from_nba_id(team_id)
    except UnknownTeam:
        return None  # All-Star and exhibition opponents are not franchises
