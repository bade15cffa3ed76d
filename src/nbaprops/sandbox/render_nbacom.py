"""NBA.com payloads of a simulated season: schedule, leaguegamelog, scoreboardV2, playerindex, play-by-play.

Pure functions of ``(season, now, request parameters)`` that return JSON-ready dicts shaped like the
real captures in shared/fixtures/real (same keys, nesting, value types and result-set headers).
They are time-aware: a game is final, and its numbers visible, only once ``now`` passes its tip by
``FINAL_AFTER``; before that it reads as scheduled, with zero scores and no box score.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nbaprops.dates import EASTERN, season_start_of
from nbaprops.identity import Team, team
from nbaprops.sandbox.model import PlayerGame, Season, SimGame

FINAL_AFTER = timedelta(hours=2, minutes=30)  # a regulation game lasts about 2h15 from tip

_ET, _CT, _MT, _PT = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
# tricode -> (local time zone, arena, arena city, arena state)
ARENAS: dict[str, tuple[str, str, str, str]] = {
    "ATL": (_ET, "State Farm Arena", "Atlanta", "GA"),
    "BOS": (_ET, "TD Garden", "Boston", "MA"),
    "BKN": (_ET, "Barclays Center", "Brooklyn", "NY"),
    "CHA": (_ET, "Spectrum Center", "Charlotte", "NC"),
    "CHI": (_CT, "United Center", "Chicago", "IL"),
    "CLE": (_ET, "Rocket Arena", "Cleveland", "OH"),
    "DAL": (_CT, "American Airlines Center", "Dallas", "TX"),
    "DEN": (_MT, "Ball Arena", "Denver", "CO"),
    "DET": (_ET, "Little Caesars Arena", "Detroit", "MI"),
    "GSW": (_PT, "Chase Center", "San Francisco", "CA"),
    "HOU": (_CT, "Toyota Center", "Houston", "TX"),
    "IND": (_ET, "Gainbridge Fieldhouse", "Indianapolis", "IN"),
    "LAC": (_PT, "Intuit Dome", "Inglewood", "CA"),
    "LAL": (_PT, "Crypto.com Arena", "Los Angeles", "CA"),
    "MEM": (_CT, "FedExForum", "Memphis", "TN"),
    "MIA": (_ET, "Kaseya Center", "Miami", "FL"),
    "MIL": (_CT, "Fiserv Forum", "Milwaukee", "WI"),
    "MIN": (_CT, "Target Center", "Minneapolis", "MN"),
    "NOP": (_CT, "Smoothie King Center", "New Orleans", "LA"),
    "NYK": (_ET, "Madison Square Garden", "New York", "NY"),
    "OKC": (_CT, "Paycom Center", "Oklahoma City", "OK"),
    "ORL": (_ET, "Kia Center", "Orlando", "FL"),
    "PHI": (_ET, "Wells Fargo Center", "Philadelphia", "PA"),
    "PHX": ("America/Phoenix", "Footprint Center", "Phoenix", "AZ"),
    "POR": (_PT, "Moda Center", "Portland", "OR"),
    "SAC": (_PT, "Golden 1 Center", "Sacramento", "CA"),
    "SAS": (_CT, "Frost Bank Center", "San Antonio", "TX"),
    "TOR": (_ET, "Scotiabank Arena", "Toronto", "ON"),
    "UTA": (_MT, "Delta Center", "Salt Lake City", "UT"),
    "WAS": (_ET, "Capital One Arena", "Washington", "DC"),
}
# NBA.com standings spell these two teams their own way.
_STANDINGS_NAME = {"LAL": "L.A. Lakers", "LAC": "LA Clippers"}

GAMELOG_PLAYER_HEADERS = (
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
    "FANTASY_PTS",
    "VIDEO_AVAILABLE",
)
GAMELOG_TEAM_HEADERS = tuple(
    h for h in GAMELOG_PLAYER_HEADERS if h not in {"PLAYER_ID", "PLAYER_NAME", "FANTASY_PTS"}
)
PLAYERINDEX_HEADERS = (
    "PERSON_ID",
    "PLAYER_LAST_NAME",
    "PLAYER_FIRST_NAME",
    "PLAYER_SLUG",
    "TEAM_ID",
    "TEAM_SLUG",
    "IS_DEFUNCT",
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
    "STATS_TIMEFRAME",
)


def headers_rowset(name: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """One stats.nba.com result set: ``{name, headers, rowSet}`` with rows as positional lists."""
    return {"name": name, "headers": list(headers), "rowSet": [list(r) for r in rows]}


def is_final(game: SimGame, now: datetime) -> bool:
    """Whether the game's result is public at ``now``."""
    return now >= game.tip_utc + FINAL_AFTER


def final_games(season: Season, now: datetime) -> list[SimGame]:
    """Games final at ``now``, in tip order."""
    return [g for g in season.games if is_final(g, now)]


