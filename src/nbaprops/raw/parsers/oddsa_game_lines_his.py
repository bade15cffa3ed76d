"""The Odds API event odds for game markets (spreads, totals, moneyline), historical or live.

One row per bookmaker x market x outcome. Prices are kept as sent and also given in both formats
with their implied probability; the format (American or decimal) is detected from the prices and
must be the same across the payload. A historical snapshot taken at or after the tip holds in-play
lines, flagged ``in_play``: they are not closing lines.

Accepted: the historical envelope ``{timestamp, previous_timestamp, next_timestamp, data:{event}}``
and the live bare event object. An event with no bookmakers is legitimate (no book has posted the
game yet) and parses to no rows.
"""

from __future__ import annotations

from typing import Any

from nbaprops.errors import SchemaDrift
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

KIND = "oddsa_game_lines_his"
DESCRIPTION = "The Odds API game odds (spreads/totals/h2h): one row per book x market x outcome"
MARKETS = ("spreads", "totals", "h2h")
BOOKMAKER_KEYS = ("key", "title", "markets")  # last_update: historical snapshots only
MARKET_KEYS = ("key", "last_update", "outcomes")
OUTCOME_KEYS = ("name", "price")  # plus "point" for spreads and totals


def parse(payload: bytes) -> list[Row]:
    """One row per bookmaker x market x outcome of one event's game odds."""
    snapshot, event = unwrap(KIND, load_json(KIND, payload), dict)
    base = event_fields(KIND, event, "data", snapshot)
    names = {
        base["home_team_name"]: ("home", base["home_team"]),
        base["away_team_name"]: ("away", base["away_team"]),
    }
    rows: list[Row] = []
    for b, book in enumerate(items(KIND, event, "bookmakers", "data")):
        where = f"bookmakers[{b}]"
        for key in BOOKMAKER_KEYS:
            field(KIND, book, key, where)
        book_base = base | {
            "book": text(KIND, book, "key", where),
            "book_title": text(KIND, book, "title", where),
            "bookmaker_last_update": (
                iso_utc(timestamp(KIND, book, "last_update", where)) if "last_update" in book else None
            ),
        }
        for m, market in enumerate(items(KIND, book, "markets", where)):
            rows.extend(_market_rows(market, f"{where}.markets[{m}]", book_base, names))
    _add_prices(rows)
    return rows


def _market_rows(market: Any, where: str, base: Row, names: dict[str, tuple[str, str]]) -> list[Row]:
    for key in MARKET_KEYS:
        field(KIND, market, key, where)
    key = text(KIND, market, "key", where)
    if key.startswith("player_"):
        return []  # player markets in the same response belong to oddsa_player_props
    if key not in MARKETS:
        raise SchemaDrift(f"{KIND}: {where}.key is {key!r}, expected one of {', '.join(MARKETS)}")
    updated = iso_utc(timestamp(KIND, market, "last_update", where))
    market_base = base | {"market": key, "market_last_update": updated}
    rows: list[Row] = []
    for o, outcome in enumerate(items(KIND, market, "outcomes", where)):
        here = f"{where}.outcomes[{o}]"
        for required in OUTCOME_KEYS:
            field(KIND, outcome, required, here)
        name = text(KIND, outcome, "name", here)
        point = None if key == "h2h" else number(KIND, outcome, "point", here)
        if key == "totals":
            if name not in ("Over", "Under"):
                raise SchemaDrift(f"{KIND}: {here}.name is {name!r}, expected Over or Under")
            side, team = name.lower(), None
        elif name in names:
            side, team = names[name]
        else:
            raise SchemaDrift(f"{KIND}: {here}.name {name!r} is neither team of the event")
        rows.append(
            market_base
            | {
                "outcome_name": name,
                "side": side,
                "team": team,
                "point": point,
                "price": number(KIND, outcome, "price", here),
            }
        )
    _check_pair(rows, key, where)
    return rows


def _check_pair(rows: list[Row], market: str, where: str) -> None:
    """A two-way market has one outcome per side; spreads mirror and totals share one line."""
    sides = sorted(str(row["side"]) for row in rows)
    expected = ["over", "under"] if market == "totals" else ["away", "home"]
    if sides != expected:
        raise SchemaDrift(f"{KIND}: {where} has outcomes {sides}, expected {expected}")
    first, second = (row["point"] for row in rows)
    if market == "spreads" and abs(float(first) + float(second)) > 1e-9:
        raise SchemaDrift(f"{KIND}: {where} spread points {first} and {second} do not mirror")
    if market == "totals" and first != second:
        raise SchemaDrift(f"{KIND}: {where} totals Over {first} and Under {second} differ")


def _add_prices(rows: list[Row]) -> None:
    """Detect the payload's odds format once, then give every price in both formats."""
    if not rows:
        return
    try:
        fmt = odds_math.price_format(float(row["price"]) for row in rows)
        for row in rows:
            price = float(row["price"])
            row["price_format"] = fmt
            row["price_decimal"] = round(odds_math.to_decimal(price, fmt), 6)
            row["price_american"] = odds_math.to_american(price, fmt)
            row["implied_probability"] = round(odds_math.implied_probability(price, fmt), 6)
            row["in_play"] = None if row["snapshot_timestamp"] is None else row["started_before_snapshot"]
    except ValueError as exc:
        raise SchemaDrift(f"{KIND}: bad prices ({exc})") from None
