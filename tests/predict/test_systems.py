"""Each prediction system on synthetic batches whose structure is known."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from nbaprops.errors import ConfigError, PayloadError
from nbaprops.features.contract import FEATURE_NAMES, FEATURES
from nbaprops.predict.systems.base import (
    HISTORY_GAMES,
    MIN_MEAN,
    TOP_FEATURES,
    ExplainingSystem,
    PlayerBatch,
    SpreadModel,
    SystemOutput,
    TrainableSystem,
    select_rows,
)
from nbaprops.predict.systems.ensemble import EnsembleSystem, floored_simplex_lstsq, mean_key
from nbaprops.predict.systems.gbm import GbmSystem
from nbaprops.predict.systems.line_residual import LineResidualSystem
from nbaprops.predict.systems.minutes_ppm import (
    ACTUAL_MINUTES,
    MinutesPpmSystem,
    minutes_design,
    points_per_minute,
)
from nbaprops.predict.systems.moving_average import B2B_FACTOR, HALF_LIFE, SHRINK, MovingAverageSystem
from nbaprops.predict.systems.similarity import SimilaritySystem
from nbaprops.predict.systems.zone_matchup import ZoneMatchupSystem
from nbaprops.predict.systems.zone_matchup import baseline as zone_baseline

AS_OF = date(2025, 3, 1)


def make_batch(n: int = 3000, days: int = 50, seed: int = 1, *, zone_effect: float = 0.03) -> PlayerBatch:
    """Synthetic player-games: points scale with a per-player level and the zone mismatch."""
    rng = np.random.default_rng(seed)
    players = rng.integers(0, 120, n)
    level = np.random.default_rng(99).uniform(4, 30, 120)[players]
    features = np.array([[f.default if f.default is not None else np.nan for f in FEATURES]] * n)

    def put(name: str, values: np.ndarray) -> None:
        features[:, FEATURE_NAMES.index(name)] = values

    mismatch = rng.uniform(-10, 10, n)
    put("points_avg_last_10", level + rng.normal(0, 1, n))
    put("points_avg_last_5", level + rng.normal(0, 3, n))
    put("points_avg_season", level)
    put("ppm_avg_last_10", level / 30.0)
    put("minutes_avg_last_10", np.full(n, 30.0))
    put("shot_zone_mismatch_score", mismatch)
    put("opponent_def_rating", rng.normal(112, 3, n))
    put("pace_score", rng.uniform(-3, 3, n))
    put("back_to_back", np.zeros(n))
    noise = rng.normal(0, 1, n) * np.sqrt(level)
    actual = np.round(np.clip(level * (1 + zone_effect * mismatch) + noise, 0, None))
    line = np.round(level) + 0.5
    return PlayerBatch(
        game_dates=(np.datetime64(AS_OF) - 1 - rng.integers(0, days, n)).astype("datetime64[D]"),
        game_ids=np.array([f"g{i}" for i in range(n)]),
        player_ids=players.astype(np.int64),
        teams=np.array(["BOS"] * n),
        opponents=np.array(["NYK"] * n),
        feature_names=FEATURE_NAMES,
        features=features,
        history_points=level[:, None] + rng.normal(0, 4, (n, HISTORY_GAMES)),
        history_minutes=np.full((n, HISTORY_GAMES), 30.0),
        line=line,
        over_price=np.full(n, -110.0),
        under_price=np.full(n, -110.0),
        actual_points=actual.astype(np.float64),
        extras={ACTUAL_MINUTES: np.clip(rng.normal(30, 4, n), 0, 48)},
    )


ALL_COMPONENTS = (
    MovingAverageSystem,
    ZoneMatchupSystem,
    SimilaritySystem,
    GbmSystem,
    LineResidualSystem,
    MinutesPpmSystem,
)


@pytest.fixture(scope="module")
def batch() -> PlayerBatch:
    return make_batch()


def _split(batch: PlayerBatch) -> tuple[PlayerBatch, PlayerBatch]:
    cut = np.datetime64(AS_OF) - 10
    return select_rows(batch, batch.game_dates < cut), select_rows(batch, batch.game_dates >= cut)


def _mae(batch: PlayerBatch, mean: np.ndarray) -> float:
    assert batch.actual_points is not None
    return float(np.mean(np.abs(mean - batch.actual_points)))


def test_moving_average_equals_the_hand_computed_weighted_mean(batch: PlayerBatch) -> None:
    one = select_rows(batch, np.array([0, 1]))
    history = np.full((2, HISTORY_GAMES), np.nan)
    history[0, :3] = [20.0, 10.0, 30.0]  # newest first
    features = one.features.copy()
    features[:, FEATURE_NAMES.index("points_avg_season")] = [15.0, 15.0]
    features[:, FEATURE_NAMES.index("back_to_back")] = [1.0, 0.0]
    one = PlayerBatch(**{**one.__dict__, "history_points": history, "features": features})
    system = MovingAverageSystem(SpreadModel(4.0, 1.0, 10))
    w = 0.5 ** (np.arange(3) / HALF_LIFE)
    wavg = float((w * [20.0, 10.0, 30.0]).sum() / w.sum())
    expected = (3 * wavg + SHRINK * 15.0) / (3 + SHRINK) * B2B_FACTOR
    out = system.predict(one)
    assert out.mean[0] == pytest.approx(expected)
    assert out.mean[1] == pytest.approx(15.0)  # no history: the season average


@pytest.mark.parametrize("factory", ALL_COMPONENTS)
def test_every_system_gives_positive_sd_probabilities_and_nan_without_a_line(
    batch: PlayerBatch, factory: type[TrainableSystem]
) -> None:
    train, test = _split(batch)
    system = factory()
    system.fit(train, as_of=AS_OF)
    half_lines = np.where(np.arange(len(test)) % 2 == 0, np.nan, test.line)
    test = PlayerBatch(**{**test.__dict__, "line": half_lines})
    out = system.predict(test)
    assert out.mean.shape == out.sd.shape == out.p_over.shape == (len(test),)
    assert (out.sd > 0).all()
    has_line = np.isfinite(test.line)
    assert np.isnan(out.p_over[~has_line]).all()
    assert ((out.p_over[has_line] >= 0) & (out.p_over[has_line] <= 1)).all()
    again = type(system).from_bytes(system.to_bytes()).predict(test)
    np.testing.assert_allclose(again.mean, out.mean, rtol=1e-4, atol=1e-4)
    _check_explained(system, test, out.mean)


def _documented_baseline(system: TrainableSystem, batch: PlayerBatch) -> np.ndarray:
    """Each system's baseline as its docstring states it, computed here from its own parts."""
    season = np.where(
        np.isnan(batch.column("points_avg_season")),
        batch.column("points_avg_last_10"),
        batch.column("points_avg_season"),
    )
    if isinstance(system, MovingAverageSystem):
        return season
    if isinstance(system, SimilaritySystem):
        return np.nan_to_num(batch.column("points_avg_last_10"))
    if isinstance(system, ZoneMatchupSystem):
        assert system.coef is not None
        return zone_baseline(batch) * system.coef[0]
    if isinstance(system, LineResidualSystem):
        assert system.coef is not None
        return np.where(np.isfinite(batch.line), batch.line + system.coef[0], season)
    if isinstance(system, MinutesPpmSystem):
        assert system.minutes_coef is not None
        assert system.rate_coef is not None
        usual_terms = [0, 1, 2, 3, 6, 7]  # intercept, m10, m5, sd10, rest, load7
        usual = minutes_design(batch)[:, usual_terms] @ np.asarray(system.minutes_coef)[usual_terms]
        return usual * points_per_minute(batch) * system.rate_coef[0]
    assert isinstance(system, GbmSystem)
    shap = system.shap(batch.features)
    # TreeSHAP is exact: the contributions and the expected value add up to the raw prediction.
    np.testing.assert_allclose(shap.sum(axis=1), system.model.predict(batch.features), atol=1e-6)
    assert np.ptp(shap[:, -1]) == 0.0  # one expected value for every row
    return shap[:, -1]


