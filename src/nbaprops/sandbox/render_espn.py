"""ESPN's site-API scoreboard (``…/basketball/nba/scoreboard?dates=YYYYMMDD``) of a sandbox day.

ESPN files games by the ET date asked for but stamps each event in UTC, so an evening tip shows the
next UTC day, as in the real feed. Team abbreviations and ids are ESPN's (``NO NY WSH SA GS UTAH``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from nbaprops.dates import et_datetime, season_start_of
from nbaprops.identity import team
from nbaprops.sandbox.model import PlayerGame, Season, SimGame
from nbaprops.sandbox.render_nbacom import ARENAS, final_games, is_final, records_through, status_text

_STATS = (
    ("rebounds", "REB", "reb"),
    ("assists", "AST", "ast"),
    ("fieldGoalsAttempted", "FGA", "fga"),
    ("fieldGoalsMade", "FGM", "fgm"),
    ("freeThrowsAttempted", "FTA", "fta"),
    ("freeThrowsMade", "FTM", "ftm"),
    ("points", "PTS", "pts"),
    ("threePointFieldGoalsAttempted", "3PA", "fg3a"),
    ("threePointFieldGoalsMade", "3PM", "fg3m"),
)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _leader(season: Season, lines: list[PlayerGame], stat: str, label: str) -> dict[str, Any]:
    best = max(lines, key=lambda x: (getattr(x, stat), -x.player_id))
    p, espn_team = season.player_by_id[best.player_id], str(team(best.team).espn_id)
    value = getattr(best, stat)
    athlete = {
        "id": str(p.player_id),
        "fullName": p.display_name,
        "displayName": p.display_name,
        "shortName": f"{p.first_name[:1]}. {p.last_name}",
        "links": [
            {
                "rel": ["playercard", "desktop", "athlete"],
                "href": f"https://www.espn.com/nba/player/_/id/{p.player_id}",
            }
        ],
        "headshot": f"https://a.espncdn.com/i/headshots/nba/players/full/{p.player_id}.png",
        "jersey": p.jersey or "",
        "position": {"abbreviation": p.position},
        "team": {"id": espn_team},
        "active": True,
    }
    return {
        "name": stat if stat != "pts" else "points",
        "displayName": label,
        "shortDisplayName": label[:3],
        "abbreviation": label[:3],
        "leaders": [
            {"displayValue": str(value), "value": float(value), "athlete": athlete, "team": {"id": espn_team}}
        ],
    }


def _competitor(
    season: Season,
    game: SimGame,
    tricode: str,
    *,
    final: bool,
    record: dict[str, tuple[int, int]],
    home_away: dict[str, list[int]],
) -> dict[str, Any]:
    t = team(tricode)
    is_home = tricode == game.home
    periods = game.home_periods if is_home else game.away_periods
    own, other = (game.home_score, game.away_score) if is_home else (game.away_score, game.home_score)
    box = season.box_by_game.get(game.game_id, [])
    lines = [x for x in box if x.team == tricode and x.status == "played"]
    link = f"https://www.espn.com/nba/team/_/name/{t.espn_abbr.lower()}/{t.city.lower()}-{t.nickname.lower()}"
    w, lost = record.get(tricode, (0, 0))
    hw, hl, rw, rl = home_away.get(tricode, [0, 0, 0, 0])
    totals = {key: sum(getattr(x, key) for x in lines) for _, _, key in _STATS} if final else {}
    return {
        "id": str(t.espn_id),
        "uid": f"s:40~l:46~t:{t.espn_id}",
        "type": "team",
        "order": 0 if is_home else 1,
        "homeAway": "home" if is_home else "away",
        "winner": final and own > other,
        "team": {
            "id": str(t.espn_id),
            "uid": f"s:40~l:46~t:{t.espn_id}",
            "location": t.city,
            "name": t.nickname,
            "abbreviation": t.espn_abbr,
            "displayName": t.full_name,
            "shortDisplayName": t.nickname,
            "color": "000000",
            "alternateColor": "ffffff",
            "isActive": True,
            "venue": {"id": str(t.espn_id)},
            "links": [
                {
                    "rel": ["clubhouse", "desktop", "team"],
                    "href": link,
                    "text": "Clubhouse",
                    "isExternal": False,
                    "isPremium": False,
                }
            ],
            "logo": f"https://a.espncdn.com/i/teamlogos/nba/500/scoreboard/{t.espn_abbr.lower()}.png",
        },
        "score": str(own if final else 0),
        "linescores": [
            {"value": float(v), "displayValue": str(v), "period": i} for i, v in enumerate(periods, start=1)
        ]
        if final
        else [],
        "statistics": [
            {"name": name, "abbreviation": abbr, "displayValue": str(totals[key])}
            for name, abbr, key in _STATS
        ]
        if final
        else [],
        "leaders": [
            _leader(season, lines, s, label)
            for s, label in (("pts", "Points"), ("reb", "Rebounds"), ("ast", "Assists"))
        ]
        if lines
        else [],
        "records": [
            {"name": "overall", "abbreviation": "Game", "type": "total", "summary": f"{w}-{lost}"},
            {"name": "Home", "type": "home", "summary": f"{hw}-{hl}"},
            {"name": "Road", "type": "road", "summary": f"{rw}-{rl}"},
        ],
    }


def _status(game: SimGame, now: datetime) -> dict[str, Any]:
    final = is_final(game, now)
    text = status_text(game, now)
    kind = (
        {
            "id": "3",
            "name": "STATUS_FINAL",
            "state": "post",
            "completed": True,
            "description": "Final",
            "detail": text,
            "shortDetail": text,
        }
        if final
        else {
            "id": "1",
            "name": "STATUS_SCHEDULED",
            "state": "pre",
            "completed": False,
            "description": "Scheduled",
            "detail": text,
            "shortDetail": text,
        }
    )
    if final and game.periods > 4:
        kind["altDetail"] = text.removeprefix("Final/")
    return {"clock": 0.0, "displayClock": "0.0", "period": game.periods if final else 0, "type": kind}


def scoreboard_payload(season: Season, now: datetime, game_date: date) -> dict[str, Any]:
    """ESPN's scoreboard for the ET date ``game_date`` (``dates=YYYYMMDD``), as seen at ``now``."""
    start_year = season_start_of(season.label)
    done = final_games(season, now)
    record = records_through(g for g in done if g.game_date <= game_date)
    home_away: dict[str, list[int]] = {}
    for g in done:
        if g.game_date <= game_date:
            home_won = g.home_score > g.away_score
            home_away.setdefault(g.home, [0, 0, 0, 0])[0 if home_won else 1] += 1
            home_away.setdefault(g.away, [0, 0, 0, 0])[3 if home_won else 2] += 1
    events = []
    for g in season.games_by_date.get(game_date, []):
        final = is_final(g, now)
        home, away = team(g.home), team(g.away)
        espn = str(g.espn_id)
        _, arena, city, state = ARENAS[g.home]
        status = _status(g, now)
        competition = {
            "id": espn,
            "uid": f"s:40~l:46~e:{espn}~c:{espn}",
            "date": _stamp(g.tip_utc),
            "attendance": g.attendance if final else 0,
            "type": {"id": "1", "abbreviation": "STD"},
            "timeValid": True,
            "neutralSite": False,
            "conferenceCompetition": False,
            "playByPlayAvailable": final,
            "recent": False,
            "venue": {
                "id": str(home.espn_id),
                "fullName": arena,
                "address": {"city": city, "state": state},
                "indoor": True,
            },
            "competitors": [
                _competitor(season, g, x, final=final, record=record, home_away=home_away)
                for x in (g.home, g.away)
            ],
            "notes": [],
            "status": status,
            "broadcasts": [{"market": "home", "names": [f"SBX{g.home}"]}],
            "format": {"regulation": {"periods": 4}},
            "startDate": _stamp(g.tip_utc),
            "broadcast": "",
            "geoBroadcasts": [
                {
                    "type": {"id": "1", "shortName": "TV"},
                    "market": {"id": "2", "type": "Home"},
                    "media": {"shortName": f"SBX{g.home}"},
                    "lang": "en",
                    "region": "us",
                }
            ],
            "highlights": [],
            "headlines": [],
        }
        events.append(
            {
                "id": espn,
                "uid": f"s:40~l:46~e:{espn}",
                "date": _stamp(g.tip_utc),
                "name": f"{away.full_name} at {home.full_name}",
                "shortName": f"{away.espn_abbr} @ {home.espn_abbr}",
                "season": {"year": start_year + 1, "type": 2, "slug": "regular-season"},
                "competitions": [competition],
                "links": [
                    {
                        "language": "en-US",
                        "rel": ["summary", "desktop", "event"],
                        "href": f"https://www.espn.com/nba/game/_/gameId/{espn}",
                        "text": "Gamecast",
                        "shortText": "Gamecast",
                        "isExternal": False,
                        "isPremium": False,
                    }
                ],
                "status": status,
            }
        )
    first, last = et_datetime(season.first_date, 3), et_datetime(season.last_date, 2, 59)
    league = {
        "id": "46",
        "uid": "s:40~l:46",
        "name": "National Basketball Association",
        "abbreviation": "NBA",
        "slug": "nba",
        "season": {
            "year": start_year + 1,
            "startDate": _stamp(first),
            "endDate": _stamp(last),
            "displayName": season.label,
            "type": {"id": "2", "type": 2, "name": "Regular Season", "abbreviation": "reg"},
        },
        "logos": [],
        "calendarType": "day",
        "calendarIsWhitelist": True,
        "calendarStartDate": _stamp(first),
        "calendarEndDate": _stamp(last),
        "calendar": [_stamp(et_datetime(day, 3)) for day in sorted(season.games_by_date)],
    }
    return {"leagues": [league], "events": events}


def parse_espn_date(text: str) -> date:
    """ESPN's ``dates`` parameter (``YYYYMMDD``) as the ET game date it names; ValueError otherwise."""
    return datetime.strptime(text.strip(), "%Y%m%d").replace(tzinfo=UTC).date()