def status_text(game: SimGame, now: datetime) -> str:
    """NBA.com's schedule status: "7:30 pm ET" before the game, "Final", "Final/OT", "Final/OT2" after."""
    if not is_final(game, now):
        tip = game.tip_utc.astimezone(EASTERN)
        return f"{tip.hour % 12 or 12}:{tip.minute:02d} {'pm' if tip.hour >= 12 else 'am'} ET"
    if game.periods == 4:
        return "Final"
    return "Final/OT" if game.periods == 5 else f"Final/OT{game.periods - 4}"


def records_through(games: Iterable[SimGame]) -> dict[str, tuple[int, int]]:
    """Win-loss record per team over the given final games."""
    won: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for g in games:
        winner, loser = (g.home, g.away) if g.home_score > g.away_score else (g.away, g.home)
        won[winner][0] += 1
        won[loser][1] += 1
    return {k: (v[0], v[1]) for k, v in won.items()}


def _season_id(season: Season) -> str:
    return f"2{season_start_of(season.label)}"


def _pct(made: int, att: int) -> float | None:
    return round(made / att, 3) if att else None


def _iso_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _played(season: Season, game: SimGame) -> list[PlayerGame]:
    return [line for line in season.box_by_game.get(game.game_id, []) if line.status == "played"]


def _team_totals(lines: Iterable[PlayerGame]) -> dict[str, int]:
    keys = (
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
        "tov",
        "pf",
        "pts",
        "seconds",
    )
    out = dict.fromkeys(keys, 0)
    for line in lines:
        for k in keys:
            out[k] += getattr(line, k)
    return out


# ---------------------------------------------------------------------------------------------- schedule
def _schedule_team(t: Team, wins: int, losses: int, score: int) -> dict[str, Any]:
    return {
        "teamId": t.nba_id,
        "teamName": t.nickname,
        "teamCity": t.city,
        "teamTricode": t.tricode,
        "teamSlug": t.slug,
        "wins": wins,
        "losses": losses,
        "score": score,
        "seed": 0,
    }


def _broadcasters(game: SimGame) -> dict[str, Any]:
    home = team(game.home)
    tv = {
        "broadcasterScope": "home",
        "broadcasterMedia": "tv",
        "broadcasterId": 1_000_000 + home.espn_id,
        "broadcasterDisplay": f"Sandbox Sports - {home.city}",
        "broadcasterAbbreviation": f"SBX{home.tricode}",
        "broadcasterDescription": "",
        "tapeDelayComments": "",
        "broadcasterVideoLink": "",
        "regionId": 1,
        "broadcasterTeamId": home.nba_id,
        "broadcasterRanking": None,
    }
    kinds = ("national{}", "home{}", "away{}", "intl{}")
    out: dict[str, Any] = {
        k.format(m): [] for k in kinds for m in ("TvBroadcasters", "RadioBroadcasters", "OttBroadcasters")
    }
    out["homeTvBroadcasters"] = [tv]
    return out


def _week(season: Season, day: date) -> int:
    monday = season.first_date - timedelta(days=season.first_date.weekday())
    return (day - monday).days // 7 + 1


def _points_leaders(season: Season, game: SimGame) -> list[dict[str, Any]]:
    lines = _played(season, game)
    if not lines:
        return []
    top = max(line.pts for line in lines)
    out = []
    for line in sorted((x for x in lines if x.pts == top), key=lambda x: x.player_id):
        p, t = season.player_by_id[line.player_id], team(line.team)
        out.append(
            {
                "personId": p.player_id,
                "firstName": p.first_name,
                "lastName": p.last_name,
                "teamId": t.nba_id,
                "teamCity": t.city,
                "teamName": t.nickname,
                "teamTricode": t.tricode,
                "points": float(top),
            }
        )
    return out


def _schedule_game(
    season: Season, game: SimGame, seq: int, now: datetime, record: dict[str, tuple[int, int]]
) -> dict[str, Any]:
    final = is_final(game, now)
    home, away = team(game.home), team(game.away)
    tip_et = game.tip_utc.astimezone(EASTERN)
    midnight_et = datetime(game.game_date.year, game.game_date.month, game.game_date.day, tzinfo=EASTERN)
    _, arena, city, state = ARENAS[game.home]
    local = {
        t: game.tip_utc.astimezone(ZoneInfo(ARENAS[t][0])).replace(tzinfo=None)
        for t in (game.home, game.away)
    }
    week = _week(season, game.game_date)
    return {
        "gameId": game.game_id,
        "gameCode": f"{game.game_date:%Y%m%d}/{game.away}{game.home}",
        "gameStatus": 3 if final else 1,
        "gameStatusText": status_text(game, now),
        "gameSequence": seq,
        "gameDateEst": f"{game.game_date.isoformat()}T00:00:00Z",
        "gameTimeEst": f"1900-01-01T{tip_et:%H:%M}:00Z",
        "gameDateTimeEst": f"{tip_et:%Y-%m-%dT%H:%M}:00Z",
        "gameDateUTC": _iso_z(midnight_et.astimezone(UTC)),
        "gameTimeUTC": f"1900-01-01T{game.tip_utc.astimezone(UTC):%H:%M}:00Z",
        "gameDateTimeUTC": _iso_z(game.tip_utc.astimezone(UTC)),
        "awayTeamTime": f"{local[game.away]:%Y-%m-%dT%H:%M}:00Z",
        "homeTeamTime": f"{local[game.home]:%Y-%m-%dT%H:%M}:00Z",
        "day": f"{game.game_date:%a}",
        "monthNum": game.game_date.month,
        "weekNumber": week,
        "weekName": f"Week {week}",
        "ifNecessary": False,
        "seriesGameNumber": "",
        "gameLabel": "",
        "gameSubLabel": "",
        "seriesText": "",
        "arenaName": arena,
        "arenaState": state,
        "arenaCity": city,
        "postponedStatus": "N",
        "branchLink": "",
        "gameSubtype": "",
        "isNeutral": False,
        "broadcasters": _broadcasters(game),
        "homeTeam": _schedule_team(home, *record.get(game.home, (0, 0)), game.home_score if final else 0),
        "awayTeam": _schedule_team(away, *record.get(game.away, (0, 0)), game.away_score if final else 0),
        "pointsLeaders": _points_leaders(season, game) if final else [],
    }


