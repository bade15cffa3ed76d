"""From a calibrated P(over) and the posted prices to OVER / UNDER / PASS / NO_LINE, a stake and a reason.

A side is recommended only when both its calibrated probability and its expected value at the posted
American price clear the thresholds; when both sides would, the one with the larger EV wins. Everything
is vectorized over rows; the price arithmetic is ``nbaprops.raw.odds_math``, applied once per distinct
price.

**Stakes a bettor can survive.** The stake is fractional Kelly, but not on the calibrated probability
itself: that is shrunk toward the market's no-vig probability first (``p_bet = fair + s (p - fair)``,
``s = market_shrink``), because a model's edge over a sharp market is more often noise than not and
full-confidence Kelly on a noisy edge loses money. The same shrunk probability gives the **edge-adjusted
EV** the picks are ranked by (``p_bet * decimal - 1``: at equal edge a long price no longer wins the
ranking on price alone). Each pick is capped (``max_stake``); then ``size_slate`` sizes a whole slate
at once: at most ``max_picks_per_team`` picks on one team's players (the best by edge-adjusted EV; the
rest become PASS, since their outcomes move together with the game script), and the stakes of a team,
of a game and of the day scaled down together until each sum is within its cap.

Worked numbers at -110 on both sides (decimal 1.9091): break-even 52.38%; with p = 0.58 the EV per unit
staked is 0.58 * 1.9091 - 1 = +0.107; shrunk halfway to the market's 0.50, p_bet = 0.54, full Kelly is
(0.9091 * 0.54 - 0.46) / 0.9091 = 3.4% of bankroll, a quarter of which is 0.85%.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbaprops.raw import odds_math

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    from nbaprops.settings import Settings

OVER = "OVER"
UNDER = "UNDER"
PASS = "PASS"  # noqa: S105 (a recommendation, not a password)
NO_LINE = "NO_LINE"


@dataclass(frozen=True)
class Thresholds:
    """What a side must clear to be recommended, and how one pick is staked.

    ``min_probability`` and ``min_ev`` are both required (EV per unit staked at the posted price);
    ``market_shrink`` is the share of the model's edge over the no-vig market that staking believes,
    ``kelly_fraction`` scales the full Kelly stake of that and ``max_stake`` caps it (fractions of
    bankroll).
    """

    min_probability: float = 0.55
    min_ev: float = 0.03
    kelly_fraction: float = 0.25
    max_stake: float = 0.02
    market_shrink: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.min_probability < 1.0:
            raise ValueError(f"min_probability must lie in (0, 1): {self.min_probability}")
        if not 0.0 < self.kelly_fraction <= 1.0:
            raise ValueError(f"kelly_fraction must lie in (0, 1]: {self.kelly_fraction}")
        if not 0.0 <= self.max_stake <= 1.0:
            raise ValueError(f"max_stake must lie in [0, 1]: {self.max_stake}")
        if not 0.0 <= self.market_shrink <= 1.0:
            raise ValueError(f"market_shrink must lie in [0, 1]: {self.market_shrink}")

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        """The thresholds and per-pick staking of the settings (``NBAPROPS_STAKE_*``, ``NBAPROPS_PICK_*``)."""
        return cls(
            min_probability=settings.pick_min_probability,
            min_ev=settings.pick_min_ev,
            kelly_fraction=settings.stake_kelly_fraction,
            max_stake=settings.stake_max_pick,
            market_shrink=settings.stake_market_shrink,
        )


@dataclass(frozen=True)
class SlateCaps:
    """Limits on a whole slate of one system's picks (fractions of bankroll, and a count)."""

    max_game: float = 0.05
    max_team: float = 0.03
    max_day: float = 0.20
    max_picks_per_team: int = 2

    def __post_init__(self) -> None:
        for name in ("max_game", "max_team", "max_day"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1]: {getattr(self, name)}")
        if self.max_picks_per_team < 1:
            raise ValueError(f"max_picks_per_team must be >= 1: {self.max_picks_per_team}")

    @classmethod
    def from_settings(cls, settings: Settings) -> SlateCaps:
        """The slate caps of the settings (``NBAPROPS_STAKE_MAX_*``)."""
        return cls(
            max_game=settings.stake_max_game,
            max_team=settings.stake_max_team,
            max_day=settings.stake_max_day,
            max_picks_per_team=settings.stake_max_picks_per_team,
        )


@dataclass(frozen=True)
class Recommendations:
    """One entry per input row. Probabilities and EVs are NaN where a price is missing.

    ``implied_*`` are the book's break-even probabilities (vig included), ``fair_*`` the same with the
    margin removed (no-vig); ``probability``, ``ev`` and ``edge`` (probability - fair) describe the side
    in ``side`` (for PASS: the better of the two sides, for NO_LINE: NaN); ``adjusted_ev`` is the EV of
    that side at the probability shrunk toward the market (the ranking key); ``stake`` is 0 unless a
    side is recommended.
    """

    side: NDArray[np.str_]
    reason: NDArray[np.str_]
    stake: NDArray[np.float64]
    probability: NDArray[np.float64]
    ev: NDArray[np.float64]
    adjusted_ev: NDArray[np.float64]
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


