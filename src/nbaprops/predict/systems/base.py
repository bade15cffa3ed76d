"""What every prediction system consumes and produces.

Systems work on a whole batch at once: a ``PlayerBatch`` holds, for n player-games of one date,
the feature matrix in contract order, each player's recent history and the posted line. A system
returns a ``SystemOutput`` of n means, n standard deviations and n raw P(points > line) (NaN where
there is no line). Nothing here touches the warehouse: the coordinator builds batches with a
constant number of queries and the worker calls ``predict`` on them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Mapping

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]
    IntArray = NDArray[np.int64]
    StrArray = NDArray[np.str_]

HISTORY_GAMES = 20  # games of history carried per player, most recent first


@dataclass(frozen=True)
class PlayerBatch:
    """n player-games to predict (or to learn from), aligned row by row."""

    game_dates: NDArray[np.datetime64]  # (n,) datetime64[D]: the game date of each row
    game_ids: StrArray  # (n,)
    player_ids: IntArray  # (n,)
    teams: StrArray  # (n,)
    opponents: StrArray  # (n,)
    feature_names: tuple[str, ...]  # the contract order of the columns of ``features``
    features: FloatArray  # (n, k): NaN where a feature is NULL
    history_points: FloatArray  # (n, HISTORY_GAMES): points of earlier games played, newest first, NaN-padded
    history_minutes: FloatArray  # (n, HISTORY_GAMES)
    line: FloatArray  # (n,): the posted points line, NaN when there is none
    over_price: FloatArray  # (n,): American price of the over, NaN when no line
    under_price: FloatArray  # (n,)
    actual_points: FloatArray | None = None  # (n,): known only when learning or grading
    extras: dict[str, FloatArray] = field(default_factory=dict)  # system-specific inputs by name

    def __len__(self) -> int:
        return int(self.player_ids.shape[0])

    def column(self, name: str) -> FloatArray:
        """One feature column by contract name."""
        return self.features[:, self.feature_names.index(name)]


TOP_FEATURES = 5  # contributions kept per prediction row (largest |points| first)
CONTRIBUTION_DIGITS = 3  # points and values are stored rounded: a contribution under 0.0005 is none
_TERM_NAME = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Contributions:
    """Why a system predicted what it did: per row, each term's share of the mean, in points.

    ``baseline + points.sum(axis=1)`` is the system's mean, row by row (to rounding): each system
    says in its docstring (and docs/model.md) what its baseline is and what its terms are. Where
    ``finish`` had to floor a mean at ``MIN_MEAN`` the floor's difference is in that row's baseline.
    ``values`` holds the input each term read (a feature value, a gap in points; NaN where no single
    value means anything).
    """

    names: tuple[str, ...]  # (m,) term names: contract feature names where a term is one feature
    points: FloatArray  # (n, m)
    values: FloatArray  # (n, m)
    baseline: FloatArray  # (n,)

    def __post_init__(self) -> None:
        bad = [n for n in self.names if not _TERM_NAME.match(n)]
        if bad or len(set(self.names)) != len(self.names):
            raise ValueError(f"contribution names must be unique snake_case identifiers: {self.names}")
        m = len(self.names)
        n = self.baseline.shape[0]
        if self.points.shape != (n, m) or self.values.shape != (n, m):
            raise ValueError(f"contributions of shape {self.points.shape}/{self.values.shape}, want {(n, m)}")

    def top_json(self, k: int = TOP_FEATURES) -> list[str]:
        """Per row, a JSON list of the ``k`` largest contributions by magnitude (ties by name), each
        ``{"feature", "contribution_points", "value"}``; terms that round to 0 points are left out.

        Vectorized ranking; the text is assembled by hand (names are checked identifiers, numbers
        are rounded finite floats), which is several times faster than ``json.dumps`` per row.
        """
        import numpy as np

        n, m = self.points.shape
        if m == 0 or n == 0:
            return ["[]"] * n
        points = np.round(np.nan_to_num(self.points, nan=0.0, posinf=0.0, neginf=0.0), CONTRIBUTION_DIGITS)
        values = np.round(self.values, CONTRIBUTION_DIGITS)
        by_name = np.argsort(np.argsort(np.asarray(self.names)))  # each term's rank in name order
        order = np.lexsort((np.broadcast_to(by_name, (n, m)), -np.abs(points)), axis=-1)[:, :k]
        top_points = np.take_along_axis(points, order, axis=1).tolist()
        top_values = np.take_along_axis(values, order, axis=1).tolist()
        names = self.names
        out = []
        for row_order, row_points, row_values in zip(order.tolist(), top_points, top_values, strict=True):
            items = []
            for j, c, v in zip(row_order, row_points, row_values, strict=True):
                if c == 0.0:
                    break  # sorted by magnitude: the rest are 0 too
                value = repr(v + 0.0) if math.isfinite(v) else "null"
                items.append(f'{{"feature":"{names[j]}","contribution_points":{c + 0.0!r},"value":{value}}}')
            out.append("[" + ",".join(items) + "]")
        return out


@dataclass(frozen=True)
class SystemOutput:
    """A system's predictive distribution summary for each row of a batch."""

    mean: FloatArray  # (n,) predicted points
    sd: FloatArray  # (n,) predictive standard deviation (> 0)
    p_over: FloatArray  # (n,) raw (uncalibrated) P(points > line); NaN where there is no line
    contributions: Contributions | None = None  # set by ``predict_explained``, else None


