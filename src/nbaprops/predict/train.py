"""Walk-forward training: fit every system as of a date on earlier games only, calibrate out of sample.

For ``as_of`` D, only rows with ``game_date < D`` are ever seen (rows on or after D are dropped
before anything is fitted). Out-of-sample predictions come from an inner walk-forward over the end
of the training window: for each of the last ``folds`` weeks before D, every system is fitted on the
rows before that week and predicts that week. Those predictions, never in-sample ones, feed

* the per-system calibrators of P(over) (``predict.calibration``: logistic on the system's and the
  market's logits; outcome: actual > line; pushes and unpriced rows dropped), fitted on an
  **expanding** window: this retrain's out-of-sample pairs plus every earlier retrain's
  (``TrainedModels.oos_pairs`` of the newest earlier model, rows before this window and within
  ``LOOKBACK_DAYS``), so by the end of a season a calibrator rests on months of pairs, all dated
  before ``as_of`` and each predicted by a model trained before its own date, each calibrator then
  given its **edge scale** (``calibration.fit_edge_scale``), fitted on what the pool's rows were
  claimed when they were predicted — by the earlier retrains' calibrators in a walk-forward
  (``OosPairs.p_base``), by the stored ``predictions.p_over_base`` live; and
* the ensemble's weights (floored, absolute error, on the components' out-of-sample means, see
  ``systems/ensemble.py``);
  the ensemble's own calibrator uses the blend of the same out-of-sample means.

When the models of earlier retrains are at hand (``earlier``: a walk-forward, see
``WalkForwardTrainer``), the inner folds are not refitted: each earlier model trained as of T
predicts the rows from T up to the next retrain — exactly the predictions the walk-forward already
made with it, genuinely out of sample (its rows are all before T) and earlier than D. Folds are
fitted only for the part of the window no earlier model covers (the first retrain).

The final systems are then fitted on every row before D. Models are retrained every
``RETRAIN_EVERY_DAYS`` (weekly); ``needs_retrain`` says when the registry's newest models are older.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import structlog

from nbaprops.errors import QualityGateError
from nbaprops.predict.calibration import Calibrator, fit_edge_scale, fit_logistic
from nbaprops.predict.systems.base import PlayerBatch, TrainableSystem, select_rows
from nbaprops.predict.systems.ensemble import COMPONENTS, EnsembleSystem, mean_key

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    from numpy.typing import NDArray

    from nbaprops.predict.systems.base import FloatArray
    from nbaprops.warehouse.protocol import Warehouse

log = structlog.get_logger(__name__)

RETRAIN_EVERY_DAYS = 7
INNER_FOLDS = 3
FOLD_DAYS = 7
LOOKBACK_DAYS = 365
MIN_FOLD_TRAIN_ROWS = 300
COMPONENT_IDS: tuple[str, ...] = COMPONENTS
SYSTEM_IDS: tuple[str, ...] = (*COMPONENT_IDS, "ensemble")


@dataclass(frozen=True)
class OosPairs:
    """Out-of-sample (raw P(over), outcome, market P(over)) pairs per system: the calibrators' data.

    ``p_base``: per system, the base calibrated P(over) (``Calibrator.apply_base``) each row was
    given when it was predicted, by the calibrator then in force — NaN where none was (the folds a
    first retrain fits): the track record the edge scale is fitted on.
    """

    game_dates: NDArray[np.datetime64]
    outcome: FloatArray
    market: FloatArray
    p_over: dict[str, FloatArray]
    p_base: dict[str, FloatArray]

    def select(self, mask: NDArray[np.bool_]) -> OosPairs:
        """The pairs where ``mask`` is true."""
        return OosPairs(
            self.game_dates[mask],
            self.outcome[mask],
            self.market[mask],
            {sid: p[mask] for sid, p in self.p_over.items()},
            {sid: p[mask] for sid, p in self.p_base.items()},
        )

    @staticmethod
    def concat(first: OosPairs, second: OosPairs) -> OosPairs:
        """Both sets of pairs, ``first``'s before ``second``'s (systems present in both only)."""
        import numpy as np

        systems = [sid for sid in second.p_over if sid in first.p_over]
        return OosPairs(
            np.concatenate([first.game_dates, second.game_dates]),
            np.concatenate([first.outcome, second.outcome]),
            np.concatenate([first.market, second.market]),
            {sid: np.concatenate([first.p_over[sid], second.p_over[sid]]) for sid in systems},
            {sid: np.concatenate([first.p_base[sid], second.p_base[sid]]) for sid in systems},
        )


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
    # (game_id, player_id) -> (mean, raw p_over) per component, of rows these models predicted as an
    # out-of-sample fold of a later retrain: the next retrains reuse them instead of predicting again.
    oos_memo: dict[str, dict[tuple[str, int], tuple[float, float]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # Every out-of-sample pair the calibrators were fitted on: the next retrain's window extends it.
    oos_pairs: OosPairs | None = field(default=None, repr=False, compare=False)


def new_system(system_id: str, *, gbm_backend: str = "lightgbm") -> TrainableSystem:
    """A fresh, unfitted component system."""
    from nbaprops.predict.systems.gbm import GbmSystem
    from nbaprops.predict.systems.line_residual import LineResidualSystem
    from nbaprops.predict.systems.minutes_ppm import MinutesPpmSystem
    from nbaprops.predict.systems.moving_average import MovingAverageSystem
    from nbaprops.predict.systems.similarity import SimilaritySystem
    from nbaprops.predict.systems.zone_matchup import ZoneMatchupSystem

    if system_id == "gbm":
        return GbmSystem(gbm_backend)
    factories: dict[str, type[TrainableSystem]] = {
        "moving_average": MovingAverageSystem,
        "zone_matchup": ZoneMatchupSystem,
        "similarity": SimilaritySystem,
        "line_residual": LineResidualSystem,
        "minutes_ppm": MinutesPpmSystem,
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


def fold_segments(
    as_of: date, earlier: Sequence[date] = (), *, folds: int = INNER_FOLDS, fold_days: int = FOLD_DAYS
) -> list[tuple[date, date, date | None]]:
    """The out-of-sample segments ``(start, end, models_as_of)`` covering the last weeks before ``as_of``.

    The window is ``[as_of - folds * fold_days, as_of)``. Each earlier retrain date T (``earlier``,
    all before ``as_of``) inside it starts a segment predicted by T's models (``models_as_of = T``);
    the newest T at or before the window's start covers the window's beginning. Without one, the
    window's beginning up to the first such T is cut into whole ``fold_days`` folds to fit
    (``models_as_of = None``), the last one reaching up to that T.
    """
    window_start = as_of - timedelta(days=folds * fold_days)
    dates = sorted({d for d in earlier if d < as_of})
    inside = [d for d in dates if d > window_start]
    covering = [d for d in dates if d <= window_start]
    starts: list[tuple[date, date | None]] = []
    if covering:
        starts.append((window_start, covering[-1]))
    else:
        # Whole folds up to the first reused date (the last one stretched to reach it): never a
        # fit for a sliver of a fold.
        first_reused = inside[0] if inside else as_of
        fold_starts = [as_of - timedelta(days=k * fold_days) for k in range(folds, 0, -1)]
        whole = [s for s in fold_starts if s + timedelta(days=fold_days) <= first_reused]
        starts += [(s, None) for s in whole or [window_start]]
    starts += [(d, d) for d in inside]
    ends = [s for s, _ in starts[1:]] + [as_of]
    return [(s, e, m) for (s, m), e in zip(starts, ends, strict=True)]


def train_systems(
    batch: PlayerBatch,
    as_of: date,
    *,
    folds: int = INNER_FOLDS,
    fold_days: int = FOLD_DAYS,
    gbm_backend: str = "lightgbm",
    earlier: Sequence[TrainedModels] = (),
    graded_pairs: OosPairs | None = None,
) -> TrainedModels:
    """Fit every system as of ``as_of`` on the rows of ``batch`` before it (see the module docstring).

    ``earlier``: models trained before ``as_of`` on the rows of this same ``batch`` (each on rows
    strictly before its own ``as_of``); they stand in for the inner folds they cover.
    ``graded_pairs``: out-of-sample pairs from graded predictions (``graded_oos_pairs``), the
    calibration pool when no earlier model carries one (live training).
    """
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
    oos_base = {sid: np.full(n, np.nan) for sid in SYSTEM_IDS}  # as claimed when predicted
    by_date = {m.as_of: m for m in earlier}
    reused_rows = 0
    for seg_start, seg_end, models_as_of in fold_segments(
        as_of, list(by_date), folds=folds, fold_days=fold_days
    ):
        before = past.game_dates < np.datetime64(seg_start)
        inside = ~before & (past.game_dates < np.datetime64(seg_end))
        if not inside.any():
            continue
        test_rows = select_rows(past, inside)
        if models_as_of is not None:
            reused = by_date[models_as_of]
            if not reused.train_end < reused.as_of <= seg_start:
                raise ValueError(f"models as of {reused.as_of} are not out of sample from {seg_start}")
            for sid in COMPONENT_IDS:
                oos_mean[sid][inside], oos_p[sid][inside] = _memoized_predict(reused, sid, test_rows)
            claims = _base_claims(
                reused,
                test_rows,
                {sid: oos_mean[sid][inside] for sid in COMPONENT_IDS},
                {sid: oos_p[sid][inside] for sid in COMPONENT_IDS},
            )
            for sid in SYSTEM_IDS:
                oos_base[sid][inside] = claims[sid]
            reused_rows += int(inside.sum())
            continue
        enough = before.sum() >= MIN_FOLD_TRAIN_ROWS and np.unique(past.game_dates[before]).size >= 3
        if not enough:
            continue
        train_rows = select_rows(past, before)
        for sid in COMPONENT_IDS:
            system = new_system(sid, gbm_backend=gbm_backend)
            system.fit(train_rows, as_of=seg_start)
            out = system.predict(test_rows)
            oos_mean[sid][inside], oos_p[sid][inside] = out.mean, out.p_over
    covered = np.isfinite(oos_mean[COMPONENT_IDS[0]])
    if not covered.any():
        raise QualityGateError(f"too little history before {as_of} for an out-of-sample fold")

    outcome = over_outcome(actual, past.line)
    systems: dict[str, TrainableSystem] = {}
    metrics: dict[str, dict[str, float]] = {}
    for sid in COMPONENT_IDS:
        system = new_system(sid, gbm_backend=gbm_backend)
        metrics[sid] = system.fit(past, as_of=as_of)
        systems[sid] = system

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

    window = OosPairs(
        past.game_dates,
        outcome,
        market_probability(past),
        {sid: oos_p[sid] for sid in SYSTEM_IDS},
        oos_base,
    ).select(covered)
    pairs = _expanding_pairs(earlier, window, as_of, folds=folds, fold_days=fold_days, graded=graded_pairs)
    calibrators: dict[str, Calibrator] = {}
    for sid in SYSTEM_IDS:
        base = fit_logistic(pairs.p_over[sid], pairs.outcome, pairs.market, system_id=sid)
        scale, scale_pairs = fit_edge_scale(pairs.p_base[sid], pairs.outcome, pairs.market)
        if base.is_identity:
            scale = 1.0
        calibrators[sid] = replace(
            base,
            edge_scale=scale,
            edge_scale_pairs=scale_pairs,
            reason=f"{base.reason}; edge scale {scale:.3f} on {scale_pairs} track-record pairs",
        )
    for sid in SYSTEM_IDS:
        metrics[sid]["oos_rows"] = float(covered.sum())
        metrics[sid]["oos_rows_from_earlier_models"] = float(reused_rows)
        metrics[sid]["oos_mae"] = float(np.mean(np.abs(oos_mean[sid][covered] - actual[covered])))
        usable = np.isfinite(pairs.p_over[sid]) & np.isfinite(pairs.outcome) & np.isfinite(pairs.market)
        metrics[sid]["calibration_pairs"] = float(usable.sum())
        metrics[sid]["edge_scale"] = calibrators[sid].edge_scale
        metrics[sid]["edge_scale_pairs"] = float(calibrators[sid].edge_scale_pairs)
        if usable.any():
            metrics[sid]["oos_ece_raw"] = expected_calibration_error(
                pairs.p_over[sid][usable], pairs.outcome[usable]
            )
            # in-sample for the calibrator (it was fitted on these pairs): a floor, not an estimate
            calibrated = calibrators[sid].apply(pairs.p_over[sid][usable], pairs.market[usable])
            metrics[sid]["oos_ece_calibrated_in_sample"] = expected_calibration_error(
                calibrated, pairs.outcome[usable]
            )
    log.info("train.done", as_of=str(as_of), rows=n, oos_rows=int(covered.sum()))
    return TrainedModels(
        as_of=as_of,
        train_start=_day(past.game_dates.min()),
        train_end=_day(past.game_dates.max()),
        rows=n,
        systems=systems,
        calibrators=calibrators,
        metrics=metrics,
        oos_pairs=pairs,
    )


def market_probability(batch: PlayerBatch) -> FloatArray:
    """The book's no-vig P(over) of each row from its posted prices (NaN where a price is missing)."""
    return _fair_over(batch.over_price, batch.under_price)


