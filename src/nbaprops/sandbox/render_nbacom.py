"""NBA.com payloads of a simulated season: schedule, leaguegamelog, scoreboardV2, playerindex, play-by-play.

Pure functions of ``(season, now, request parameters)`` that return JSON-ready dicts shaped like the
real captures in tests/fixtures/real (same keys, nesting, value types and result-set headers).
They are time-aware: a game is final, and its numbers visible, only once ``now`` passes its tip by
``FINAL_AFTER``; before that it reads as scheduled, with zero scores and no box score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from nbaprops.dates import EASTERN, season_start_of
from nbaprops.identity import team
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
STANDINGS_NAME = {"LAL": "L.A. Lakers", "LAC": "LA Clippers"}

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


def season_id(season: Season) -> str:
    return f"2{season_start_of(season.label)}"


def pct(made: int, att: int) -> float | None:
    return round(made / att, 3) if att else None


def iso_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def played(season: Season, game: SimGame) -> list[PlayerGame]:
    return [line for line in season.box_by_game.get(game.game_id, []) if line.status == "played"]


def team_totals(lines: Iterable[PlayerGame]) -> dict[str, int]:
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
        pct(s.fgm, s.fga),
        s.fg3m,
        s.fg3a,
        pct(s.fg3m, s.fg3a),
        s.ftm,
        s.fta,
        pct(s.ftm, s.fta),
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
        season_id(season),
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
    totals = _Totals(team_totals(lines))
    own, opp = game.home_score, game.away_score
    if tricode != game.home:
        own, opp = opp, own
    minutes = 240 + 25 * (game.periods - 4)  # five players on court, 48 minutes plus 5 per overtime
    return [
        season_id(season),
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
        lines = played(season, game)
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
        for line in played(season, g):
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
