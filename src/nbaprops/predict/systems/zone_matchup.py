"""``zone_matchup``: the player's scoring rate, scaled by how his zone mix meets the opponent's defence.

The baseline is rate times minutes, ``b = ppm_avg_last_10 * minutes_avg_last_10`` (falling back to
``points_avg_last_10``). The matchup terms, each centred on its training mean, are:

* zones, from play-by-play where it is loaded: ``pbp_zone_points_delta / b``, the points per game
  the opponent's FG% allowed in four zones (paint, mid-range, corner three, above-the-break three,
  each against the league's) is worth against the player's mix of attempts in those zones, relative
  to his baseline; where a row has no play-by-play zones, the box score's two-zone version
  ``shot_zone_mismatch_score / 10`` (2PT/3PT shares x opponent FG% allowed vs league) takes its
  place (each is 0 on the rows of the other, so each keeps its own learned coefficient);
* ``pct_three * (opponent_def_rating - mean) / 10``: the three-point-heavy player's exposure to a
  generally porous or stingy defence;
* ``fta_per_fga * (opponent_def_rating - mean) / 10``: the same through free throws;
* ``pace_score / 3``: more possessions, more shots in every zone.

The mean is ``b * (s + sum_j c_j * z_j)``: ``s`` and the ``c_j`` are learned by ridge least squares
of actual points on ``[b, b * z_1 .. b * z_4]`` over the training rows (a multiplicative matchup
effect, so a 30-point scorer gains more from a weak zone than a 5-point one). The spread is learned
from a time-based holdout: fit on the earlier 80% of dates, residuals on the latest 20%.
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
    holdout_mask,
    select_rows,
)

if TYPE_CHECKING:
    from nbaprops.predict.systems.base import FloatArray

RIDGE = 1.0
TERMS: tuple[str, ...] = (
    "shot_zone_mismatch_score",
    "pbp_zone_points_delta",
    "pct_three_x_opponent_def_rating",
    "fta_per_fga_x_opponent_def_rating",
    "pace_score",
)
_TERM_VALUES = (
    "shot_zone_mismatch_score",
    "pbp_zone_points_delta",
    "opponent_def_rating",
    "opponent_def_rating",
    "pace_score",
)


def baseline(batch: PlayerBatch) -> FloatArray:
    """Points-per-minute times expected minutes, else the last-10 average (else 0)."""
    import numpy as np

    rate = batch.column("ppm_avg_last_10") * batch.column("minutes_avg_last_10")
    fallback = fallback_column(batch, "points_avg_last_10")
    out: FloatArray = np.nan_to_num(np.where(np.isnan(rate), fallback, rate))
    return out


def _terms(batch: PlayerBatch, def_center: float) -> FloatArray:
    import numpy as np

    defence = (np.nan_to_num(batch.column("opponent_def_rating"), nan=def_center) - def_center) / 10.0
    pbp = batch.column("pbp_zone_points_delta")
    has_pbp = np.isfinite(pbp)
    return np.column_stack(
        [
            np.where(has_pbp, 0.0, np.nan_to_num(batch.column("shot_zone_mismatch_score")) / 10.0),
            np.where(has_pbp, np.nan_to_num(pbp) / np.maximum(baseline(batch), 1.0), 0.0),
            np.nan_to_num(batch.column("pct_three")) * defence,
            np.nan_to_num(batch.column("fta_per_fga")) * defence,
            np.nan_to_num(batch.column("pace_score")) / 3.0,
        ]
    )


class ZoneMatchupSystem:
    """Zone mix against zone defence, as a learned multiplicative adjustment of a rate baseline."""

    system_id = "zone_matchup"

    def __init__(
        self,
        coef: tuple[float, ...] | None = None,
        term_means: tuple[float, ...] | None = None,
        def_center: float = 0.0,
        spread: SpreadModel | None = None,
    ) -> None:
        self.coef = coef
        self.term_means = term_means
        self.def_center = def_center
        self.spread = spread

    def _solve(self, batch: PlayerBatch, actual: FloatArray) -> None:
        import numpy as np

        self.def_center = float(np.nanmean(batch.column("opponent_def_rating"))) if len(batch) else 0.0
        if not np.isfinite(self.def_center):
            self.def_center = 0.0
        terms = _terms(batch, self.def_center)
        means = terms.mean(axis=0)
        b = baseline(batch)
        design = np.column_stack([b, b[:, None] * (terms - means)])
        gram = design.T @ design + RIDGE * np.eye(design.shape[1])
        self.coef = tuple(float(c) for c in np.linalg.solve(gram, design.T @ actual))
        self.term_means = tuple(float(m) for m in means)

    def _mean(self, batch: PlayerBatch) -> FloatArray:
        import numpy as np

        if self.coef is None or self.term_means is None:
            raise ValueError("zone_matchup is not fitted")
        coef = np.asarray(self.coef)
        centred = _terms(batch, self.def_center) - np.asarray(self.term_means)
        out: FloatArray = baseline(batch) * (coef[0] + centred @ coef[1:])
        return out

    def _explained(self, batch: PlayerBatch) -> tuple[FloatArray, Contributions]:
        import numpy as np

        if self.coef is None or self.term_means is None:
            raise ValueError("zone_matchup is not fitted")
        coef = np.asarray(self.coef)
        centred = _terms(batch, self.def_center) - np.asarray(self.term_means)
        b = baseline(batch)
        mean: FloatArray = b * (coef[0] + centred @ coef[1:])
        points = b[:, None] * centred * coef[None, 1:]
        values = np.column_stack([batch.column(name) for name in _TERM_VALUES])
        return mean, Contributions(TERMS, points, values, b * coef[0])

    def fit(self, batch: PlayerBatch, *, as_of: date) -> dict[str, float]:
        """Learn the matchup coefficients and, from a time-based holdout, the spread."""
        import numpy as np

        actual = batch.actual_points
        if actual is None:
            raise ValueError("fit needs actual_points")
        held = holdout_mask(batch.game_dates)
        self._solve(select_rows(batch, ~held), actual[~held])
        holdout_mean = self._mean(select_rows(batch, held))
        self.spread = SpreadModel.fit(holdout_mean, actual[held])
        self._solve(batch, actual)
        return {"rows": float(len(batch)), "holdout_mae": float(np.mean(np.abs(holdout_mean - actual[held])))}

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        """Predict every row of ``batch``."""
        if self.spread is None:
            raise ValueError("zone_matchup is not fitted")
        return finish(batch, self._mean(batch), self.spread)

    def predict_explained(self, batch: PlayerBatch) -> SystemOutput:
        """``predict`` with each matchup term's contribution against the rate baseline."""
        if self.spread is None:
            raise ValueError("zone_matchup is not fitted")
        mean, why = self._explained(batch)
        return finish_explained(batch, mean, self.spread, why)

    def to_bytes(self) -> bytes:
        """Coefficients, centres and spread as JSON."""
        if self.spread is None or self.coef is None or self.term_means is None:
            raise ValueError("zone_matchup is not fitted")
        doc = {
            "system_id": self.system_id,
            "coef": self.coef,
            "term_means": self.term_means,
            "def_center": self.def_center,
            "spread": self.spread.to_dict(),
        }
        return json.dumps(doc).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> ZoneMatchupSystem:
        """Rebuild from ``to_bytes``; ``PayloadError`` when damaged."""
        try:
            doc = json.loads(data)
            coef = tuple(float(c) for c in doc["coef"])
            means = tuple(float(m) for m in doc["term_means"])
            center, spread = float(doc["def_center"]), SpreadModel.from_dict(doc["spread"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PayloadError(f"damaged zone_matchup model: {exc}") from exc
        if len(coef) != len(means) + 1:
            raise PayloadError("damaged zone_matchup model: coefficient count does not match the terms")
        return cls(coef, means, center, spread)
