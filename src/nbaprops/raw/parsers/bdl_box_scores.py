"""Ball Don't Lie ``/v1/box_scores?date=``: one row per player per game, in the shared box-score shape.

Players who did not play are present with ``min`` "00" and zero stats: they become rows with
``played`` False and ``minutes`` 0.0, so DNPs are visible downstream. ``min`` is a string of whole
minutes ("37"); the older "MM:SS" form is read too. Each row also carries its game's score line
(home/visitor score, periods); ``games(payload)`` returns one row per game instead.

Checks that make a corrupted payload fail loudly: the game's ``date`` must equal the ET date of its
UTC ``datetime`` and BDL's ``season`` must match that date's season; per side, the players' points
must add up to the team score and the quarters (plus any overtimes) too; per player, points equal
2*FGM + 3PM + FTM, rebounds equal OREB + DREB, makes never exceed attempts and minutes stay within
0..70. A ``{data: []}`` answer (no games that day) is legitimate and parses to no rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from nbaprops.dates import game_date_of, season_of, season_start_year
from nbaprops.errors import SchemaDrift
from nbaprops.identity import UnknownTeam, player_lookup, tricode_from_bdl_id
from nbaprops.raw.parsers.oddsa_events_his import (
    field,
    integer,
    iso_utc,
    items,
    load_json,
    optional_number,
    text,
    timestamp,
)
from nbaprops.raw.registry import Row

KIND = "bdl_box_scores"
DESCRIPTION = "Ball Don't Lie box scores by date: one row per player per game (DNPs kept, played=False)"
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
    *(f"{side}_{p}" for side in SIDES for p in QUARTERS + OVERTIMES),
)
TEAM_KEYS = ("id", "abbreviation", "players")
PLAYER_KEYS = (
    "min",
    "fgm",
    "fga",
    "fg_pct",
    "fg3m",
    "fg3a",
    "fg3_pct",
    "ftm",
    "fta",
    "ft_pct",
    "oreb",
    "dreb",
    "reb",
    "ast",
    "stl",
    "blk",
    "turnover",
    "pf",
    "pts",
    "plus_minus",
    "player",
)
PERSON_KEYS = ("id", "first_name", "last_name", "position")
COUNTING = (
    "fgm",
    "fga",
    "fg3m",
    "fg3a",
    "ftm",
    "fta",
    "oreb",
    "dreb",
    "reb",
    "ast",
    "stl",
    "blk",
    "pf",
    "pts",
)
MAX_MINUTES = 70.0


def parse(payload: bytes) -> list[Row]:
    """One row per player per game: the shared box-score fields plus BDL ids and the game's score."""
    rows: list[Row] = []
    for game, players in _read(payload):
        rows.extend(game | player for player in players)
    return rows


def games(payload: bytes) -> list[Row]:
    """One row per game: teams, scores, per-period points and the number of periods played."""
    return [game for game, _ in _read(payload)]


def _read(payload: bytes) -> list[tuple[Row, list[Row]]]:
    document = load_json(KIND, payload)
    out = []
    for g, game in enumerate(items(KIND, document, "data", "payload")):
        out.append(_game(game, f"data[{g}]"))
    ids = [game["source_game_id"] for game, _ in out]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: a game id appears twice")
    return out


def _game(game: Any, where: str) -> tuple[Row, list[Row]]:
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
    teams = {side: _team(game, side, where) for side in SIDES}
    if teams["home"][0] == teams["visitor"][0]:
        raise SchemaDrift(f"{KIND}: {where} has {teams['home'][0]} on both sides")
    row: Row = {
        "source": SOURCE,
        "kind": KIND,
        "game_id": None,
        "source_game_id": str(integer(KIND, game, "id", where, (1, 10**12))),
        "game_date": day.isoformat(),
        "season": season_of(day),
        "tip_utc": iso_utc(tip),
        "status": text(KIND, game, "status", where),
        "period": integer(KIND, game, "period", where, (0, 20)),
        "postseason": postseason,
        "home_team": teams["home"][0],
        "visitor_team": teams["visitor"][0],
    }
    periods = 4
    for side in SIDES:
        score = integer(KIND, game, f"{side}_team_score", where, (0, 300))
        quarters = [integer(KIND, game, f"{side}_{q}", where, (0, 100)) for q in QUARTERS]
        overtimes = [_optional_int(game, f"{side}_{ot}", where) for ot in OVERTIMES]
        played_ot = [points for points in overtimes if points is not None]
        if sum(quarters) + sum(played_ot) != score:
            raise SchemaDrift(
                f"{KIND}: {where} {side} periods add up to {sum(quarters) + sum(played_ot)}, "
                f"not the score {score}"
            )
        periods = max(periods, 4 + len(played_ot))
        row |= {
            f"{side}_score": score,
            **{f"{side}_{q}": v for q, v in zip(QUARTERS, quarters, strict=True)},
            f"{side}_ot": sum(played_ot),
        }
    row["periods"] = periods
    players: list[Row] = []
    for side, other in (("home", "visitor"), ("visitor", "home")):
        tricode, team_id, raw_players = teams[side]
        side_rows = [_player(p, f"{where}.{side}_team.players[{i}]", day) for i, p in enumerate(raw_players)]
        points = sum(int(r["pts"]) for r in side_rows)
        if points != row[f"{side}_score"]:
            raise SchemaDrift(
                f"{KIND}: {where} {tricode} players score {points}, team score {row[f'{side}_score']}"
            )
        for player in side_rows:
            player |= {
                "team": tricode,
                "opponent": teams[other][0],
                "is_home": side == "home",
                "team_source_id": team_id,
                "team_score": row[f"{side}_score"],
                "opponent_score": row[f"{other}_score"],
            }
        players.extend(side_rows)
    ids = [p["player_source_id"] for p in players]
    if len(set(ids)) != len(ids):
        raise SchemaDrift(f"{KIND}: {where} lists a player twice")
    return row, players


