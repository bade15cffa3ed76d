"""Negative binomial points distribution: moments, line probabilities, pushes and quantiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nbaprops.predict import distribution


@pytest.mark.parametrize(("mean", "sd"), [(20.0, 6.0), (8.0, 4.0), (31.5, 9.0), (3.0, 2.5)])
def test_pmf_reproduces_the_given_mean_and_variance(mean: float, sd: float) -> None:
    pmf = distribution.points_pmf([mean], [sd], 300)[0]
    k = np.arange(301)
    got_mean = float((pmf * k).sum())
    got_var = float((pmf * k * k).sum()) - got_mean**2
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert got_mean == pytest.approx(mean, rel=1e-9)
    assert got_var == pytest.approx(sd * sd, rel=1e-9)


def test_parameters_match_the_textbook_formulas() -> None:
    r, p, is_poisson = distribution.negative_binomial_parameters([20.0], [36.0])
    assert p[0] == pytest.approx(20 / 36)
    assert r[0] == pytest.approx(400 / 16)
    assert not is_poisson[0]


def test_variance_at_or_below_the_mean_falls_back_to_poisson() -> None:
    _, _, is_poisson = distribution.negative_binomial_parameters([10.0, 10.0, 10.0], [9.0, 10.0, 10.5])
    assert is_poisson.tolist() == [True, True, False]
    pmf = distribution.points_pmf([10.0], [2.0], 200)[0]  # variance 4 < mean 10
    k = np.arange(201)
    mean = (pmf * k).sum()
    assert (pmf * k * k).sum() - mean**2 == pytest.approx(10.0, rel=1e-9)
    assert pmf[0] == pytest.approx(math.exp(-10.0))


def test_small_negative_binomial_probabilities_match_hand_computation() -> None:
    # mean 2, variance 4 -> r = 2, p = 1/2, pmf(k) = (k + 1) / 2**(k + 2): 1/4, 2/8, 3/16, ...
    probs = distribution.line_probabilities([2.0, 2.0], [2.0, 2.0], [1.5, 2.0])
    assert probs.over[0] == pytest.approx(0.5)
    assert probs.push[0] == 0.0
    assert probs.push[1] == pytest.approx(3 / 16)
    assert probs.under[1] == pytest.approx(0.5)
    assert probs.over[1] == pytest.approx(1 - 0.5 - 3 / 16)


def test_poisson_over_probability_matches_hand_computation() -> None:
    p_over = distribution.over_probability([2.0], [math.sqrt(2.0)], [1.5])
    assert p_over[0] == pytest.approx(1 - 3 * math.exp(-2.0))


def test_half_point_lines_never_push_and_the_three_outcomes_sum_to_one() -> None:
    rng = np.random.default_rng(7)
    mean = rng.uniform(2, 35, 500)
    sd = rng.uniform(1, 10, 500)
    line = np.floor(rng.uniform(0, 40, 500)) + rng.choice([0.0, 0.5], 500)
    probs = distribution.line_probabilities(mean, sd, line)
    half = line != np.floor(line)
    assert (probs.push[half] == 0).all()
    assert (probs.push[~half] > 0).all()
    np.testing.assert_allclose(probs.over + probs.under + probs.push, 1.0, atol=1e-12)


def test_over_probability_falls_as_the_line_rises_and_rises_with_the_mean() -> None:
    lines = np.arange(0.5, 50, 1.0)
    by_line = distribution.over_probability(np.full(lines.size, 22.0), 7.0, lines)
    assert (np.diff(by_line) < 0).all()
    by_mean = distribution.over_probability(np.linspace(10, 30, 21), 7.0, 19.5)
    assert (np.diff(by_mean) > 0).all()


def test_rows_without_a_line_get_nan_and_a_zero_mean_never_goes_over() -> None:
    probs = distribution.line_probabilities([20.0, 0.0], [5.0, 0.0], [np.nan, 0.5])
    assert np.isnan([probs.over[0], probs.under[0], probs.push[0]]).all()
    assert probs.over[1] == 0.0
    assert probs.under[1] == 1.0


def test_batch_answers_equal_row_by_row_answers() -> None:
    rng = np.random.default_rng(11)
    mean, sd, line = rng.uniform(1, 40, 50), rng.uniform(0.5, 12, 50), rng.uniform(0, 45, 50).round() + 0.5
    batch = distribution.over_probability(mean, sd, line)
    single = [
        distribution.over_probability([m], [s], [ln])[0] for m, s, ln in zip(mean, sd, line, strict=True)
    ]
    np.testing.assert_allclose(batch, single, atol=1e-12)


def test_quantiles_are_the_smallest_count_reaching_each_level() -> None:
    # Same r = 2, p = 1/2 distribution: CDF 0.25, 0.5, 0.6875, 0.8125, 0.890625, 0.9375, ...
    q = distribution.points_quantiles([2.0], [2.0], [0.2, 0.5, 0.8, 0.9])
    assert q.tolist() == [[0.0, 1.0, 3.0, 5.0]]


def test_central_interval_of_many_rows_covers_about_its_level() -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    mean = rng.uniform(8, 30, n)
    var = mean * rng.uniform(1.2, 2.5, n)
    sd = np.sqrt(var)
    # Draw from the same negative binomial through its Poisson-gamma mixture.
    lam = rng.gamma(shape=mean**2 / (var - mean), scale=(var - mean) / mean)
    points = rng.poisson(lam)
    q = distribution.points_quantiles(mean, sd, [0.1, 0.9])
    covered = ((points >= q[:, 0]) & (points <= q[:, 1])).mean()
    assert 0.80 <= covered <= 0.86  # >= 80% by construction of discrete quantiles


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        distribution.line_probabilities([10.0], [3.0], [-1.5])
    with pytest.raises(ValueError, match="NaN"):
        distribution.points_pmf([np.nan], [3.0], 10)
    with pytest.raises(ValueError, match="strictly between"):
        distribution.points_quantiles([10.0], [3.0], [1.0])


def test_a_too_small_sd_still_gets_a_full_poisson_tail() -> None:
    # sd 1 with mean 40 falls back to Poisson(40), whose sd is 6.3: the 99th percentile is about 55.
    q = distribution.points_quantiles([40.0], [1.0], [0.5, 0.99])
    assert q[0, 0] == 40.0
    assert 54.0 <= q[0, 1] <= 56.0


def test_zero_mean_is_a_point_mass_at_zero_even_with_spread() -> None:
    probs = distribution.line_probabilities(np.array([0.0]), np.array([3.0]), np.array([0.5]))
    assert probs.over[0] == 0.0
    assert probs.under[0] == 1.0
