"""``similarity``: the weighted outcomes of the most similar past player-games, the player's own first.

Each player-game is described by ``MATCH_FEATURES`` (scoring level, minutes, usage, rest, venue,
opponent defence and pace, zone mismatch), standardized with the training means and sds (a NULL
feature sits at the mean). The reference set is the latest ``max_reference`` training rows, each
kept with its outcome expressed against its own baseline: ``delta = actual - points_avg_last_10``.

For a row, the distance to a reference game is the Euclidean distance of the standardized vectors
plus ``OTHER_PLAYER_PENALTY`` when the reference game is another player's, so the player's own
similar games come first and other players' fill in when he has few. The ``k`` nearest give::

    w_j  = 1 / (d_j + EPS)
    mean = points_avg_last_10 + sum(w_j * delta_j) / sum(w_j)

Neighbours are found with a chunked dense distance matrix (``CHUNK`` rows at a time against the
bounded reference set) and ``argpartition``, so the work is vectorized over the batch. The spread
is learned on a time-based holdout whose reference set holds only earlier dates.

Why (``predict_explained``): the baseline is ``points_avg_last_10``; one term, ``similar_games``,
is the neighbours' weighted residual against their own last-10 average (its value: how many of
the ``k`` neighbours are the player's own games).
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from nbaprops.errors import PayloadError
from nbaprops.predict.systems.base import (
    Contributions,
    PlayerBatch,
    SpreadModel,
    SystemOutput,
    finish,
    finish_explained,
    holdout_mask,
    select_rows,
)

if TYPE_CHECKING:
    from nbaprops.predict.systems.base import FloatArray, IntArray

MATCH_FEATURES: tuple[str, ...] = (
    "points_avg_last_10",
    "points_avg_season",
    "minutes_avg_last_10",
    "usage_rate_last_10",
    "days_rest",
    "home_away",
    "opponent_def_rating",
    "opponent_pace",
    "shot_zone_mismatch_score",
    "minutes_change",
)
BASELINE = "points_avg_last_10"
OTHER_PLAYER_PENALTY = 1.0
EPS = 0.25
CHUNK = 512
DEFAULT_K = 40
DEFAULT_MAX_REFERENCE = 12000


class SimilaritySystem:
    """k nearest past player-games (own games first), outcomes relative to each game's baseline."""

    system_id = "similarity"

    def __init__(self, k: int = DEFAULT_K, max_reference: int = DEFAULT_MAX_REFERENCE) -> None:
        self.k = k
        self.max_reference = max_reference
        self.center: FloatArray | None = None
        self.scale: FloatArray | None = None
        self.ref_x: FloatArray | None = None
        self.ref_player: IntArray | None = None
        self.ref_delta: FloatArray | None = None
        self.spread: SpreadModel | None = None

    def _vectors(self, batch: PlayerBatch) -> FloatArray:
        import numpy as np

        if self.center is None or self.scale is None:
            raise ValueError("similarity is not fitted")
        raw = np.column_stack([batch.column(name) for name in MATCH_FEATURES])
        z = (raw - self.center) / self.scale
        out: FloatArray = np.nan_to_num(z)
        return out

    def _reference(self, batch: PlayerBatch) -> None:
        import numpy as np

        actual = batch.actual_points
        if actual is None:
            raise ValueError("fit needs actual_points")
        raw = np.column_stack([batch.column(name) for name in MATCH_FEATURES])
        center = np.nanmean(raw, axis=0)
        scale = np.nanstd(raw, axis=0)
        self.center = np.nan_to_num(center)
        self.scale = np.where(np.isfinite(scale) & (scale > 1e-9), scale, 1.0)
        latest = np.argsort(batch.game_dates, kind="stable")[-self.max_reference :]
        ref = select_rows(batch, latest)
        self.ref_x = self._vectors(ref)
        self.ref_player = ref.player_ids.astype(np.int64)
        base = np.nan_to_num(ref.column(BASELINE))
        self.ref_delta = actual[latest] - base

    def _mean(self, batch: PlayerBatch) -> FloatArray:
        import numpy as np

        delta, _ = self._neighbours(batch)
        out: FloatArray = np.nan_to_num(batch.column(BASELINE)) + delta
        return out

    def _neighbours(self, batch: PlayerBatch) -> tuple[FloatArray, FloatArray]:
        """Per row, the neighbours' weighted residual and how many of them are the player's own games."""
        import numpy as np

        if self.ref_x is None or self.ref_player is None or self.ref_delta is None:
            raise ValueError("similarity is not fitted")
        x = self._vectors(batch)
        k = min(self.k, self.ref_x.shape[0])
        ref_sq = (self.ref_x**2).sum(axis=1)
        delta = np.empty(len(batch))
        own = np.empty(len(batch))
        for start in range(0, len(batch), CHUNK):  # chunks bound memory; each chunk is vectorized
            xs = x[start : start + CHUNK]
            d2 = (xs**2).sum(axis=1)[:, None] + ref_sq[None, :] - 2.0 * xs @ self.ref_x.T
            dist = np.sqrt(np.clip(d2, 0.0, None))
            other = batch.player_ids[start : start + CHUNK, None] != self.ref_player[None, :]
            dist += OTHER_PLAYER_PENALTY * other
            nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]
            w = 1.0 / (np.take_along_axis(dist, nearest, axis=1) + EPS)
            delta[start : start + CHUNK] = (w * self.ref_delta[nearest]).sum(axis=1) / w.sum(axis=1)
            own[start : start + CHUNK] = (~np.take_along_axis(other, nearest, axis=1)).sum(axis=1)
        return delta, own

    def fit(self, batch: PlayerBatch, *, as_of: date) -> dict[str, float]:
        """Keep the reference set; learn the spread on a holdout referenced only by earlier dates."""
        import numpy as np

        actual = batch.actual_points
        if actual is None:
            raise ValueError("fit needs actual_points")
        held = holdout_mask(batch.game_dates)
        self._reference(select_rows(batch, ~held))
        holdout_mean = self._mean(select_rows(batch, held))
        self.spread = SpreadModel.fit(holdout_mean, actual[held])
        self._reference(batch)
        return {"rows": float(len(batch)), "holdout_mae": float(np.mean(np.abs(holdout_mean - actual[held])))}

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        """Predict every row of ``batch``."""
        if self.spread is None:
            raise ValueError("similarity is not fitted")
        return finish(batch, self._mean(batch), self.spread)

    def predict_explained(self, batch: PlayerBatch) -> SystemOutput:
        """``predict`` with the neighbours' residual as the one contribution to the last-10 average."""
        if self.spread is None:
            raise ValueError("similarity is not fitted")
        import numpy as np

        delta, own = self._neighbours(batch)
        base = np.nan_to_num(batch.column(BASELINE))
        why = Contributions(("similar_games",), delta[:, None], own[:, None], base)
        return finish_explained(batch, base + delta, self.spread, why)

    def to_bytes(self) -> bytes:
        """Standardization, reference set and spread as JSON."""
        if (
            self.spread is None
            or self.ref_x is None
            or self.center is None
            or self.scale is None
            or self.ref_player is None
            or self.ref_delta is None
        ):
            raise ValueError("similarity is not fitted")
        doc: dict[str, Any] = {
            "system_id": self.system_id,
            "k": self.k,
            "max_reference": self.max_reference,
            "features": list(MATCH_FEATURES),
            "center": self.center.tolist(),
            "scale": self.scale.tolist(),
            "ref_x": [[round(v, 5) for v in row] for row in self.ref_x.tolist()],
            "ref_player": self.ref_player.tolist(),
            "ref_delta": self.ref_delta.tolist(),
            "spread": self.spread.to_dict(),
        }
        return json.dumps(doc).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> SimilaritySystem:
        """Rebuild from ``to_bytes``; ``PayloadError`` when damaged."""
        import numpy as np

        try:
            doc = json.loads(data)
            features = tuple(doc["features"])
            system = cls(int(doc["k"]), int(doc["max_reference"]))
            system.center = np.asarray(doc["center"], dtype=np.float64)
            system.scale = np.asarray(doc["scale"], dtype=np.float64)
            system.ref_x = np.asarray(doc["ref_x"], dtype=np.float64).reshape(-1, len(MATCH_FEATURES))
            system.ref_player = np.asarray(doc["ref_player"], dtype=np.int64)
            system.ref_delta = np.asarray(doc["ref_delta"], dtype=np.float64)
            system.spread = SpreadModel.from_dict(doc["spread"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PayloadError(f"damaged similarity model: {exc}") from exc
        if features != MATCH_FEATURES:
            raise PayloadError("similarity model was built on other match features than this code's")
        if not system.ref_x.shape[0] == system.ref_player.size == system.ref_delta.size:
            raise PayloadError("damaged similarity model: reference arrays differ in length")
        return system