def schedule_payload(season: Season, now: datetime) -> dict[str, Any]:
    """The whole season as NBA.com's ``scheduleLeagueV2`` (CDN ``scheduleLeagueV2_1.json``)."""
    done: list[SimGame] = []
    records: dict[str, dict[str, tuple[int, int]]] = {}
    for g in season.games:  # each final game shows the records including itself, like the real feed
        if is_final(g, now):
            done.append(g)
            records[g.game_id] = records_through(done)
    current = records_through(done)
    game_dates = []
    for day, games in sorted(season.games_by_date.items()):
        rendered = [
            _schedule_game(season, g, i + 1, now, records.get(g.game_id, current))
            for i, g in enumerate(games)
        ]
        game_dates.append({"gameDate": f"{day:%m/%d/%Y} 00:00:00", "games": rendered})
    monday = season.first_date - timedelta(days=season.first_date.weekday())
    weeks = [
        {
            "weekNumber": i + 1,
            "weekName": f"Week {i + 1}",
            "startDate": f"{monday + timedelta(days=7 * i)}T00:00:00Z",
            "endDate": f"{monday + timedelta(days=7 * i + 6)}T00:00:00Z",
        }
        for i in range(_week(season, season.last_date))
    ]
    broadcasters = [
        {
            "broadcasterId": 1_000_000 + t.espn_id,
            "broadcasterDisplay": f"Sandbox Sports - {t.city}",
            "broadcasterAbbreviation": f"SBX{t.tricode}",
            "broadcasterDescription": "",
            "regionId": 1,
        }
        for t in sorted({team(g.home) for g in season.games}, key=lambda t: t.tricode)
    ]
    return {
        "meta": {
            "version": 1,
            "request": f"http://nba.cloud/league/00/{season.label}/scheduleleaguev2?Format=json",
            "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-2] + "Z",
        },
        "leagueSchedule": {
            "seasonYear": season.label,
            "leagueId": "00",
            "gameDates": game_dates,
            "weeks": weeks,
            "broadcasterList": broadcasters,
        },
    }


# ---------------------------------------------------------------------------------------- leaguegamelog
def parse_stats_date(text: str) -> date:
    """A stats.nba.com date parameter: ``MM/DD/YYYY`` or ``YYYY-MM-DD``; ValueError otherwise."""
    value = text.strip()
    if "/" in value:
        return datetime.strptime(value, "%m/%d/%Y").replace(tzinfo=UTC).date()
    return date.fromisoformat(value)


def _matchup(tricode: str, game: SimGame) -> str:
    return f"{game.home} vs. {game.away}" if tricode == game.home else f"{game.away} @ {game.home}"


def _wl(tricode: str, game: SimGame) -> str:
    home_won = game.home_score > game.away_score
    return "W" if (tricode == game.home) == home_won else "L"


def _shooting(s: Any) -> list[Any]:
    return [
        s.fgm,
        s.fga,
        _pct(s.fgm, s.fga),
        s.fg3m,
        s.fg3a,
        _pct(s.fg3m, s.fg3a),
        s.ftm,
        s.fta,
        _pct(s.ftm, s.fta),
        s.oreb,
        s.dreb,
        s.reb,
        s.ast,
        s.stl,
        s.blk,
        s.tov,
        s.pf,
        s.pts,
    ]


class _Totals:
    """Attribute access over a totals dict, so team rows reuse the player-row builder."""

    def __init__(self, values: Mapping[str, int]) -> None:
        self.__dict__.update(values)


def _player_row(season: Season, game: SimGame, line: PlayerGame) -> list[Any]:
    p, t = season.player_by_id[line.player_id], team(line.team)
    fantasy = round(line.pts + 1.2 * line.reb + 1.5 * line.ast + 3 * line.stl + 3 * line.blk - line.tov, 1)
    return [
        _season_id(season),
        p.player_id,
        p.display_name,
        t.nba_id,
        t.tricode,
        t.full_name,
        game.game_id,
        game.game_date.isoformat(),
        _matchup(t.tricode, game),
        _wl(t.tricode, game),
        line.minutes,
        *_shooting(line),
        line.plus_minus,
        fantasy,
        1,
    ]


