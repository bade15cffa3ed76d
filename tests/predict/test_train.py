"""Walk-forward training: only rows before as_of are seen; OOS folds feed calibration and the ensemble."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from test_systems import AS_OF, make_batch

from nbaprops.errors import QualityGateError
from nbaprops.predict.calibration import EDGE_SCALE_MIN_PAIRS
from nbaprops.predict.train import (
    COMPONENT_IDS,
    SYSTEM_IDS,
    TrainedModels,
    fold_segments,
    over_outcome,
    train_systems,
)


@pytest.fixture(scope="module")
def season() -> object:
    return make_batch(n=2500, days=45, seed=11)


@pytest.fixture(scope="module")
def trained(season: object) -> TrainedModels:
    return train_systems(season, AS_OF)  # type: ignore[arg-type]


def _planted(season: object) -> object:
    """The season plus rows dated on and after as_of with absurd targets."""
    batch = season
    extra = make_batch(n=400, days=1, seed=12)
    dates = np.concatenate([batch.game_dates, np.full(400, np.datetime64(AS_OF))])  # type: ignore[attr-defined]
    dates[-200:] += 3
    fields = {}
    aligned = (
        "game_ids",
        "player_ids",
        "teams",
        "opponents",
        "features",
        "history_points",
        "history_minutes",
        "line",
        "over_price",
        "under_price",
    )
    for name in aligned:
        fields[name] = np.concatenate([getattr(batch, name), getattr(extra, name)])
    actual = np.concatenate([batch.actual_points, np.full(400, 500.0)])  # type: ignore[attr-defined]
    extras = {k: np.concatenate([v, np.full(400, 48.0)]) for k, v in batch.extras.items()}  # type: ignore[attr-defined]
    return replace(batch, game_dates=dates, actual_points=actual, extras=extras, **fields)  # type: ignore[type-var]


def test_every_system_is_trained_with_a_calibrator(trained: TrainedModels) -> None:
    assert set(trained.systems) == set(SYSTEM_IDS) == set(trained.calibrators)
    assert trained.train_end < AS_OF
    for sid in SYSTEM_IDS:
        assert trained.metrics[sid]["oos_rows"] > 0


def test_rows_on_or_after_as_of_change_nothing(season: object, trained: TrainedModels) -> None:
    planted = train_systems(_planted(season), AS_OF)  # type: ignore[arg-type]
    assert planted.rows == trained.rows
    probe = make_batch(n=200, seed=13)
    for sid in COMPONENT_IDS:
        np.testing.assert_array_equal(
            planted.systems[sid].predict(probe).mean, trained.systems[sid].predict(probe).mean
        )
    for sid in SYSTEM_IDS:
        assert planted.systems[sid].to_bytes() == trained.systems[sid].to_bytes()
        assert planted.calibrators[sid].to_json() == trained.calibrators[sid].to_json()


def test_out_of_sample_folds_come_only_from_the_last_weeks(season: object) -> None:
    # With one 7-day fold, the out-of-sample rows are exactly those of the last week before as_of.
    result = train_systems(season, AS_OF, folds=1)  # type: ignore[arg-type]
    last_week = (season.game_dates >= np.datetime64(AS_OF) - 7).sum()  # type: ignore[attr-defined]
    assert result.metrics["gbm"]["oos_rows"] == last_week


def test_the_ensemble_beats_its_weakest_component_out_of_sample(trained: TrainedModels) -> None:
    maes = {sid: trained.metrics[sid]["oos_mae"] for sid in SYSTEM_IDS}
    assert maes["ensemble"] < max(maes[s] for s in SYSTEM_IDS if s != "ensemble")


def test_training_without_enough_history_is_refused() -> None:
    tiny = make_batch(n=100, days=5, seed=3)
    with pytest.raises(QualityGateError):
        train_systems(tiny, date(2025, 3, 1))


def test_over_outcome_drops_pushes_and_missing_lines() -> None:
    out = over_outcome(np.array([10.0, 12.0, 11.0, 5.0]), np.array([10.5, 10.5, 11.0, np.nan]))
    assert out[0] == 0.0
    assert out[1] == 1.0
    assert np.isnan(out[2:]).all()


def test_fold_segments_without_earlier_models_are_the_last_weeks_to_fit() -> None:
    assert fold_segments(AS_OF, folds=3, fold_days=7) == [
        (AS_OF - timedelta(days=21), AS_OF - timedelta(days=14), None),
        (AS_OF - timedelta(days=14), AS_OF - timedelta(days=7), None),
        (AS_OF - timedelta(days=7), AS_OF, None),
    ]


def test_fold_segments_reuse_earlier_retrains_and_fit_only_what_they_miss() -> None:
    week = timedelta(days=7)
    # one earlier retrain 8 days back: the window before it is fitted, the rest is its segment
    assert fold_segments(AS_OF, [AS_OF - week - timedelta(days=1), AS_OF], folds=2, fold_days=7) == [
        (AS_OF - 2 * week, AS_OF - week - timedelta(days=1), None),
        (AS_OF - week - timedelta(days=1), AS_OF, AS_OF - week - timedelta(days=1)),
    ]
    # the whole folds before a retrain two days back are fitted, the last stretched up to it
    assert fold_segments(AS_OF, [AS_OF - timedelta(days=2)], folds=3, fold_days=3) == [
        (AS_OF - timedelta(days=9), AS_OF - timedelta(days=6), None),
        (AS_OF - timedelta(days=6), AS_OF - timedelta(days=2), None),
        (AS_OF - timedelta(days=2), AS_OF, AS_OF - timedelta(days=2)),
    ]
    # a retrain before the window covers its start; later ones take over from their own date
    earlier = [AS_OF - 4 * week, AS_OF - 3 * week - timedelta(days=2), AS_OF - 2 * week, AS_OF - week]
    assert fold_segments(AS_OF, earlier, folds=3, fold_days=7) == [
        (AS_OF - 3 * week, AS_OF - 2 * week, AS_OF - 3 * week - timedelta(days=2)),
        (AS_OF - 2 * week, AS_OF - week, AS_OF - 2 * week),
        (AS_OF - week, AS_OF, AS_OF - week),
    ]


def test_earlier_retrains_give_the_same_models_as_refitting_the_folds(
    season: object, trained: TrainedModels
) -> None:
    # The models trained as of each fold's start on the same rows are exactly the fold models.
    # A chain, as in a backtest: each retrain reuses the ones before it (its components do not
    # depend on its folds, only its calibrators and ensemble weights do).
    earlier: list[TrainedModels] = []
    for k in (3, 2, 1):
        earlier.append(train_systems(season, AS_OF - timedelta(days=7 * k), earlier=earlier))  # type: ignore[arg-type]
    # Without the earlier retrains' calibration pools, the calibrators see exactly the same pairs.
    windows_only = [replace(m, oos_pairs=None) for m in earlier]
    reused = train_systems(season, AS_OF, earlier=windows_only)  # type: ignore[arg-type]
    assert reused.metrics["gbm"]["oos_rows_from_earlier_models"] == trained.metrics["gbm"]["oos_rows"]
    assert trained.metrics["gbm"]["oos_rows_from_earlier_models"] == 0
    for sid in SYSTEM_IDS:
        r, t = reused.calibrators[sid], trained.calibrators[sid]
        assert (r.coef, r.system_range, r.market_range, r.n_samples) == (
            t.coef,
            t.system_range,
            t.market_range,
            t.n_samples,
        )
        # Refitted folds were never claimed by anyone; the earlier retrains' predictions were, so
        # only they give the edge scale a track record (too short here to move it off 1).
        assert t.edge_scale_pairs == 0
        assert 0 < r.edge_scale_pairs < EDGE_SCALE_MIN_PAIRS
        assert r.edge_scale == t.edge_scale == 1.0
        assert reused.systems[sid].to_bytes() == trained.systems[sid].to_bytes()

    # With them, the calibrators learn on an expanding window: the newest earlier pool's pairs from
    # before this window, plus this window's, all dated before as_of.
    expanded = train_systems(season, AS_OF, earlier=earlier)  # type: ignore[arg-type]
    pool, pairs = earlier[-1].oos_pairs, expanded.oos_pairs
    assert pool is not None
    assert pairs is not None
    assert trained.oos_pairs is not None
    window_start = np.datetime64(AS_OF - timedelta(days=21))
    older = int((pool.game_dates < window_start).sum())
    assert older > 0
    assert pairs.outcome.size == trained.oos_pairs.outcome.size + older
    assert pairs.game_dates.max() < np.datetime64(AS_OF)
    assert pairs.game_dates.min() < window_start
    assert expanded.metrics["gbm"]["calibration_pairs"] > trained.metrics["gbm"]["calibration_pairs"]
    for sid in SYSTEM_IDS:
        assert expanded.systems[sid].to_bytes() == trained.systems[sid].to_bytes()


def test_earlier_models_trained_on_rows_inside_their_segment_are_refused(
    season: object, trained: TrainedModels
) -> None:
    # A model claiming as_of a week back but trained up to as_of would leak its segment's outcomes.
    leaky = replace(trained, as_of=AS_OF - timedelta(days=7))
    with pytest.raises(ValueError, match="not out of sample"):
        train_systems(season, AS_OF, earlier=[leaky])  # type: ignore[arg-type]


def test_live_training_extends_its_window_with_graded_pairs_dated_before_it(
    season: object, trained: TrainedModels
) -> None:
    from nbaprops.predict.train import OosPairs

    # 30 pairs a day from 60 days before as_of to 5 days after it; only those before the window count.
    days = np.repeat(np.arange(-60, 5), 30).astype("timedelta64[D]") + np.datetime64(AS_OF)
    rng = np.random.default_rng(4)
    n = days.size
    graded = OosPairs(
        days,
        (rng.uniform(size=n) < 0.5).astype(float),
        np.full(n, 0.5),
        {sid: rng.uniform(0.3, 0.7, n) for sid in SYSTEM_IDS},
        {sid: rng.uniform(0.3, 0.7, n) for sid in SYSTEM_IDS},
    )
    live = train_systems(season, AS_OF, graded_pairs=graded)  # type: ignore[arg-type]
    assert live.oos_pairs is not None
    assert trained.oos_pairs is not None
    before_window = int((days < np.datetime64(AS_OF - timedelta(days=21))).sum())
    assert live.oos_pairs.outcome.size == trained.oos_pairs.outcome.size + before_window
    assert live.oos_pairs.game_dates.max() < np.datetime64(AS_OF)


def test_the_edge_scale_is_fitted_on_what_the_pool_was_claimed_at_the_time(season: object) -> None:
    from nbaprops.predict.train import OosPairs

    # Graded predictions from before the window whose stored base claims were twice as far from the
    # market as what happened (outcomes drawn at half their edge): the scale learns about 0.5, and
    # the final calibrator's edge over the market is its base map's edge times that scale.
    days = np.repeat(np.arange(-81, -21), 100).astype("timedelta64[D]") + np.datetime64(AS_OF)
    rng = np.random.default_rng(5)
    n = days.size
    claimed = {sid: rng.uniform(0.3, 0.7, n) for sid in SYSTEM_IDS}
    edge = np.log(claimed["gbm"] / (1 - claimed["gbm"]))
    outcome = (rng.uniform(size=n) < 1 / (1 + np.exp(-0.5 * edge))).astype(float)
    raw = {sid: rng.uniform(0.3, 0.7, n) for sid in SYSTEM_IDS}
    graded = OosPairs(days, outcome, np.full(n, 0.5), raw, claimed)
    live = train_systems(season, AS_OF, graded_pairs=graded)  # type: ignore[arg-type]
    gbm = live.calibrators["gbm"]
    assert gbm.edge_scale_pairs == n >= EDGE_SCALE_MIN_PAIRS
    assert 0.35 < gbm.edge_scale < 0.65
    assert live.metrics["gbm"]["edge_scale"] == gbm.edge_scale
    raw, market = np.linspace(0.2, 0.8, 13), np.linspace(0.45, 0.55, 13)
    base, final = gbm.apply_base(raw, market), gbm.apply(raw, market)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    np.testing.assert_allclose(logit(final) - logit(market), gbm.edge_scale * (logit(base) - logit(market)))
