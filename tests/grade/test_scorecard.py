"""The headline scorecard: figures a bettor reads, checked against hand computation."""

from __future__ import annotations

import numpy as np
import pytest

from nbaprops.grade.scorecard import scorecard


def rows() -> dict[str, np.ndarray]:
    """Four player-games over two days at -110: two OVER picks (a win, a loss), one UNDER win, a PASS."""
    return {
        "game_date": np.array(["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-02"]),
        "predicted_points": np.array([24.0, 22.0, 15.0, 20.0]),
        "actual_points": np.array([25.0, 18.0, 14.0, 21.0]),
        "line": np.array([20.5, 20.5, 17.5, 20.5]),
        "p_over": np.array([0.60, 0.58, 0.40, 0.50]),
        "p_push": np.zeros(4),
        "over_price": np.full(4, -110.0),
        "under_price": np.full(4, -110.0),
        "recommendation": np.array(["OVER", "OVER", "UNDER", "PASS"]),
        "expected_value": np.array([0.1455, 0.1073, 0.1455, np.nan]),
        "stake": np.array([0.01, 0.005, 0.01, 0.0]),
        "result": np.array(["WIN", "LOSS", "WIN", None], dtype=object),
        "profit": np.array([100 / 110, -1.0, 100 / 110, np.nan]),
        "clv_points": np.array([1.0, 0.0, -0.5, np.nan]),
        "clv_probability": np.array([0.0, 0.0, 0.0, np.nan]),
    }


def test_a_scorecard_matches_hand_computation() -> None:
    card = scorecard(rows(), pick_cap=0.01)
    # |error| - |line error| per row: (1 - 4.5), (4 - 2.5), (1 - 3.5), (1 - 0.5)
    assert card["mae_minus_line"]["mean"] == pytest.approx((-3.5 + 1.5 - 2.5 + 0.5) / 4)
    assert card["line_mae"] == pytest.approx((4.5 + 2.5 + 3.5 + 0.5) / 4)
    assert (card["n_picks"], card["wins"]) == (3, 2)
    assert card["hit_rate"]["mean"] == pytest.approx(2 / 3)
    assert card["claimed_hit_rate"] == pytest.approx((0.60 + 0.58 + 0.60) / 3)
    assert card["claim_within_interval"] is True
    assert card["roi"]["mean"] == pytest.approx((2 * 100 / 110 - 1) / 3)
    assert card["claimed_ev"] == pytest.approx((0.1455 + 0.1073 + 0.1455) / 3)
    assert card["staked_roi"] == pytest.approx((0.02 * 100 / 110 - 0.005) / 0.025)
    assert (card["exposure_median"], card["exposure_max"]) == (pytest.approx(0.0125), pytest.approx(0.015))
    assert card["stake_median"] == 0.01
    assert card["share_at_pick_cap"] == pytest.approx(2 / 3)
    assert card["n_clv"] == 3
    assert card["clv_points"]["mean"] == pytest.approx(0.5 / 3)
    assert sum(b["n"] for b in card["reliability_picks"]) == 3
    # Brier skill against the even no-vig market: outcomes over, under, under, over.
    brier = np.mean((np.array([0.60, 0.58, 0.40, 0.50]) - np.array([1, 0, 0, 1])) ** 2)
    assert card["brier_skill_vs_market"] == pytest.approx(1 - brier / 0.25)


def test_rows_without_a_line_or_result_are_refused() -> None:
    broken = rows()
    broken["line"][0] = np.nan
    with pytest.raises(ValueError, match="played and have a line"):
        scorecard(broken)
    partial = {k: v for k, v in rows().items() if k != "clv_points"}
    with pytest.raises(ValueError, match="clv_points"):
        scorecard(partial)


def test_pooled_picks_are_every_systems_picks_together_with_the_ece_floor() -> None:
    from nbaprops.grade.scorecard import pooled_picks

    two = {k: np.concatenate([v, v]) for k, v in rows().items()}  # the same four rows for two systems
    pool = pooled_picks(two)
    assert (pool["n_picks"], pool["wins"]) == (6, 4)
    assert pool["claimed_hit_rate"] == pytest.approx((0.60 + 0.58 + 0.60) / 3)
    assert pool["hit_rate"]["mean"] == pytest.approx(4 / 6)
    assert pool["claim_within_interval"] is True
    single = scorecard(rows())
    assert pool["ece_picks"]["ece"] == pytest.approx(single["ece_picks"]["ece"])
    assert pool["ece_picks"]["noise_floor"] > 0
    none = pooled_picks({k: v[3:] for k, v in rows().items()})  # only the PASS
    assert none["n_picks"] == 0
    assert none["ece_picks"] == {"ece": None, "noise_floor": None}
