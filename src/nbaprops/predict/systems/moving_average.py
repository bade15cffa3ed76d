"""``moving_average``: an exponentially weighted average of the player's recent games, adjusted.

For each row, over the player's last ``WINDOW`` games played (``history_points``, newest first)::

    w_i   = 0.5 ** (i / HALF_LIFE)                    i = 0 for the latest game
    wavg  = sum(w_i * pts_i) / sum(w_i)                over the games that exist
    mean  = (n * wavg + SHRINK * season) / (n + SHRINK) * (B2B_FACTOR if back_to_back else 1)

Adjustments, and why:

* shrinkage toward ``points_avg_season`` (weight ``SHRINK`` games): a handful of games is a noisy
  estimate of a player's level, so players with few recent games lean on the season average;
  with no history at all the mean is the season average (else ``points_avg_last_10``);
* back-to-back (``back_to_back`` feature = 1): the second night of a back-to-back is played on tired
  legs, so the level is scaled by ``B2B_FACTOR``.

Why (``predict_explained``): the baseline is the season average (``points_avg_season``, else
``points_avg_last_10``); ``recent_form`` is what the shrunk weighted recent average adds to it
(its value: the weighted average of the last games), ``back_to_back`` what the factor takes away
(its value: the feature, 1 or 0).

Nothing in the mean is fitted; ``fit`` learns only the spread (``SpreadModel``) from the system's own
predictions of the training rows, which are out-of-sample by construction (each uses only earlier
games).
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

from nbaprops.errors import PayloadError
from nbaprops.predict.systems.base import (
    Contributions,
    PlayerBatch,
    SpreadModel,
    SystemOutput,
    fallback_column,
    finish,
    finish_explained,
)

if TYPE_CHECKING:
    from nbaprops.predict.systems.base import FloatArray

WINDOW = 10
HALF_LIFE = 4.0
SHRINK = 3.0
B2B_FACTOR = 0.97


TERMS: tuple[str, ...] = ("recent_form", "back_to_back")


def weighted_level(batch: PlayerBatch) -> FloatArray:
    """The adjusted moving average of every row (the formula of the module docstring)."""
    return _level(batch)[0]


def explain_level(batch: PlayerBatch) -> tuple[FloatArray, Contributions]:
    """``weighted_level`` and its contributions (``TERMS``) against the season-average baseline."""
    import numpy as np

    out, season, wavg, level, b2b = _level(batch)
    baseline = np.nan_to_num(season)
    level = np.nan_to_num(level)
    points = np.column_stack([level - baseline, out - level])
    values = np.column_stack([wavg, b2b])
    return out, Contributions(TERMS, points, values, baseline)


def _level(batch: PlayerBatch) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """(adjusted level, season baseline, weighted recent average, level before the b2b factor, b2b)."""
    import numpy as np

    recent = batch.history_points[:, :WINDOW]
    weights = 0.5 ** (np.arange(recent.shape[1]) / HALF_LIFE)
    present = np.isfinite(recent)
    w = np.where(present, weights[None, :], 0.0)
    wsum = w.sum(axis=1)
    n_games = present.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        wavg = np.where(wsum > 0, (w * np.nan_to_num(recent)).sum(axis=1) / wsum, np.nan)
    season = fallback_column(batch, "points_avg_season", "points_avg_last_10")
    season = np.where(np.isnan(season), np.nan_to_num(wavg), season)
    shrunk = (n_games * np.nan_to_num(wavg) + SHRINK * season) / (n_games + SHRINK)
    level = np.where(n_games > 0, shrunk, season)
    b2b = np.nan_to_num(batch.column("back_to_back")) >= 0.5
    out: FloatArray = np.nan_to_num(level * np.where(b2b, B2B_FACTOR, 1.0))
    return out, season, wavg, level, b2b.astype(np.float64)


class MovingAverageSystem:
    """Weighted recent averages with documented adjustments; only the spread is learned."""

    system_id = "moving_average"

    def __init__(self, spread: SpreadModel | None = None) -> None:
        self.spread = spread

    def fit(self, batch: PlayerBatch, *, as_of: date) -> dict[str, float]:
        """Learn the spread from the (already out-of-sample) predictions of the training rows."""
        import numpy as np

        if batch.actual_points is None:
            raise ValueError("fit needs actual_points")
        mean = weighted_level(batch)
        self.spread = SpreadModel.fit(mean, batch.actual_points)
        return {"rows": float(len(batch)), "mae": float(np.mean(np.abs(mean - batch.actual_points)))}

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        """Predict every row of ``batch``."""
        if self.spread is None:
            raise ValueError("moving_average is not fitted (no spread model)")
        return finish(batch, weighted_level(batch), self.spread)

    def predict_explained(self, batch: PlayerBatch) -> SystemOutput:
        """``predict`` with each row's contributions (recent form, back-to-back) to the mean."""
        if self.spread is None:
            raise ValueError("moving_average is not fitted (no spread model)")
        mean, why = explain_level(batch)
        return finish_explained(batch, mean, self.spread, why)

    def to_bytes(self) -> bytes:
        """The learned spread as JSON."""
        if self.spread is None:
            raise ValueError("moving_average is not fitted")
        return json.dumps({"system_id": self.system_id, "spread": self.spread.to_dict()}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> MovingAverageSystem:
        """Rebuild from ``to_bytes``; ``PayloadError`` when damaged."""
        try:
            doc = json.loads(data)
            return cls(SpreadModel.from_dict(doc["spread"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise PayloadError(f"damaged moving_average model: {exc}") from exc
