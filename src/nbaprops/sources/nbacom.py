"""NBA.com: the season schedule (CDN), player game logs, scoreboard, player index, play-by-play.

stats.nba.com throttles and, from cloud addresses, leaves requests hanging rather than refusing
them; the HTTP client's deadline turns a hang into ``SourceUnavailable`` and the per-host spacing
(``nbacom_min_spacing_s``, 0.6 s by default) keeps us under its limits.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from nbaprops.dates import season_of
from nbaprops.sources.base import NBA_STATS_HEADERS, Endpoint, Fetched, Fetcher

if TYPE_CHECKING:
    from collections.abc import Iterable

SCHEDULE = Endpoint(
    "nbacom",
    "schedule",
    "nbac_schedule_api",
    "nbacom_cdn_base_url",
    "/static/json/staticData/scheduleLeagueV2.json",
)
GAMELOG = Endpoint(
    "nbacom",
    "leaguegamelog",
    "nbac_player_boxscore",
    "nbacom_stats_base_url",
    "/stats/leaguegamelog",
    headers=NBA_STATS_HEADERS,
)
SCOREBOARD = Endpoint(
    "nbacom",
    "scoreboardv2",
    "nbac_scoreboard_v2",
    "nbacom_stats_base_url",
    "/stats/scoreboardv2",
    headers=NBA_STATS_HEADERS,
)
PLAYER_INDEX = Endpoint(
    "nbacom",
    "playerindex",
    "nbac_player_list",
    "nbacom_stats_base_url",
    "/stats/playerindex",
    headers=NBA_STATS_HEADERS,
)
PLAY_BY_PLAY = Endpoint(
    "nbacom",
    "playbyplay",
    "nbac_play_by_play",
    "nbacom_cdn_base_url",
    "/static/json/liveData/playbyplay/playbyplay_{game_id}.json",
)
ENDPOINTS = (SCHEDULE, GAMELOG, SCOREBOARD, PLAYER_INDEX, PLAY_BY_PLAY)


def gamelog_params(season: str, day_from: date | None = None, day_to: date | None = None) -> dict[str, str]:
    """``leaguegamelog`` player rows for a date span, or the whole season when no dates are given."""
    params = {
        "Counter": "1000",
        "Direction": "DESC",
        "LeagueID": "00",
        "PlayerOrTeam": "P",
        "Season": season,
        "SeasonType": "Regular Season",
        "Sorter": "DATE",
    }
    if day_from is not None:
        params["DateFrom"] = day_from.strftime("%m/%d/%Y")
    if day_to is not None:
        params["DateTo"] = day_to.strftime("%m/%d/%Y")
    return params


def fetch_schedule(fetcher: Fetcher) -> Fetched:
    """The whole season's schedule (one document, updated in place by NBA.com)."""
    return fetcher.fetch(SCHEDULE, game_date=None)


def fetch_gamelog(fetcher: Fetcher, day: date) -> Fetched:
    """Player box scores of every game on ``day`` (players who did not play are absent)."""
    return fetcher.fetch(GAMELOG, game_date=day, params=gamelog_params(season_of(day), day, day))


def fetch_scoreboard(fetcher: Fetcher, day: date) -> Fetched:
    """scoreboardV2 for ``day``: games, line scores, standings."""
    params = {"GameDate": day.strftime("%m/%d/%Y"), "LeagueID": "00", "DayOffset": "0"}
    return fetcher.fetch(SCOREBOARD, game_date=day, params=params)


def fetch_player_index(fetcher: Fetcher, season: str) -> Fetched:
    """Every rostered player of a season."""
    params = {
        "Historical": "0",
        "LeagueID": "00",
        "Season": season,
        "SeasonType": "Regular Season",
        "TeamID": "0",
    }
    return fetcher.fetch(PLAYER_INDEX, game_date=None, params=params)


def fetch_play_by_play(fetcher: Fetcher, day: date, game_ids: Iterable[str]) -> list[Fetched]:
    """liveData play-by-play of finished games (the only source of shot zones)."""
    return [fetcher.fetch(PLAY_BY_PLAY, game_date=day, path_args={"game_id": gid}) for gid in game_ids]
