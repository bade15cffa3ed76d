"""``minutes_ppm``: expected minutes times expected points per minute, each modelled on its own.

Points are minutes times a scoring rate, and the two move for different reasons: minutes with who
else is available, rest and the chance of a blowout; the rate with the player's role and the
opponent. Modelling them apart lets each read the inputs that drive it.

**Minutes** (ridge least squares of the minutes actually played, training rows are games played)::

    minutes = c0 + c1*m10 + c2*m5 + c3*sd10 + c4*dnp*m10 + c5*b2b*m10 + c6*rest + c7*load7
              + c8*vacated + c9*injury*m10 + c10*blowout

* ``m10``/``m5``: minutes over the last 10 games (feature) and the last 5 (history);
* ``vacated = m10 * V / (240 - V)`` where ``V`` is ``teammates_out_minutes``: the minutes left by
  teammates listed Out/Doubtful, shared among those who play in proportion to their minutes (a
  rotation of 240 minutes that loses ``V`` gives each remaining player ``240 / (240 - V)`` times
  his share);
* ``b2b``, ``rest`` (``days_rest`` capped at 3), ``load7`` (minutes in the last 7 days / 10): rest
  and back-to-backs;
* ``injury``: the player's own status (questionable plays fewer minutes when he plays);
* ``blowout = m10 * spread_magnitude / 10``: a big favourite or underdog rests its regulars late
  (0 without a posted spread).

**Rate**: ``ppm20`` is points over minutes of the last 20 games played (history), else
``ppm_avg_last_10``. The mean is ``minutes * ppm20 * (s + k1*U + k2*def + k3*pace + k4*home)`` with
``U`` = ``teammates_out_usage`` (usage left behind goes partly to those who play), ``def`` the
opponent's defensive rating (centred, /10), ``pace`` = ``pace_score / 3``; ``s`` and the ``k`` by
median regression (least absolute deviations: the MAE is the metric) of actual points on
``minutes * ppm20 * [1, U, def, pace, home]`` (0.014 points of MAE better than least squares in a
weekly walk-forward of the season's second half).

The spread is learned on a time-based holdout (both stages fitted on the earlier 80% of dates).

Why (``predict_explained``): the baseline is ``M0 * ppm20 * s``, where ``M0`` is the minutes the
player's own recent minutes, rest and load give (the intercept, ``m10``, ``m5``, ``sd10``,
``rest``, ``load7`` terms): his usual minutes at his usual rate against an average opponent. Each
situational minutes term (DNP rate, back-to-back, vacated minutes, own injury status, blowout
risk) contributes ``c_i * x_i * ppm20 * s`` points, ``minutes_cap`` what the 0..48 clip removed,
and each rate term ``minutes * ppm20 * k_j * u_j``; each is named by its feature, with that
feature's value.
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
    finish,
    finish_explained,
    holdout_mask,
    median_regression,
    select_rows,
)

if TYPE_CHECKING:
    from nbaprops.predict.systems.base import FloatArray

ACTUAL_MINUTES = "actual_minutes"  # PlayerBatch.extras key of the minutes played (training only)
MINUTE_TERMS: tuple[str, ...] = (
    "intercept",
    "m10",
    "m5",
    "sd10",
    "dnp",
    "b2b",
    "rest",
    "load7",
    "vacated",
    "injury",
    "blowout",
)
RATE_TERMS: tuple[str, ...] = ("level", "usage_left", "defence", "pace", "home")
# The minutes terms that make the explanation's baseline (the player's usual minutes), and the
# situational ones explained one by one, each by the feature it reads.
_LEVEL_MINUTES = (0, 1, 2, 3, 6, 7)
_SITUATION_MINUTES = {
    4: "dnp_rate_last_10",
    5: "back_to_back",
    8: "teammates_out_minutes",
    9: "injury_risk",
    10: "spread_magnitude",
}
_RATE_FEATURES = ("teammates_out_usage", "opponent_def_rating", "pace_score", "home_away")
WHY_TERMS: tuple[str, ...] = (*_SITUATION_MINUTES.values(), "minutes_cap", *_RATE_FEATURES)
RIDGE = 10.0
MAX_MINUTES = 48.0
ROTATION_MINUTES = 240.0


def _col(batch: PlayerBatch, name: str, default: float) -> FloatArray:
    import numpy as np

    return np.nan_to_num(batch.column(name), nan=default)


def _recent_minutes(batch: PlayerBatch, games: int) -> FloatArray:
    import numpy as np

    recent = batch.history_minutes[:, :games]
    counted = np.isfinite(recent).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(counted > 0, np.nansum(recent, axis=1) / np.maximum(counted, 1), np.nan)
    return out


def minutes_design(batch: PlayerBatch) -> FloatArray:
    """The minutes model's columns (``MINUTE_TERMS``), NULL inputs at neutral values."""
    import numpy as np

    m10 = batch.column("minutes_avg_last_10")
    m10 = np.where(np.isnan(m10), _recent_minutes(batch, 10), m10)
    m10 = np.nan_to_num(m10, nan=20.0)
    m5 = _recent_minutes(batch, 5)
    m5 = np.where(np.isnan(m5), m10, m5)
    vacated_total = np.clip(_col(batch, "teammates_out_minutes", 0.0), 0.0, ROTATION_MINUTES / 2)
    return np.column_stack(
        [
            np.ones(len(batch)),
            m10,
            m5,
            _col(batch, "minutes_std_last_10", 5.0),
            _col(batch, "dnp_rate_last_10", 0.0) * m10,
            _col(batch, "back_to_back", 0.0) * m10,
            np.minimum(_col(batch, "days_rest", 1.0), 3.0),
            _col(batch, "minutes_load_last_7d", 80.0) / 10.0,
            m10 * vacated_total / (ROTATION_MINUTES - vacated_total),
            (_col(batch, "injury_risk", 0.0) >= 2.0) * m10,
            m10 * _col(batch, "spread_magnitude", 0.0) / 10.0,
        ]
    )


