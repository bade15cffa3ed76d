"""stats.nba.com ``scoreboardV2`` for a date of a simulated season: games, line scores, standings, leaders."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from nbaprops.dates import season_start_of
from nbaprops.identity import team
from nbaprops.sandbox.model import PlayerGame, Season, SimGame
from nbaprops.sandbox.render_nbacom import (
    ARENAS,
    STANDINGS_NAME,
    final_games,
    headers_rowset,
    is_final,
    pct,
    played,
    records_through,
    season_id,
    status_text,
    team_totals,
)

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
                season_id(season),
                day.isoformat(),
                conference,
                STANDINGS_NAME.get(tricode, t.city),
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
        lines = played(season, g) if final else []
        for t, periods in ((away, g.away_periods), (home, g.home_periods)):
            w, lost = record.get(t.tricode, (0, 0))
            own = [x for x in lines if x.team == t.tricode]
            if final:
                s = team_totals(own)
                scores: list[Any] = [*periods, *[0] * (14 - len(periods))]
                tail: list[Any] = [
                    sum(periods),
                    pct(s["fgm"], s["fga"]),
                    pct(s["ftm"], s["fta"]),
                    pct(s["fg3m"], s["fg3a"]),
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
