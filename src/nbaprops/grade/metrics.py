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
error (10 equal-width bins, each weighted by its share of rows) and coverage of a central interval when
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
ECE_BINS = 10


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
    import numpy as np

    b = np.clip(np.floor(np.where(mask, p, 0.0) * bins), 0, bins - 1).astype(np.intp)
    cell = gid * bins + b
    size = n_groups * bins
    count = np.bincount(cell[mask], minlength=size).reshape(n_groups, bins)
    gap = _sums(cell, mask, p, size) - _sums(cell, mask, y, size)
    # Weighted ECE: sum over bins of (n_bin / n) * |mean p - mean y| = sum |sum p - sum y| / n.
    return _ratio(np.abs(gap.reshape(n_groups, bins)).sum(axis=1), count.sum(axis=1).astype(np.float64))


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
    ``ece`` over rows with a probability and a decided over/under outcome; ``n_covered_rows`` and
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
    }
    if q_low is not None and q_high is not None:
        lo, hi = _floats(q_low, n), _floats(q_high, n)
        has_interval = played & np.isfinite(lo) & np.isfinite(hi)
        with np.errstate(invalid="ignore"):
            inside = has_interval & (act >= lo) & (act <= hi)
        metrics["n_covered_rows"] = _counts(gid, has_interval, g)
        metrics["coverage"] = _ratio(_counts(gid, inside, g), metrics["n_covered_rows"])

    counts = {"n", "n_void", "n_graded", "n_picks", "wins", "pushes", "n_scored", "n_covered_rows"}
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
    """Weighted mean |mean probability - hit frequency| over equal-width probability bins."""
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