def points_per_minute(batch: PlayerBatch) -> FloatArray:
    """Points over minutes of the last 20 games played, else the last-10 rate, else 0.4."""
    import numpy as np

    minutes = np.nansum(batch.history_minutes, axis=1)
    points = np.nansum(batch.history_points, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(minutes > 0, points / np.maximum(minutes, 1e-9), np.nan)
    rate = np.where(np.isnan(rate), batch.column("ppm_avg_last_10"), rate)
    out: FloatArray = np.nan_to_num(rate, nan=0.4)
    return out


def _ridge(x: FloatArray, y: FloatArray) -> tuple[float, ...]:
    import numpy as np

    penalty = RIDGE * np.eye(x.shape[1])
    return tuple(float(c) for c in np.linalg.solve(x.T @ x + penalty, x.T @ y))


class MinutesPpmSystem:
    """Minutes model (who is out, rest, blowout risk) times a points-per-minute model."""

    system_id = "minutes_ppm"

    def __init__(
        self,
        minutes_coef: tuple[float, ...] | None = None,
        rate_coef: tuple[float, ...] | None = None,
        def_center: float = 112.0,
        spread: SpreadModel | None = None,
    ) -> None:
        self.minutes_coef = minutes_coef
        self.rate_coef = rate_coef
        self.def_center = def_center
        self.spread = spread

    def predict_minutes(self, batch: PlayerBatch) -> FloatArray:
        """Expected minutes of every row (0..48)."""
        import numpy as np

        if self.minutes_coef is None:
            raise ValueError("minutes_ppm is not fitted")
        out: FloatArray = np.clip(minutes_design(batch) @ np.asarray(self.minutes_coef), 0.0, MAX_MINUTES)
        return out

    def _rate_design(self, batch: PlayerBatch, minutes: FloatArray) -> FloatArray:
        import numpy as np

        base = minutes * points_per_minute(batch)
        defence = (_col(batch, "opponent_def_rating", self.def_center) - self.def_center) / 10.0
        return base[:, None] * np.column_stack(
            [
                np.ones(len(batch)),
                _col(batch, "teammates_out_usage", 0.0),
                defence,
                _col(batch, "pace_score", 0.0) / 3.0,
                _col(batch, "home_away", 0.5) - 0.5,
            ]
        )

    def _solve(self, batch: PlayerBatch, actual: FloatArray) -> None:
        import numpy as np

        played = batch.extras.get(ACTUAL_MINUTES)
        if played is None:
            raise ValueError(f"minutes_ppm needs the minutes played (batch.extras[{ACTUAL_MINUTES!r}])")
        ok = np.isfinite(played)
        self.minutes_coef = _ridge(minutes_design(batch)[ok], played[ok])
        center = float(np.nanmean(batch.column("opponent_def_rating"))) if len(batch) else 112.0
        self.def_center = center if np.isfinite(center) else 112.0
        rate = self._rate_design(batch, self.predict_minutes(batch))
        self.rate_coef = tuple(float(c) for c in median_regression(rate, actual, RIDGE))

    def _mean(self, batch: PlayerBatch) -> FloatArray:
        import numpy as np

        if self.rate_coef is None:
            raise ValueError("minutes_ppm is not fitted")
        out: FloatArray = self._rate_design(batch, self.predict_minutes(batch)) @ np.asarray(self.rate_coef)
        return out

    def fit(self, batch: PlayerBatch, *, as_of: date) -> dict[str, float]:
        """Learn both stages and, from a time-based holdout, the spread."""
        import numpy as np

        actual = batch.actual_points
        if actual is None:
            raise ValueError("fit needs actual_points")
        held = holdout_mask(batch.game_dates)
        self._solve(select_rows(batch, ~held), actual[~held])
        holdout_mean = self._mean(select_rows(batch, held))
        self.spread = SpreadModel.fit(holdout_mean, actual[held])
        played = batch.extras[ACTUAL_MINUTES][held]
        minutes_err = np.abs(self.predict_minutes(select_rows(batch, held)) - played)
        self._solve(batch, actual)
        assert self.minutes_coef is not None  # noqa: S101 - set by _solve
        assert self.rate_coef is not None  # noqa: S101 - set by _solve
        return {
            "rows": float(len(batch)),
            "holdout_mae": float(np.mean(np.abs(holdout_mean - actual[held]))),
            "holdout_minutes_mae": float(np.nanmean(minutes_err)),
            **{f"minutes_{t}": c for t, c in zip(MINUTE_TERMS, self.minutes_coef, strict=True)},
            **{f"rate_{t}": c for t, c in zip(RATE_TERMS, self.rate_coef, strict=True)},
        }

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        """Predict every row of ``batch``."""
        if self.spread is None:
            raise ValueError("minutes_ppm is not fitted")
        return finish(batch, self._mean(batch), self.spread)

    def predict_explained(self, batch: PlayerBatch) -> SystemOutput:
        """``predict`` with the situational minutes terms' and the rate terms' contributions."""
        import numpy as np

        if self.spread is None or self.minutes_coef is None or self.rate_coef is None:
            raise ValueError("minutes_ppm is not fitted")
        x = minutes_design(batch)
        minutes_coef, rate_coef = np.asarray(self.minutes_coef), np.asarray(self.rate_coef)
        unclipped = x @ minutes_coef
        minutes = np.clip(unclipped, 0.0, MAX_MINUTES)
        rate = self._rate_design(batch, minutes)
        mean = rate @ rate_coef
        per_minute = points_per_minute(batch) * rate_coef[0]  # points per expected minute, average matchup
        situational = list(_SITUATION_MINUTES)
        level = x[:, _LEVEL_MINUTES] @ minutes_coef[list(_LEVEL_MINUTES)]
        points = np.column_stack(
            [
                x[:, situational] * minutes_coef[situational] * per_minute[:, None],
                (minutes - unclipped) * per_minute,
                rate[:, 1:] * rate_coef[None, 1:],
            ]
        )
        values = np.column_stack(
            [batch.column(name) for name in _SITUATION_MINUTES.values()]
            + [minutes]
            + [batch.column(name) for name in _RATE_FEATURES]
        )
        why = Contributions(WHY_TERMS, points, values, level * per_minute)
        return finish_explained(batch, mean, self.spread, why)

    def to_bytes(self) -> bytes:
        """Both stages' coefficients, the defence centre and the spread as JSON."""
        if self.spread is None or self.minutes_coef is None or self.rate_coef is None:
            raise ValueError("minutes_ppm is not fitted")
        doc = {
            "system_id": self.system_id,
            "minutes_terms": list(MINUTE_TERMS),
            "minutes_coef": self.minutes_coef,
            "rate_terms": list(RATE_TERMS),
            "rate_coef": self.rate_coef,
            "def_center": self.def_center,
            "spread": self.spread.to_dict(),
        }
        return json.dumps(doc).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> MinutesPpmSystem:
        """Rebuild from ``to_bytes``; ``PayloadError`` when damaged."""
        try:
            doc = json.loads(data)
            minutes = tuple(float(c) for c in doc["minutes_coef"])
            rate = tuple(float(c) for c in doc["rate_coef"])
            terms = (tuple(doc["minutes_terms"]), tuple(doc["rate_terms"]))
            center, spread = float(doc["def_center"]), SpreadModel.from_dict(doc["spread"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PayloadError(f"damaged minutes_ppm model: {exc}") from exc
        if terms != (MINUTE_TERMS, RATE_TERMS) or (len(minutes), len(rate)) != (
            len(MINUTE_TERMS),
            len(RATE_TERMS),
        ):
            raise PayloadError("damaged minutes_ppm model: its terms differ from this version's")
        return cls(minutes, rate, center, spread)
