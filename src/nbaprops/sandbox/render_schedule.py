"""NBA.com's season schedule (scheduleLeagueV2) for a simulated season, as of a moment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nbaprops.dates import EASTERN
from nbaprops.identity import Team, team
from nbaprops.sandbox.model import Season, SimGame
from nbaprops.sandbox.render_nbacom import ARENAS, is_final, iso_z, played, records_through, status_text


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
    lines = played(season, game)
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
        "gameDateUTC": iso_z(midnight_et.astimezone(UTC)),
        "gameTimeUTC": f"1900-01-01T{game.tip_utc.astimezone(UTC):%H:%M}:00Z",
        "gameDateTimeUTC": iso_z(game.tip_utc.astimezone(UTC)),
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
