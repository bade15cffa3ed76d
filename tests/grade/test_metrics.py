"""Grading arithmetic: per-prediction grades and per-group scores."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from nbaprops.grade import metrics

NAN = float("nan")


def small_slate() -> metrics.Grades:
    """Six hand-checked rows: a win, a loss, a push, two DNPs and a pass."""
    return metrics.grade_predictions(
        predicted=[20, 20, 20, 20, 10, 12],
        actual=[25, 15, 20, NAN, 8, 0],
        line=[19.5, 19.5, 20, 19.5, 10.5, 11.5],
        side=["OVER", "OVER", "UNDER", "OVER", "PASS", "UNDER"],
        over_price=[-110, -110, -110, -110, -110, -110],
        under_price=[-110, -110, -110, -110, -110, -110],
        minutes=[30, 30, 30, NAN, 20, 0],
        injury_status=["", "AVAILABLE", None, "Out", None, "questionable"],
        closing_line=[20.5, 19.5, 19.5, 20, 11, 11.5],
        closing_over_price=[-120, -110, -110, -110, -110, -110],
        closing_under_price=[100, -110, -110, -110, -110, -110],
    )


def test_each_prediction_gets_errors_a_result_and_a_profit() -> None:
    g = small_slate()
    np.testing.assert_array_equal(g.signed_error, [-5, 5, 0, NAN, 2, NAN])
    np.testing.assert_array_equal(g.absolute_error, [5, 5, 0, NAN, 2, NAN])
    assert g.result.tolist() == ["WIN", "LOSS", "PUSH", "VOID", None, "VOID"]
    np.testing.assert_allclose(g.profit, [100 / 110, -1, 0, 0, NAN, 0])
    np.testing.assert_array_equal(g.over_outcome, [1, 0, NAN, NAN, 0, NAN])


def test_did_not_play_is_voided_with_the_reason_known_at_prediction_time() -> None:
    g = small_slate()
    assert g.is_void.tolist() == [False, False, False, True, False, True]
    assert g.void_reason.tolist() == [None, None, None, "dnp_injury_confirmed", None, "dnp_late_scratch"]
    is_void, reason = metrics.void_reasons([NAN, 0, 12], [NAN, 0, 25], [None, "PROBABLE", "OUT"])
    assert is_void.tolist() == [True, True, False]
    assert reason.tolist() == ["dnp_unknown", "dnp_late_scratch", None]


def test_closing_line_value_is_positive_when_the_market_moved_our_way() -> None:
    g = small_slate()
    # OVER at 19.5 closed at 20.5: +1 point; UNDER at 20 closed at 19.5: we hold the higher number, +0.5.
    assert g.clv_points[0] == pytest.approx(1.0)
    assert g.clv_points[2] == pytest.approx(0.5)
    # The over went from 50% fair to -120/+100: 0.5455 / (0.5455 + 0.5) = 0.5217 fair.
    assert g.clv_probability[0] == pytest.approx((1 / (1 + 100 / 120)) / (1 / (1 + 100 / 120) + 0.5) - 0.5)
    assert np.isnan(g.clv_points[[3, 4, 5]]).all()  # voided or not a pick


def test_under_clv_is_the_line_dropping() -> None:
    g = metrics.grade_predictions(
        predicted=[18.0],
        actual=[17.0],
        line=[20.5],
        side=["UNDER"],
        over_price=[-110],
        under_price=[-110],
        closing_line=[19.5],
        closing_over_price=[-105],
        closing_under_price=[-115],
    )
    assert g.clv_points[0] == pytest.approx(1.0)
    assert g.clv_probability[0] > 0


def test_brier_of_a_coin_is_a_quarter_and_its_log_loss_is_ln2() -> None:
    outcome = [0, 1, 1, 0, 1]
    assert metrics.brier_score([0.5] * 5, outcome) == pytest.approx(0.25)
    assert metrics.log_loss([0.5] * 5, outcome) == pytest.approx(math.log(2))


def test_log_loss_is_clipped_rather_than_infinite() -> None:
    assert metrics.log_loss([0.0, 1.0], [1, 0]) == pytest.approx(-math.log(1e-6))


def test_ece_is_near_zero_when_calibrated_and_near_the_gap_when_not() -> None:
    rng = np.random.default_rng(42)
    p = rng.uniform(0.2, 0.9, 200_000)
    honest = (rng.uniform(size=p.size) < p).astype(float)
    optimistic = (rng.uniform(size=p.size) < p - 0.10).astype(float)
    assert metrics.expected_calibration_error(p, honest) < 0.01
    assert metrics.expected_calibration_error(p, optimistic) == pytest.approx(0.10, abs=0.01)


def test_ece_cuts_rows_sorted_by_probability_into_equal_counts() -> None:
    # Two equal-mass bins of two rows: {0.25 (hit), 0.25 (miss)}: |0.50 - 1| = 0.50 summed;
    # {0.25 (miss), 0.85 (hit)}: |1.10 - 1| = 0.10; weighted ECE = (0.50 + 0.10) / 4 rows.
    ece = metrics.expected_calibration_error([0.25, 0.25, 0.25, 0.85], [1, 0, 0, 1], bins=2)
    assert ece == pytest.approx(0.15)
    # Fewer rows than bins: one row per bin, so the ECE is the mean absolute gap.
    assert metrics.expected_calibration_error([0.25, 0.85], [1, 1]) == pytest.approx((0.75 + 0.15) / 2)


def test_equal_mass_ece_sees_a_gap_that_equal_width_bins_average_away() -> None:
    # All mass inside [0.40, 0.60): overconfident on both sides of 0.5 by 0.05. One equal-width bin of
    # width 0.1 holding 0.45 and 0.55 would cancel the two gaps; twenty equal-mass bins do not.
    rng = np.random.default_rng(3)
    claimed = rng.choice([0.45, 0.55], 100_000)
    truth = np.where(claimed > 0.5, 0.50, 0.50)
    outcome = (rng.uniform(size=claimed.size) < truth).astype(float)
    assert metrics.expected_calibration_error(claimed, outcome) == pytest.approx(0.05, abs=0.006)


def test_ece_noise_floor_is_what_a_calibrated_predictor_scores_on_that_many_rows() -> None:
    rng = np.random.default_rng(11)
    p = rng.uniform(0.45, 0.60, 1_700)
    floor = metrics.ece_noise_floor(p)
    # About 0.8 * 0.5 / sqrt(85 rows per bin) near even money, and reproducible (fixed seed).
    assert floor == pytest.approx(0.8 * 0.5 / np.sqrt(85), rel=0.1)
    assert metrics.ece_noise_floor(p) == floor
    assert metrics.ece_noise_floor(np.tile(p, 25)) < floor / 4


def test_wilson_interval_matches_the_textbook_figures() -> None:
    low, high = metrics.wilson_interval(55, 100)
    assert (low, high) == (pytest.approx(0.4524, abs=1e-4), pytest.approx(0.6439, abs=1e-4))
    # Stays inside [0, 1] where the normal approximation would not.
    low, high = metrics.wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(0.2775, abs=1e-4)
    assert np.isnan(metrics.wilson_interval(0, 0)).all()
    with pytest.raises(ValueError, match="successes"):
        metrics.wilson_interval(11, 10)


def test_clustered_interval_is_wider_when_rows_of_a_day_move_together() -> None:
    rng = np.random.default_rng(5)
    days = np.repeat(np.arange(100), 20)
    independent = rng.normal(0.0, 1.0, days.size)
    shared = rng.normal(0.0, 1.0, 100)[days] + rng.normal(0.0, 0.2, days.size)
    mean, low, high = metrics.clustered_mean_interval(independent, days)
    assert low < mean < high
    # i.i.d. rows: about the usual 1.96 * sd / sqrt(n).
    assert (high - low) / 2 == pytest.approx(1.96 / np.sqrt(days.size), rel=0.25)
    _, low_c, high_c = metrics.clustered_mean_interval(shared, days)
    assert (high_c - low_c) > 3 * (high - low)
    assert np.isnan(metrics.clustered_mean_interval([1.0, 2.0], [0, 0])[1])


def test_reliability_table_bins_hold_equal_counts_with_their_intervals() -> None:
    p = np.linspace(0.4, 0.7, 400)
    y = (np.arange(400) % 2).astype(float)
    table = metrics.reliability_table(p, y, bins=4)
    assert [row["n"] for row in table] == [100, 100, 100, 100]
    assert all(row["realized_low"] < row["realized"] < row["realized_high"] for row in table)
    assert table[0]["p_high"] < table[1]["p_low"]


def test_brier_skill_against_the_market() -> None:
    y = np.array([1.0, 0.0, 1.0, 0.0])
    market = np.full(4, 0.5)
    assert metrics.brier_skill(market, market, y) == 0.0
    assert metrics.brier_skill([0.6, 0.4, 0.6, 0.4], market, y) == pytest.approx(1 - 0.16 / 0.25)


def test_summary_rows_per_system_and_day_match_hand_computation() -> None:
    g = small_slate()
    rows = metrics.summarize(
        {"system_id": ["a", "a", "b", "b", "a", "b"], "game_date": [1, 1, 1, 1, 2, 2]},
        [20, 20, 20, 20, 10, 12],
        [25, 15, 20, NAN, 8, 0],
        g,
        p_over=[0.6, 0.6, 0.5, 0.5, 0.4, 0.4],
        q_low=[15, 16, 15, 15, 9, 0],
        q_high=[25, 24, 25, 25, 12, 20],
    )
    by_key = {(r["system_id"], r["game_date"]): r for r in rows}
    assert set(by_key) == {("a", 1), ("a", 2), ("b", 1), ("b", 2)}
    a1 = by_key["a", 1]
    assert (a1["n"], a1["n_graded"], a1["mae"], a1["bias"], a1["rmse"]) == (2, 2, 5.0, 0.0, 5.0)
    assert (a1["n_picks"], a1["wins"], a1["hit_rate"]) == (2, 1, 0.5)
    assert a1["roi"] == pytest.approx((100 / 110 - 1) / 2)
    assert a1["brier"] == pytest.approx((0.4**2 + 0.6**2) / 2)
    assert a1["coverage"] == 0.5  # 25 in [15, 25], 15 not in [16, 24]
    b1 = by_key["b", 1]
    assert (b1["n_void"], b1["pushes"], b1["n_picks"], b1["hit_rate"]) == (1, 1, 0, None)
    assert b1["brier"] is None  # a push is neither over nor under
    b2 = by_key["b", 2]
    assert (b2["n_graded"], b2["mae"], b2["coverage"]) == (0, None, None)


def test_roi_at_minus_110_with_a_55_percent_hit_rate_is_five_percent() -> None:
    n = 20
    actual = np.array([25.0] * 11 + [15.0] * 9)
    g = metrics.grade_predictions(
        predicted=np.full(n, 22.0),
        actual=actual,
        line=np.full(n, 19.5),
        side=np.full(n, "OVER"),
        over_price=np.full(n, -110.0),
        under_price=np.full(n, -110.0),
    )
    (row,) = metrics.summarize({"system_id": np.full(n, "x")}, np.full(n, 22.0), actual, g)
    assert row["hit_rate"] == pytest.approx(0.55)
    assert row["roi"] == pytest.approx(0.05)


def test_groups_accept_pyarrow_columns() -> None:
    ids, rows = metrics.group_ids(
        {"system_id": pa.chunked_array([["b", "a"], ["b"]]), "game_date": pa.array([2, 1, 2])}
    )
    assert ids.tolist() == [1, 0, 1]
    assert rows == [{"system_id": "a", "game_date": 1}, {"system_id": "b", "game_date": 2}]


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="expected 2 values"):
        metrics.grade_predictions(
            predicted=[1, 2],
            actual=[1],
            line=[0.5, 0.5],
            side=["OVER", "OVER"],
            over_price=[-110, -110],
            under_price=[-110, -110],
        )
