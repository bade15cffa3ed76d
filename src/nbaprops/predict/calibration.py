"""Per-system isotonic calibration of P(over), fitted on out-of-sample (probability, outcome) pairs.

A system's raw P(over) is rarely honest: the analog's raw 65-75% buckets hit about half the time.
Isotonic regression learns the monotone map from raw probability to observed hit frequency without
assuming its shape (Platt scaling assumes a logistic one). It is fitted only on pairs the system did not
train on (walk-forward predictions, pushes and voids excluded by the caller or given as NaN) and stored
as JSON beside the model in the registry.

Fitting is pool-adjacent-violators over the distinct raw probabilities. Raw probabilities are first
rounded to 1e-4 and pooled, so the one sequential pass runs over at most 10,001 blocks whatever the
sample size, and the result is unchanged for any practical purpose. Applying is a vectorized linear
interpolation between block end points, clipped to [0.01, 0.99] so that no calibrated probability
claims certainty (a 0 or 1 would make log loss infinite and Kelly stakes absurd).

Below ``min_samples`` pairs the fit is not trusted: the identity calibrator is returned instead, with
``is_identity`` set and ``reason`` saying how many pairs there were.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbaprops.errors import PayloadError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

MIN_SAMPLES = 200
CLIP_LOW = 0.01
CLIP_HIGH = 0.99
# Raw probabilities are pooled on this grid before PAV (see the module docstring).
POOL_DECIMALS = 4
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Calibrator:
    """A fitted monotone map from raw to calibrated P(over) for one system.

    ``x`` and ``y`` are the interpolation knots (``x`` strictly increasing, ``y`` non-decreasing);
    they are empty for the identity calibrator.
    """

    system_id: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    n_samples: int
    is_identity: bool
    reason: str

    def apply(self, p_over: ArrayLike) -> NDArray[np.float64]:
        """Calibrated probabilities, clipped to [0.01, 0.99]; NaN stays NaN."""
        import numpy as np

        raw = np.asarray(p_over, dtype=np.float64)
        mapped = raw if self.is_identity else np.interp(raw, np.asarray(self.x), np.asarray(self.y))
        out = np.clip(mapped, CLIP_LOW, CLIP_HIGH)
        return np.where(np.isnan(raw), np.nan, out)

    def to_json(self) -> str:
        """The calibrator as a JSON document (what the model registry stores)."""
        return json.dumps(
            {
                "format_version": FORMAT_VERSION,
                "kind": "identity" if self.is_identity else "isotonic",
                "system_id": self.system_id,
                "n_samples": self.n_samples,
                "reason": self.reason,
                "x": list(self.x),
                "y": list(self.y),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Calibrator:
        """Read a calibrator written by ``to_json``; ``PayloadError`` if the document is not one."""
        try:
            doc: Any = json.loads(text)
            kind = doc["kind"]
            x = tuple(float(v) for v in doc["x"])
            y = tuple(float(v) for v in doc["y"])
            calibrator = cls(
                system_id=str(doc["system_id"]),
                x=x,
                y=y,
                n_samples=int(doc["n_samples"]),
                is_identity=kind == "identity",
                reason=str(doc["reason"]),
            )
            version = doc["format_version"]
        except (ValueError, TypeError, KeyError) as exc:
            raise PayloadError(f"not a calibrator document: {exc}") from exc
        if version != FORMAT_VERSION or kind not in ("identity", "isotonic"):
            raise PayloadError(f"unsupported calibrator: kind={kind!r} format_version={version!r}")
        if kind == "isotonic" and not _valid_knots(x, y):
            raise PayloadError("calibrator knots must be non-empty, equal in length and monotone")
        return calibrator


def _valid_knots(x: tuple[float, ...], y: tuple[float, ...]) -> bool:
    pairs_ok = len(x) == len(y) > 0
    x_increasing = all(a < b for a, b in itertools.pairwise(x))
    y_monotone = all(a <= b for a, b in itertools.pairwise(y))
    return pairs_ok and x_increasing and y_monotone


def identity_calibrator(system_id: str, reason: str, n_samples: int = 0) -> Calibrator:
    """A calibrator that only clips: used when there is too little out-of-sample data to fit."""
    return Calibrator(system_id, (), (), n_samples, is_identity=True, reason=reason)


def pool_adjacent_violators(
    x: ArrayLike, y: ArrayLike, weight: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted isotonic (non-decreasing) regression of ``y`` on ``x``, as interpolation knots.

    Returns ``(knots_x, knots_y)``: each pooled block contributes its lowest and highest ``x`` (one knot
    when they coincide) at the block's weighted mean ``y``, so interpolation is flat inside a block and
    linear between blocks.
    """
    import numpy as np

    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    ws = np.ones_like(xs) if weight is None else np.asarray(weight, dtype=np.float64)
    if not (xs.shape == ys.shape == ws.shape) or xs.size == 0:
        raise ValueError("x, y and weight must be non-empty and of one shape")
    ux, inverse = np.unique(xs, return_inverse=True)
    wsum = np.bincount(inverse, weights=ws, minlength=ux.size)
    ymean = np.bincount(inverse, weights=ws * ys, minlength=ux.size) / wsum

    # Stack of blocks: (weighted mean, weight, first index, last index) into ux.
    means: list[float] = []
    weights: list[float] = []
    starts: list[int] = []
    ends: list[int] = []
    for i in range(ux.size):
        m, w, s = float(ymean[i]), float(wsum[i]), i
        while means and means[-1] > m:
            pm, pw = means.pop(), weights.pop()
            s = starts.pop()
            ends.pop()
            m, w = (pm * pw + m * w) / (pw + w), pw + w
        means.append(m)
        weights.append(w)
        starts.append(s)
        ends.append(i)

    lo, hi, level = np.asarray(starts), np.asarray(ends), np.asarray(means)
    knot_idx = np.stack([lo, hi], axis=1).ravel()
    knot_y = np.repeat(level, 2)
    keep = np.ones(knot_idx.size, dtype=bool)
    keep[1::2] = hi != lo
    return ux[knot_idx[keep]], knot_y[keep]


def fit_isotonic(
    p_over: ArrayLike,
    outcome: ArrayLike,
    *,
    system_id: str,
    min_samples: int = MIN_SAMPLES,
) -> Calibrator:
    """Fit the isotonic calibrator of one system from out-of-sample raw P(over) and outcomes.

    ``outcome`` is 1 where the player went over, 0 where under; rows with a NaN in either input
    (pushes, voids, no line) are dropped. Fewer than ``min_samples`` usable rows give the identity.
    """
    import numpy as np

    p = np.asarray(p_over, dtype=np.float64)
    o = np.asarray(outcome, dtype=np.float64)
    if p.shape != o.shape:
        raise ValueError(f"p_over and outcome differ in shape: {p.shape} vs {o.shape}")
    usable = np.isfinite(p) & np.isfinite(o)
    if ((o[usable] != 0) & (o[usable] != 1)).any():
        raise ValueError("outcome must be 0 (under) or 1 (over)")
    n = int(usable.sum())
    if n < min_samples:
        return identity_calibrator(
            system_id, f"identity: {n} out-of-sample pairs < {min_samples} required", n_samples=n
        )
    knots_x, knots_y = pool_adjacent_violators(np.round(p[usable], POOL_DECIMALS), o[usable])
    return Calibrator(
        system_id=system_id,
        x=tuple(float(v) for v in knots_x),
        y=tuple(float(v) for v in knots_y),
        n_samples=n,
        is_identity=False,
        reason=f"isotonic: {n} out-of-sample pairs, {len(knots_x)} knots",
    )