def _fair_over(over_price: FloatArray, under_price: FloatArray) -> FloatArray:
    from nbaprops.predict.recommend import decimal_prices, fair_probabilities

    fair_over, _ = fair_probabilities(decimal_prices(over_price), decimal_prices(under_price))
    return fair_over


def _expanding_pairs(
    earlier: Sequence[TrainedModels],
    window: OosPairs,
    as_of: date,
    *,
    folds: int,
    fold_days: int,
    graded: OosPairs | None = None,
) -> OosPairs:
    """This window's out-of-sample pairs plus the pool before the window.

    The pool is the newest earlier retrain's (a walk-forward), else ``graded`` (live training).
    Only pairs dated within ``LOOKBACK_DAYS`` before ``as_of`` and before this window's start are
    taken from it, so no row counts twice and none is on or after ``as_of``.
    """
    import numpy as np

    pooled = [m.oos_pairs for m in sorted(earlier, key=lambda m: m.as_of) if m.as_of < as_of]
    pool = pooled[-1] if pooled and pooled[-1] is not None else graded
    if pool is None:
        return window
    start = np.datetime64(as_of - timedelta(days=folds * fold_days))
    oldest = np.datetime64(as_of - timedelta(days=LOOKBACK_DAYS))
    keep = (pool.game_dates < start) & (pool.game_dates >= oldest)
    return OosPairs.concat(pool.select(keep), window)