def _check_explained(system: TrainableSystem, batch: PlayerBatch, mean: np.ndarray) -> None:
    """``predict_explained``: the same means, baseline + contributions == mean, the documented
    baseline, and a top list ranked by magnitude with the contributions' own numbers."""
    assert isinstance(system, ExplainingSystem)
    out = system.predict_explained(batch)
    np.testing.assert_array_equal(out.mean, mean)
    why = out.contributions
    assert why is not None
    np.testing.assert_allclose(why.baseline + why.points.sum(axis=1), out.mean, rtol=0, atol=1e-9)
    unfloored = out.mean > MIN_MEAN
    np.testing.assert_allclose(
        why.baseline[unfloored], _documented_baseline(system, batch)[unfloored], rtol=0, atol=1e-9
    )
    tops = [json.loads(text) for text in why.top_json()]
    assert any(tops), "no row has a single contribution"
    for i in (0, len(batch) // 2, len(batch) - 1):
        top = tops[i]
        assert len(top) <= TOP_FEATURES
        magnitudes = [abs(t["contribution_points"]) for t in top]
        assert magnitudes == sorted(magnitudes, reverse=True)
        for t in top:
            j = why.names.index(t["feature"])
            assert t["contribution_points"] == pytest.approx(why.points[i, j], abs=5e-4)
            value = why.values[i, j]
            assert t["value"] == (None if np.isnan(value) else pytest.approx(value, abs=5e-4))
        left_out = np.delete(np.abs(why.points[i]), [why.names.index(t["feature"]) for t in top])
        assert left_out.size == 0 or left_out.max() <= min(magnitudes, default=np.inf) + 5e-4


def test_the_ensemble_explains_itself_by_its_members_contributions_weighted(batch: PlayerBatch) -> None:
    train, test = _split(batch)
    members = {s.system_id: s for s in (MovingAverageSystem(), LineResidualSystem(), ZoneMatchupSystem())}
    for member in members.values():
        member.fit(train, as_of=AS_OF)
    half_lines = np.where(np.arange(len(test)) % 2 == 0, np.nan, test.line)
    test = PlayerBatch(**{**test.__dict__, "line": half_lines})
    outputs = {sid: m.predict_explained(test) for sid, m in members.items()}
    weights = (0.5, 0.3, 0.2)
    ensemble = EnsembleSystem(tuple(members), weights, SpreadModel(4.0, 1.0, 10))
    out = ensemble.combine(test, outputs)
    why = out.contributions
    assert why is not None
    # merged by name: the moving average's recent_form and the line system's (its no-line rows) add up
    assert why.names.count("recent_form") == 1
    for j, name in enumerate(why.names):
        expected = sum(
            w * o.contributions.points[:, o.contributions.names.index(name)]
            for w, o in zip(weights, outputs.values(), strict=True)
            if o.contributions is not None and name in o.contributions.names
        )
        np.testing.assert_allclose(why.points[:, j], expected, rtol=0, atol=1e-12)
    member_baselines = [o.contributions.baseline for o in outputs.values() if o.contributions is not None]
    np.testing.assert_allclose(why.baseline, np.asarray(weights) @ np.asarray(member_baselines), atol=1e-12)
    np.testing.assert_allclose(why.baseline + why.points.sum(axis=1), out.mean, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(out.mean, ensemble.predict(_with_means(test, outputs)).mean)
    # a member without contributions: the blend's mean is unchanged and it claims no reasons
    plain = {**outputs, "zone_matchup": members["zone_matchup"].predict(test)}
    assert ensemble.combine(test, plain).contributions is None


def _with_means(batch: PlayerBatch, outputs: dict[str, SystemOutput]) -> PlayerBatch:
    return PlayerBatch(**{**batch.__dict__, "extras": {mean_key(k): o.mean for k, o in outputs.items()}})


def test_a_floored_mean_keeps_its_contributions_and_moves_its_baseline(batch: PlayerBatch) -> None:
    one = select_rows(batch, np.array([0, 1]))
    one = PlayerBatch(**{**one.__dict__, "history_points": np.full((2, HISTORY_GAMES), 0.0)})
    one = _with_feature(one, points_avg_season=np.array([0.0, 20.0]), back_to_back=1.0)
    out = MovingAverageSystem(SpreadModel(4.0, 1.0, 10)).predict_explained(one)
    assert out.mean[0] == MIN_MEAN  # 0 points predicted: floored
    why = out.contributions
    assert why is not None
    np.testing.assert_allclose(why.baseline + why.points.sum(axis=1), out.mean, atol=1e-12)
    assert json.loads(why.top_json()[0]) == []  # nothing moved it: no reasons to show
    assert [t["feature"] for t in json.loads(why.top_json()[1])] == ["recent_form", "back_to_back"]


def test_learned_sd_grows_with_the_predicted_level(batch: PlayerBatch) -> None:
    train, _ = _split(batch)
    system = ZoneMatchupSystem()
    system.fit(train, as_of=AS_OF)
    assert system.spread is not None
    low, high = system.spread.sd(np.array([5.0, 25.0]))
    assert high > low


def test_zone_matchup_predicts_more_against_a_weaker_zone_defence(batch: PlayerBatch) -> None:
    train, test = _split(batch)
    system = ZoneMatchupSystem()
    system.fit(train, as_of=AS_OF)
    col = FEATURE_NAMES.index("shot_zone_mismatch_score")
    weak, strong = test.features.copy(), test.features.copy()
    weak[:, col], strong[:, col] = 8.0, -8.0
    weak_mean = system.predict(PlayerBatch(**{**test.__dict__, "features": weak})).mean
    strong_mean = system.predict(PlayerBatch(**{**test.__dict__, "features": strong})).mean
    assert (weak_mean > strong_mean).mean() > 0.99
    # and it beats the baseline it adjusts
    assert _mae(test, system.predict(test).mean) < _mae(test, test.column("points_avg_last_10"))


def test_similarity_returns_the_outcomes_of_the_nearest_past_games(batch: PlayerBatch) -> None:
    train, _ = _split(batch)
    system = SimilaritySystem(k=1)
    system.fit(train, as_of=AS_OF)
    probe = select_rows(train, np.array([5]))
    assert train.actual_points is not None
    assert system.predict(probe).mean[0] == pytest.approx(train.actual_points[5])


def test_gbm_beats_a_constant_on_a_synthetic_signal(batch: PlayerBatch) -> None:
    train, test = _split(batch)
    system = GbmSystem()
    system.fit(train, as_of=AS_OF)
    assert train.actual_points is not None
    constant = np.full(len(test), float(np.mean(train.actual_points)))
    assert _mae(test, system.predict(test).mean) < 0.6 * _mae(test, constant)


def test_gbm_refuses_an_unknown_or_missing_backend() -> None:
    with pytest.raises(ConfigError):
        GbmSystem("catboost")


def test_damaged_model_bytes_raise_payload_error() -> None:
    for factory in (*ALL_COMPONENTS, EnsembleSystem):
        with pytest.raises(PayloadError):
            factory.from_bytes(b'{"spread": 3')


def test_floored_weights_recover_a_blend_and_keep_every_component_at_its_floor() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(10, 3, (500, 3))
    y = a @ np.array([0.7, 0.3, 0.0]) + rng.normal(0, 0.01, 500)
    np.testing.assert_allclose(floored_simplex_lstsq(a, y, 0.0), [0.7, 0.3, 0.0], atol=0.01)
    w = floored_simplex_lstsq(a, y, 0.05)
    assert w.sum() == pytest.approx(1.0)
    assert w[2] == pytest.approx(0.05)  # least squares wants 0: the floor holds it
    assert (w >= 0.05 - 1e-12).all()
    assert w[0] > w[1] > w[2]
    with pytest.raises(ValueError, match="no weight to learn"):
        floored_simplex_lstsq(a, y, 0.4)


def test_ensemble_keeps_a_useless_component_at_the_floor(batch: PlayerBatch) -> None:
    rng = np.random.default_rng(6)
    assert batch.actual_points is not None
    extras = {
        mean_key("good"): batch.actual_points + rng.normal(0, 1, len(batch)),
        mean_key("useless"): rng.normal(15, 5, len(batch)),
    }
    ensemble = EnsembleSystem(components=("good", "useless"), floor=0.1)
    ensemble.fit(PlayerBatch(**{**batch.__dict__, "extras": extras}), as_of=AS_OF)
    assert ensemble.weights is not None
    assert ensemble.weights[1] == pytest.approx(0.1)
    assert ensemble.weights[0] == pytest.approx(0.9)
    assert EnsembleSystem.from_bytes(ensemble.to_bytes()).floor == 0.1


def test_ensemble_weights_favour_the_more_accurate_system(batch: PlayerBatch) -> None:
    rng = np.random.default_rng(5)
    assert batch.actual_points is not None
    good = batch.actual_points + rng.normal(0, 2, len(batch))
    bad = batch.actual_points + rng.normal(0, 8, len(batch))
    extras = {mean_key("good"): good, mean_key("bad"): bad}
    with_means = PlayerBatch(**{**batch.__dict__, "extras": extras})
    ensemble = EnsembleSystem(components=("good", "bad"))
    metrics = ensemble.fit(with_means, as_of=AS_OF)
    assert ensemble.weights is not None
    assert ensemble.weights[0] > 0.7 > ensemble.weights[1]
    assert sum(ensemble.weights) == pytest.approx(1.0)
    assert metrics["mae"] < float(np.mean(np.abs(good - batch.actual_points)))
    out = ensemble.predict(with_means)
    assert (out.sd > 0).all()
    assert EnsembleSystem.from_bytes(ensemble.to_bytes()).weights == ensemble.weights


def _with_feature(batch: PlayerBatch, **values: np.ndarray | float) -> PlayerBatch:
    features = batch.features.copy()
    for name, value in values.items():
        features[:, FEATURE_NAMES.index(name)] = value
    return PlayerBatch(**{**batch.__dict__, "features": features})


def test_line_residual_reduces_to_the_line_when_nothing_predicts_the_residual() -> None:
    base = make_batch(seed=11)
    rng = np.random.default_rng(12)
    # Outcomes scatter around the line with no pattern any term could find.
    actual = np.clip(base.line + rng.normal(0, 5, len(base)), 0, None)
    noise = PlayerBatch(**{**base.__dict__, "actual_points": actual})
    train, test = _split(noise)
    system = LineResidualSystem()
    system.fit(train, as_of=AS_OF)
    out = system.predict(test)
    assert np.max(np.abs(out.mean - test.line)) < 0.6
    assert abs(float(np.mean(out.mean - test.line))) < 0.25


def test_line_residual_learns_a_book_that_misjudges_a_player_and_beats_the_line() -> None:
    base = make_batch(n=6000, days=60, seed=13)
    biased = base.player_ids % 4 == 0  # the book sets these players' lines 3 points low
    assert base.actual_points is not None
    actual = base.actual_points + np.where(biased, 3.0, 0.0)
    train, test = _split(PlayerBatch(**{**base.__dict__, "actual_points": actual}))
    system = LineResidualSystem()
    system.fit(train, as_of=AS_OF)
    edge = system.predict(test).mean - test.line
    on_biased = biased[base.game_dates >= np.datetime64(AS_OF) - 10]
    assert edge[on_biased].mean() > 1.5
    assert abs(edge[~on_biased].mean()) < 0.75
    assert _mae(test, system.predict(test).mean) < _mae(test, test.line)


def test_running_bias_counts_only_the_same_players_earlier_dates() -> None:
    from nbaprops.predict.systems.line_residual import running_bias

    players = np.array([7, 7, 7, 8, 7], dtype=np.int64)
    dates = np.array(
        ["2025-01-03", "2025-01-01", "2025-01-02", "2025-01-01", "2025-01-05"], dtype="datetime64[D]"
    )
    residual = np.array([1.0, 2.0, np.nan, 5.0, 4.0])
    total, count = running_bias(players, dates, residual)
    np.testing.assert_allclose(total, [2.0, 0.0, 2.0, 0.0, 3.0])
    np.testing.assert_allclose(count, [1.0, 0.0, 1.0, 0.0, 2.0])


def test_minutes_model_gives_more_minutes_when_a_teammate_is_out() -> None:
    base = make_batch(seed=21)
    rng = np.random.default_rng(22)
    n = len(base)
    vacated = np.where(rng.random(n) < 0.3, rng.uniform(10, 60, n), 0.0)
    m10 = rng.uniform(12, 36, n)
    played = np.clip(m10 * 240 / (240 - vacated) + rng.normal(0, 3, n), 0, 48)
    batch = _with_feature(base, minutes_avg_last_10=m10, teammates_out_minutes=vacated)
    batch = PlayerBatch(
        **{
            **batch.__dict__,
            "history_minutes": np.repeat(m10[:, None], HISTORY_GAMES, axis=1),
            "extras": {ACTUAL_MINUTES: played},
            "actual_points": played * 0.5,
        }
    )
    train, test = _split(batch)
    system = MinutesPpmSystem()
    system.fit(train, as_of=AS_OF)
    nobody_out = system.predict_minutes(_with_feature(test, teammates_out_minutes=0.0))
    starter_out = system.predict_minutes(_with_feature(test, teammates_out_minutes=34.0))
    assert (starter_out > nobody_out).all()
    # about the share of 34 vacated minutes a player of his minutes inherits (240 / 206 - 1 = 16.5%)
    gain = np.median((starter_out - nobody_out) / nobody_out)
    assert 0.08 < gain < 0.25
    points_out = system.predict(_with_feature(test, teammates_out_minutes=34.0)).mean
    assert (points_out > system.predict(_with_feature(test, teammates_out_minutes=0.0)).mean).all()


def test_zone_matchup_reads_play_by_play_zones_where_loaded_and_two_zones_elsewhere() -> None:
    base = make_batch(seed=31)  # the two-zone mismatch moves points on every row
    rng = np.random.default_rng(32)
    n = len(base)
    delta = rng.uniform(-3, 3, n)
    has_pbp = rng.random(n) < 0.6
    assert base.actual_points is not None
    actual = base.actual_points + np.where(has_pbp, delta, 0.0)
    batch = _with_feature(base, pbp_zone_points_delta=np.where(has_pbp, delta, np.nan))
    train, test = _split(PlayerBatch(**{**batch.__dict__, "actual_points": actual}))
    system = ZoneMatchupSystem()
    system.fit(train, as_of=AS_OF)
    with_pbp = select_rows(test, np.isfinite(test.column("pbp_zone_points_delta")))
    good = system.predict(_with_feature(with_pbp, pbp_zone_points_delta=2.5)).mean
    bad = system.predict(_with_feature(with_pbp, pbp_zone_points_delta=-2.5)).mean
    assert np.median(good - bad) > 3.0  # about the 5 points planted
    # where play-by-play zones are present, the two-zone score is not read ...
    moved = system.predict(_with_feature(with_pbp, shot_zone_mismatch_score=9.0)).mean
    np.testing.assert_allclose(moved, system.predict(with_pbp).mean)
    # ... and where they are absent, it is
    without = _with_feature(with_pbp, pbp_zone_points_delta=np.nan)
    high = system.predict(_with_feature(without, shot_zone_mismatch_score=9.0)).mean
    low = system.predict(_with_feature(without, shot_zone_mismatch_score=-9.0)).mean
    assert (high > low).mean() > 0.99


def test_median_regression_fits_the_median_of_skewed_outcomes_not_the_mean() -> None:
    from nbaprops.predict.systems.base import median_regression

    rng = np.random.default_rng(41)
    x = np.column_stack([np.ones(4000), rng.normal(0, 1, 4000)])
    y = 2.0 * x[:, 1] + rng.exponential(3.0, 4000)  # median offset 3 ln 2 = 2.08, mean offset 3
    coef = median_regression(x, y, ridge=1.0)
    assert coef[0] == pytest.approx(3.0 * np.log(2.0), abs=0.2)
    assert coef[1] == pytest.approx(2.0, abs=0.15)


def test_minutes_model_reads_blowout_risk_from_the_spread_and_back_to_backs() -> None:
    base = make_batch(seed=23)
    rng = np.random.default_rng(24)
    n = len(base)
    m10 = rng.uniform(12, 36, n)
    spread = rng.uniform(0, 16, n)
    b2b = (rng.random(n) < 0.2).astype(float)
    # regulars sit late in lopsided games and play less on the second night
    played = np.clip(m10 * (1 - 0.012 * spread) * (1 - 0.05 * b2b) + rng.normal(0, 2, n), 0, 48)
    batch = _with_feature(base, minutes_avg_last_10=m10, spread_magnitude=spread, back_to_back=b2b)
    batch = PlayerBatch(
        **{
            **batch.__dict__,
            "history_minutes": np.repeat(m10[:, None], HISTORY_GAMES, axis=1),
            "extras": {ACTUAL_MINUTES: played},
            "actual_points": played * 0.5,
        }
    )
    train, test = _split(batch)
    system = MinutesPpmSystem()
    system.fit(train, as_of=AS_OF)
    close = system.predict_minutes(_with_feature(test, spread_magnitude=1.0, back_to_back=0.0))
    lopsided = system.predict_minutes(_with_feature(test, spread_magnitude=15.0, back_to_back=0.0))
    tired = system.predict_minutes(_with_feature(test, spread_magnitude=1.0, back_to_back=1.0))
    assert (lopsided < close).all()
    assert (tired < close).all()