def _team_row(season: Season, game: SimGame, tricode: str, lines: list[PlayerGame]) -> list[Any]:
    t = team(tricode)
    totals = _Totals(_team_totals(lines))
    own, opp = game.home_score, game.away_score
    if tricode != game.home:
        own, opp = opp, own
    minutes = 240 + 25 * (game.periods - 4)  # five players on court, 48 minutes plus 5 per overtime
    return [
        _season_id(season),
        t.nba_id,
        t.tricode,
        t.full_name,
        game.game_id,
        game.game_date.isoformat(),
        _matchup(tricode, game),
        _wl(tricode, game),
        minutes,
        *_shooting(totals),
        own - opp,
        1,
    ]


def leaguegamelog_payload(season: Season, now: datetime, params: Mapping[str, str]) -> dict[str, Any]:
    """stats.nba.com ``leaguegamelog``: one row per player (``PlayerOrTeam=P``) or team (``T``) per game.

    Only games final at ``now`` appear; players who did not play are absent. ``DateFrom``/``DateTo``
    bound the ET game dates (either format); without them the whole season comes back in one call.
    A Season or SeasonType other than this regular season yields an empty rowSet. Raises ValueError
    on a malformed date or PlayerOrTeam.
    """
    kind = params.get("PlayerOrTeam", "T").upper()
    if kind not in {"P", "T"}:
        raise ValueError(f"PlayerOrTeam must be P or T, not {kind!r}")
    start = parse_stats_date(params["DateFrom"]) if params.get("DateFrom") else None
    end = parse_stats_date(params["DateTo"]) if params.get("DateTo") else None
    wanted = (
        params.get("Season", season.label) == season.label
        and params.get("SeasonType", "Regular Season") == "Regular Season"
    )
    rows: list[list[Any]] = []
    headers = GAMELOG_PLAYER_HEADERS if kind == "P" else GAMELOG_TEAM_HEADERS
    for game in final_games(season, now) if wanted else []:
        if (start and game.game_date < start) or (end and game.game_date > end):
            continue
        lines = _played(season, game)
        if kind == "P":
            rows += [_player_row(season, game, line) for line in lines]
        else:
            for tricode in (game.away, game.home):
                rows.append(_team_row(season, game, tricode, [x for x in lines if x.team == tricode]))
    sorter = params.get("Sorter", "DATE").upper()
    column = headers.index(sorter if sorter in headers else "GAME_DATE")
    descending = params.get("Direction", "DESC").upper() == "DESC"
    rows.sort(key=lambda r: (r[column] is None, r[column]), reverse=descending)
    echo: dict[str, Any] = {
        "LeagueID": "00",
        "Season": params.get("Season", season.label),
        "SeasonType": params.get("SeasonType", "Regular Season"),
        "PlayerOrTeam": kind,
        "Counter": int(params.get("Counter", "1000") or 0),
        "Sorter": sorter,
        "Direction": params.get("Direction", "DESC").upper(),
        "DateFrom": start.isoformat() if start else None,
        "DateTo": end.isoformat() if end else None,
    }
    return {
        "resource": "leaguegamelog",
        "parameters": echo,
        "resultSets": [headers_rowset("LeagueGameLog", headers, rows)],
    }


# ------------------------------------------------------------------------------------------ scoreboardV2
_STANDINGS_HEADERS = (
    "TEAM_ID",
    "LEAGUE_ID",
    "SEASON_ID",
    "STANDINGSDATE",
    "CONFERENCE",
    "TEAM",
    "G",
    "W",
    "L",
    "W_PCT",
    "HOME_RECORD",
    "ROAD_RECORD",
)
_SCOREBOARD_HEADERS: dict[str, tuple[str, ...]] = {
    "GameHeader": (
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
        "LIVE_PC_TIME",
        "NATL_TV_BROADCASTER_ABBREVIATION",
        "HOME_TV_BROADCASTER_ABBREVIATION",
        "AWAY_TV_BROADCASTER_ABBREVIATION",
        "LIVE_PERIOD_TIME_BCAST",
        "ARENA_NAME",
        "WH_STATUS",
        "WNBA_COMMISSIONER_FLAG",
    ),
    "LineScore": (
        "GAME_DATE_EST",
        "GAME_SEQUENCE",
        "GAME_ID",
        "TEAM_ID",
        "TEAM_ABBREVIATION",
        "TEAM_CITY_NAME",
        "TEAM_NAME",
        "TEAM_WINS_LOSSES",
        "PTS_QTR1",
        "PTS_QTR2",
        "PTS_QTR3",
        "PTS_QTR4",
        *(f"PTS_OT{i}" for i in range(1, 11)),
        "PTS",
        "FG_PCT",
        "FT_PCT",
        "FG3_PCT",
        "AST",
        "REB",
        "TOV",
    ),
    "SeriesStandings": (
        "GAME_ID",
        "HOME_TEAM_ID",
        "VISITOR_TEAM_ID",
        "GAME_DATE_EST",
        "HOME_TEAM_WINS",
        "HOME_TEAM_LOSSES",
        "SERIES_LEADER",
    ),
    "LastMeeting": (
        "GAME_ID",
        "LAST_GAME_ID",
        "LAST_GAME_DATE_EST",
        "LAST_GAME_HOME_TEAM_ID",
        "LAST_GAME_HOME_TEAM_CITY",
        "LAST_GAME_HOME_TEAM_NAME",
        "LAST_GAME_HOME_TEAM_ABBREVIATION",
        "LAST_GAME_HOME_TEAM_POINTS",
        "LAST_GAME_VISITOR_TEAM_ID",
        "LAST_GAME_VISITOR_TEAM_CITY",
        "LAST_GAME_VISITOR_TEAM_NAME",
        "LAST_GAME_VISITOR_TEAM_CITY1",
        "LAST_GAME_VISITOR_TEAM_POINTS",
    ),
    "EastConfStandingsByDay": _STANDINGS_HEADERS,
    "WestConfStandingsByDay": _STANDINGS_HEADERS,
    "Available": ("GAME_ID", "PT_AVAILABLE"),
    "TeamLeaders": (
        "GAME_ID",
        "TEAM_ID",
        "TEAM_CITY",
        "TEAM_NICKNAME",
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
    ),
    "TicketLinks": ("GAME_ID", "LEAG_TIX"),
}