def _base_claims(
    reused: TrainedModels, rows: PlayerBatch, means: dict[str, FloatArray], raw: dict[str, FloatArray]
) -> dict[str, FloatArray]:
    """Per system, the base calibrated P(over) ``reused`` gave ``rows`` when it predicted them.

    Components: their raw P(over) (``raw``, already predicted by ``reused``) through ``reused``'s
    base map; the ensemble: ``reused``'s weights on those components' means (``means``), then its
    base map. The market input is each row's no-vig P(over), as live.
    """
    market = market_probability(rows)
    claims = {sid: reused.calibrators[sid].apply_base(raw[sid], market) for sid in COMPONENT_IDS}
    blended = reused.systems["ensemble"].predict(
        _with_extras(rows, {**rows.extras, **{mean_key(sid): means[sid] for sid in COMPONENT_IDS}})
    )
    claims["ensemble"] = reused.calibrators["ensemble"].apply_base(blended.p_over, market)
    return claims


def _memoized_predict(models: TrainedModels, sid: str, rows: PlayerBatch) -> tuple[FloatArray, FloatArray]:
    """``models.systems[sid]``'s mean and raw P(over) of ``rows``, predicting only rows not seen before."""
    import numpy as np

    memo = models.oos_memo.setdefault(sid, {})
    keys = list(zip(rows.game_ids.tolist(), rows.player_ids.tolist(), strict=True))
    missing = np.asarray([key not in memo for key in keys], dtype=bool)
    if missing.any():
        out = models.systems[sid].predict(select_rows(rows, missing))
        for key, m, p in zip(
            (k for k, miss in zip(keys, missing, strict=True) if miss),
            out.mean.tolist(),
            out.p_over.tolist(),
            strict=True,
        ):
            memo[key] = (m, p)
    pairs = np.asarray([memo[key] for key in keys], dtype=np.float64).reshape(len(keys), 2)
    return pairs[:, 0], pairs[:, 1]


