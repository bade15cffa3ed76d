"""Calibration of P(over): a smooth logistic map of the system's and the market's logits."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from nbaprops.errors import PayloadError
from nbaprops.grade.metrics import ece_noise_floor, expected_calibration_error
from nbaprops.predict import calibration


def overconfident_sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw probabilities twice as far from 0.5 as the truth, an uninformed market, and outcomes."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.3, 0.7, n)
    raw = 0.5 + 2.0 * (truth - 0.5)
    outcome = (rng.uniform(size=n) < truth).astype(float)
    return raw, np.full(n, 0.5), outcome


def test_fitted_map_is_monotone_and_smooth_without_flat_steps() -> None:
    raw, market, outcome = overconfident_sample(5_000, seed=1)
    fitted = calibration.fit_logistic(raw, outcome, market, system_id="moving_average")
    assert not fitted.is_identity
    assert fitted.n_samples == 5_000
    grid = np.linspace(0.0, 1.0, 2001)
    mapped = fitted.apply(grid)
    assert (np.diff(mapped) >= 0).all()
    # Smooth: strictly increasing on the fitted range, no jump between neighbouring inputs.
    inside = (grid > raw.min()) & (grid < raw.max())
    lo, hi = calibration._sigmoid(np.array(fitted.system_range))
    strictly = inside & (grid > lo) & (grid < hi)
    assert (np.diff(mapped[strictly]) > 0).all()
    assert np.abs(np.diff(mapped)).max() < 0.002
    # No step holds a large share of the rows (isotonic put every raw P in [0.29, 0.41] on one).
    calibrated = fitted.apply(raw, market)
    _, counts = np.unique(np.round(calibrated, 6), return_counts=True)
    assert counts.max() <= 2 * calibration.MIN_BLOCK


def test_the_map_is_flat_only_on_tail_blocks_of_at_least_min_block_pairs() -> None:
    raw, market, outcome = overconfident_sample(3_000, seed=2)
    fitted = calibration.fit_logistic(raw, outcome, market, system_id="gbm", min_block=120)
    low, high = fitted.system_range
    x = calibration.logit(raw)
    assert (x <= low).sum() >= 120
    assert (x >= high).sum() >= 120
    # Beyond the clamps the map does not extrapolate: the most extreme input gets the tail value.
    at_low, beyond = fitted.apply([calibration._sigmoid(np.array(low)), 0.001])
    assert beyond == pytest.approx(at_low)


def test_calibration_removes_overconfidence_out_of_sample() -> None:
    raw, market, outcome = overconfident_sample(20_000, seed=20261128)
    fitted = calibration.fit_logistic(raw[:10_000], outcome[:10_000], market[:10_000], system_id="x")
    before = expected_calibration_error(raw[10_000:], outcome[10_000:])
    calibrated = fitted.apply(raw[10_000:], market[10_000:])
    after = expected_calibration_error(calibrated, outcome[10_000:])
    assert before > 0.08  # the raw probabilities overstate every edge twofold
    # Within sampling noise of perfect (a calibrated predictor scores ~0.018 on 500 rows per bin).
    assert after < ece_noise_floor(calibrated) + 0.01
    assert fitted.coef[1] == pytest.approx(0.5, abs=0.1)  # half the system's log-odds is believed


def test_a_system_that_only_echoes_the_market_is_believed_for_nothing() -> None:
    rng = np.random.default_rng(7)
    n = 20_000
    market = rng.uniform(0.35, 0.65, n)
    outcome = (rng.uniform(size=n) < market).astype(float)
    echo = np.clip(market + rng.normal(0.0, 0.08, n), 0.01, 0.99)  # the market plus noise
    fitted = calibration.fit_logistic(echo, outcome, market, system_id="similarity")
    assert fitted.coef[1] < 0.15
    assert fitted.coef[2] == pytest.approx(1.0, abs=0.2)
    # Its calibrated edges over the market are small: few would clear a 0.55 threshold on a coin flip.
    edge = fitted.apply(echo, market) - market
    assert np.abs(edge).mean() < 0.01


def test_slopes_never_go_negative() -> None:
    rng = np.random.default_rng(8)
    n = 5_000
    raw = rng.uniform(0.3, 0.7, n)
    outcome = (rng.uniform(size=n) < 1.0 - raw).astype(float)  # a system that is backwards
    fitted = calibration.fit_logistic(raw, outcome, np.full(n, 0.5), system_id="zone_matchup")
    assert fitted.coef[1] == 0.0
    assert fitted.coef[2] >= 0.0
    mapped = fitted.apply(np.linspace(0.05, 0.95, 50))
    assert (np.diff(mapped) >= 0).all()


def test_applied_probabilities_are_clipped_and_nan_passes_through() -> None:
    raw = np.r_[np.full(300, 0.02), np.full(300, 0.98)]
    outcome = np.r_[np.zeros(300), np.ones(300)]
    fitted = calibration.fit_logistic(raw, outcome, np.full(600, 0.5), system_id="s")
    out = fitted.apply([0.0, 1.0, np.nan], [0.5, np.nan, 0.5])
    assert out[0] == 0.01
    assert out[1] == 0.99
    assert np.isnan(out[2])


def test_too_few_pairs_give_the_identity_and_say_so() -> None:
    p = [0.7] * 50 + [np.nan] + [0.6] * 300
    market = [0.5] * 51 + [np.nan] * 300  # unpriced rows are not pairs
    fitted = calibration.fit_logistic(p, [1.0] * 50 + [0.0] * 301, market, system_id="similarity")
    assert fitted.is_identity
    assert fitted.n_samples == 50
    assert "50 out-of-sample pairs < 200" in fitted.reason
    np.testing.assert_allclose(fitted.apply([0.3, 0.62, 0.001]), [0.3, 0.62, 0.01])


def test_json_round_trip_preserves_the_map() -> None:
    raw, market, outcome = overconfident_sample(3_000, seed=5)
    fitted = calibration.fit_logistic(raw, outcome, market, system_id="ensemble")
    text = fitted.to_json()
    restored = calibration.Calibrator.from_json(text)
    assert restored == fitted
    assert json.loads(text)["kind"] == "logistic"
    identity = calibration.identity_calibrator("ensemble", "no history")
    assert calibration.Calibrator.from_json(identity.to_json()) == identity


def _doc(**changes: object) -> str:
    doc = {
        "format_version": 2,
        "kind": "logistic",
        "system_id": "s",
        "n_samples": 300,
        "reason": "",
        "coef": [0.0, 0.5, 1.0],
        "system_range": [-1.0, 1.0],
        "market_range": [-1.0, 1.0],
    }
    return json.dumps(doc | changes)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"kind": "logistic"}),
        _doc(coef=[0.0, -0.5, 1.0]),
        _doc(system_range=[1.0, -1.0]),
        _doc(kind="isotonic"),
        _doc(format_version=1),
        _doc(coef=[0.0, 0.5]),
        _doc(edge_scale=-0.1),
        _doc(edge_scale=2.5),
        _doc(edge_scale="wide"),
    ],
)
def test_damaged_documents_are_a_payload_error(text: str) -> None:
    with pytest.raises(PayloadError):
        calibration.Calibrator.from_json(text)


def test_outcomes_must_be_zero_or_one() -> None:
    with pytest.raises(ValueError, match="0 \\(under\\) or 1"):
        calibration.fit_logistic([0.5, 0.6], [0.0, 0.5], [0.5, 0.5], system_id="s", min_samples=1)
    with pytest.raises(ValueError, match="0 \\(under\\) or 1"):
        calibration.fit_edge_scale([0.5, 0.6], [0.0, 0.5], [0.5, 0.5], min_pairs=1)
    with pytest.raises(ValueError, match="differ in shape"):
        calibration.fit_edge_scale([0.5, 0.6], [0.0], [0.5, 0.5])


def test_a_document_written_before_the_edge_scale_reads_as_a_scale_of_one() -> None:
    old = calibration.Calibrator.from_json(_doc())
    assert (old.edge_scale, old.edge_scale_pairs) == (1.0, 0)
    raw, market = np.linspace(0.1, 0.9, 9), np.full(9, 0.52)
    np.testing.assert_array_equal(old.apply(raw, market), old.apply_base(raw, market))


def _edge_sample(n: int, scale: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Claimed base P, market P and outcomes drawn at ``scale`` times the claimed edge."""
    rng = np.random.default_rng(seed)
    market = rng.uniform(0.4, 0.6, n)
    m = np.log(market / (1 - market))
    edge = rng.normal(0.0, 0.4, n)
    claimed = 1 / (1 + np.exp(-(m + edge)))
    outcome = (rng.uniform(size=n) < 1 / (1 + np.exp(-(m + scale * edge)))).astype(float)
    return claimed, market, outcome


