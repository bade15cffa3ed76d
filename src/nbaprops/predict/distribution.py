"""A predicted mean and sd turned into a distribution over whole points, and what a line needs from it.

Points are counts, and their spread grows faster than their mean (a player's night can go cold or hot
beyond Poisson noise), so a system's ``(mean, sd)`` is read as a negative binomial (a Poisson whose
rate is gamma-distributed) with exactly that mean and variance::

    p = mean / variance        r = mean**2 / (variance - mean)        (variance > mean)

When the variance does not exceed the mean the negative binomial does not exist and the Poisson with
the same mean is used instead (its variance is the mean, the smallest a count model can have).

Why not scipy: it is not a dependency and would be the only use of it here. The probability mass is
built instead by the ratio recurrence ``pmf(k + 1) / pmf(k) = (1 - p)(k + r)/(k + 1)`` (Poisson:
``mean/(k + 1)``) accumulated in log space over a shared grid ``0..K``. This is exact up to float
rounding, needs no incomplete beta, and is vectorized over rows; the only loop-like step is a cumulative
sum along the points axis. Line probabilities need the grid only up to the highest line (everything
above it is the complement of the mass below); quantiles use a grid reaching each row's mean plus 12
sd (the larger of the given sd and the Poisson one), beyond which less than 1e-12 of the mass of any
realistic points distribution lies.

Lines come as half points (no push) or whole numbers (a push when the player lands on the line):
``P(over) = 1 - CDF(floor(line))``, ``P(push) = pmf(line)`` for whole lines, ``P(under)`` the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

# Tail width of the grid in standard deviations above the mean (see the module docstring).
TAIL_SDS = 12.0
# Means and variances at or below this are treated as a point mass at zero.
TINY = 1e-9


@dataclass(frozen=True)
class LineProbabilities:
    """Per-row probabilities that the player finishes over, under or exactly on the line.

    Rows without a line (NaN) have NaN in all three; otherwise ``over + under + push == 1``.
    """

    over: NDArray[np.float64]
    under: NDArray[np.float64]
    push: NDArray[np.float64]


def negative_binomial_parameters(
    mean: ArrayLike, variance: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """``(r, p, is_poisson)`` of the negative binomial with this mean and variance.

    ``r`` is the number of successes (the gamma shape) and ``p`` the success probability, so the mean
    is ``r(1 - p)/p`` and the variance ``r(1 - p)/p**2``. Rows whose variance does not exceed the mean
    fall back to Poisson: ``is_poisson`` is true and ``r`` is ``inf`` with ``p = 1``; so does a zero
    mean (a point mass at zero points).
    """
    import numpy as np

    mu = np.clip(np.asarray(mean, dtype=np.float64), 0.0, None)
    var = np.asarray(variance, dtype=np.float64)
    mu, var = np.broadcast_arrays(mu, var)
    # A zero mean is a point mass at 0 whatever the variance (the NB shape would be 0).
    is_poisson = ~(var > mu + TINY) | (mu <= TINY)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(is_poisson, 1.0, mu / var)
        r = np.where(is_poisson, np.inf, mu * mu / (var - mu))
    return r, p, is_poisson


def points_pmf(mean: ArrayLike, sd: ArrayLike, max_points: int) -> NDArray[np.float64]:
    """Probability of each whole number of points ``0..max_points``, one row per (mean, sd) pair.

    Shape ``(n, max_points + 1)``. Means below zero are read as zero (a point mass at 0 points).
    """
    import numpy as np

    mu = np.clip(np.atleast_1d(np.asarray(mean, dtype=np.float64)), 0.0, None)
    sigma = np.atleast_1d(np.asarray(sd, dtype=np.float64))
    mu, sigma = np.broadcast_arrays(mu, sigma)
    if np.isnan(mu).any() or np.isnan(sigma).any():
        raise ValueError("mean and sd must not be NaN")
    r, p, is_poisson = negative_binomial_parameters(mu, sigma * sigma)
    k = np.arange(max_points, dtype=np.float64)
    positive = mu > TINY
    # Per row, log pmf(k+1) - log pmf(k) = log(k + r) + log(1 - p) - log(k + 1) for the negative
    # binomial and log(mean) - log(k + 1) for Poisson: one 2-D log, the rest broadcasts.
    r_nb = np.where(is_poisson, 1.0, r)
    with np.errstate(divide="ignore", invalid="ignore"):
        row_term = np.where(is_poisson, np.log(np.where(positive, mu, 1.0)), np.log1p(-p))
        log_p0 = np.where(is_poisson, -mu, r * np.log(p))
    growth = np.where(is_poisson[:, None], 0.0, np.log(k[None, :] + r_nb[:, None]))
    steps = growth + row_term[:, None] - np.log(k + 1.0)[None, :]
    log_pmf = np.empty((mu.size, max_points + 1))
    log_pmf[:, 0] = log_p0
    np.cumsum(steps, axis=1, out=log_pmf[:, 1:])
    log_pmf[:, 1:] += log_p0[:, None]
    pmf = np.exp(log_pmf)
    # A zero mean is all mass on 0 points; the recurrence would produce log(0) steps there.
    point_mass = np.zeros_like(pmf)
    point_mass[:, 0] = 1.0
    out: NDArray[np.float64] = np.where(positive[:, None], pmf, point_mass)
    return out


def _grid_size(mean: NDArray[np.float64], sd: NDArray[np.float64]) -> int:
    import numpy as np

    mu = np.clip(mean, 0.0, None)
    # The Poisson fallback spreads wider than a too-small sd says, so the grid follows the larger one.
    spread = np.sqrt(np.maximum(sd * sd, mu))
    reach = mu + TAIL_SDS * np.clip(spread, 1.0, None)
    return int(np.ceil(reach.max(initial=0.0))) + 2


def line_probabilities(mean: ArrayLike, sd: ArrayLike, line: ArrayLike) -> LineProbabilities:
    """P(over), P(under) and P(push) of each row's line under its negative binomial.

    ``line`` may hold NaN for rows without a line. Half-point lines have ``push == 0``.
    """
    import numpy as np

    mu, sigma, ln = np.broadcast_arrays(
        np.atleast_1d(np.asarray(mean, dtype=np.float64)),
        np.atleast_1d(np.asarray(sd, dtype=np.float64)),
        np.atleast_1d(np.asarray(line, dtype=np.float64)),
    )
    if (ln[np.isfinite(ln)] < 0).any():
        raise ValueError("a points line cannot be negative")
    has_line = np.isfinite(ln)
    # P(over) and P(push) only need the mass up to the highest line; the rest is the complement.
    pmf = points_pmf(mu, sigma, int(np.floor(ln[has_line]).max(initial=0.0)) + 1)
    cdf = np.cumsum(pmf, axis=1)
    floor_line = np.where(has_line, np.floor(ln), 0).astype(np.intp)
    rows = np.arange(len(ln))
    at_or_below = np.clip(cdf[rows, floor_line], 0.0, 1.0)
    is_whole = has_line & (ln == np.floor(ln))
    push = np.where(is_whole, pmf[rows, floor_line], 0.0)
    over = 1.0 - at_or_below
    under = np.clip(at_or_below - push, 0.0, 1.0)
    nan = np.full(len(ln), np.nan)
    return LineProbabilities(
        over=np.where(has_line, over, nan),
        under=np.where(has_line, under, nan),
        push=np.where(has_line, push, nan),
    )


def over_probability(mean: ArrayLike, sd: ArrayLike, line: ArrayLike) -> NDArray[np.float64]:
    """P(points > line) per row; NaN where the line is NaN."""
    return line_probabilities(mean, sd, line).over


def push_probability(mean: ArrayLike, sd: ArrayLike, line: ArrayLike) -> NDArray[np.float64]:
    """P(points == line) per row: zero for half-point lines, NaN where the line is NaN."""
    return line_probabilities(mean, sd, line).push


def points_quantiles(mean: ArrayLike, sd: ArrayLike, levels: ArrayLike) -> NDArray[np.float64]:
    """The whole-point quantiles of each row's distribution, shape ``(n, len(levels))``.

    The q-quantile is the smallest ``k`` with ``CDF(k) >= q`` (the usual definition for counts).
    """
    import numpy as np

    mu, sigma = np.broadcast_arrays(
        np.atleast_1d(np.asarray(mean, dtype=np.float64)),
        np.atleast_1d(np.asarray(sd, dtype=np.float64)),
    )
    qs = np.atleast_1d(np.asarray(levels, dtype=np.float64))
    if ((qs <= 0) | (qs >= 1)).any():
        raise ValueError("quantile levels must lie strictly between 0 and 1")
    pmf = points_pmf(mu, sigma, _grid_size(mu, sigma))
    cdf = np.cumsum(pmf, axis=1)
    # A tiny tolerance keeps CDF rounding (0.4999999…) from pushing a quantile one point up.
    # The CDF is non-decreasing, so the count of points where it is still below q is the quantile.
    below = [(cdf < q - 1e-12).sum(axis=1) for q in qs]
    out: NDArray[np.float64] = np.stack(below, axis=1).astype(np.float64)
    return out
