"""Bookmaker price arithmetic: American and decimal odds, implied probability, overround, no-vig.

American odds are integers with ``|price| >= 100`` (``-140`` risks 140 to win 100, ``+110`` risks 100
to win 110); decimal odds are the total return per unit staked and always exceed 1. The Odds API
serves either, depending on its ``oddsFormat`` parameter, so parsers detect the format from the prices
themselves (``price_format``) and convert to both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

PriceFormat = Literal["american", "decimal"]
# A decimal price this large (+9900 American) is not offered on NBA lines; above it, a price is
# read as American. Between 1 and this bound a price is decimal.
DECIMAL_CEILING = 100.0


def american_to_decimal(american: float) -> float:
    """American odds -> decimal odds: ``-140`` -> 1.714…, ``+110`` -> 2.1."""
    if -100 < american < 100:
        raise ValueError(f"not an American price: {american} (must be <= -100 or >= +100)")
    if american > 0:
        return 1.0 + american / 100.0
    return 1.0 + 100.0 / -american


def decimal_to_american(decimal: float) -> int:
    """Decimal odds -> American odds, rounded to a whole number: 1.91 -> -110, 2.1 -> +110."""
    if decimal <= 1.0:
        raise ValueError(f"not a decimal price: {decimal} (must exceed 1)")
    if decimal >= 2.0:
        return round((decimal - 1.0) * 100.0)
    return round(-100.0 / (decimal - 1.0))


def implied_probability_american(american: float) -> float:
    """The break-even probability of an American price: ``-140`` -> 0.5833, ``+110`` -> 0.4762."""
    return 1.0 / american_to_decimal(american)


def implied_probability_decimal(decimal: float) -> float:
    """The break-even probability of a decimal price: 1.87 -> 0.5348."""
    if decimal <= 1.0:
        raise ValueError(f"not a decimal price: {decimal} (must exceed 1)")
    return 1.0 / decimal


def implied_probability(price: float, price_format: PriceFormat) -> float:
    """The break-even probability of ``price`` in the given format."""
    if price_format == "american":
        return implied_probability_american(price)
    return implied_probability_decimal(price)


def to_decimal(price: float, price_format: PriceFormat) -> float:
    """``price`` as decimal odds, whatever its format."""
    return american_to_decimal(price) if price_format == "american" else float(price)


def to_american(price: float, price_format: PriceFormat) -> int:
    """``price`` as whole-number American odds, whatever its format."""
    return round(price) if price_format == "american" else decimal_to_american(price)


def classify_price(price: float) -> PriceFormat:
    """The format one price is written in; ``ValueError`` when it is neither.

    American prices are whole numbers at or beyond ±100; decimal prices lie in (1, 100).
    """
    if 1.0 < price < DECIMAL_CEILING:
        return "decimal"
    if abs(price) >= 100 and float(price).is_integer():
        return "american"
    raise ValueError(f"not a price in American or decimal odds: {price}")


def price_format(prices: Iterable[float]) -> PriceFormat:
    """The one format that every price of a payload is written in.

    A mix of formats (or no prices at all) is a ``ValueError``: a response is requested in one
    ``oddsFormat``, so a mix means the payload is not what it claims to be.
    """
    formats = {classify_price(p) for p in prices}
    if len(formats) != 1:
        raise ValueError(f"prices must share one format, found {sorted(formats) or 'none'}")
    return formats.pop()


def overround(probabilities: Sequence[float]) -> float:
    """The book's total implied probability across all outcomes of a market (> 1: the margin)."""
    if not probabilities:
        raise ValueError("overround needs at least one outcome")
    return float(sum(probabilities))


def no_vig(probabilities: Sequence[float]) -> tuple[float, ...]:
    """Implied probabilities scaled to sum to 1 (the margin removed proportionally)."""
    total = overround(probabilities)
    if total <= 0:
        raise ValueError("implied probabilities must be positive")
    return tuple(p / total for p in probabilities)