def _standings(season: Season, before: list[SimGame], conference: str, day: date) -> list[list[Any]]:
    split: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])  # W L homeW homeL roadW roadL
    for g in before:
        home_won = g.home_score > g.away_score
        split[g.home][0 if home_won else 1] += 1
        split[g.home][2 if home_won else 3] += 1
        split[g.away][1 if home_won else 0] += 1
        split[g.away][5 if home_won else 4] += 1
    rows = []
    for tricode in sorted(season.roster):
        t = team(tricode)
        if t.conference != conference:
            continue
        w, lost, hw, hl, rw, rl = split[tricode]
        pct = round(w / (w + lost), 3) if w + lost else 0.0
        rows.append(
            [
                t.nba_id,
                "00",
                _season_id(season),
                day.isoformat(),
                conference,
                _STANDINGS_NAME.get(tricode, t.city),
                w + lost,
                w,
                lost,
                pct,
                f"{hw}-{hl}",
                f"{rw}-{rl}",
            ]
        )
    return sorted(rows, key=lambda r: (-r[9], -r[7], r[5]))


def _leader(season: Season, lines: list[PlayerGame], stat: str) -> list[Any]:
    best = max(lines, key=lambda x: (getattr(x, stat), -x.player_id))
    return [best.player_id, season.player_by_id[best.player_id].display_name, getattr(best, stat)]


def scoreboard_v2_payload(season: Season, now: datetime, game_date: date) -> dict[str, Any]:
    """stats.nba.com ``scoreboardV2`` for one ET date: games, line scores, series, standings, leaders.

    Standings count the games final at ``now`` and dated before ``game_date``; line scores and
    leaders exist only for games final at ``now``.
    """
    games = season.games_by_date.get(game_date, [])
    done = final_games(season, now)
    before = [g for g in done if g.game_date < game_date]
    record = records_through(g for g in done if g.game_date <= game_date)
    stamp = f"{game_date.isoformat()}T00:00:00"
    sets: dict[str, list[list[Any]]] = {name: [] for name in _SCOREBOARD_HEADERS}
    for seq, g in enumerate(games, start=1):
        final = is_final(g, now)
        home, away = team(g.home), team(g.away)
        sets["GameHeader"].append(
            [
                stamp,
                seq,
                g.game_id,
                3 if final else 1,
                "Final" if final else status_text(g, now),
                f"{g.game_date:%Y%m%d}/{g.away}{g.home}",
                home.nba_id,
                away.nba_id,
                str(season_start_of(season.label)),
                g.periods if final else 0,
                "     ",
                None,
                f"SBX{g.home}",
                f"SBX{g.away}",
                f"Q{g.periods}       - " if final else "",
                ARENAS[g.home][1],
                1,
                0,
            ]
        )
        lines = _played(season, g) if final else []
        for t, periods in ((away, g.away_periods), (home, g.home_periods)):
            w, lost = record.get(t.tricode, (0, 0))
            own = [x for x in lines if x.team == t.tricode]
            if final:
                s = _team_totals(own)
                scores: list[Any] = [*periods, *[0] * (14 - len(periods))]
                tail: list[Any] = [
                    sum(periods),
                    _pct(s["fgm"], s["fga"]),
                    _pct(s["ftm"], s["fta"]),
                    _pct(s["fg3m"], s["fg3a"]),
                    s["ast"],
                    s["reb"],
                    s["tov"],
                ]
            else:
                scores, tail = [None] * 14, [None] * 7
            sets["LineScore"].append(
                [
                    stamp,
                    seq,
                    g.game_id,
                    t.nba_id,
                    t.tricode,
                    t.city,
                    t.nickname,
                    f"{w}-{lost}",
                    *scores,
                    *tail,
                ]
            )
            if own:
                sets["TeamLeaders"].append(
                    [
                        g.game_id,
                        t.nba_id,
                        t.city,
                        t.nickname,
                        t.tricode,
                        *_leader(season, own, "pts"),
                        *_leader(season, own, "reb"),
                        *_leader(season, own, "ast"),
                    ]
                )
        meetings = [m for m in done if {m.home, m.away} == {g.home, g.away} and m.tip_utc <= g.tip_utc]
        home_wins = sum((m.home_score > m.away_score) == (m.home == g.home) for m in meetings)
        leader = (
            "Tied"
            if 2 * home_wins == len(meetings)
            else (home if 2 * home_wins > len(meetings) else away).city
        )
        sets["SeriesStandings"].append(
            [g.game_id, home.nba_id, away.nba_id, stamp, home_wins, len(meetings) - home_wins, leader]
        )
        last = next((m for m in reversed(meetings) if m.game_id != g.game_id), None)
        if last is None:
            sets["LastMeeting"].append([g.game_id, *[None] * 12])
        else:
            lh, la = team(last.home), team(last.away)
            sets["LastMeeting"].append(
                [
                    g.game_id,
                    last.game_id,
                    f"{last.game_date.isoformat()}T00:00:00",
                    lh.nba_id,
                    lh.city,
                    lh.nickname,
                    lh.tricode,
                    last.home_score,
                    la.nba_id,
                    la.city,
                    la.nickname,
                    la.tricode,
                    last.away_score,
                ]
            )
        sets["Available"].append([g.game_id, 0])
    sets["EastConfStandingsByDay"] = _standings(season, before, "East", game_date)
    sets["WestConfStandingsByDay"] = _standings(season, before, "West", game_date)
    return {
        "resource": "scoreboardV2",
        "parameters": {"GameDate": game_date.isoformat(), "LeagueID": "00", "DayOffset": "0"},
        "resultSets": [headers_rowset(name, _SCOREBOARD_HEADERS[name], rows) for name, rows in sets.items()],
    }


