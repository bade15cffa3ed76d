"""Per-system calibration of P(over): a smooth logistic map of the system's and the market's opinion.

Why not isotonic (the first version): on a few thousand out-of-sample pairs it made a staircase of
~150 values, every raw P in a wide band landing on one step, and the steps that decide a pick (just
over the 0.55 threshold) rested on a handful of rows. The picks are exactly the rows where the
system disagrees with the market most, so a calibrator that ignores the market is fitted mostly on
rows that are never bet and is overconfident on the ones that are.

The map is a logistic regression on two logits (Platt scaling with the market as a second input)::

    logit P(over) = a + b * logit(p_system) + c * logit(p_market)          b >= 0, c >= 0

``p_market`` is the book's no-vig P(over) from the posted prices. When the system knows nothing
the market does not, ``b`` goes to 0 and the calibrated P is the market's (no picks); when it knows
more, ``b`` is the share of its log-odds worth believing. The map is smooth and strictly increasing
in ``p_system`` whenever ``b > 0``; ``b`` and ``c`` are kept non-negative by refitting without an
input whose weight would go negative. A small ridge (``RIDGE``) on ``b`` and ``c`` keeps the Newton
steps finite on separable samples.

**Minimum block size.** No coefficient may be driven by a thin tail: each logit is clamped to the
range between its ``min_block``-th smallest and largest fitted value, so at least ``min_block`` pairs
lie at or beyond each end of the range the map is learned on and nothing is extrapolated past it
(the map is flat only on those tail blocks, each at most ``min_block / n`` of the fitted mass).

It is fitted only on out-of-sample pairs (see ``predict.train``: an expanding window of walk-forward
predictions before the training date); pushes, voids and rows without a price are dropped. Below
``min_samples`` usable pairs the identity calibrator is returned, with ``reason`` saying how many
pairs there were. Calibrated probabilities are clipped to [0.01, 0.99]: no row claims certainty.

**Edge scale: the map checked against its own track record.** The map above is fitted on pairs of
every earlier model of the season, so when a system's information grows or fades through a season
its edge over the market comes out too small or too large, by the same factor week after week
(measured on two sandbox seasons: the line-reading systems' edges about 1.3-1.5x too small,
similarity's about 0.8x too large; docs/model.md). A second, one-parameter stage rescales the edge::

    logit P = m + s * (logit P_base - m)          m = logit(p_market), P_base: the map above

``s`` is fitted (``fit_edge_scale``) by logistic regression of the outcome on the edge the base map
*claimed when the row was predicted* (by the calibrator then in force, never by the one being
fitted), with ``m`` as offset: on all those rows, not only the picks, so it is not fitted on a
selection. Below ``EDGE_SCALE_MIN_PAIRS`` such rows the scale is 1 (the base map alone). It is kept
in ``[0, EDGE_SCALE_MAX]``: 0 means the system's edge carries nothing and its P is the market's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbaprops.errors import PayloadError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

MIN_SAMPLES = 200
MIN_BLOCK = 50
CLIP_LOW = 0.01
CLIP_HIGH = 0.99
# Inputs are kept off 0 and 1 before taking logits (a raw P of exactly 0 or 1 is a system's bug,
# not infinite evidence).
LOGIT_EPS = 1e-4
RIDGE = 1e-3  # per pair, on the two slopes only
EDGE_SCALE_MIN_PAIRS = 2000
EDGE_SCALE_MAX = 2.0
NEWTON_STEPS = 50
FORMAT_VERSION = 2
INPUTS = ("intercept", "system", "market")


def logit(p: ArrayLike) -> NDArray[np.float64]:
    """``log(p / (1 - p))`` with ``p`` kept inside ``[LOGIT_EPS, 1 - LOGIT_EPS]``; NaN stays NaN."""
    import numpy as np

    q = np.clip(np.asarray(p, dtype=np.float64), LOGIT_EPS, 1.0 - LOGIT_EPS)
    out: NDArray[np.float64] = np.log(q) - np.log1p(-q)
    return out


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    out: NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from (raw P(over), market no-vig P(over)) to calibrated P(over) for one system.

    ``coef`` is ``(a, b, c)`` of the module docstring; ``system_range`` and ``market_range`` are the
    logit clamps (min block size). The identity calibrator has ``coef == (0, 1, 0)`` and infinite
    ranges: it only clips. ``edge_scale`` is the second stage's ``s`` (1: none), fitted on
    ``edge_scale_pairs`` track-record rows; the identity ignores it.
    """

    system_id: str
    coef: tuple[float, float, float]
    system_range: tuple[float, float]
    market_range: tuple[float, float]
    n_samples: int
    is_identity: bool
    reason: str
    edge_scale: float = 1.0
    edge_scale_pairs: int = 0

    def apply(self, p_over: ArrayLike, p_market: ArrayLike | None = None) -> NDArray[np.float64]:
        """Calibrated probabilities in [0.01, 0.99]; NaN where ``p_over`` is NaN.

        ``p_market`` (NaN or absent: no price) is read as an even market, logit 0, for that row.
        The base map's edge over the market is multiplied by ``edge_scale``.
        """
        return self.scale_edge(self.apply_base(p_over, p_market), p_market)

    def scale_edge(self, p_base: ArrayLike, p_market: ArrayLike | None = None) -> NDArray[np.float64]:
        """The second stage alone: ``apply_base``'s output with its edge over the market scaled.

        ``apply`` is ``scale_edge(apply_base(...))``; a caller that keeps both (the worker stores
        ``p_over_base`` beside ``p_over``) runs the base map once.
        """
        import numpy as np

        base = np.asarray(p_base, dtype=np.float64)
        if self.is_identity or self.edge_scale == 1.0:
            return base
        market = np.full(base.shape, 0.5) if p_market is None else np.asarray(p_market, dtype=np.float64)
        m = logit(np.nan_to_num(market, nan=0.5))
        out = np.clip(_sigmoid(m + self.edge_scale * (logit(base) - m)), CLIP_LOW, CLIP_HIGH)
        return np.where(np.isnan(base), np.nan, out)

    def apply_base(self, p_over: ArrayLike, p_market: ArrayLike | None = None) -> NDArray[np.float64]:
        """The first stage alone (``a + b * logit p + c * logit m``), in [0.01, 0.99]; NaN stays NaN.

        What a prediction stores as ``p_over_base``: the claim the next edge scale is fitted on.
        """
        import numpy as np

        raw = np.asarray(p_over, dtype=np.float64)
        if self.is_identity:
            return np.where(np.isnan(raw), np.nan, np.clip(raw, CLIP_LOW, CLIP_HIGH))
        market = np.full(raw.shape, 0.5) if p_market is None else np.asarray(p_market, dtype=np.float64)
        if market.shape != raw.shape:
            raise ValueError(f"p_over and p_market differ in shape: {raw.shape} vs {market.shape}")
        x_sys = np.clip(logit(np.nan_to_num(raw, nan=0.5)), *self.system_range)
        x_mkt = np.clip(logit(np.nan_to_num(market, nan=0.5)), *self.market_range)
        a, b, c = self.coef
        out = np.clip(_sigmoid(a + b * x_sys + c * x_mkt), CLIP_LOW, CLIP_HIGH)
        return np.where(np.isnan(raw), np.nan, out)

    def to_json(self) -> str:
        """The calibrator as a JSON document (what the model registry stores)."""
        return json.dumps(
            {
                "format_version": FORMAT_VERSION,
                "kind": "identity" if self.is_identity else "logistic",
                "system_id": self.system_id,
                "n_samples": self.n_samples,
                "reason": self.reason,
                "coef": list(self.coef),
                "system_range": [_finite_or_text(v) for v in self.system_range],
                "market_range": [_finite_or_text(v) for v in self.market_range],
                "edge_scale": self.edge_scale,
                "edge_scale_pairs": self.edge_scale_pairs,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Calibrator:
        """Read a calibrator written by ``to_json``; ``PayloadError`` if the document is not one."""
        try:
            doc: Any = json.loads(text)
            kind, version = doc["kind"], doc["format_version"]
            a, b, c = (float(v) for v in doc["coef"])
            lo_s, hi_s = (float(v) for v in doc["system_range"])
            lo_m, hi_m = (float(v) for v in doc["market_range"])
            calibrator = cls(
                system_id=str(doc["system_id"]),
                coef=(a, b, c),
                system_range=(lo_s, hi_s),
                market_range=(lo_m, hi_m),
                n_samples=int(doc["n_samples"]),
                is_identity=kind == "identity",
                reason=str(doc["reason"]),
                # documents written before the second stage existed had none: a scale of 1
                edge_scale=float(doc.get("edge_scale", 1.0)),
                edge_scale_pairs=int(doc.get("edge_scale_pairs", 0)),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise PayloadError(f"not a calibrator document: {exc}") from exc
        if version != FORMAT_VERSION or kind not in ("identity", "logistic"):
            raise PayloadError(f"unsupported calibrator: kind={kind!r} format_version={version!r}")
        finite = all(math.isfinite(v) for v in calibrator.coef)
        ordered = lo_s <= hi_s and lo_m <= hi_m
        if not (finite and ordered and b >= 0 and c >= 0):
            raise PayloadError("calibrator coefficients must be finite, slopes >= 0, ranges ordered")
        if not 0.0 <= calibrator.edge_scale <= EDGE_SCALE_MAX:
            raise PayloadError(f"edge_scale must lie in [0, {EDGE_SCALE_MAX}]: {calibrator.edge_scale}")
        return calibrator


def _finite_or_text(value: float) -> float | str:
    """JSON has no infinity: the identity's unbounded ranges are written as text ``float`` reads."""
    return value if math.isfinite(value) else str(value)


def identity_calibrator(system_id: str, reason: str, n_samples: int = 0) -> Calibrator:
    """A calibrator that only clips: used when there is too little out-of-sample data to fit."""
    unbounded = (-math.inf, math.inf)
    return Calibrator(system_id, (0.0, 1.0, 0.0), unbounded, unbounded, n_samples, True, reason)


def _tail_clamp(x: NDArray[np.float64], min_block: int) -> tuple[float, float]:
    """The range with at least ``min_block`` values at or beyond each of its ends."""
    import numpy as np

    ordered = np.sort(x)
    k = min(max(min_block, 1), ordered.size) - 1
    return float(ordered[k]), float(ordered[ordered.size - 1 - k])


def _newton_logistic(
    design: NDArray[np.float64], y: NDArray[np.float64], penalty: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Ridge-penalized logistic regression by Newton's method (deterministic, a few steps)."""
    import numpy as np

    beta = np.zeros(design.shape[1])
    for _ in range(NEWTON_STEPS):
        mu = _sigmoid(design @ beta)
        grad = design.T @ (y - mu) - penalty * beta
        weights = mu * (1.0 - mu)
        hessian = (design * weights[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, grad)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return beta


def _triples(
    p: ArrayLike, outcome: ArrayLike, p_market: ArrayLike, name: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """The three inputs as float arrays of one shape, and where all three are known.

    ``ValueError`` when the shapes differ or a known outcome is neither 0 (under) nor 1 (over).
    """
    import numpy as np

    x = np.asarray(p, dtype=np.float64)
    o = np.asarray(outcome, dtype=np.float64)
    m = np.asarray(p_market, dtype=np.float64)
    if not (x.shape == o.shape == m.shape):
        raise ValueError(f"{name}, outcome and p_market differ in shape: {x.shape}, {o.shape}, {m.shape}")
    usable = np.isfinite(x) & np.isfinite(o) & np.isfinite(m)
    if ((o[usable] != 0) & (o[usable] != 1)).any():
        raise ValueError("outcome must be 0 (under) or 1 (over)")
    return x, o, m, usable


def fit_logistic(
    p_over: ArrayLike,
    outcome: ArrayLike,
    p_market: ArrayLike,
    *,
    system_id: str,
    min_samples: int = MIN_SAMPLES,
    min_block: int = MIN_BLOCK,
) -> Calibrator:
    """Fit one system's calibrator from out-of-sample raw P(over), outcomes and market no-vig P(over).

    ``outcome`` is 1 where the player went over, 0 where under; rows with a NaN in any input
    (pushes, voids, no line, no price) are dropped. Fewer than ``min_samples`` usable rows (or not
    both outcomes among them) give the identity.
    """
    import numpy as np

    p, o, m, usable = _triples(p_over, outcome, p_market, "p_over")
    n = int(usable.sum())
    if n < min_samples or np.unique(o[usable]).size < 2:
        return identity_calibrator(
            system_id, f"identity: {n} out-of-sample pairs < {min_samples} required", n_samples=n
        )
    x_sys, x_mkt, y = logit(p[usable]), logit(m[usable]), o[usable]
    sys_range, mkt_range = _tail_clamp(x_sys, min_block), _tail_clamp(x_mkt, min_block)
    columns = [np.ones(n), np.clip(x_sys, *sys_range), np.clip(x_mkt, *mkt_range)]
    active = [0, 1, 2]
    coef = np.zeros(3)
    # Drop a slope that comes out negative and refit (at most twice): the map must stay monotone.
    while True:
        design = np.column_stack([columns[j] for j in active])
        penalty = np.array([0.0 if j == 0 else RIDGE * n for j in active])
        beta = _newton_logistic(design, y, penalty)
        negative = [j for j, v in zip(active, beta, strict=True) if j and v < 0]
        if not negative:
            coef[active] = beta
            break
        worst = min(negative, key=lambda j: beta[active.index(j)])
        active.remove(worst)
    a, b, c = (float(v) for v in coef)
    return Calibrator(
        system_id=system_id,
        coef=(a, b, c),
        system_range=sys_range,
        market_range=mkt_range,
        n_samples=n,
        is_identity=False,
        reason=f"logistic: {n} out-of-sample pairs, a={a:+.3f} b={b:.3f} c={c:.3f}",
    )


def fit_edge_scale(
    p_base: ArrayLike, outcome: ArrayLike, p_market: ArrayLike, *, min_pairs: int = EDGE_SCALE_MIN_PAIRS
) -> tuple[float, int]:
    """The edge scale ``s`` and the number of rows it rests on (module docstring: second stage).

    ``p_base`` is the base map's P(over) each row was given **when it was predicted** (NaN where none
    was: those rows are left out, as are rows without an outcome or a price). Maximum likelihood of
    ``outcome ~ sigmoid(m + s * (logit p_base - m))``, ``m = logit(p_market)``, by Newton's method;
    ``(1.0, n)`` below ``min_pairs`` rows or when no edge varies; clamped to ``[0, EDGE_SCALE_MAX]``.
    """
    import numpy as np

    p, o, mk, usable = _triples(p_base, outcome, p_market, "p_base")
    n = int(usable.sum())
    if n < min_pairs:
        return 1.0, n
    m = logit(mk[usable])
    edge = logit(p[usable]) - m
    y = o[usable]
    information = float(np.sum(edge * edge))
    if information <= 0.0:
        return 1.0, n
    s = 1.0
    for _ in range(NEWTON_STEPS):
        mu = _sigmoid(m + s * edge)
        step = float(np.sum(edge * (y - mu))) / float(np.sum(edge * edge * mu * (1.0 - mu)))
        s += step
        if abs(step) < 1e-10:
            break
    return float(min(max(s, 0.0), EDGE_SCALE_MAX)), n