@runtime_checkable
class PredictionSystem(Protocol):
    """A system that predicts a whole batch at once."""

    system_id: str

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        """Predict every row of ``batch``."""


@runtime_checkable
class ExplainingSystem(PredictionSystem, Protocol):
    """A system that can also say, per row, which terms moved its mean (``Contributions``)."""

    def predict_explained(self, batch: PlayerBatch) -> SystemOutput:
        """``predict`` with ``contributions`` set; the means are the same as ``predict``'s."""


@runtime_checkable
class BlendingSystem(PredictionSystem, Protocol):
    """A system whose prediction blends other systems' outputs (the ensemble)."""

    components: tuple[str, ...]

    def combine(self, batch: PlayerBatch, outputs: Mapping[str, SystemOutput]) -> SystemOutput:
        """The blend of the components' outputs already computed for ``batch``."""


@runtime_checkable
class TrainableSystem(PredictionSystem, Protocol):
    """A system with state learned from earlier games (stored in the model registry)."""

    def fit(self, batch: PlayerBatch, *, as_of: date) -> dict[str, float]:
        """Learn from ``batch`` (rows strictly before ``as_of``, with ``actual_points``); returns metrics."""

    def to_bytes(self) -> bytes:
        """Serialize the learned state (text formats only: JSON, LightGBM model text)."""

    @classmethod
    def from_bytes(cls, data: bytes) -> TrainableSystem:
        """Rebuild a system from ``to_bytes`` output; raises ``PayloadError`` if it is damaged."""


LAD_ITERATIONS = 15
LAD_EPSILON = 0.5  # points: residuals smaller than this weigh as much as this (keeps IRLS stable)
SPREAD_FORMAT = 1
MIN_MEAN = 0.1
MIN_VARIANCE = 1.0  # points^2: no player-game is predicted tighter than one point of sd


