"""``ensemble``: a blend of the other systems, weighted by recent out-of-sample accuracy, floored.

Weights are learned, never set: on the latest ``window_days`` of the components' out-of-sample
predictions (from the inner walk-forward of training, passed in ``batch.extras`` as
``mean:<system_id>``), they solve ``min sum |A w - y|  subject to  sum(w) = 1, w_k >= floor``
where the columns of ``A`` are the components' predicted means and ``y`` the actual points.

* Absolute error, because the MAE is the headline metric: over the second half of the sandbox
  season (weekly walk-forward) it gave 4.6914 where squared error gave 4.6988, same floor.
* The sum keeps the blend on the points scale.
* The floor (``DEFAULT_FLOOR`` each) keeps it an ensemble: without it least squares gave the
  strongest component 0.70-0.86 and others exactly 0, so the "ensemble" was one system. It costs
  0.004 points of MAE on the same rows (4.6878 without it).

The squared-error problem is solved exactly for a handful of components (every set of components
left at their floor is tried, the rest by equality-constrained least squares, the best feasible
solution kept); absolute error by reweighting it (IRLS, rows weighted ``1 / |residual|``). The
spread is learned from the residuals of the blended mean on the same rows.

At prediction time the components' means come from ``batch.extras`` (the worker has just run them;
``combine`` takes their ``SystemOutput``s directly) or, when the ensemble has been bound to the
component systems (``bind``), by running them.

Why: when every component's output carries its contributions, ``combine`` blends them too: each
term's contribution is ``sum_k w_k * contribution_k`` over the components that have a term of that
name (so ``back_to_back`` of the moving average and of the trees add up), its value the first
component's that has one, and the baseline ``sum_k w_k * baseline_k``. The blend's reasons are
therefore exactly its members' reasons, weighted as its mean is.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING

from nbaprops.errors import PayloadError
from nbaprops.predict.systems.base import (
    LAD_EPSILON,
    Contributions,
    PlayerBatch,
    PredictionSystem,
    SpreadModel,
    SystemOutput,
    finish,
    finish_explained,
)

if TYPE_CHECKING:
    from nbaprops.predict.systems.base import FloatArray

COMPONENTS: tuple[str, ...] = (
    "moving_average",
    "zone_matchup",
    "similarity",
    "gbm",
    "line_residual",
    "minutes_ppm",
)
DEFAULT_WINDOW_DAYS = 28
DEFAULT_FLOOR = 0.04
ENSEMBLE_LAD_ITERATIONS = 8  # each pass solves every floored subset: fewer passes than the ridge IRLS


def mean_key(system_id: str) -> str:
    """The ``PlayerBatch.extras`` key holding a component's predicted mean."""
    return f"mean:{system_id}"


def blend_contributions(parts: list[tuple[float, Contributions]]) -> Contributions:
    """``sum_k w_k * contributions_k``, merged by term name (in order of first appearance)."""
    import numpy as np

    names: dict[str, int] = {}
    for _, why in parts:
        for name in why.names:
            names.setdefault(name, len(names))
    n = parts[0][1].baseline.shape[0] if parts else 0
    points = np.zeros((n, len(names)))
    values = np.full((n, len(names)), np.nan)
    baseline = np.zeros(n)
    for weight, why in parts:
        cols = [names[name] for name in why.names]  # unique within one component
        points[:, cols] += weight * np.nan_to_num(why.points)
        values[:, cols] = np.where(np.isnan(values[:, cols]), why.values, values[:, cols])
        baseline += weight * why.baseline
    return Contributions(tuple(names), points, values, baseline)


def floored_simplex_lstsq(a: FloatArray, y: FloatArray, floor: float) -> FloatArray:
    """``argmin ||a w - y||`` with ``sum(w) = 1`` and every ``w_k >= floor`` (exact, for few columns).

    For each set S of free components (the others sit at ``floor``) the equality-constrained least
    squares is solved through its KKT system; the feasible solution with the smallest loss wins.
    """
    import numpy as np

    k = a.shape[1]
    if floor * k > 1.0 + 1e-12:
        raise ValueError(f"a floor of {floor} for {k} components leaves no weight to learn")
    best, best_loss = np.full(k, 1.0 / k), np.inf
    for size in range(1, k + 1):
        for cols in itertools.combinations(range(k), size):
            free = list(cols)
            fixed = [j for j in range(k) if j not in cols]
            target = y - a[:, fixed].sum(axis=1) * floor if fixed else y
            budget = 1.0 - floor * len(fixed)
            sub = a[:, free]
            kkt = np.zeros((size + 1, size + 1))
            kkt[:size, :size] = 2.0 * sub.T @ sub
            kkt[:size, size] = 1.0
            kkt[size, :size] = 1.0
            rhs = np.concatenate([2.0 * sub.T @ target, [budget]])
            try:
                solution = np.linalg.solve(kkt, rhs)[:size]
            except np.linalg.LinAlgError:
                continue
            if (solution < floor - 1e-12).any():
                continue
            w = np.full(k, floor)
            w[free] = solution
            loss = float(np.sum((a @ w - y) ** 2))
            if loss < best_loss:
                best, best_loss = w, loss
    out: FloatArray = np.clip(best, floor, None)
    return out