def shrunk_probability(probability: ArrayLike, fair: ArrayLike, shrink: float) -> NDArray[np.float64]:
    """``fair + shrink * (probability - fair)``: the model's edge over the no-vig market, partly believed."""
    import numpy as np

    p, f = np.asarray(probability, dtype=np.float64), np.asarray(fair, dtype=np.float64)
    out: NDArray[np.float64] = f + shrink * (p - f)
    return out


def edge_adjusted_ev(
    side: ArrayLike,
    p_over: ArrayLike,
    over_price: ArrayLike,
    under_price: ArrayLike,
    *,
    p_push: ArrayLike | None = None,
    shrink: float,
) -> NDArray[np.float64]:
    """The edge-adjusted EV of stored picks (``side`` OVER/UNDER; NaN for anything else).

    The same figure ``recommend`` ranks by, recomputed from what a prediction row keeps: its
    calibrated P(over), P(push) and American prices.
    """
    import numpy as np

    sides = np.asarray(side).astype(str)
    p = np.asarray(p_over, dtype=np.float64)
    push = np.zeros_like(p) if p_push is None else np.nan_to_num(np.asarray(p_push, dtype=np.float64))
    dec_over, dec_under = decimal_prices(over_price), decimal_prices(under_price)
    fair_over, fair_under = fair_probabilities(dec_over, dec_under)
    is_over = sides == OVER
    probability = np.where(is_over, p, 1.0 - p - push)
    fair = np.where(is_over, fair_over, fair_under)
    decimal = np.where(is_over, dec_over, dec_under)
    ev = expected_value(shrunk_probability(probability, fair, shrink), decimal, push)
    return np.where(is_over | (sides == UNDER), ev, np.nan)


def size_slate(
    stake: ArrayLike,
    adjusted_ev: ArrayLike,
    game_ids: ArrayLike,
    teams: ArrayLike,
    caps: SlateCaps,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Stakes of one system's slate after its caps, and which picks the per-team count limit dropped.

    Rows with a positive stake are picks. Per team, only the ``max_picks_per_team`` best by
    ``adjusted_ev`` are kept (ties: row order). Then each team's stakes are scaled down to fit
    ``max_team``, each game's to fit ``max_game`` and the day's to fit ``max_day``; scaling only ever
    shrinks stakes, so a later step never breaks an earlier cap.
    """
    import numpy as np

    out = np.asarray(stake, dtype=np.float64).copy()
    score = np.nan_to_num(np.asarray(adjusted_ev, dtype=np.float64), nan=-np.inf)
    game = np.asarray(game_ids).astype(str)
    team = np.char.add(np.char.add(game, "|"), np.asarray(teams).astype(str))
    picked = out > 0
    dropped = np.zeros(out.shape, dtype=bool)
    if not picked.any():
        return out, dropped
    # Within each team, rank its picks best first; the rank is the pick's position in that order.
    _, team_code = np.unique(team, return_inverse=True)
    rows = np.flatnonzero(picked)
    order = rows[np.lexsort((rows, -score[rows], team_code[rows]))]
    codes = team_code[order]
    first = np.r_[True, codes[1:] != codes[:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
    rank = np.arange(order.size) - starts
    dropped[order[rank >= caps.max_picks_per_team]] = True
    out[dropped] = 0.0
    for key, cap in ((team, caps.max_team), (game, caps.max_game)):
        _, code = np.unique(key, return_inverse=True)
        total = np.bincount(code, weights=out)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(total > cap, cap / total, 1.0)
        out *= scale[code]
    day = float(out.sum())
    if day > caps.max_day:
        out *= caps.max_day / day
    return out, dropped


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

    probability = np.where(describe_over, p_over, p_under)
    ev = np.where(describe_over, ev_over, ev_under)
    fair = np.where(describe_over, fair_over, fair_under)
    edge = probability - fair
    decimal = np.where(describe_over, dec_over, dec_under)
    p_bet = shrunk_probability(probability, fair, t.market_shrink)
    kelly = kelly_stake(p_bet, decimal, push, fraction=t.kelly_fraction, cap=t.max_stake)
    # A side that clears the thresholds but whose believed edge stakes nothing is not a bet.
    unstaked = (pick_over | pick_under) & ~(kelly > 0)
    pick_over &= ~unstaked
    pick_under &= ~unstaked
    picked = pick_over | pick_under
    stake = np.where(picked, kelly, 0.0)

    side = np.full(p_over.shape, PASS, dtype="<U7")
    side[pick_over] = OVER
    side[pick_under] = UNDER
    side[no_line] = NO_LINE

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
    shrunk = _join("no stake: edge shrunk toward the market: ", side_name, " ", measured)
    reason = np.where(unstaked, shrunk, reason)
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
        adjusted_ev=np.where(no_line, nan, expected_value(p_bet, decimal, push)),
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