def _with_extras(batch: PlayerBatch, extras: dict[str, FloatArray]) -> PlayerBatch:
    from dataclasses import replace

    return replace(batch, extras=extras)


_GRADED_PAIRS_SQL = """
SELECT p.game_date, p.game_id, p.player_id,
  ANY_VALUE(p.over_price) AS over_price, ANY_VALUE(p.under_price) AS under_price,
  CAST(BOOL_OR(g.went_over) AS DOUBLE) AS outcome,
  {columns}
FROM predictions AS p
JOIN prediction_grades AS g
  ON g.game_date = p.game_date AND g.game_id = p.game_id AND g.player_id = p.player_id
 AND g.system_id = p.system_id AND g.model_version = p.model_version
WHERE p.game_date >= ? AND p.game_date < ? AND g.went_over IS NOT NULL AND p.p_over_raw IS NOT NULL
GROUP BY p.game_date, p.game_id, p.player_id
ORDER BY p.game_date, p.game_id, p.player_id
"""


def graded_oos_pairs(warehouse: Warehouse, start: date, end: date) -> OosPairs:
    """Calibration pairs from the graded predictions dated ``start <= game_date < end`` (one query).

    Each was made by a model trained before its own date, so its raw P(over) is out of sample: the
    pool live training extends its window with, as a walk-forward does with its earlier retrains.
    Its stored base P(over) (``p_over_base``; before that column existed, ``p_over``, which was the
    base map's output then) is the claim the edge scale is fitted on.
    """
    import numpy as np

    raw = [f"MAX(CASE WHEN p.system_id = ? THEN p.p_over_raw END) AS p{i}" for i in range(len(SYSTEM_IDS))]
    base = [
        f"MAX(CASE WHEN p.system_id = ? THEN COALESCE(p.p_over_base, p.p_over) END) AS b{i}"
        for i in range(len(SYSTEM_IDS))
    ]
    table = warehouse.query_arrow(
        _GRADED_PAIRS_SQL.format(columns=", ".join(raw + base)), [*SYSTEM_IDS, *SYSTEM_IDS, start, end]
    )

    def floats(name: str) -> FloatArray:
        return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

    return OosPairs(
        np.asarray(table.column("game_date").to_numpy(zero_copy_only=False)).astype("datetime64[D]"),
        floats("outcome"),
        _fair_over(floats("over_price"), floats("under_price")),
        {sid: floats(f"p{i}") for i, sid in enumerate(SYSTEM_IDS)},
        {sid: floats(f"b{i}") for i, sid in enumerate(SYSTEM_IDS)},
    )


