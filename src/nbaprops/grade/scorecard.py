"""A system's headline figures over graded rows, each with its N and, where it is a rate, an interval.

What a bettor needs to know of a system, in the order the backtest prints it:

* **accuracy against the line it reads**: MAE minus the book line's MAE on the same rows (the line as a
  point prediction), with a 95% interval. Rows of one game date share a slate and a model, so every
  interval here is clustered by game date (``metrics.clustered_mean_interval``), not i.i.d.;
* **betting**: picks decided (WIN or LOSS), hit rate with its Wilson interval beside the hit rate the
  picks claimed (mean probability of the side taken) and whether the claim lies inside the interval;
  flat-stake ROI with its interval beside the EV the picks claimed; ROI at the stakes actually
  recommended, the median stake and the share of picks at the per-pick cap; the daily exposure (sum
  of stakes per game date: median and maximum);
* **calibration**: Brier skill of P(over) against the market's no-vig P(over), and ECE with 20
  equal-mass bins on all rows and on picks, each beside its noise floor (what a perfectly calibrated
  predictor would score on the same probabilities), plus the picks' reliability table;
* **closing line value** of the picks: mean points and no-vig probability, with an interval on points.

Inputs are aligned numpy arrays of one system (see ``scorecard``); nothing here reads a database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nbaprops.grade.metrics import (
    ECE_BINS,
    LOSS,
    WIN,
    brier_skill,
    clustered_mean_interval,
    ece_noise_floor,
    expected_calibration_error,
    reliability_table,
    wilson_interval,
)
from nbaprops.predict.recommend import OVER, UNDER, decimal_prices, fair_probabilities

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

COLUMNS = (
    "game_date",
    "predicted_points",
    "actual_points",
    "line",
    "p_over",
    "p_push",
    "over_price",
    "under_price",
    "recommendation",
    "expected_value",
    "stake",
    "result",
    "profit",
    "clv_points",
    "clv_probability",
)
"""What ``scorecard`` reads: one aligned array per name (NaN / None where not applicable)."""


def _nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def _interval(mean: float, low: float, high: float) -> dict[str, float | None]:
    return {"mean": _nan_to_none(mean), "low": _nan_to_none(low), "high": _nan_to_none(high)}


def _daily_exposure(days: NDArray[Any], stake: NDArray[np.float64]) -> tuple[float, float]:
    import numpy as np

    _, day = np.unique(days, return_inverse=True)
    totals = np.bincount(day.ravel(), weights=np.nan_to_num(stake))
    return (float(np.median(totals)), float(totals.max())) if totals.size else (math.nan, math.nan)


def scorecard(
    rows: Mapping[str, NDArray[Any]], *, bins: int = ECE_BINS, pick_cap: float | None = None
) -> dict[str, Any]:
    """The headline figures of one system over ``rows`` (every array of ``COLUMNS``, one length).

    Rows are the comparison rows (played, with a line); ``actual_points`` must be finite on all.
    ``pick_cap`` (the per-pick stake cap) adds the share of picks staked at it.
    """
    import numpy as np

    missing = [c for c in COLUMNS if c not in rows]
    if missing:
        raise ValueError(f"scorecard needs columns {missing}")
    day = np.asarray(rows["game_date"]).astype(str)
    texts = ("game_date", "recommendation", "result")
    f = {c: np.asarray(rows[c], dtype=np.float64) for c in COLUMNS if c not in texts}
    side = np.asarray(rows["recommendation"]).astype(str)
    result = np.asarray([r if r is not None else "" for r in rows["result"]], dtype=str)
    actual, line = f["actual_points"], f["line"]
    if not np.isfinite(actual).all() or not np.isfinite(line).all():
        raise ValueError("scorecard rows must all be played and have a line")

    gap = np.abs(f["predicted_points"] - actual) - np.abs(line - actual)
    mae_gap = clustered_mean_interval(gap, day)

    decided = (result == WIN) | (result == LOSS)
    won = (result == WIN).astype(np.float64)
    n_picks, wins = int(decided.sum()), int(won[decided].sum())
    hit_low, hit_high = wilson_interval(wins, n_picks)
    p_side = np.where(side == OVER, f["p_over"], 1.0 - f["p_over"] - np.nan_to_num(f["p_push"]))
    claimed = float(p_side[decided].mean()) if n_picks else math.nan
    roi = clustered_mean_interval(np.where(decided, f["profit"], np.nan), day)
    staked = np.where(decided, np.nan_to_num(f["stake"]), 0.0)
    stake_sum = float(staked.sum())
    staked_roi = float((staked * np.nan_to_num(f["profit"])).sum() / stake_sum) if stake_sum > 0 else math.nan
    picked = (side == OVER) | (side == UNDER)
    exposure_median, exposure_max = _daily_exposure(day, np.where(picked, f["stake"], 0.0))

    outcome = np.where(actual > line, 1.0, np.where(actual < line, 0.0, np.nan))
    market, _ = fair_probabilities(decimal_prices(f["over_price"]), decimal_prices(f["under_price"]))
    scored = np.isfinite(f["p_over"]) & np.isfinite(outcome)
    has_clv = decided & np.isfinite(f["clv_points"])
    clv = clustered_mean_interval(np.where(has_clv, f["clv_points"], np.nan), day)
    clv_p = f["clv_probability"][has_clv]
    clv_probability = float(clv_p[np.isfinite(clv_p)].mean()) if np.isfinite(clv_p).any() else math.nan

    def ece(p: NDArray[np.float64], y: NDArray[np.float64]) -> dict[str, float | None]:
        if p.size == 0:
            return {"ece": None, "noise_floor": None}
        return {
            "ece": expected_calibration_error(p, y, bins),
            "noise_floor": ece_noise_floor(p, bins),
        }

    return {
        "n": int(actual.size),
        "mae": float(np.mean(np.abs(f["predicted_points"] - actual))),
        "line_mae": float(np.mean(np.abs(line - actual))),
        "mae_minus_line": _interval(*mae_gap),
        "n_picks": n_picks,
        "wins": wins,
        "hit_rate": _interval(wins / n_picks if n_picks else math.nan, hit_low, hit_high),
        "claimed_hit_rate": _nan_to_none(claimed),
        "claim_within_interval": bool(n_picks) and hit_low <= claimed <= hit_high,
        "roi": _interval(*roi),
        "claimed_ev": _nan_to_none(float(f["expected_value"][decided].mean()) if n_picks else math.nan),
        "staked_roi": _nan_to_none(staked_roi),
        "stake_median": _nan_to_none(float(np.median(staked[decided])) if n_picks else math.nan),
        "share_at_pick_cap": None
        if pick_cap is None or not n_picks
        else float(np.mean(staked[decided] >= pick_cap - 1e-12)),
        "exposure_median": _nan_to_none(exposure_median),
        "exposure_max": _nan_to_none(exposure_max),
        "n_scored": int(scored.sum()),
        "brier_skill_vs_market": _nan_to_none(brier_skill(f["p_over"], market, outcome)),
        "ece_all": ece(f["p_over"][scored], outcome[scored]),
        "ece_picks": ece(p_side[decided], won[decided]),
        "n_clv": int(has_clv.sum()),
        "clv_points": _interval(*clv),
        "clv_probability": _nan_to_none(clv_probability),
        "reliability_picks": reliability_table(p_side[decided], won[decided], bins),
    }


def pooled_picks(rows: Mapping[str, NDArray[Any]], *, bins: int = ECE_BINS) -> dict[str, Any]:
    """Every system's decided picks pooled: claimed vs realized hit rate and equal-mass ECE on picks.

    ``rows`` are ``scorecard``'s columns for several systems at once. One system's ~2,000 picks a
    season put the ECE's noise floor (~0.04) above a 3% target; pooled, the floor is well under it.
    The picks of several systems on one player-game share its outcome, so the pool is not independent
    draws and its floor (computed as if it were) understates the noise somewhat.
    """
    import numpy as np

    side = np.asarray(rows["recommendation"]).astype(str)
    result = np.asarray([r if r is not None else "" for r in rows["result"]], dtype=str)
    p_over = np.asarray(rows["p_over"], dtype=np.float64)
    p_push = np.nan_to_num(np.asarray(rows["p_push"], dtype=np.float64))
    decided = (result == WIN) | (result == LOSS)
    p_side = np.where(side == OVER, p_over, 1.0 - p_over - p_push)[decided]
    won = (result == WIN)[decided].astype(np.float64)
    n, wins = int(decided.sum()), int(won.sum())
    low, high = wilson_interval(wins, n)
    claimed = float(p_side.mean()) if n else math.nan
    return {
        "n_picks": n,
        "wins": wins,
        "hit_rate": _interval(wins / n if n else math.nan, low, high),
        "claimed_hit_rate": _nan_to_none(claimed),
        "claim_within_interval": bool(n) and low <= claimed <= high,
        "ece_picks": {
            "ece": expected_calibration_error(p_side, won, bins) if n else None,
            "noise_floor": ece_noise_floor(p_side, bins) if n else None,
        },
    }
