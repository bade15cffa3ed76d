"""Isotonic calibration of P(over): PAV, fitting, the identity fallback and JSON round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nbaprops.errors import PayloadError
from nbaprops.grade.metrics import expected_calibration_error
from nbaprops.predict import calibration


def overconfident_sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw probabilities twice as far from 0.5 as the truth, and outcomes drawn from the truth."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.3, 0.7, n)
    raw = 0.5 + 2.0 * (truth - 0.5)
    outcome = (rng.uniform(size=n) < truth).astype(float)
    return raw, outcome


def test_pav_pools_a_violating_pair_into_its_mean() -> None:
    x, y = calibration.pool_adjacent_violators([1, 2, 3, 4], [1, 3, 2, 4])
    assert x.tolist() == [1, 2, 3, 4]
    assert y.tolist() == [1, 2.5, 2.5, 4]


def test_pav_respects_weights_and_cascading_merges() -> None:
    x, y = calibration.pool_adjacent_violators([1, 2, 3], [3, 2, 0], [1, 1, 2])
    # All three pool: (3 + 2 + 0 * 2) / 4 = 1.25, one block from x=1 to x=3.
    assert x.tolist() == [1, 3]
    assert y.tolist() == [1.25, 1.25]


def test_fitted_map_is_monotone() -> None:
    raw, outcome = overconfident_sample(5_000, seed=1)
    fitted = calibration.fit_isotonic(raw, outcome, system_id="moving_average")
    grid = np.linspace(0, 1, 1001)
    assert (np.diff(fitted.apply(grid)) >= 0).all()
    assert np.all(np.diff(fitted.x) > 0)
    assert not fitted.is_identity
    assert fitted.n_samples == 5_000


def test_isotonic_reduces_calibration_error_out_of_sample() -> None:
    raw, outcome = overconfident_sample(20_000, seed=20261128)
    fitted = calibration.fit_isotonic(raw[:10_000], outcome[:10_000], system_id="xgboost")
    before = expected_calibration_error(raw[10_000:], outcome[10_000:])
    after = expected_calibration_error(fitted.apply(raw[10_000:]), outcome[10_000:])
    assert before > 0.08  # the raw probabilities overstate every edge twofold
    assert after < 0.03
    assert after < before / 3


def test_applied_probabilities_are_clipped_and_nan_passes_through() -> None:
    fitted = calibration.fit_isotonic([0.0] * 150 + [1.0] * 150, [0.0] * 150 + [1.0] * 150, system_id="s")
    out = fitted.apply([0.0, 1.0, np.nan])
    assert out[0] == 0.01
    assert out[1] == 0.99
    assert np.isnan(out[2])


def test_too_few_pairs_give_the_identity_and_say_so() -> None:
    fitted = calibration.fit_isotonic([0.7] * 50 + [np.nan], [1.0] * 50 + [0.0], system_id="similarity")
    assert fitted.is_identity
    assert fitted.n_samples == 50
    assert "50 out-of-sample pairs < 200" in fitted.reason
    np.testing.assert_allclose(fitted.apply([0.3, 0.62, 0.001]), [0.3, 0.62, 0.01])


def test_json_round_trip_preserves_the_map() -> None:
    raw, outcome = overconfident_sample(3_000, seed=5)
    fitted = calibration.fit_isotonic(raw, outcome, system_id="ensemble")
    text = fitted.to_json()
    restored = calibration.Calibrator.from_json(text)
    assert restored == fitted
    assert json.loads(text)["kind"] == "isotonic"
    identity = calibration.identity_calibrator("ensemble", "no history")
    assert calibration.Calibrator.from_json(identity.to_json()) == identity


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"kind": "isotonic"}),
        json.dumps(
            {
                "format_version": 1,
                "kind": "isotonic",
                "system_id": "s",
                "n_samples": 300,
                "reason": "",
                "x": [0.2, 0.1],
                "y": [0.3, 0.4],
            }
        ),
        json.dumps(
            {
                "format_version": 1,
                "kind": "platt",
                "system_id": "s",
                "n_samples": 300,
                "reason": "",
                "x": [],
                "y": [],
            }
        ),
    ],
)
def test_damaged_documents_are_a_payload_error(text: str) -> None:
    with pytest.raises(PayloadError):
        calibration.Calibrator.from_json(text)


def test_outcomes_must_be_zero_or_one() -> None:
    with pytest.raises(ValueError, match="0 \\(under\\) or 1"):
        calibration.fit_isotonic([0.5, 0.6], [0.0, 0.5], system_id="s", min_samples=1)
