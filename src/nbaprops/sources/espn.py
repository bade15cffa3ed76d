"""ESPN's site API scoreboard: a cross-check source for schedule and final scores.

``dates=YYYYMMDD`` selects the ET game date, but every event's ``date`` is UTC: evening games
carry the next calendar day and are converted back by the parser.
"""

from __future__ import annotations

from datetime import date

from nbaprops.sources.base import Endpoint, Fetched, Fetcher

SCOREBOARD = Endpoint(
    "espn",
    "scoreboard",
    "espn_scoreboard_api",
    "espn_base_url",
    "/apis/site/v2/sports/basketball/nba/scoreboard",
)
ENDPOINTS = (SCOREBOARD,)


def fetch_scoreboard(fetcher: Fetcher, day: date) -> Fetched:
    """The scoreboard of one ET game date."""
    return fetcher.fetch(SCOREBOARD, game_date=day, params={"dates": day.strftime("%Y%m%d")})
