"""``line_residual``: the book's line is the prior; the system learns only what the line gets wrong.

For a row with a posted line ``L`` the mean is ``L + r`` where ``r`` predicts the residual
``actual - L`` from terms that are all **differences to the line** (so with no signal every term's
coefficient shrinks to zero and the prediction is the line itself):

* ``player_bias``: the player's own mean residual against his earlier lines, shrunk toward zero
  with ``BIAS_SHRINK`` pseudo-games (``sum / (n + BIAS_SHRINK)``). A book that misjudges a player
  tends to misjudge him again; this is the one term no feature of the contract carries;
* ``recent_gap``: the moving-average level (``moving_average.weighted_level``) minus the line;
* ``season_gap``: the season average minus the line;
* ``rate_gap``: points per minute times recent minutes, minus the line;
* ``line_level``: the line minus its training mean (a book that shades high lines differently);
* ``vacated_points``: the points of the minutes left by teammates listed Out/Doubtful that fall to
  him (``m10 * V / (240 - V) * ppm``, ``V`` = ``teammates_out_minutes``), and ``usage_left``:
  ``teammates_out_usage * points_avg_last_10`` — what the line may not have priced yet.

``r = c0 + sum_j c_j * term_j`` is fitted on the training rows that have a line by **median**
regression (least absolute deviations, by iteratively reweighted ridge least squares; the intercept
is not penalized). Why the median: the headline metric is the MAE, which the conditional median
minimizes, and points are right-skewed (the book itself sets its line at the median, below the
mean); least squares pulled every prediction toward the mean and measured 0.016 points of MAE
better than the line in a weekly walk-forward of the sandbox season's second half, the median 0.040.
The predicted "mean" of this system is therefore that median. The player-bias term of a training row uses only
that player's rows of **earlier** dates; the fitted model keeps each player's running sums over all
its training rows, and a prediction reads them (so between retrains it lags by up to a week).
Rows without a line get the moving-average level: there is no prior to correct.

The spread is learned on a time-based holdout (fit on the earlier 80% of dates, residuals on the
latest 20%), then the coefficients are refitted on every row.

Why (``predict_explained``): with a line the baseline is ``L + c0`` (the line and the learned
intercept) and each term contributes ``c_j * term_j`` points, named as in ``TERMS``, with the term's
value (points, or the share of usage left); without a line the moving average's own explanation
(season baseline, recent form, back-to-back).
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
    median_regression,
    select_rows,
)
from nbaprops.predict.systems.moving_average import TERMS as LEVEL_TERMS
from nbaprops.predict.systems.moving_average import explain_level, weighted_level

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from nbaprops.predict.systems.base import FloatArray, IntArray

TERMS: tuple[str, ...] = (
    "player_bias",
    "recent_gap",
    "season_gap",
    "rate_gap",
    "line_level",
    "vacated_points",
    "usage_left",
)
BIAS_SHRINK = 30.0  # pseudo-games: a per-game residual sd of ~6 points against a bias of ~1 point
RIDGE = 200.0  # per-coefficient penalty (rows number in the thousands)
ROTATION_MINUTES = 240.0
MIN_LINE_ROWS = 50


def running_bias(
    player_ids: IntArray, game_dates: NDArray[np.datetime64], residual: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per row, the sum and count of the same player's residuals on strictly earlier dates.

    ``residual`` is NaN where a row has no line (it then counts for nothing). Vectorized: one sort,
    cumulative sums within each player, then the rows of the same (player, date) share the sums
    from before that date.
    """
    import numpy as np

    day = game_dates.astype("datetime64[D]").astype(np.int64)
    order = np.lexsort((day, player_ids))
    pid, d = player_ids[order], day[order]
    ok = np.isfinite(residual[order])
    value = np.where(ok, residual[order], 0.0)
    csum, ccount = np.cumsum(value), np.cumsum(ok.astype(np.float64))
    # Totals before each row's (player, date) group: the cumulative value just before its first row.
    group_start = np.ones(pid.size, dtype=bool)
    group_start[1:] = (pid[1:] != pid[:-1]) | (d[1:] != d[:-1])
    player_start = np.ones(pid.size, dtype=bool)
    player_start[1:] = pid[1:] != pid[:-1]
    first_of_group = np.maximum.accumulate(np.where(group_start, np.arange(pid.size), 0))
    first_of_player = np.maximum.accumulate(np.where(player_start, np.arange(pid.size), 0))
    before_sum = (
        np.concatenate([[0.0], csum])[first_of_group] - np.concatenate([[0.0], csum])[first_of_player]
    )
    before_n = (
        np.concatenate([[0.0], ccount])[first_of_group] - np.concatenate([[0.0], ccount])[first_of_player]
    )
    out_sum, out_n = np.empty(pid.size), np.empty(pid.size)
    out_sum[order], out_n[order] = before_sum, before_n
    return out_sum, out_n


