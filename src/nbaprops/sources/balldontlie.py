"""Ball Don't Lie: games, box scores, player injuries, active players, teams.

Authentication is the raw key in the ``Authorization`` header. Lists are cursor-paginated:
``meta.next_cursor`` is absent on the last page. Every page is stored as its own lake object.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.sources.base import Endpoint, Fetched, Fetcher

TEAMS = Endpoint("bdl", "teams", "bdl_teams", "bdl_base_url", "/v1/teams", auth="bdl_header")
GAMES = Endpoint("bdl", "games", "bdl_games", "bdl_base_url", "/v1/games", auth="bdl_header")
BOX_SCORES = Endpoint(
    "bdl", "box_scores", "bdl_box_scores", "bdl_base_url", "/v1/box_scores", auth="bdl_header"
)
INJURIES = Endpoint(
    "bdl", "player_injuries", "bdl_injuries", "bdl_base_url", "/v1/player_injuries", auth="bdl_header"
)
ACTIVE_PLAYERS = Endpoint(
    "bdl", "players_active", "bdl_players", "bdl_base_url", "/v1/players/active", auth="bdl_header"
)
ENDPOINTS = (TEAMS, GAMES, BOX_SCORES, INJURIES, ACTIVE_PLAYERS)
PER_PAGE = 100
MAX_PAGES = 200  # a bound, not an expectation: the whole league's active players is ~6 pages


def _next_cursor(fetched: Fetched) -> Any:
    try:
        document = json.loads(fetched.response.content)
    except (ValueError, RecursionError):
        raise PayloadError(f"bdl/{fetched.endpoint.name}: page is not JSON ({fetched.obj.path})") from None
    meta = document.get("meta") if isinstance(document, dict) else None
    return meta.get("next_cursor") if isinstance(meta, dict) else None


def fetch_pages(
    fetcher: Fetcher, endpoint: Endpoint, *, game_date: date | None, params: dict[str, Any] | None = None
) -> list[Fetched]:
    """Walk a cursor-paginated list to its end, storing every page."""
    pages: list[Fetched] = []
    query: dict[str, Any] = {"per_page": PER_PAGE, **(params or {})}
    for _ in range(MAX_PAGES):
        page = fetcher.fetch(endpoint, game_date=game_date, params=query)
        pages.append(page)
        cursor = _next_cursor(page)
        if cursor is None:
            return pages
        query = {**query, "cursor": cursor}
    raise SchemaDrift(f"bdl/{endpoint.name}: more than {MAX_PAGES} pages; the cursor does not end")


def fetch_games(fetcher: Fetcher, day: date) -> list[Fetched]:
    """The day's games (scheduled or final)."""
    return fetch_pages(fetcher, GAMES, game_date=day, params={"dates[]": day.isoformat()})


def fetch_box_scores(fetcher: Fetcher, day: date) -> Fetched:
    """Every player row of the day's games; players who did not play are present with min "00"."""
    return fetcher.fetch(BOX_SCORES, game_date=day, params={"date": day.isoformat()})


def fetch_injuries(fetcher: Fetcher, day: date) -> list[Fetched]:
    """League-wide injury notes as of now (filed under the day they were fetched for)."""
    return fetch_pages(fetcher, INJURIES, game_date=day)


def fetch_active_players(fetcher: Fetcher) -> list[Fetched]:
    """Every active player."""
    return fetch_pages(fetcher, ACTIVE_PLAYERS, game_date=None)


def fetch_teams(fetcher: Fetcher) -> Fetched:
    """The 30 franchises (and BDL's historical ones)."""
    return fetcher.fetch(TEAMS, game_date=None)
