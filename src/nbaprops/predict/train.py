"""Walk-forward training: fit every system as of a date on earlier games only, calibrate out of sample.

For ``as_of`` D, only rows with ``game_date < D`` are ever seen (rows on or after D are dropped
before anything is fitted). Out-of-sample predictions come from an inner walk-forward over the end
of the training window: for each of the last ``folds`` weeks before D, every system is fitted on the
rows before that week and predicts that week. Those predictions, never in-sample ones, feed

* the per-system isotonic calibrators of P(over) (outcome: actual > line; pushes dropped), and
* the ensemble's weights (NNLS on the components' out-of-sample means, see ``systems/ensemble.py``);
  the ensemble's own calibrator uses the blend of the same out-of-sample means.

The final systems are then fitted on every row before D. Models are retrained every
``RETRAIN_EVERY_DAYS`` (weekly); ``needs_retrain`` says when the registry's newest models are older.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import structlog

from nbaprops.errors import QualityGateError
from nbaprops.predict.calibration import Calibrator, fit_isotonic
from nbaprops.predict.systems.base import PlayerBatch, TrainableSystem, select_rows
from nbaprops.predict.systems.ensemble import EnsembleSystem, mean_key

if TYPE_CHECKING:
    import numpy as np

    from nbaprops.predict.systems.base import FloatArray
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

RETRAIN_EVERY_DAYS = 7
INNER_FOLDS = 3
FOLD_DAYS = 7
LOOKBACK_DAYS = 365
MIN_FOLD_TRAIN_ROWS = 300
COMPONENT_IDS: tuple[str, ...] = ("moving_average", "zone_matchup", "similarity", "gbm")
SYSTEM_IDS: tuple[str, ...] = (*COMPONENT_IDS, "ensemble")


@dataclass
class TrainedModels:
    """The systems and calibrators trained as of one date, with what they were trained on."""

    as_of: date
    train_start: date
    train_end: date  # the last game date used (strictly before as_of)
    rows: int
    systems: dict[str, TrainableSystem]
    calibrators: dict[str, Calibrator]
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)


def new_system(system_id: str, *, gbm_backend: str = "lightgbm") -> TrainableSystem:
    """A fresh, unfitted component system."""
    from nbaprops.predict.systems.gbm import GbmSystem
    from nbaprops.predict.systems.moving_average import MovingAverageSystem
    from nbaprops.predict.systems.similarity import SimilaritySystem
    from nbaprops.predict.systems.zone_matchup import ZoneMatchupSystem

    if system_id == "gbm":
        return GbmSystem(gbm_backend)
    factories: dict[str, type[TrainableSystem]] = {
        "moving_average": MovingAverageSystem,
        "zone_matchup": ZoneMatchupSystem,
        "similarity": SimilaritySystem,
    }
    return factories[system_id]()


def over_outcome(actual: FloatArray, line: FloatArray) -> FloatArray:
    """1 over, 0 under, NaN for a push or no line."""
    import numpy as np

    out = np.where(actual > line, 1.0, 0.0)
    out = np.where((actual == line) | ~np.isfinite(line), np.nan, out)
    return out.astype(np.float64)


def _day(value: np.datetime64) -> date:
    return date.fromisoformat(str(value.astype("datetime64[D]")))


def train_systems(
    batch: PlayerBatch,
    as_of: date,
    *,
    folds: int = INNER_FOLDS,
    fold_days: int = FOLD_DAYS,
    gbm_backend: str = "lightgbm",
) -> TrainedModels:
    """Fit every system as of ``as_of`` on the rows of ``batch`` before it (see the module docstring)."""
    import numpy as np

    from nbaprops.grade.metrics import expected_calibration_error

    if batch.actual_points is None:
        raise ValueError("training needs actual_points")
    past = select_rows(batch, batch.game_dates < np.datetime64(as_of))
    if len(past) == 0:
        raise QualityGateError(f"no training rows before {as_of}")
    actual = past.actual_points
    assert actual is not None  # noqa: S101 - select_rows keeps actual_points when present
    n = len(past)
    oos_mean = {sid: np.full(n, np.nan) for sid in COMPONENT_IDS}
    oos_p = {sid: np.full(n, np.nan) for sid in COMPONENT_IDS}
    for k in range(folds, 0, -1):
        fold_start = as_of - timedelta(days=k * fold_days)
        before = past.game_dates < np.datetime64(fold_start)
        inside = ~before & (past.game_dates < np.datetime64(fold_start + timedelta(days=fold_days)))
        enough = before.sum() >= MIN_FOLD_TRAIN_ROWS and np.unique(past.game_dates[before]).size >= 3
        if not enough or not inside.any():
            continue
        train_rows, test_rows = select_rows(past, before), select_rows(past, inside)
        for sid in COMPONENT_IDS:
            system = new_system(sid, gbm_backend=gbm_backend)
            system.fit(train_rows, as_of=fold_start)
            out = system.predict(test_rows)
            oos_mean[sid][inside], oos_p[sid][inside] = out.mean, out.p_over
    covered = np.isfinite(oos_mean[COMPONENT_IDS[0]])
    if not covered.any():
        raise QualityGateError(f"too little history before {as_of} for an out-of-sample fold")

    outcome = over_outcome(actual, past.line)
    systems: dict[str, TrainableSystem] = {}
    calibrators: dict[str, Calibrator] = {}
    metrics: dict[str, dict[str, float]] = {}
    for sid in COMPONENT_IDS:
        system = new_system(sid, gbm_backend=gbm_backend)
        metrics[sid] = system.fit(past, as_of=as_of)
        systems[sid] = system
        calibrators[sid] = fit_isotonic(oos_p[sid], outcome, system_id=sid)

    ensemble = EnsembleSystem()
    extras = {**past.extras, **{mean_key(sid): oos_mean[sid] for sid in COMPONENT_IDS}}
    with_oos = select_rows(_with_extras(past, extras), covered)
    metrics["ensemble"] = ensemble.fit(with_oos, as_of=as_of)
    blended = ensemble.predict(with_oos)
    oos_mean["ensemble"] = np.full(n, np.nan)
    oos_mean["ensemble"][covered] = blended.mean
    oos_p["ensemble"] = np.full(n, np.nan)
    oos_p["ensemble"][covered] = blended.p_over
    systems["ensemble"] = ensemble.bind({sid: systems[sid] for sid in COMPONENT_IDS})
    calibrators["ensemble"] = fit_isotonic(oos_p["ensemble"], outcome, system_id="ensemble")

    for sid in SYSTEM_IDS:
        metrics[sid]["oos_rows"] = float(covered.sum())
        metrics[sid]["oos_mae"] = float(np.mean(np.abs(oos_mean[sid][covered] - actual[covered])))
        usable = np.isfinite(oos_p[sid]) & np.isfinite(outcome)
        if usable.any():
            calibrated = calibrators[sid].apply(oos_p[sid][usable])
            metrics[sid]["oos_ece_raw"] = expected_calibration_error(oos_p[sid][usable], outcome[usable])
            # in-sample for the calibrator (it was fitted on these pairs): a floor, not an estimate
            metrics[sid]["oos_ece_calibrated_in_sample"] = expected_calibration_error(
                calibrated, outcome[usable]
            )
        metrics[sid]["oos_line_rows"] = float(usable.sum())
    log.info("train.done", as_of=str(as_of), rows=n, oos_rows=int(covered.sum()))
    return TrainedModels(
        as_of=as_of,
        train_start=_day(past.game_dates.min()),
        train_end=_day(past.game_dates.max()),
        rows=n,
        systems=systems,
        calibrators=calibrators,
        metrics=metrics,
    )


def _with_extras(batch: PlayerBatch, extras: dict[str, FloatArray]) -> PlayerBatch:
    from dataclasses import replace

    return replace(batch, extras=extras)


def train_as_of(
    warehouse: Warehouse, as_of: date, *, lookback_days: int = LOOKBACK_DAYS, gbm_backend: str = "lightgbm"
) -> TrainedModels:
    """Load the training window ``[as_of - lookback_days, as_of)`` from the warehouse and train on it."""
    from nbaprops.predict.training_data import training_batch

    batch = training_batch(warehouse, as_of - timedelta(days=lookback_days), as_of)
    return train_systems(batch, as_of, gbm_backend=gbm_backend)


def needs_retrain(warehouse: Warehouse, as_of: date, *, cadence_days: int = RETRAIN_EVERY_DAYS) -> bool:
    """True when some system has no model of the current feature version trained within the cadence."""
    from nbaprops.features.contract import FEATURE_VERSION

    rows = warehouse.query_rows(
        "SELECT system_id, MAX(as_of) FROM model_registry WHERE as_of <= ? AND feature_version = ? "
        "GROUP BY system_id",
        [as_of, FEATURE_VERSION],
    )
    latest = {str(sid): newest for sid, newest in rows}
    return any(sid not in latest or (as_of - latest[sid]).days >= cadence_days for sid in SYSTEM_IDS)