def train_as_of(
    warehouse: Warehouse, as_of: date, *, lookback_days: int = LOOKBACK_DAYS, gbm_backend: str = "lightgbm"
) -> TrainedModels:
    """Load the training window ``[as_of - lookback_days, as_of)`` from the warehouse and train on it.

    The calibrators' pool is the graded predictions of that window (``graded_oos_pairs``).
    """
    from nbaprops.predict.training_data import training_batch

    start = as_of - timedelta(days=lookback_days)
    batch = training_batch(warehouse, start, as_of)
    graded = graded_oos_pairs(warehouse, start, as_of)
    return train_systems(batch, as_of, gbm_backend=gbm_backend, graded_pairs=graded)


class WalkForwardTrainer:
    """``train_as_of`` for a walk-forward: the rows are loaded once, earlier retrains stand in for folds.

    Called as ``trainer(warehouse, as_of)`` with non-decreasing dates (``pipeline.backtest``). The
    first call loads every training row up to ``end`` (two queries, ``training_batch``); each call
    then trains on the slice ``[as_of - lookback_days, as_of)`` of it (rows on or after ``as_of`` are
    never passed on) with the models of its own earlier calls as the out-of-sample folds they cover
    (``train_systems(earlier=...)``). Same rows, same folds as ``train_as_of`` when the lookback
    holds the whole history; only the refitting of those folds is saved.
    """

    def __init__(
        self,
        end: date,
        *,
        lookback_days: int = LOOKBACK_DAYS,
        folds: int = INNER_FOLDS,
        fold_days: int = FOLD_DAYS,
        gbm_backend: str = "lightgbm",
    ) -> None:
        self.end = end
        self.lookback_days = lookback_days
        self.folds = folds
        self.fold_days = fold_days
        self.gbm_backend = gbm_backend
        self._rows: PlayerBatch | None = None
        self._loaded: tuple[date, date] | None = None
        self._earlier: list[TrainedModels] = []

    def _window(self, warehouse: Warehouse, as_of: date) -> PlayerBatch:
        import numpy as np

        from nbaprops.predict.training_data import training_batch

        start = as_of - timedelta(days=self.lookback_days)
        if (
            self._rows is None
            or self._loaded is None
            or not self._loaded[0] <= start <= as_of <= self._loaded[1]
        ):
            last = max(as_of, self.end)
            self._rows, self._loaded = training_batch(warehouse, start, last), (start, last)
        dates = self._rows.game_dates
        return select_rows(self._rows, (dates >= np.datetime64(start)) & (dates < np.datetime64(as_of)))

    def __call__(self, warehouse: Warehouse, as_of: date) -> TrainedModels:
        """Models as of ``as_of`` (games strictly before it only); remembered for the next calls."""
        if self._earlier and as_of <= self._earlier[-1].as_of:
            raise ValueError(f"walk-forward dates must increase: {as_of} after {self._earlier[-1].as_of}")
        trained = train_systems(
            self._window(warehouse, as_of),
            as_of,
            folds=self.folds,
            fold_days=self.fold_days,
            gbm_backend=self.gbm_backend,
            earlier=self._earlier,
        )
        # Only the newest retrain at or before the next window's start is ever reused, plus later ones.
        horizon = as_of - timedelta(days=self.folds * self.fold_days)
        keep = [m for m in self._earlier if m.as_of > horizon]
        older = [m for m in self._earlier if m.as_of <= horizon]
        self._earlier = [*older[-1:], *keep, trained]
        return trained


def latest_model_dates(warehouse: Warehouse, as_of: date) -> dict[str, date]:
    """Per system, the ``as_of`` of its newest registered model (current feature version) at ``as_of``."""
    from nbaprops.features.contract import FEATURE_VERSION

    rows = warehouse.query_rows(
        "SELECT system_id, MAX(as_of) FROM model_registry WHERE as_of <= ? AND feature_version = ? "
        "GROUP BY system_id",
        [as_of, FEATURE_VERSION],
    )
    return {str(sid): newest for sid, newest in rows}


def needs_retrain(warehouse: Warehouse, as_of: date, *, cadence_days: int = RETRAIN_EVERY_DAYS) -> bool:
    """True when some system has no model of the current feature version trained within the cadence."""
    latest = latest_model_dates(warehouse, as_of)
    return any(sid not in latest or (as_of - latest[sid]).days >= cadence_days for sid in SYSTEM_IDS)
