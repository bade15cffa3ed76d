"""Grading arithmetic: per-prediction grades and per-group scores, vectorized over numpy arrays.

Per prediction (``grade_predictions``): absolute and signed error (predicted - actual), the over/under
outcome against the line, the result of the recommended side (WIN / LOSS / PUSH / VOID), its profit per
unit at the posted price, and closing line value.

Conventions, chosen to match how a sportsbook settles:

- A player who did not play (no points, or minutes given and not positive) is **voided** like a
  sportsbook voids the bet: no error, no outcome, result VOID, profit 0. The reason comes from the
  injury status known when the prediction was made: OUT/DOUBTFUL -> ``dnp_injury_confirmed``,
  QUESTIONABLE/PROBABLE -> ``dnp_late_scratch``, anything else -> ``dnp_unknown``. The caller grades a
  day only once its box scores are complete, so a missing box score does mean the player sat.
- Landing exactly on a whole-number line is a PUSH: stake returned, excluded from hit rate, ROI,
  Brier, log loss and calibration (it is neither over nor under).
- Rows that are not picks (PASS, NO_LINE) have no result (``None``) and no profit (NaN) unless voided,
  but still count for error metrics and, when they have a line, for the probability scores.
- Closing line value compares the line and prices at prediction time with the last snapshot before
  tip: in points (``closing - line`` for an OVER, ``line - closing`` for an UNDER, so positive is
  good) and in no-vig probability of the picked side (closing minus at-prediction). When the line
  itself moved, the points figure carries the move and the probability figure compares two lines.
  Non-picks and voided bets (which never stood) have none (NaN).

Per group (``summarize``): MAE, bias, RMSE, hit rate and N on recommended picks, flat-stake ROI at the
posted prices, Brier score, log loss (probabilities clipped to [1e-6, 1 - 1e-6]), expected calibration
error (20 **equal-mass** bins: rows sorted by probability and cut into equal counts; equal-width bins
hide the error where the mass is, 94% of it within [0.40, 0.60)) and coverage of a central interval when
quantiles are given. Groups are formed by ``group_ids`` over any number of key columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbaprops.predict.recommend import OVER, UNDER, decimal_prices, fair_probabilities

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

WIN = "WIN"
LOSS = "LOSS"
PUSH = "PUSH"
VOID = "VOID"
INJURY_CONFIRMED = ("OUT", "DOUBTFUL")
LATE_SCRATCH = ("QUESTIONABLE", "PROBABLE")
LOG_LOSS_EPS = 1e-6
ECE_BINS = 20


@dataclass(frozen=True)
class Grades:
    """Per-prediction grades, one entry per input row (see the module docstring for conventions).

    ``over_outcome`` is 1.0 (over), 0.0 (under) or NaN (push, void or no line); ``result`` and
    ``void_reason`` are object arrays holding a string or ``None``.
    """

    absolute_error: NDArray[np.float64]
    signed_error: NDArray[np.float64]
    over_outcome: NDArray[np.float64]
    is_void: NDArray[np.bool_]
    void_reason: NDArray[np.object_]
    result: NDArray[np.object_]
    profit: NDArray[np.float64]
    clv_points: NDArray[np.float64]
    clv_probability: NDArray[np.float64]


def _floats(values: ArrayLike | None, n: int) -> NDArray[np.float64]:
    import numpy as np

    if values is None:
        return np.full(n, np.nan)
    out = np.asarray(values, dtype=np.float64)
    if out.shape != (n,):
        raise ValueError(f"expected {n} values, got shape {out.shape}")
    return out


def _strings(values: ArrayLike | Sequence[str | None] | None, n: int) -> NDArray[np.str_]:
    import numpy as np

    if values is None:
        return np.full(n, "", dtype="<U1")
    raw = np.asarray(values, dtype=object)
    if raw.shape != (n,):
        raise ValueError(f"expected {n} values, got shape {raw.shape}")
    return np.char.upper(np.where(raw == None, "", raw).astype(np.str_))  # noqa: E711 (elementwise)


def void_reasons(
    actual: ArrayLike,
    minutes: ArrayLike | None = None,
    injury_status: ArrayLike | Sequence[str | None] | None = None,
) -> tuple[NDArray[np.bool_], NDArray[np.object_]]:
    """Which rows are DNP (voided) and why; the reason is ``None`` on rows that played."""
    import numpy as np

    points = np.asarray(actual, dtype=np.float64)
    n = points.shape[0]
    mins = _floats(minutes, n)
    is_void = np.isnan(points)
    if minutes is not None:
        is_void |= ~(mins > 0)
    status = _strings(injury_status, n)
    reason = np.where(
        np.isin(status, INJURY_CONFIRMED),
        "dnp_injury_confirmed",
        np.where(np.isin(status, LATE_SCRATCH), "dnp_late_scratch", "dnp_unknown"),
    ).astype(object)
    reason[~is_void] = None
    return is_void, reason


def grade_predictions(
    predicted: ArrayLike,
    actual: ArrayLike,
    line: ArrayLike,
    side: ArrayLike,
    *,
    over_price: ArrayLike,
    under_price: ArrayLike,
    minutes: ArrayLike | None = None,
    injury_status: ArrayLike | Sequence[str | None] | None = None,
    closing_line: ArrayLike | None = None,
    closing_over_price: ArrayLike | None = None,
    closing_under_price: ArrayLike | None = None,
) -> Grades:
    """Grade every prediction against its actual points and line (NaN line: none posted).

    ``side`` holds OVER / UNDER / PASS / NO_LINE; prices are American (NaN when missing).
    """
    import numpy as np

    pred = np.atleast_1d(np.asarray(predicted, dtype=np.float64))
    n = pred.shape[0]
    act = _floats(actual, n)
    ln = _floats(line, n)
    sides = np.asarray(side, dtype=np.str_)
    if sides.shape != (n,):
        raise ValueError(f"expected {n} sides, got shape {sides.shape}")
    is_void, reason = void_reasons(act, minutes, injury_status)
    nan = np.full(n, np.nan)

    signed = np.where(is_void, nan, pred - act)
    with np.errstate(invalid="ignore"):
        went_over = ~is_void & (act > ln)
        went_under = ~is_void & (act < ln)
    decided = went_over | went_under
    over_outcome = np.where(decided, went_over.astype(np.float64), nan)

    is_over, is_under = sides == OVER, sides == UNDER
    picked = is_over | is_under
    won = (is_over & went_over) | (is_under & went_under)
    result = np.full(n, None, dtype=object)
    result[picked & decided] = np.where(won, WIN, LOSS)[picked & decided]
    result[picked & ~is_void & ~decided] = PUSH
    result[is_void] = VOID

    dec_over, dec_under = decimal_prices(_floats(over_price, n)), decimal_prices(_floats(under_price, n))
    taken = np.where(is_over, dec_over, dec_under)
    profit = np.where(won, taken - 1.0, np.where(decided, -1.0, 0.0))
    profit = np.where(picked, profit, nan)

    close = _floats(closing_line, n)
    # A voided bet never stood, so it has no closing line value either.
    direction = np.where(is_over & ~is_void, 1.0, np.where(is_under & ~is_void, -1.0, np.nan))
    clv_points = direction * (close - ln)
    fair_over, fair_under = fair_probabilities(dec_over, dec_under)
    close_over, close_under = fair_probabilities(
        decimal_prices(_floats(closing_over_price, n)), decimal_prices(_floats(closing_under_price, n))
    )
    clv_probability = direction * np.where(is_over, close_over - fair_over, fair_under - close_under)

    return Grades(
        absolute_error=np.abs(signed),
        signed_error=signed,
        over_outcome=over_outcome,
        is_void=is_void,
        void_reason=reason,
        result=result,
        profit=profit,
        clv_points=clv_points,
        clv_probability=clv_probability,
    )


def group_ids(keys: Mapping[str, ArrayLike]) -> tuple[NDArray[np.intp], list[dict[str, Any]]]:
    """Group rows by the combination of their key columns.

    Returns the group id of each row and, per group id, its key values as a dict. Key columns may be
    numpy arrays, lists or pyarrow arrays (anything ``numpy.asarray`` accepts) without nulls.
    """
    import numpy as np

    if not keys:
        raise ValueError("at least one key column is needed")
    columns = {name: np.asarray(values) for name, values in keys.items()}
    codes, uniques = [], {}
    for name, column in columns.items():
        uniques[name], code = np.unique(column, return_inverse=True)
        codes.append(code.ravel())
    sizes = tuple(len(u) for u in uniques.values())
    combined = np.ravel_multi_index(tuple(codes), sizes) if len(codes) > 1 else codes[0]
    distinct, gid = np.unique(combined, return_inverse=True)
    per_key = np.unravel_index(distinct, sizes)
    names = list(uniques)
    key_values = [uniques[name][per_key[j]].tolist() for j, name in enumerate(names)]
    rows = [dict(zip(names, values, strict=True)) for values in zip(*key_values, strict=True)]
    return gid.ravel().astype(np.intp), rows


def _sums(
    gid: NDArray[np.intp], mask: NDArray[np.bool_], values: NDArray[np.float64], n_groups: int
) -> NDArray[np.float64]:
    import numpy as np

    return np.bincount(gid[mask], weights=values[mask], minlength=n_groups).astype(np.float64)


def _counts(gid: NDArray[np.intp], mask: NDArray[np.bool_], n_groups: int) -> NDArray[np.float64]:
    import numpy as np

    return np.bincount(gid[mask], minlength=n_groups).astype(np.float64)


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _grouped_ece(
    gid: NDArray[np.intp],
    p: NDArray[np.float64],
    y: NDArray[np.float64],
    mask: NDArray[np.bool_],
    *,
    n_groups: int,
    bins: int,
) -> NDArray[np.float64]:
    """Equal-mass ECE per group: each group's rows sorted by ``p`` and cut into ``bins`` equal counts.

    A group with fewer rows than ``bins`` gets one bin per row. Ties in ``p`` are ordered by row, so
    the bins (and the figure) are deterministic.
    """
    import numpy as np

    rows = np.flatnonzero(mask)
    g = gid[rows]
    order = np.lexsort((rows, p[rows], g))
    g_sorted = g[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(rows.size) - starts[g_sorted]
    per_group = np.minimum(bins, counts)[g_sorted]
    cell = g_sorted * bins + (rank * per_group) // counts[g_sorted]
    gap = np.bincount(cell, weights=(p[rows] - y[rows])[order], minlength=n_groups * bins)
    # Weighted ECE: sum over bins of (n_bin / n) * |mean p - mean y| = sum |sum p - sum y| / n.
    return _ratio(np.abs(gap.reshape(n_groups, bins)).sum(axis=1), counts.astype(np.float64))


def summarize(
    keys: Mapping[str, ArrayLike],
    predicted: ArrayLike,
    actual: ArrayLike,
    grades: Grades,
    *,
    p_over: ArrayLike | None = None,
    q_low: ArrayLike | None = None,
    q_high: ArrayLike | None = None,
    ece_bins: int = ECE_BINS,
) -> list[dict[str, Any]]:
    """Per-group scores, one dict per group: the key values plus the metrics below (NaN -> ``None``).

    ``n`` rows, ``n_void``; ``n_graded``, ``mae``, ``bias`` (mean predicted - actual), ``rmse`` over
    rows that played; ``n_picks`` (WIN + LOSS), ``wins``, ``pushes``, ``hit_rate``, ``roi`` (profit per
    unit staked, flat stakes, pushes and voids excluded); ``n_scored``, ``brier``, ``log_loss``,
    ``ece`` over rows with a probability and a decided over/under outcome; ``n_clv``, ``clv_points``
    and ``clv_probability`` (means over picks with a closing line); ``n_covered_rows`` and
    ``coverage`` (share of played rows with ``q_low <= actual <= q_high``) when quantiles are given.
    """
    import numpy as np

    gid, rows = group_ids(keys)
    n = gid.shape[0]
    g = len(rows)
    act = _floats(actual, n)
    err = grades.signed_error
    played = ~grades.is_void & np.isfinite(err)
    all_rows = np.ones(n, dtype=bool)

    n_graded = _counts(gid, played, g)
    wins_mask = grades.result == WIN
    decided_pick = wins_mask | (grades.result == LOSS)
    n_picks = _counts(gid, decided_pick, g)

    p = _floats(p_over, n)
    y = grades.over_outcome
    scored = np.isfinite(p) & np.isfinite(y)
    n_scored = _counts(gid, scored, g)
    pc = np.clip(p, LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS)
    with np.errstate(invalid="ignore", divide="ignore"):
        nll = -(y * np.log(pc) + (1.0 - y) * np.log1p(-pc))

    has_clv = np.isfinite(grades.clv_points) & np.isfinite(grades.clv_probability)
    n_clv = _counts(gid, has_clv, g)
    metrics: dict[str, NDArray[np.float64]] = {
        "n": _counts(gid, all_rows, g),
        "n_void": _counts(gid, grades.is_void, g),
        "n_graded": n_graded,
        "mae": _ratio(_sums(gid, played, np.abs(err), g), n_graded),
        "bias": _ratio(_sums(gid, played, err, g), n_graded),
        "rmse": np.sqrt(_ratio(_sums(gid, played, err * err, g), n_graded)),
        "n_picks": n_picks,
        "wins": _counts(gid, wins_mask, g),
        "pushes": _counts(gid, grades.result == PUSH, g),
        "hit_rate": _ratio(_counts(gid, wins_mask, g), n_picks),
        "roi": _ratio(_sums(gid, decided_pick, grades.profit, g), n_picks),
        "n_scored": n_scored,
        "brier": _ratio(_sums(gid, scored, (p - y) ** 2, g), n_scored),
        "log_loss": _ratio(_sums(gid, scored, nll, g), n_scored),
        "ece": _grouped_ece(gid, p, y, scored, n_groups=g, bins=ece_bins),
        "n_clv": n_clv,
        "clv_points": _ratio(_sums(gid, has_clv, grades.clv_points, g), n_clv),
        "clv_probability": _ratio(_sums(gid, has_clv, grades.clv_probability, g), n_clv),
    }
    if q_low is not None and q_high is not None:
        lo, hi = _floats(q_low, n), _floats(q_high, n)
        has_interval = played & np.isfinite(lo) & np.isfinite(hi)
        with np.errstate(invalid="ignore"):
            inside = has_interval & (act >= lo) & (act <= hi)
        metrics["n_covered_rows"] = _counts(gid, has_interval, g)
        metrics["coverage"] = _ratio(_counts(gid, inside, g), metrics["n_covered_rows"])

    counts = {"n", "n_void", "n_graded", "n_picks", "wins", "pushes", "n_scored", "n_covered_rows", "n_clv"}
    for name, values in metrics.items():
        for row, value in zip(rows, values.tolist(), strict=True):
            if name in counts:
                row[name] = int(value)
            else:
                row[name] = None if math.isnan(value) else float(value)
    return rows


def brier_score(p: ArrayLike, outcome: ArrayLike) -> float:
    """Mean squared difference between probability and 0/1 outcome (NaN rows ignored)."""
    return _single("brier", p, outcome)


def log_loss(p: ArrayLike, outcome: ArrayLike) -> float:
    """Mean negative log-likelihood of 0/1 outcomes, probabilities clipped to [1e-6, 1 - 1e-6]."""
    return _single("log_loss", p, outcome)


def expected_calibration_error(p: ArrayLike, outcome: ArrayLike, bins: int = ECE_BINS) -> float:
    """Weighted mean |mean probability - hit frequency| over ``bins`` equal-mass bins (NaN rows ignored).

    Even a perfectly calibrated predictor scores above zero on a finite sample (each bin's hit
    frequency is noisy): ``ece_noise_floor`` says how much.
    """
    return _single("ece", p, outcome, bins)


def _single(metric: str, p: ArrayLike, outcome: ArrayLike, bins: int = ECE_BINS) -> float:
    import numpy as np

    y = np.asarray(outcome, dtype=np.float64)
    n = y.shape[0]
    if n == 0:
        raise ValueError(f"{metric} needs at least one row")
    nan = np.full(n, np.nan)
    grades = Grades(
        absolute_error=nan,
        signed_error=nan,
        over_outcome=y,
        is_void=np.zeros(n, dtype=bool),
        void_reason=np.full(n, None, dtype=object),
        result=np.full(n, None, dtype=object),
        profit=nan,
        clv_points=nan,
        clv_probability=nan,
    )
    row = summarize({"all": np.zeros(n, dtype=np.int8)}, nan, nan, grades, p_over=p, ece_bins=bins)[0]
    value = row[metric]
    return float("nan") if value is None else float(value)


# --- intervals and calibration diagnostics (the backtest's headline figures) --------------------

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% by default); ``(nan, nan)`` when ``n == 0``.

    Unlike the normal approximation it stays inside [0, 1] and keeps its coverage for rates near 0
    or 1 and for small ``n``.
    """
    if n <= 0:
        return math.nan, math.nan
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, n]: {successes} of {n}")
    rate = successes / n
    centre = rate + z * z / (2 * n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return (centre - half) / scale, (centre + half) / scale


def clustered_mean_interval(
    values: ArrayLike, clusters: ArrayLike, z: float = Z95
) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``values`` with a 95% interval clustered by ``clusters``.

    Rows of one cluster (one game date) share a slate, a market and a model, so they are not
    independent; the cluster-robust variance ``C / (C - 1) * sum_c (sum_{i in c} (v_i - mean))^2 / N^2``
    sums residuals within each cluster first. NaN values are ignored; fewer than two clusters give a
    NaN interval.
    """
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    keys = np.asarray(clusters)
    if v.shape != keys.shape:
        raise ValueError(f"values and clusters differ in shape: {v.shape} vs {keys.shape}")
    ok = np.isfinite(v)
    n = int(ok.sum())
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(v[ok].mean())
    _, cluster = np.unique(keys[ok], return_inverse=True)
    sums = np.bincount(cluster.ravel(), weights=v[ok] - mean)
    c = sums.size
    if c < 2:
        return mean, math.nan, math.nan
    se = math.sqrt(c / (c - 1) * float(np.sum(sums * sums))) / n
    return mean, mean - z * se, mean + z * se


def equal_mass_bins(p: ArrayLike, bins: int = ECE_BINS) -> NDArray[np.intp]:
    """The equal-mass bin (0 .. bins - 1) of each probability: sorted, cut into equal counts."""
    import numpy as np

    values = np.asarray(p, dtype=np.float64)
    if np.isnan(values).any():
        raise ValueError("equal-mass bins need probabilities without NaN")
    n = values.size
    k = max(1, min(bins, n))
    order = np.lexsort((np.arange(n), values))
    out = np.empty(n, dtype=np.intp)
    out[order] = (np.arange(n) * k) // max(n, 1)
    return out


def reliability_table(p: ArrayLike, outcome: ArrayLike, bins: int = ECE_BINS) -> list[dict[str, float]]:
    """Per equal-mass bin: rows, mean claimed probability, hit frequency and its Wilson interval."""
    import numpy as np

    probs, y = np.asarray(p, dtype=np.float64), np.asarray(outcome, dtype=np.float64)
    ok = np.isfinite(probs) & np.isfinite(y)
    probs, y = probs[ok], y[ok]
    if probs.size == 0:
        return []
    cut = equal_mass_bins(probs, bins)
    table = []
    for b in range(int(cut.max()) + 1):
        inside = cut == b
        n, hits = int(inside.sum()), int(y[inside].sum())
        low, high = wilson_interval(hits, n)
        table.append(
            {
                "n": n,
                "p_low": float(probs[inside].min()),
                "p_high": float(probs[inside].max()),
                "claimed": float(probs[inside].mean()),
                "realized": hits / n,
                "realized_low": low,
                "realized_high": high,
            }
        )
    return table


def ece_noise_floor(p: ArrayLike, bins: int = ECE_BINS, *, draws: int = 200, seed: int = 0) -> float:
    """The equal-mass ECE a perfectly calibrated predictor would score on these probabilities.

    Outcomes are drawn from ``p`` itself (fixed seed, so the figure is reproducible) and scored the
    same way; the mean over ``draws`` is the part of a measured ECE that sampling noise alone
    explains (about ``0.4 / sqrt(rows per bin)`` near even money).
    """
    import numpy as np

    probs = np.asarray(p, dtype=np.float64)
    probs = probs[np.isfinite(probs)]
    if probs.size == 0:
        return math.nan
    order = np.argsort(probs, kind="stable")
    sorted_p = probs[order]
    cut = equal_mass_bins(sorted_p, bins)
    starts = np.flatnonzero(np.r_[True, cut[1:] != cut[:-1]])
    rng = np.random.default_rng(seed)
    outcomes = (rng.random((draws, probs.size)) < sorted_p).astype(np.float64)
    gaps = np.add.reduceat(sorted_p[None, :] - outcomes, starts, axis=1)
    return float(np.abs(gaps).sum(axis=1).mean() / probs.size)


def brier_skill(p: ArrayLike, reference: ArrayLike, outcome: ArrayLike) -> float:
    """``1 - Brier(p) / Brier(reference)`` on rows where all three are known (> 0: better than it)."""
    import numpy as np

    a, r, y = (np.asarray(v, dtype=np.float64) for v in (p, reference, outcome))
    ok = np.isfinite(a) & np.isfinite(r) & np.isfinite(y)
    if not ok.any():
        return math.nan
    ref = float(np.mean((r[ok] - y[ok]) ** 2))
    return 1.0 - float(np.mean((a[ok] - y[ok]) ** 2)) / ref if ref > 0 else math.nan
