"""The Odds API event odds for player prop markets (``player_points`` and other ``player_*``).

One row per bookmaker x market x player x line, holding the Over and Under prices of that line
side by side (American, whatever the payload's format), their implied probabilities, the book's
overround and the no-vig probabilities. Each outcome's ``description`` is the player's name as the
book spells it.

Pairing rule: every (book, market, player, point) must have exactly one Over and one Under. A player
listed at two points (Over 17.5 and Under 18.5) therefore gives two lines, each of which must be
complete; a lone side, a repeated side or any other outcome name raises ``SchemaDrift`` because a
line without both prices cannot be de-vigged.

Accepted: the live bare event object and the historical envelope ``{timestamp, …, data:{event}}``.
An event without bookmakers, or whose books list no outcomes yet, parses to no rows (legitimate:
props are posted late on game day).
"""

from __future__ import annotations

from typing import Any

from nbaprops.errors import SchemaDrift
from nbaprops.identity import player_lookup
from nbaprops.raw import odds_math
from nbaprops.raw.parsers.oddsa_events_his import (
    event_fields,
    field,
    iso_utc,
    items,
    load_json,
    number,
    text,
    timestamp,
    unwrap,
)
from nbaprops.raw.registry import Row

KIND = "oddsa_player_props"
DESCRIPTION = "The Odds API player props: one row per book x player x line, Over and Under paired"
MARKET_PREFIX = "player_"
BOOKMAKER_KEYS = ("key", "title", "markets")
MARKET_KEYS = ("key", "last_update", "outcomes")
OUTCOME_KEYS = ("name", "description", "price", "point")

_Line = tuple[str, str, str, float]  # book, market, player, point


def parse(payload: bytes) -> list[Row]:
    """One row per book x market x player x line of one event's player props."""
    snapshot, event = unwrap(KIND, load_json(KIND, payload), dict)
    base = event_fields(KIND, event, "data", snapshot)
    sides: dict[_Line, dict[str, float]] = {}
    context: dict[_Line, Row] = {}
    for b, book in enumerate(items(KIND, event, "bookmakers", "data")):
        where = f"bookmakers[{b}]"
        for key in BOOKMAKER_KEYS:
            field(KIND, book, key, where)
        book_key, title = text(KIND, book, "key", where), text(KIND, book, "title", where)
        for m, market in enumerate(items(KIND, book, "markets", where)):
            _collect(market, f"{where}.markets[{m}]", (book_key, title), sides, context)
    prices = [price for pair in sides.values() for price in pair.values()]
    if not prices:
        return []
    try:
        fmt = odds_math.price_format(prices)
    except ValueError as exc:
        raise SchemaDrift(f"{KIND}: bad prices ({exc})") from None
    rows = []
    for line, pair in sides.items():
        if sorted(pair) != ["Over", "Under"]:
            book, _, player, point = line
            raise SchemaDrift(
                f"{KIND}: {book} {player!r} {point} has {sorted(pair)}, expected Over and Under"
            )
        rows.append(base | context[line] | _prices(pair["Over"], pair["Under"], fmt))
    return rows


def _collect(
    market: Any,
    where: str,
    book_names: tuple[str, str],
    sides: dict[_Line, dict[str, float]],
    context: dict[_Line, Row],
) -> None:
    """Add one market's outcomes to ``sides`` (prices by Over/Under) and ``context`` (the line's columns)."""
    book, title = book_names
    for key in MARKET_KEYS:
        field(KIND, market, key, where)
    market_key = text(KIND, market, "key", where)
    if not market_key.startswith(MARKET_PREFIX):
        # One event-odds call asks for player_points,spreads,totals; game markets belong to
        # oddsa_game_lines_his, which parses the same payload.
        return
    last_update = iso_utc(timestamp(KIND, market, "last_update", where))
    for o, outcome in enumerate(items(KIND, market, "outcomes", where)):
        here = f"{where}.outcomes[{o}]"
        for key in OUTCOME_KEYS:
            field(KIND, outcome, key, here)
        name = text(KIND, outcome, "name", here)
        if name not in ("Over", "Under"):
            raise SchemaDrift(f"{KIND}: {here}.name is {name!r}, expected Over or Under")
        player = text(KIND, outcome, "description", here).strip()
        point = number(KIND, outcome, "point", here)
        if not 0 <= point <= 200:
            raise SchemaDrift(f"{KIND}: {here}.point {point} is outside 0-200")
        line = (book, market_key, player, point)
        pair = sides.setdefault(line, {})
        if name in pair:
            raise SchemaDrift(f"{KIND}: {here} repeats the {name} of {player!r} at {point}")
        pair[name] = number(KIND, outcome, "price", here)
        context[line] = {
            "book": book,
            "book_title": title,
            "market": market_key,
            "last_update": last_update,
            "player_name": player,
            "player_lookup": player_lookup(player),
            "point": point,
        }


def _prices(over: float, under: float, fmt: odds_math.PriceFormat) -> Row:
    try:
        p_over = odds_math.implied_probability(over, fmt)
        p_under = odds_math.implied_probability(under, fmt)
        fair_over, fair_under = odds_math.no_vig([p_over, p_under])
        return {
            "price_format": fmt,
            "over_price": odds_math.to_american(over, fmt),
            "under_price": odds_math.to_american(under, fmt),
            "over_price_decimal": round(odds_math.to_decimal(over, fmt), 6),
            "under_price_decimal": round(odds_math.to_decimal(under, fmt), 6),
            "over_implied": round(p_over, 6),
            "under_implied": round(p_under, 6),
            "overround": round(p_over + p_under, 6),
            "over_no_vig": round(fair_over, 6),
            "under_no_vig": round(fair_under, 6),
        }
    except ValueError as exc:
        raise SchemaDrift(f"{KIND}: bad prices ({exc})") from None