@dataclass(frozen=True)
class SpreadModel:
    """Predictive variance as a learned linear function of the predicted mean: ``var = a + b * mean``.

    Fitted by least squares of squared out-of-sample residuals on the predicted mean (points are
    counts, so their spread grows with their level), with both coefficients kept non-negative and the
    variance floored at ``MIN_VARIANCE``. Systems fit it on rows their mean was not fitted on.
    """

    intercept: float
    slope: float
    n_samples: int

    @classmethod
    def fit(cls, predicted: FloatArray, actual: FloatArray) -> SpreadModel:
        """Learn the variance curve from out-of-sample predictions and outcomes (NaN rows dropped)."""
        import numpy as np

        ok = np.isfinite(predicted) & np.isfinite(actual)
        if int(ok.sum()) < 2:
            raise ValueError("a spread model needs at least two out-of-sample residuals")
        mean, sq = predicted[ok], (actual[ok] - predicted[ok]) ** 2
        design = np.column_stack([np.ones_like(mean), mean])
        (a, b), *_ = np.linalg.lstsq(design, sq, rcond=None)
        if b < 0:  # a falling variance is noise in a small sample: fall back to a constant level
            a, b = float(sq.mean()), 0.0
        return cls(intercept=max(float(a), 0.0), slope=float(b), n_samples=int(ok.sum()))

    def sd(self, mean: FloatArray) -> FloatArray:
        """Predictive standard deviation for each predicted mean (always > 0)."""
        import numpy as np

        variance = self.intercept + self.slope * np.clip(mean, 0.0, None)
        out: FloatArray = np.sqrt(np.maximum(variance, MIN_VARIANCE))
        return out

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready form."""
        return {
            "format": SPREAD_FORMAT,
            "intercept": self.intercept,
            "slope": self.slope,
            "n": self.n_samples,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, float | int]) -> SpreadModel:
        """Inverse of ``to_dict`` (KeyError/TypeError/ValueError on a damaged document)."""
        if doc["format"] != SPREAD_FORMAT:
            raise ValueError(f"unsupported spread model format {doc['format']!r}")
        return cls(float(doc["intercept"]), float(doc["slope"]), int(doc["n"]))


def holdout_mask(game_dates: NDArray[np.datetime64], fraction: float = 0.2) -> NDArray[np.bool_]:
    """Rows of the latest ``fraction`` of distinct game dates: a time-based (never random) holdout."""
    import numpy as np

    days = np.unique(game_dates)
    if days.size < 2:
        raise ValueError("a time-based holdout needs at least two game dates")
    first_held = days[min(days.size - 1, max(1, round(days.size * (1.0 - fraction))))]
    out: NDArray[np.bool_] = game_dates >= first_held
    return out


def finish(batch: PlayerBatch, mean: FloatArray, spread: SpreadModel) -> SystemOutput:
    """A system's output from its mean: sd from the learned spread, raw P(over) from the distribution."""
    import numpy as np

    from nbaprops.predict.distribution import over_probability

    # A zero mean with a positive sd has no negative binomial (its shape would be 0), so predictions
    # are floored at a tenth of a point: a player expected to score nothing still can.
    mean = np.clip(np.nan_to_num(mean, nan=0.0), MIN_MEAN, None)
    sd = spread.sd(mean)
    p_over = over_probability(mean, sd, batch.line) if len(batch) else np.empty(0)
    return SystemOutput(mean=mean, sd=sd, p_over=np.asarray(p_over, dtype=np.float64))


def finish_explained(
    batch: PlayerBatch, mean: FloatArray, spread: SpreadModel, why: Contributions
) -> SystemOutput:
    """``finish`` with the contributions attached; where ``finish`` changed a mean (the floor at
    ``MIN_MEAN``, a NaN), that change goes into the row's baseline so the sum stays the mean."""
    import numpy as np

    out = finish(batch, mean, spread)
    changed = out.mean != mean
    baseline = np.where(changed, out.mean - np.nan_to_num(why.points).sum(axis=1), why.baseline)
    return replace(out, contributions=replace(why, baseline=baseline))


def fallback_column(batch: PlayerBatch, *names: str) -> FloatArray:
    """The first non-NaN value across the named feature columns, row by row (NaN if all are)."""
    import numpy as np

    out = np.full(len(batch), np.nan)
    for name in names:
        out = np.where(np.isnan(out), batch.column(name), out)
    return out


def select_rows(batch: PlayerBatch, rows: object) -> PlayerBatch:
    """A batch of the chosen rows (boolean mask or index array), every aligned array sliced alike."""
    import numpy as np

    idx = np.asarray(rows)
    return PlayerBatch(
        game_dates=batch.game_dates[idx],
        game_ids=batch.game_ids[idx],
        player_ids=batch.player_ids[idx],
        teams=batch.teams[idx],
        opponents=batch.opponents[idx],
        feature_names=batch.feature_names,
        features=batch.features[idx],
        history_points=batch.history_points[idx],
        history_minutes=batch.history_minutes[idx],
        line=batch.line[idx],
        over_price=batch.over_price[idx],
        under_price=batch.under_price[idx],
        actual_points=None if batch.actual_points is None else batch.actual_points[idx],
        extras={k: v[idx] for k, v in batch.extras.items()},
    )


def median_regression(x: FloatArray, y: FloatArray, ridge: float) -> FloatArray:
    """Least-absolute-deviation coefficients of ``y`` on ``x`` (column 0, the intercept, unpenalized).

    Iteratively reweighted least squares: each pass solves a ridge problem with row weights
    ``1 / max(|residual|, LAD_EPSILON)`` from the previous pass, which converges to the median fit.
    """
    import numpy as np

    penalty = ridge * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    weights = np.ones(y.size)
    coef = np.zeros(x.shape[1])
    for _ in range(LAD_ITERATIONS):
        weighted = x * weights[:, None]
        coef = np.linalg.solve(weighted.T @ x + penalty * weights.mean(), weighted.T @ y)
        weights = 1.0 / np.maximum(np.abs(y - x @ coef), LAD_EPSILON)
    out: FloatArray = coef
    return out