def _team(game: Any, side: str, where: str) -> tuple[str, int, list[Any]]:
    here = f"{where}.{side}_team"
    team = field(KIND, game, f"{side}_team", where)
    for key in TEAM_KEYS:
        field(KIND, team, key, here)
    team_id = integer(KIND, team, "id", here, (1, 10**12))
    try:
        tricode = tricode_from_bdl_id(team_id)
    except UnknownTeam:
        raise SchemaDrift(f"{KIND}: {here}.id {team_id} is not an NBA team") from None
    abbreviation = text(KIND, team, "abbreviation", here)
    if abbreviation != tricode:
        raise SchemaDrift(f"{KIND}: {here} id {team_id} is {tricode} but abbreviation says {abbreviation!r}")
    return tricode, team_id, items(KIND, team, "players", here)


def _player(entry: Any, where: str, day: date) -> Row:
    for key in PLAYER_KEYS:
        field(KIND, entry, key, where)
    person = field(KIND, entry, "player", where)
    for key in PERSON_KEYS:
        field(KIND, person, key, f"{where}.player")
    first = text(KIND, person, "first_name", f"{where}.player").strip()
    last = text(KIND, person, "last_name", f"{where}.player").strip()
    name = f"{first} {last}"
    stats = {key: integer(KIND, entry, key, where, (0, 200)) for key in COUNTING}
    stats["tov"] = integer(KIND, entry, "turnover", where, (0, 200))
    minutes = _minutes(field(KIND, entry, "min", where), where)
    _check_consistency(stats, where)
    plus_minus = _optional_int(entry, "plus_minus", where, low=-100)
    return {
        "player_source_id": integer(KIND, person, "id", f"{where}.player", (1, 10**12)),
        "player_name": name,
        "player_lookup": player_lookup(name),
        "position": _optional_text(person["position"], f"{where}.player.position"),
        "played": minutes > 0,
        "minutes": minutes,
        **stats,
        "fg_pct": _pct(entry, "fg_pct", where),
        "fg3_pct": _pct(entry, "fg3_pct", where),
        "ft_pct": _pct(entry, "ft_pct", where),
        "plus_minus": plus_minus,
    }


def _check_consistency(s: dict[str, int], where: str) -> None:
    if s["pts"] != 2 * s["fgm"] + s["fg3m"] + s["ftm"]:
        raise SchemaDrift(f"{KIND}: {where} pts {s['pts']} != 2*fgm + fg3m + ftm")
    if s["reb"] != s["oreb"] + s["dreb"]:
        raise SchemaDrift(f"{KIND}: {where} reb {s['reb']} != oreb + dreb")
    if s["fgm"] > s["fga"] or s["fg3m"] > s["fg3a"] or s["ftm"] > s["fta"] or s["fg3a"] > s["fga"]:
        raise SchemaDrift(f"{KIND}: {where} has more makes than attempts")


def _minutes(value: object, where: str) -> float:
    """ "37" -> 37.0, "36:30" -> 36.5, "00" / "" / null -> 0.0 (did not play)."""
    if value is None or value == "":
        return 0.0
    if not isinstance(value, str):
        raise SchemaDrift(f"{KIND}: {where}.min must be a string, got {value!r:.40}")
    whole, sep, seconds = value.partition(":")
    if not whole.isdigit() or (sep and not (seconds.isdigit() and int(seconds) < 60)):
        raise SchemaDrift(f"{KIND}: {where}.min {value!r:.20} is not minutes")
    minutes = int(whole) + (int(seconds) / 60 if sep else 0.0)
    if minutes > MAX_MINUTES:
        raise SchemaDrift(f"{KIND}: {where}.min {value!r} is more than {MAX_MINUTES:.0f} minutes")
    return round(minutes, 4)


def _pct(entry: Any, key: str, where: str) -> float | None:
    value = optional_number(KIND, entry, key, where)
    if value is not None and not 0.0 <= value <= 1.0:
        raise SchemaDrift(f"{KIND}: {where}.{key} = {value} is not a fraction in 0..1")
    return value


def _optional_int(obj: Any, key: str, where: str, low: int = 0) -> int | None:
    return None if field(KIND, obj, key, where) is None else integer(KIND, obj, key, where, (low, 300))


def _optional_text(value: object, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise SchemaDrift(f"{KIND}: {where} must be a string or null, got {value!r:.40}")
    return (value or "").strip() or None