# ------------------------------------------------------------------------------------------ playerindex
def _slug(name: str) -> str:
    return "-".join(name.lower().replace(".", "").replace("'", "").replace(",", "").split())


def playerindex_payload(season: Season, now: datetime, params: Mapping[str, str]) -> dict[str, Any]:
    """stats.nba.com ``playerindex``: every rostered player, with season averages over games final at ``now``.

    ``TeamID`` (0 = all) filters by team; a Season other than the simulated one yields no rows.
    """
    team_id = int(params.get("TeamID", "0") or 0)
    wanted = params.get("Season", season.label) == season.label
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for g in final_games(season, now):
        for line in _played(season, g):
            acc = totals[line.player_id]
            acc[0] += 1
            acc[1] += line.pts
            acc[2] += line.reb
            acc[3] += line.ast
    rows = []
    to_year = str(season_start_of(season.label))
    players = sorted(season.players, key=lambda p: (p.last_name, p.first_name)) if wanted else []
    for p in players:
        t = team(p.team)
        if team_id and t.nba_id != team_id:
            continue
        n, pts, reb, ast = totals.get(p.player_id, [0, 0, 0, 0])
        averages = [round(x / n, 1) for x in (pts, reb, ast)] if n else [None, None, None]
        rows.append(
            [
                p.player_id,
                p.last_name,
                p.first_name,
                _slug(p.display_name),
                t.nba_id,
                t.slug,
                0,
                t.city,
                t.nickname,
                t.tricode,
                p.jersey,
                p.position,
                p.height,
                str(p.weight),
                p.college,
                p.country,
                p.draft_year,
                p.draft_round,
                p.draft_number,
                1.0,
                str(p.from_year),
                to_year,
                *averages,
                "Season",
            ]
        )
    echo: dict[str, Any] = {
        "LeagueID": "00",
        "Season": params.get("Season", season.label),
        "Historical": int(params.get("Historical", "0") or 0),
        "TeamID": team_id,
    }
    for key in (
        "Country",
        "College",
        "DraftYear",
        "DraftPick",
        "PlayerPosition",
        "Height",
        "Weight",
        "Active",
        "AllStar",
    ):
        echo[key] = params.get(key) or None
    return {
        "resource": "playerindex",
        "parameters": echo,
        "resultSets": [headers_rowset("PlayerIndex", PLAYERINDEX_HEADERS, rows)],
    }


# ---------------------------------------------------------------------------------------- play-by-play
# Shot geometry in the feed's legacy units (tenths of a foot from the basket): the paint is 16 ft wide
# and 19 ft deep (its far edge 13.75 ft past the rim), the arc 23.75 ft (22 ft in the corners).
_ZONES: dict[str, tuple[str, float, float, float]] = {  # kind -> (action, min ft, max ft, max angle °)
    "paint": ("2pt", 0.5, 7.5, 90.0),
    "mid": ("2pt", 12.0, 21.0, 80.0),
    "three": ("3pt", 24.0, 27.5, 80.0),
}
_SHOT_STYLE = {
    "paint": (("Layup", "driving"), ("Dunk", "running"), ("Jump Shot", "driving floating")),
    "mid": (("Jump Shot", "pullup"), ("Jump Shot", "step back"), ("Jump Shot", "fadeaway")),
    "three": (("Jump Shot", "pullup"), ("Jump Shot", "running"), ("Jump Shot", "step back")),
}


