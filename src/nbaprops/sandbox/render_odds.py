"""The Odds API v4 payloads rendered from a simulated season.

Pure functions. Shapes follow the real captures: historical responses wrap the data in
``{timestamp, previous_timestamp, next_timestamp, data}``; event odds carry ``bookmakers[] ->
markets[] -> outcomes[]`` with full team names (``Team.odds_name``) and, for ``player_points``, the
player's name as the book prints it in ``description``. As in the captures, historical bookmakers
carry a ``last_update`` and current event-odds bookmakers do not. Books post snapshots before tip and
in play (``books.in_play_lines``), until the game is final; nothing after ``now`` is ever served.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from nbaprops.identity import team
from nbaprops.sandbox.model import BOOK_TITLES, GAME_LENGTH, GameLine, PropLine, Season, SimGame

LISTING_HORIZON = timedelta(days=7)  # how far ahead the events listing reaches
MARKETS = ("h2h", "spreads", "totals", "player_points")
US_REGIONS = frozenset({"us", "us2"})
SPORT = {"sport_key": "basketball_nba", "sport_title": "NBA"}


class OddsRequestError(ValueError):
    """A query the real API would refuse with 422 (unknown market, odds format or region)."""


@dataclass(frozen=True, slots=True)
class OddsQuery:
    """The parameters of an event-odds request, validated."""

    markets: tuple[str, ...]
    regions: tuple[str, ...]
    bookmakers: tuple[str, ...]  # empty: every book of the regions
    decimal: bool

    @classmethod
    def parse(cls, params: dict[str, str]) -> OddsQuery:
        """Read ``markets``, ``regions``, ``bookmakers`` and ``oddsFormat`` the way the API does."""
        asked = (m.strip() for m in params.get("markets", "h2h").split(","))
        markets = tuple(dict.fromkeys(m for m in asked if m))
        unknown = [m for m in markets if m not in MARKETS]
        if unknown or not markets:
            raise OddsRequestError(f"Invalid markets: {','.join(unknown) or '(none)'}")
        books = tuple(b.strip() for b in params.get("bookmakers", "").split(",") if b.strip())
        regions = tuple(r.strip() for r in params.get("regions", "").split(",") if r.strip())
        if not books and not regions:
            raise OddsRequestError("Missing regions or bookmakers")
        fmt = params.get("oddsFormat", "decimal")
        if fmt not in {"american", "decimal"}:
            raise OddsRequestError(f"Invalid oddsFormat: {fmt}")
        return cls(markets, regions, books, fmt == "decimal")

    @property
    def region_count(self) -> int:
        """Regions billed: a bookmakers list counts one region per 10 books."""
        return math.ceil(len(self.bookmakers) / 10) if self.bookmakers else len(self.regions)

    def wants(self, book: str) -> bool:
        """Whether this book's odds are requested."""
        return book in self.bookmakers if self.bookmakers else bool(US_REGIONS & set(self.regions))


def iso(moment: datetime) -> str:
    """The API's timestamp format: ``2024-01-25T03:55:40Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _price(american: int, decimal: bool) -> float | int:
    if not decimal:
        return american
    return round(1 + (american / 100 if american > 0 else 100 / -american), 2)


def _american_from_prob(p: float) -> int:
    p = min(max(p, 0.02), 0.98)
    value = -100 * p / (1 - p) if p >= 0.5 else 100 * (1 - p) / p
    return round(value)


def _event(game: SimGame) -> dict[str, Any]:
    return {
        "id": game.odds_event_id,
        **SPORT,
        "commence_time": iso(game.tip_utc),
        "home_team": team(game.home).odds_name,
        "away_team": team(game.away).odds_name,
    }


def latest_at_or_before(times: Sequence[datetime], moment: datetime) -> int | None:
    """Index of the last time <= ``moment`` in a sorted sequence, or None."""
    index = bisect.bisect_right(times, moment) - 1
    return index if index >= 0 else None


def all_snapshot_times(season: Season) -> list[datetime]:
    """Every snapshot time of the season, sorted and unique (the historical events grid)."""
    return sorted({t for times in season.snapshot_times.values() for t in times})


def _listed(season: Season, moment: datetime, start: datetime | None, end: datetime | None) -> list[SimGame]:
    return [
        g
        for g in season.games
        if g.tip_utc + GAME_LENGTH > moment
        and g.tip_utc <= moment + LISTING_HORIZON
        and (start is None or g.tip_utc >= start)
        and (end is None or g.tip_utc <= end)
    ]


def events_payload(
    season: Season, now: datetime, start: datetime | None = None, end: datetime | None = None
) -> list[dict[str, Any]]:
    """``/v4/sports/basketball_nba/events``: games not yet over, tipping within the listing horizon."""
    return [_event(g) for g in _listed(season, now, start, end)]


def _wrap(times: Sequence[datetime], index: int | None, now: datetime, data: Any) -> dict[str, Any]:
    """The historical envelope; neighbours after ``now`` do not exist yet."""
    if index is None:
        following = times[0] if times and times[0] <= now else None
        return {
            "timestamp": None,
            "previous_timestamp": None,
            "next_timestamp": iso(following) if following else None,
            "data": data,
        }
    nxt = times[index + 1] if index + 1 < len(times) and times[index + 1] <= now else None
    return {
        "timestamp": iso(times[index]),
        "previous_timestamp": iso(times[index - 1]) if index > 0 else None,
        "next_timestamp": iso(nxt) if nxt else None,
        "data": data,
    }


def historical_events_payload(
    season: Season, now: datetime, at: datetime, grid: Sequence[datetime]
) -> dict[str, Any]:
    """``/v4/historical/.../events?date=``: the listing at the latest snapshot <= min(at, now)."""
    index = latest_at_or_before(grid, min(at, now))
    data = [] if index is None else [_event(g) for g in _listed(season, grid[index], None, None)]
    return _wrap(grid, index, now, data)


def _latest_lines(lines: Iterable[PropLine | GameLine], moment: datetime) -> dict[str, list[Any]]:
    """Each book's lines from its newest snapshot at or before ``moment``."""
    newest: dict[str, datetime] = {}
    for line in lines:
        seen = newest.get(line.book)
        if line.snapshot_utc <= moment and (seen is None or line.snapshot_utc > seen):
            newest[line.book] = line.snapshot_utc
    out: dict[str, list[Any]] = {}
    for line in lines:
        if newest.get(line.book) == line.snapshot_utc:
            out.setdefault(line.book, []).append(line)
    return out