@pytest.mark.parametrize("truth", [0.0, 0.6, 1.0, 1.4])
def test_the_edge_scale_recovers_how_far_the_claims_should_have_gone(truth: float) -> None:
    claimed, market, outcome = _edge_sample(40_000, truth, seed=int(10 * truth))
    scale, n = calibration.fit_edge_scale(claimed, outcome, market)
    assert n == 40_000
    assert abs(scale - truth) < 0.1


def test_the_edge_scale_needs_a_track_record_and_leaves_out_rows_never_claimed() -> None:
    claimed, market, outcome = _edge_sample(3_000, 0.5, seed=3)
    claimed[:1_500] = np.nan  # e.g. folds a first retrain fitted: nobody claimed them
    assert calibration.fit_edge_scale(claimed, outcome, market) == (1.0, 1_500)
    scale, n = calibration.fit_edge_scale(claimed, outcome, market, min_pairs=1_000)
    assert n == 1_500
    assert 0.2 < scale < 0.8
    # A track record of claims pointing the wrong way is clamped at 0 (the market's P), never below.
    assert calibration.fit_edge_scale(claimed, 1.0 - outcome, market, min_pairs=1_000)[0] == 0.0


def test_the_scaled_map_moves_each_edge_over_the_market_by_the_scale_and_round_trips() -> None:
    raw, market, outcome = overconfident_sample(3_000, seed=6)
    fitted = calibration.fit_logistic(raw, outcome, market, system_id="similarity")
    scaled = replace(fitted, edge_scale=0.75, edge_scale_pairs=4_000)
    grid, mkt = np.linspace(0.05, 0.95, 19), np.linspace(0.45, 0.55, 19)
    base, final = scaled.apply_base(grid, mkt), scaled.apply(grid, mkt)
    np.testing.assert_array_equal(base, fitted.apply(grid, mkt))
    logit = calibration.logit
    np.testing.assert_allclose(logit(final) - logit(mkt), 0.75 * (logit(base) - logit(mkt)), atol=1e-9)
    assert np.isnan(scaled.apply([np.nan], [0.5])).all()
    assert calibration.Calibrator.from_json(scaled.to_json()) == scaled