def _gaps(batch: PlayerBatch, line: FloatArray) -> FloatArray:
    """recent_gap, season_gap, rate_gap (NaN inputs contribute no gap)."""
    import numpy as np

    recent = weighted_level(batch) - line
    season = fallback_column(batch, "points_avg_season", "points_avg_last_10") - line
    rate = batch.column("ppm_avg_last_10") * batch.column("minutes_avg_last_10") - line
    return np.nan_to_num(np.column_stack([recent, season, rate]))


def _absences(batch: PlayerBatch) -> FloatArray:
    """vacated_points, usage_left (0 where nobody is out or an input is NULL)."""
    import numpy as np

    minutes = np.nan_to_num(batch.column("minutes_avg_last_10"))
    vacated = np.clip(np.nan_to_num(batch.column("teammates_out_minutes")), 0.0, ROTATION_MINUTES / 2)
    share = minutes * vacated / (ROTATION_MINUTES - vacated)
    usage = np.nan_to_num(batch.column("teammates_out_usage")) * np.nan_to_num(
        batch.column("points_avg_last_10")
    )
    return np.column_stack([share * np.nan_to_num(batch.column("ppm_avg_last_10")), usage])


class LineResidualSystem:
    """The line plus a median-regression correction; no line, no correction."""

    system_id = "line_residual"

    def __init__(
        self,
        coef: tuple[float, ...] | None = None,
        line_center: float = 0.0,
        bias_table: dict[int, tuple[float, float]] | None = None,
        spread: SpreadModel | None = None,
    ) -> None:
        self.coef = coef  # intercept, then one per TERMS
        self.line_center = line_center
        self.bias_table = bias_table or {}  # player_id -> (sum of residuals, count) over training rows
        self.spread = spread

    def _design(self, batch: PlayerBatch, bias_sum: FloatArray, bias_n: FloatArray) -> FloatArray:
        import numpy as np

        bias = bias_sum / (bias_n + BIAS_SHRINK)
        level = np.nan_to_num(batch.line - self.line_center)
        return np.column_stack([np.ones(len(batch)), bias, _gaps(batch, batch.line), level, _absences(batch)])

    def _solve(self, batch: PlayerBatch, actual: FloatArray) -> None:
        import numpy as np

        has_line = np.isfinite(batch.line)
        if int(has_line.sum()) < MIN_LINE_ROWS:
            raise ValueError(f"line_residual needs at least {MIN_LINE_ROWS} rows with a line")
        self.line_center = float(batch.line[has_line].mean())
        bias_sum, bias_n = running_bias(batch.player_ids, batch.game_dates, actual - batch.line)
        x = self._design(batch, bias_sum, bias_n)[has_line]
        y = (actual - batch.line)[has_line]
        self.coef = tuple(float(c) for c in median_regression(x, y, RIDGE))
        residual = np.where(has_line, actual - batch.line, np.nan)
        table: dict[int, tuple[float, float]] = {}
        for pid, r in zip(batch.player_ids[has_line].tolist(), residual[has_line].tolist(), strict=True):
            s, n = table.get(int(pid), (0.0, 0.0))
            table[int(pid)] = (s + r, n + 1.0)
        self.bias_table = table

    def _lookup(self, player_ids: IntArray) -> tuple[FloatArray, FloatArray]:
        import numpy as np

        pairs = [self.bias_table.get(int(p), (0.0, 0.0)) for p in player_ids.tolist()]
        arr = np.asarray(pairs, dtype=np.float64).reshape(len(pairs), 2)
        return arr[:, 0], arr[:, 1]

    def _mean(self, batch: PlayerBatch, bias_sum: FloatArray, bias_n: FloatArray) -> FloatArray:
        import numpy as np

        if self.coef is None:
            raise ValueError("line_residual is not fitted")
        correction = self._design(batch, bias_sum, bias_n) @ np.asarray(self.coef)
        out: FloatArray = np.where(np.isfinite(batch.line), batch.line + correction, weighted_level(batch))
        return out

    def fit(self, batch: PlayerBatch, *, as_of: date) -> dict[str, float]:
        """Learn the correction and, from a time-based holdout, the spread."""
        import numpy as np

        actual = batch.actual_points
        if actual is None:
            raise ValueError("fit needs actual_points")
        held = holdout_mask(batch.game_dates)
        self._solve(select_rows(batch, ~held), actual[~held])
        # The holdout reads the running sums up to each held row, as a prediction reads the table.
        bias_sum, bias_n = running_bias(batch.player_ids, batch.game_dates, actual - batch.line)
        holdout_mean = self._mean(select_rows(batch, held), bias_sum[held], bias_n[held])
        self.spread = SpreadModel.fit(holdout_mean, actual[held])
        self._solve(batch, actual)
        lined = held & np.isfinite(batch.line)
        metrics = {
            "rows": float(len(batch)),
            "holdout_mae": float(np.mean(np.abs(holdout_mean - actual[held]))),
            "holdout_line_mae": float(np.mean(np.abs(batch.line[lined] - actual[lined]))),
        }
        assert self.coef is not None  # noqa: S101 - set by _solve
        metrics.update({f"coef_{t}": c for t, c in zip(("intercept", *TERMS), self.coef, strict=True)})
        return metrics

    def predict(self, batch: PlayerBatch) -> SystemOutput:
        """Predict every row of ``batch`` (the line plus its correction; no line: the moving average)."""
        if self.spread is None:
            raise ValueError("line_residual is not fitted")
        return finish(batch, self._mean(batch, *self._lookup(batch.player_ids)), self.spread)

    def predict_explained(self, batch: PlayerBatch) -> SystemOutput:
        """``predict`` with each correction term's contribution against the line (plus intercept)."""
        import numpy as np

        if self.spread is None or self.coef is None:
            raise ValueError("line_residual is not fitted")
        coef = np.asarray(self.coef)
        x = self._design(batch, *self._lookup(batch.player_ids))
        has_line = np.isfinite(batch.line)
        level, level_why = explain_level(batch)
        mean = np.where(has_line, batch.line + x @ coef, level)
        lined = has_line[:, None]
        zeros = np.zeros((len(batch), len(LEVEL_TERMS)))
        points = np.column_stack(
            [np.where(lined, x[:, 1:] * coef[None, 1:], 0.0), np.where(lined, zeros, level_why.points)]
        )
        values = np.column_stack(
            [np.where(lined, x[:, 1:], np.nan), np.where(lined, np.nan, level_why.values)]
        )
        baseline = np.where(has_line, batch.line + coef[0], level_why.baseline)
        why = Contributions((*TERMS, *LEVEL_TERMS), points, values, baseline)
        return finish_explained(batch, mean, self.spread, why)

    def to_bytes(self) -> bytes:
        """Coefficients, line centre, per-player residual sums and spread as JSON."""
        if self.spread is None or self.coef is None:
            raise ValueError("line_residual is not fitted")
        doc = {
            "system_id": self.system_id,
            "terms": list(TERMS),
            "coef": self.coef,
            "line_center": self.line_center,
            "bias": [[pid, s, n] for pid, (s, n) in sorted(self.bias_table.items())],
            "spread": self.spread.to_dict(),
        }
        return json.dumps(doc).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LineResidualSystem:
        """Rebuild from ``to_bytes``; ``PayloadError`` when damaged."""
        try:
            doc = json.loads(data)
            coef = tuple(float(c) for c in doc["coef"])
            center = float(doc["line_center"])
            table = {int(pid): (float(s), float(n)) for pid, s, n in doc["bias"]}
            spread = SpreadModel.from_dict(doc["spread"])
            terms = tuple(str(t) for t in doc["terms"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PayloadError(f"damaged line_residual model: {exc}") from exc
        if terms != TERMS or len(coef) != len(TERMS) + 1:
            raise PayloadError("damaged line_residual model: its terms differ from this version's")
        return cls(coef, center, table, spread)