def _game_markets(game: SimGame, line: GameLine, q: OddsQuery) -> dict[str, list[dict[str, Any]]]:
    home, away = team(game.home).odds_name, team(game.away).odds_name
    p_home = 1 / (1 + 10 ** (line.home_spread / 14))  # about 3 % of win probability per point
    markets = {
        "h2h": [
            {"name": away, "price": _price(_american_from_prob((1 - p_home) * 1.045), q.decimal)},
            {"name": home, "price": _price(_american_from_prob(p_home * 1.045), q.decimal)},
        ],
        "spreads": [
            {"name": away, "price": _price(line.away_spread_price, q.decimal), "point": -line.home_spread},
            {"name": home, "price": _price(line.home_spread_price, q.decimal), "point": line.home_spread},
        ],
        "totals": [
            {"name": "Over", "price": _price(line.over_price, q.decimal), "point": line.total},
            {"name": "Under", "price": _price(line.under_price, q.decimal), "point": line.total},
        ],
    }
    return {k: v for k, v in markets.items() if k in q.markets}


def event_odds(
    season: Season, game: SimGame, moment: datetime, q: OddsQuery, *, historical: bool
) -> tuple[dict[str, Any], int]:
    """One event with each requested book's newest lines at ``moment`` (in-play ones after tip).

    Returns the event object and the number of distinct markets in it (the API bills those).
    """
    props = _latest_lines(season.props_by_game.get(game.game_id, []), moment)
    lines = _latest_lines(season.game_lines_by_game.get(game.game_id, []), moment)
    bookmakers = []
    returned: set[str] = set()
    for book, title in BOOK_TITLES.items():
        if not q.wants(book) or (book not in props and book not in lines):
            continue
        markets: dict[str, list[dict[str, Any]]] = {}
        stamps = [ln.snapshot_utc for ln in (*props.get(book, []), *lines.get(book, []))]
        if book in lines:
            markets |= _game_markets(game, lines[book][0], q)
        if "player_points" in q.markets and book in props:
            outcomes = []
            for prop in sorted(props[book], key=lambda p: season.player_by_id[p.player_id].book_name):
                name = season.player_by_id[prop.player_id].book_name
                outcomes += [
                    {
                        "name": "Over",
                        "description": name,
                        "price": _price(prop.over_price, q.decimal),
                        "point": prop.point,
                    },
                    {
                        "name": "Under",
                        "description": name,
                        "price": _price(prop.under_price, q.decimal),
                        "point": prop.point,
                    },
                ]
            markets["player_points"] = outcomes
        if not markets:
            continue
        updated = iso(max(stamps) + timedelta(seconds=7))
        entry: dict[str, Any] = {"key": book, "title": title}
        if historical:
            entry["last_update"] = updated
        entry["markets"] = [
            {"key": key, "last_update": updated, "outcomes": markets[key]}
            for key in MARKETS
            if key in markets
        ]
        returned |= markets.keys()
        bookmakers.append(entry)
    return _event(game) | {"bookmakers": bookmakers}, len(returned)


def historical_event_odds_payload(
    season: Season, now: datetime, game: SimGame, at: datetime, q: OddsQuery
) -> tuple[dict[str, Any], int] | None:
    """``/v4/historical/.../events/{id}/odds?date=``: the event at its latest snapshot <= min(at, now).

    None when the books had posted nothing for this event by then (the API answers 404).
    """
    times = sorted(season.snapshot_times.get(game.game_id, ()))
    index = latest_at_or_before(times, min(at, now))
    if index is None:
        return None
    data, markets = event_odds(season, game, times[index], q, historical=True)
    return _wrap(times, index, now, data), markets