def _shot_spot(kind: str, rng: random.Random) -> tuple[int, int, float]:
    """(xLegacy, yLegacy, distance in ft) of a shot in the zone; mid-range angles keep it off the paint."""
    _, near, far, max_angle = _ZONES[kind]
    distance = rng.uniform(near, far)
    low = 50.0 if kind == "mid" else 0.0
    angle = math.radians(rng.uniform(low, max_angle)) * rng.choice((-1, 1))
    return round(10 * distance * math.sin(angle)), round(10 * distance * abs(math.cos(angle))), distance


def shot_area(x_legacy: int, y_legacy: int) -> str:
    """NBA.com's shot-zone name for a spot in legacy units."""
    distance = math.hypot(x_legacy, y_legacy) / 10
    if y_legacy <= 92.5 and abs(x_legacy) >= 220:
        return "Left Corner 3" if x_legacy < 0 else "Right Corner 3"
    if distance >= 23.75:
        return "Above the Break 3"
    if abs(x_legacy) <= 80 and y_legacy <= 137.5:
        return "Restricted Area" if distance <= 4 else "In The Paint (Non-RA)"
    return "Mid-Range"


def _split_points(items: list[tuple[int, Any]], targets: Sequence[int], rng: random.Random) -> list[int]:
    """Assign scoring items (value, payload) to periods so each period's sum hits its line-score target.

    A randomized greedy with retries; if no exact split turns up (or the box does not add up to the
    line score), the last attempt stands and only the final score is guaranteed.
    """
    order = sorted(range(len(items)), key=lambda i: -items[i][0])
    best: list[int] = [0] * len(items)
    for _ in range(200):
        left = list(targets)
        assigned = [0] * len(items)
        rng.shuffle(order)
        order.sort(key=lambda i: -items[i][0])
        for i in order:
            value = items[i][0]
            fits = [p for p, room in enumerate(left) if room >= value] or list(range(len(left)))
            period = rng.choices(fits, weights=[max(left[p], 1) for p in fits])[0]
            assigned[i] = period
            left[period] -= value
        best = assigned
        if not any(left):
            break
    return best


def _pbp_events(season: Season, game: SimGame, rng: random.Random) -> list[tuple[float, int, dict[str, Any]]]:
    """Every shot and free throw as (elapsed seconds, period, facts), before scores are run."""
    events: list[tuple[float, int, dict[str, Any]]] = []
    lengths = [720] * 4 + [300] * (game.periods - 4)
    starts = [sum(lengths[:i]) for i in range(game.periods)]
    for tricode, targets in ((game.home, game.home_periods), (game.away, game.away_periods)):
        attempts: list[tuple[int, dict[str, Any]]] = []
        own = sorted((x for x in _played(season, game) if x.team == tricode), key=lambda x: x.player_id)
        for line in own:
            for kind, made, tried in (
                ("paint", line.paint_fgm, line.paint_fga),
                ("mid", line.mid_fgm, line.mid_fga),
                ("three", line.fg3m, line.fg3a),
                ("ft", line.ftm, line.fta),
            ):
                value = 1 if kind == "ft" else 3 if kind == "three" else 2
                attempts += [
                    (value if i < made else 0, {"line": line, "kind": kind, "made": i < made})
                    for i in range(tried)
                ]
        scoring = [a for a in attempts if a[0]]
        periods = _split_points(scoring, targets, rng)
        placed = [(p, a[1]) for p, a in zip(periods, scoring, strict=True)]
        placed += [(rng.choices(range(game.periods), weights=lengths)[0], a[1]) for a in attempts if not a[0]]
        trips: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
        for period, facts in placed:
            if facts["kind"] == "ft":
                trips[(period, facts["line"].player_id)].append(facts)
                continue
            events.append((starts[period] + rng.uniform(1, lengths[period] - 1), period, facts))
        for (period, _), shots in sorted(trips.items(), key=lambda kv: kv[0]):
            for k in range(0, len(shots), 2):
                trip = shots[k : k + 2]
                clock = starts[period] + rng.uniform(1, lengths[period] - 1)
                for n, facts in enumerate(trip, start=1):
                    events.append((clock + n / 100, period, facts | {"trip": f"{n} of {len(trip)}"}))
    events.sort(key=lambda e: (e[0], e[2]["line"].player_id))
    return events


def _pbp_clock(seconds_left: float) -> str:
    minutes, seconds = divmod(max(seconds_left, 0.0), 60)
    return f"PT{int(minutes):02d}M{seconds:05.2f}S"


