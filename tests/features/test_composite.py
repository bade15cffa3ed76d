"""Composite factors on hand-computed values, signs included."""

from __future__ import annotations

import math

import numpy as np

from nbaprops.features import composite


def _a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_rested_player_scores_fresher_than_a_back_to_back_player() -> None:
    # rested: 3 rest days, 2 games, 60 min in 7 days, no b2b -> 100 + 5 = 105 -> clamp 100
    # tired: b2b (-15), 4 games (-10), 150 min (37.5/game: -8), one earlier b2b (-5) -> 62
    score = composite.fatigue_score(_a(3, 0), _a(2, 4), _a(60, 150), _a(0, 1))
    assert score.tolist() == [100.0, 62.0]
    assert score[0] > score[1]  # higher = fresher, never the other way round


def test_fatigue_applies_every_penalty_and_clamps_at_zero_side() -> None:
    # 0 rest (-15), 5 games (-10), 250 min (-10), 50/game (-8), 2 b2b (-12) -> 45
    assert composite.fatigue_score(_a(0), _a(5), _a(250), _a(2)).tolist() == [45.0]
    # one rest day: no bonus, no penalty; 1 game of 30 minutes -> 100
    assert composite.fatigue_score(_a(1), _a(1), _a(30), _a(0)).tolist() == [100.0]


def test_fatigue_is_missing_when_an_input_is_missing() -> None:
    assert math.isnan(composite.fatigue_score(_a(np.nan), _a(1), _a(30), _a(0))[0])


def test_zone_mismatch_weights_opponent_weakness_by_the_players_shares() -> None:
    # 0.6 * 2.0 + 0.4 * 4.0 = 2.8 (no boost under 5)
    assert composite.shot_zone_mismatch(_a(0.6), _a(0.4), _a(2.0), _a(4.0))[0] == np.float64(
        0.6 * 2.0 + 0.4 * 4.0
    )
    # 0.5 * 8 + 0.5 * 6 = 7 -> boosted 8.4; 0.2*-20 + 0.8*-20 = -20 -> -24 -> clamp -10
    out = composite.shot_zone_mismatch(_a(0.5, 0.2), _a(0.5, 0.8), _a(8, -20), _a(6, -20))
    assert np.allclose(out, [8.4, -10.0])


def test_pace_score_is_half_the_pace_gap_clamped() -> None:
    out = composite.pace_score(_a(103, 96, 120), _a(100, 100, 100))
    assert out.tolist() == [1.5, -2.0, 3.0]


def test_usage_spike_redistributes_out_teammates_possessions() -> None:
    # nobody out -> 0; 20% usage with 0.2 load out and 1 star: projected 25 -> 0.3*5=1.5 *1.15 = 1.725
    # 30% usage, load 0.25, 2 stars: projected 40 -> 3.0 * 1.3 = 3.9 -> clamp 3
    out = composite.usage_spike(_a(20, 20, 30), _a(0.0, 0.2, 0.25), _a(0, 1, 2))
    assert np.allclose(out, [0.0, 1.725, 3.0])


def test_usage_spike_treats_missing_out_load_as_nobody_out_but_keeps_missing_usage() -> None:
    out = composite.usage_spike(_a(20, np.nan), _a(np.nan, 0.1), _a(np.nan, 0))
    assert out[0] == 0.0
    assert math.isnan(out[1])


def test_rest_advantage_is_clamped_difference() -> None:
    assert composite.rest_advantage(_a(3, 0, 1), _a(0, 1, 1)).tolist() == [2.0, -1.0, 0.0]
