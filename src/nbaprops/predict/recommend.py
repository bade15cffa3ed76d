"""From a calibrated P(over) and the posted prices to OVER / UNDER / PASS / NO_LINE, a stake and a reason.

A side is recommended only when both its calibrated probability and its expected value at the posted
American price clear the thresholds; when both sides would, the one with the larger EV wins. The stake
is a fraction of the full Kelly stake, capped, in units of bankroll. Everything is vectorized over rows;
the price arithmetic is ``nbaprops.raw.odds_math``, applied once per distinct price.

Worked numbers at -110 on both sides (decimal 1.9091): break-even 52.38%; with p = 0.55 the EV per unit
staked is 0.55 * 1.9091 - 1 = +0.05 and full Kelly is (0.9091 * 0.55 - 0.45) / 0.9091 = 5.5% of
bankroll, a quarter of which is 1.375%.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbaprops.raw import odds_math

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

OVER = "OVER"
UNDER = "UNDER"
PASS = "PASS"  # noqa: S105 (a recommendation, not a password)
NO_LINE = "NO_LINE"


@dataclass(frozen=True)
class Thresholds:
    """What a side must clear to be recommended, and how it is staked.

    ``min_probability`` and ``min_ev`` are both required (EV per unit staked at the posted price);
    ``kelly_fraction`` scales the full Kelly stake and ``max_stake`` caps it (fractions of bankroll).
    """

    min_probability: float = 0.55
    min_ev: float = 0.03
    kelly_fraction: float = 0.25
    max_stake: float = 0.02

    def __post_init__(self) -> None:
        if not 0.0 < self.min_probability < 1.0:
            raise ValueError(f"min_probability must lie in (0, 1): {self.min_probability}")
        if not 0.0 < self.kelly_fraction <= 1.0:
            raise ValueError(f"kelly_fraction must lie in (0, 1]: {self.kelly_fraction}")
        if not 0.0 <= self.max_stake <= 1.0:
            raise ValueError(f"max_stake must lie in [0, 1]: {self.max_stake}")


@dataclass(frozen=True)
class Recommendations:
    """One entry per input row. Probabilities and EVs are NaN where a price is missing.

    ``implied_*`` are the book's break-even probabilities (vig included), ``fair_*`` the same with the
    margin removed (no-vig); ``probability``, ``ev`` and ``edge`` (probability - fair) describe the side
    in ``side`` (for PASS: the better of the two sides, for NO_LINE: NaN); ``stake`` is 0 unless a side
    is recommended.
    """

    side: NDArray[np.str_]
    reason: NDArray[np.str_]
    stake: NDArray[np.float64]
    probability: NDArray[np.float64]
    ev: NDArray[np.float64]
    edge: NDArray[np.float64]
    decimal_over: NDArray[np.float64]
    decimal_under: NDArray[np.float64]
    implied_over: NDArray[np.float64]
    implied_under: NDArray[np.float64]
    fair_over: NDArray[np.float64]
    fair_under: NDArray[np.float64]
    ev_over: NDArray[np.float64]
    ev_under: NDArray[np.float64]


def decimal_prices(american: ArrayLike) -> NDArray[np.float64]:
    """American prices -> decimal prices per row; NaN stays NaN, an invalid price is a ``ValueError``."""
    import numpy as np

    prices = np.atleast_1d(np.asarray(american, dtype=np.float64))
    out = np.full(prices.shape, np.nan)
    present = np.isfinite(prices)
    # A slate has a handful of distinct prices, so convert each once and scatter back.
    distinct, inverse = np.unique(prices[present], return_inverse=True)
    converted = np.array([odds_math.american_to_decimal(float(v)) for v in distinct], dtype=np.float64)
    out[present] = converted[inverse] if distinct.size else np.empty(0)
    return out


def fair_probabilities(
    decimal_over: ArrayLike, decimal_under: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """No-vig probabilities of the over and under from their decimal prices (NaN if either is NaN).

    The margin is removed proportionally, as ``odds_math.no_vig`` does for one market.
    """
    import numpy as np

    implied_over = 1.0 / np.asarray(decimal_over, dtype=np.float64)
    implied_under = 1.0 / np.asarray(decimal_under, dtype=np.float64)
    total = implied_over + implied_under
    return implied_over / total, implied_under / total


def expected_value(
    probability: ArrayLike, decimal_price: ArrayLike, push: ArrayLike = 0.0
) -> NDArray[np.float64]:
    """Expected profit per unit staked: ``p * decimal - 1 + push`` (a push returns the stake)."""
    import numpy as np

    win = np.asarray(probability, dtype=np.float64)
    return win * np.asarray(decimal_price, dtype=np.float64) - 1.0 + np.asarray(push, dtype=np.float64)


def kelly_stake(
    probability: ArrayLike,
    decimal_price: ArrayLike,
    push: ArrayLike = 0.0,
    *,
    fraction: float,
    cap: float,
) -> NDArray[np.float64]:
    """Fractional Kelly stake as a share of bankroll, capped; 0 where the bet has no edge.

    With win probability ``p``, loss probability ``q = 1 - p - push`` and net odds ``b = decimal - 1``,
    full Kelly is ``(b p - q) / (b (p + q))``, which is the familiar ``(b p - q) / b`` without pushes.
    """
    import numpy as np

    p = np.asarray(probability, dtype=np.float64)
    q = 1.0 - p - np.asarray(push, dtype=np.float64)
    b = np.asarray(decimal_price, dtype=np.float64) - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        full = (b * p - q) / (b * (p + q))
    stake = np.clip(fraction * full, 0.0, cap)
    return np.where(np.isfinite(stake), stake, 0.0)


def _fmt(template: str, values: NDArray[np.float64]) -> NDArray[np.str_]:
    import numpy as np

    return np.char.mod(template, values)


def _join(*parts: NDArray[np.str_] | str) -> NDArray[np.str_]:
    import numpy as np

    joined = np.asarray(parts[0])
    for part in parts[1:]:
        joined = np.char.add(joined, part)
    return joined


def recommend(
    p_over_calibrated: ArrayLike,
    over_price: ArrayLike,
    under_price: ArrayLike,
    *,
    p_push: ArrayLike | None = None,
    thresholds: Thresholds | None = None,
) -> Recommendations:
    """Recommend a side per row from calibrated P(over) and American prices (NaN: no line/price).

    ``P(under) = 1 - P(over) - P(push)``; ``p_push`` (default 0, exact for half-point lines) is the
    chance of landing on a whole-number line, which returns the stake and so enters EV and Kelly.
    Sides: NO_LINE when either price is missing, PASS when the probability is missing or no side clears
    both thresholds, else OVER or UNDER. Reasons read like ``p=0.58 >= 0.55 and EV=+0.07 >= 0.03``.
    """
    import numpy as np

    t = thresholds or Thresholds()
    p_over = np.atleast_1d(np.asarray(p_over_calibrated, dtype=np.float64))
    dec_over = decimal_prices(over_price)
    dec_under = decimal_prices(under_price)
    if not (p_over.shape == dec_over.shape == dec_under.shape):
        raise ValueError("p_over_calibrated, over_price and under_price must have one shape")
    push = np.zeros_like(p_over) if p_push is None else np.asarray(p_push, dtype=np.float64)
    if push.shape != p_over.shape:
        raise ValueError("p_push must have the shape of p_over_calibrated")
    push = np.nan_to_num(push, nan=0.0)
    if ((p_over < 0) | (p_over > 1)).any() or ((push < 0) | (p_over + push > 1 + 1e-9)).any():
        raise ValueError("probabilities must lie in [0, 1] and P(over) + P(push) must not exceed 1")

    implied_over, implied_under = 1.0 / dec_over, 1.0 / dec_under
    fair_over, fair_under = fair_probabilities(dec_over, dec_under)
    p_under = np.clip(1.0 - p_over - push, 0.0, 1.0)
    ev_over = expected_value(p_over, dec_over, push)
    ev_under = expected_value(p_under, dec_under, push)

    with np.errstate(invalid="ignore"):
        over_ok = (p_over >= t.min_probability) & (ev_over >= t.min_ev)
        under_ok = (p_under >= t.min_probability) & (ev_under >= t.min_ev)
        over_better = np.nan_to_num(ev_over, nan=-np.inf) >= np.nan_to_num(ev_under, nan=-np.inf)
    no_line = np.isnan(dec_over) | np.isnan(dec_under)
    no_probability = np.isnan(p_over) & ~no_line
    pick_over = over_ok & (over_better | ~under_ok) & ~no_line
    pick_under = under_ok & ~pick_over & ~no_line
    # The side described on the row: the pick, or for PASS the side with the better EV.
    describe_over = pick_over | (~pick_under & over_better)

    side = np.full(p_over.shape, PASS, dtype="<U7")
    side[pick_over] = OVER
    side[pick_under] = UNDER
    side[no_line] = NO_LINE

    probability = np.where(describe_over, p_over, p_under)
    ev = np.where(describe_over, ev_over, ev_under)
    edge = probability - np.where(describe_over, fair_over, fair_under)
    decimal = np.where(describe_over, dec_over, dec_under)
    picked = pick_over | pick_under
    stake = np.where(
        picked, kelly_stake(probability, decimal, push, fraction=t.kelly_fraction, cap=t.max_stake), 0.0
    )

    with np.errstate(invalid="ignore"):
        p_cmp = np.where(probability >= t.min_probability, " >= ", " < ")
        ev_cmp = np.where(ev >= t.min_ev, " >= ", " < ")
    measured = _join(
        _fmt("p=%.2f", probability),
        p_cmp,
        f"{t.min_probability:.2f} and EV=",
        _fmt("%+.2f", ev),
        ev_cmp,
        f"{t.min_ev:.2f}",
    )
    side_name = np.where(describe_over, OVER, UNDER)
    below = _join("edge below threshold: ", side_name, " ", measured)
    reason = np.where(picked, measured, below)
    reason = np.where(no_probability, "no probability", reason)
    missing_both = np.isnan(dec_over) & np.isnan(dec_under)
    reason = np.where(no_line, np.where(missing_both, "no line", "no price for one side"), reason)

    nan = np.full(p_over.shape, np.nan)
    return Recommendations(
        side=side,
        reason=reason.astype(np.str_),
        stake=stake,
        probability=np.where(no_line, nan, probability),
        ev=np.where(no_line, nan, ev),
        edge=np.where(no_line, nan, edge),
        decimal_over=dec_over,
        decimal_under=dec_under,
        implied_over=implied_over,
        implied_under=implied_under,
        fair_over=fair_over,
        fair_under=fair_under,
        ev_over=ev_over,
        ev_under=ev_under,
    )