def playbyplay_payload(season: Season, now: datetime, game_id: str) -> dict[str, Any] | None:
    """The CDN liveData play-by-play of a final game, built deterministically from its box score.

    One action per field-goal and free-throw attempt (paint attempts land in the paint, mid-range
    outside it, threes beyond the arc), plus period start/end and "Game End". Made shots sum to each
    player's points and period-end scores follow the line score. None if the game is unknown or not
    final at ``now``.
    """
    game = season.game_by_id.get(game_id)
    if game is None or not is_final(game, now):
        return None
    rng = random.Random(f"pbp-{season.seed}-{game_id}")  # noqa: S311 - simulation, not security
    actions: list[dict[str, Any]] = []
    score = {game.home: 0, game.away: 0}
    points: dict[int, int] = defaultdict(int)

    def add(
        elapsed: float,
        period: int,
        action_type: str,
        sub_type: str,
        description: str,
        *,
        extra: Mapping[str, Any] | None = None,
        person: int = 0,
    ) -> None:
        length = 720 if period < 4 else 300
        period_start = 720 * min(period, 4) + 300 * max(period - 4, 0)
        moment = game.tip_utc + timedelta(seconds=elapsed * 1.7)
        action: dict[str, Any] = {
            "actionNumber": len(actions) + 1,
            "clock": _pbp_clock(period_start + length - elapsed),
            "timeActual": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-5] + "Z",
            "period": period + 1,
            "periodType": "REGULAR" if period < 4 else "OVERTIME",
            "actionType": action_type,
            "subType": sub_type,
            "qualifiers": [],
            "personId": person,
            "x": None,
            "y": None,
            "possession": 0,
            "scoreHome": str(score[game.home]),
            "scoreAway": str(score[game.away]),
            "edited": _iso_z(moment),
            "orderNumber": (len(actions) + 1) * 10000,
            "isTargetScoreLastPeriod": False,
            "xLegacy": None,
            "yLegacy": None,
            "isFieldGoal": 0,
            "side": None,
            "description": description,
            "personIdsFilter": [person] if person else [],
        }
        actions.append(action | dict(extra or {}))

    events = _pbp_events(season, game, rng)
    for period in range(game.periods):
        start = 720 * min(period, 4) + 300 * max(period - 4, 0)
        add(start, period, "period", "start", "Period Start")
        for elapsed, _, facts in (e for e in events if e[1] == period):
            line: PlayerGame = facts["line"]
            player, t = season.player_by_id[line.player_id], team(line.team)
            short = f"{player.first_name[:1]}. {player.last_name}"
            made, kind = facts["made"], facts["kind"]
            if made:
                gained = 1 if kind == "ft" else 3 if kind == "three" else 2
                score[line.team] += gained
                points[line.player_id] += gained
            extra: dict[str, Any] = {
                "teamId": t.nba_id,
                "teamTricode": t.tricode,
                "possession": t.nba_id,
                "shotResult": "Made" if made else "Missed",
                "playerName": player.last_name,
                "playerNameI": short,
            }
            if made:
                extra["pointsTotal"] = points[line.player_id]
            tail = f" ({points[line.player_id]} PTS)" if made else ""
            miss = "" if made else "MISS "
            if kind == "ft":
                add(
                    elapsed,
                    period,
                    "freethrow",
                    facts["trip"],
                    f"{miss}{short} Free Throw {facts['trip']}{tail}",
                    extra=extra,
                    person=line.player_id,
                )
                continue
            x_legacy, y_legacy, distance = _shot_spot(kind, rng)
            sub_type, descriptor = rng.choice(_SHOT_STYLE[kind])
            side = "left" if (line.team == game.home) == (period in (0, 1) or period >= 4) else "right"
            along = (5.25 + y_legacy / 10) / 94 * 100
            extra |= {
                "descriptor": descriptor,
                "area": shot_area(x_legacy, y_legacy),
                "areaDetail": f"{int(distance // 8) * 8}-{int(distance // 8) * 8 + 8} ft",
                "shotDistance": round(distance, 2),
                "isFieldGoal": 1,
                "side": side,
                "x": along if side == "left" else 100 - along,
                "y": 50 + x_legacy / 5 if side == "left" else 50 - x_legacy / 5,
                "xLegacy": x_legacy,
                "yLegacy": y_legacy,
                "qualifiers": ["pointsinthepaint"] if kind == "paint" else [],
            }
            label = "3PT" if kind == "three" else sub_type
            add(
                elapsed,
                period,
                _ZONES[kind][0],
                sub_type,
                f"{miss}{short} {round(distance)}' {descriptor} {label}{tail}",
                extra=extra,
                person=line.player_id,
            )
        add(start + (720 if period < 4 else 300), period, "period", "end", "Period End")
    add(720 * 4 + 300 * (game.periods - 4), game.periods - 1, "game", "end", "Game End")
    return {
        "meta": {
            "version": 1,
            "code": 200,
            "request": f"http://nba.cloud/games/{game_id}/playbyplay?Format=json",
            "time": (game.tip_utc + FINAL_AFTER).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        },
        "game": {"gameId": game_id, "actions": actions},
    }