def floored_simplex_lad(
    a: FloatArray, y: FloatArray, floor: float, iterations: int = ENSEMBLE_LAD_ITERATIONS
) -> FloatArray:
    """``floored_simplex_lstsq`` for absolute error: iteratively reweighted, rows weighted ``1/|r|``."""
    import numpy as np

    weights = np.ones(y.size)
    w = floored_simplex_lstsq(a, y, floor)
    for _ in range(iterations):
        weights = 1.0 / np.maximum(np.abs(y - a @ w), LAD_EPSILON)
        root = np.sqrt(weights)
        w = floored_simplex_lstsq(a * root[:, None], y * root, floor)
    return w


class EnsembleSystem:
    """Blend of component systems, floored weights learned on recent out-of-sample predictions."""

    system_id = "ensemble"

    def __init__(
        self,
        components: tuple[str, ...] = COMPONENTS,
        weights: tuple[float, ...] | None = None,
        spread: SpreadModel | None = None,
        window_days: int = DEFAULT_WINDOW_DAYS,
        floor: float = DEFAULT_FLOOR,
    ) -> None:
        self.components = components
        self.weights = weights
        self.spread = spread
        self.window_days = window_days
        self.floor = floor
        self.bound: dict[str, PredictionSystem] = {}

    def bind(self, systems: Mapping[str, PredictionSystem]) -> EnsembleSystem:
        """Attach the component systems so that ``predict`` can run them itself."""
        missing = [c for c in self.components if c not in systems]
        if missing:
            raise ValueError(f"ensemble components missing: {missing}")
        self.bound = {c: systems[c] for c in self.components}
        return self

    def fit(self, batch: PlayerBatch, *, as_of: date) -> dict[str, float]:
        """Learn the weights and spread from the components' out-of-sample means in ``batch.extras``."""
        import numpy as np

        y = batch.actual_points
        if y is None:
            raise ValueError("fit needs actual_points")
        start = np.datetime64(as_of - timedelta(days=self.window_days))
        recent = (batch.game_dates >= start) & (batch.game_dates < np.datetime64(as_of))
        a = self._matrix(batch)[recent]
        ok = np.isfinite(a).all(axis=1) & np.isfinite(y[recent])
        a, target = a[ok], y[recent][ok]
        if target.size < 2 * len(self.components):
            raise ValueError(f"too few out-of-sample rows to weigh the ensemble: {target.size}")
        self.weights = tuple(float(w) for w in floored_simplex_lad(a, target, self.floor))
        blended = a @ np.asarray(self.weights)
        self.spread = SpreadModel.fit(blended, target)
        metrics = {
            "rows": float(target.size),
            "mae": float(np.mean(np.abs(blended - target))),
            "floor": self.floor,
        }
        metrics.update({f"weight_{c}": w for c, w in zip(self.components, self.weights, strict=True)})
        return metrics

    def _matrix(self, batch: PlayerBatch) -> FloatArray:
        import numpy as np

        missing = [c for c in self.components if mean_key(c) not in batch.extras]
        if missing:
            raise ValueError(f"batch lacks the component means {missing}")
        return np.column_stack([batch.extras[mean_key(c)] for c in self.components])

    def combine(self, batch: PlayerBatch, outputs: Mapping[str, SystemOutput]) -> SystemOutput:
        """The blend of components' outputs already computed for ``batch``."""
        import numpy as np

        if self.weights is None or self.spread is None:
            raise ValueError("ensemble is not fitted")
        mean = np.column_stack([outputs[c].mean for c in self.components]) @ np.asarray(self.weights)
        explained = [outputs[c].contributions for c in self.components]
        if any(why is None for why in explained):
            return finish(batch, mean, self.spread)
        parts = [(w, why) for w, why in zip(self.weights, explained, strict=True) if why is not None]
        return finish_explained(batch, mean, self.spread, blend_contributions(parts))

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        """Blend the component means found in ``batch.extras``, else run the bound components."""
        if all(mean_key(c) in batch.extras for c in self.components):
            import numpy as np

            if self.weights is None or self.spread is None:
                raise ValueError("ensemble is not fitted")
            return finish(batch, self._matrix(batch) @ np.asarray(self.weights), self.spread)
        if not self.bound:
            raise ValueError("ensemble needs component means in batch.extras or bound component systems")
        return self.combine(batch, {c: s.predict(batch) for c, s in self.bound.items()})

    def to_bytes(self) -> bytes:
        """Components, weights and spread as JSON."""
        if self.weights is None or self.spread is None:
            raise ValueError("ensemble is not fitted")
        doc = {
            "system_id": self.system_id,
            "components": list(self.components),
            "weights": self.weights,
            "window_days": self.window_days,
            "floor": self.floor,
            "spread": self.spread.to_dict(),
        }
        return json.dumps(doc).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> EnsembleSystem:
        """Rebuild from ``to_bytes``; ``PayloadError`` when damaged."""
        try:
            doc = json.loads(data)
            components = tuple(str(c) for c in doc["components"])
            weights = tuple(float(w) for w in doc["weights"])
            spread = SpreadModel.from_dict(doc["spread"])
            window_days = int(doc["window_days"])
            floor = float(doc["floor"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PayloadError(f"damaged ensemble model: {exc}") from exc
        if len(components) != len(weights):
            raise PayloadError("damaged ensemble model: one weight per component is required")
        return cls(components, weights, spread, window_days, floor)
