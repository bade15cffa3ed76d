"""Recommendation: no-vig probabilities, EV at the posted price, side, reason and Kelly stake."""

from __future__ import annotations

import numpy as np
import pytest

from nbaprops.predict.recommend import (
    SlateCaps,
    Thresholds,
    decimal_prices,
    edge_adjusted_ev,
    kelly_stake,
    recommend,
    size_slate,
)


def test_minus_110_both_sides_breaks_even_at_52_38_and_p55_is_worth_five_cents() -> None:
    rec = recommend([0.55], [-110], [-110])
    assert rec.implied_over[0] == pytest.approx(0.5238, abs=1e-4)
    assert rec.fair_over[0] == pytest.approx(0.5)
    assert rec.ev_over[0] == pytest.approx(0.05)
    assert rec.ev_under[0] == pytest.approx(0.45 * (1 + 100 / 110) - 1)
    assert rec.side.tolist() == ["OVER"]
    assert rec.edge[0] == pytest.approx(0.05)
    # Staking believes half the edge: p_bet = 0.525, full Kelly (0.9091 * 0.525 - 0.475) / 0.9091
    # = 0.0025, a quarter of it 0.0625% of bankroll; trusting the model fully it would be 1.375%.
    assert rec.stake[0] == pytest.approx(0.000625)
    assert rec.adjusted_ev[0] == pytest.approx(0.525 * (1 + 100 / 110) - 1)
    trusting = recommend([0.55], [-110], [-110], thresholds=Thresholds(market_shrink=1.0))
    assert trusting.stake[0] == pytest.approx(0.01375)


@pytest.mark.parametrize(("price", "break_even"), [(-105, 0.5122), (-115, 0.5349), (-120, 0.5455)])
def test_break_even_rates_match_the_published_table(price: int, break_even: float) -> None:
    assert recommend([0.5], [price], [price]).implied_over[0] == pytest.approx(break_even, abs=1e-4)


def test_a_recommended_row_explains_both_thresholds() -> None:
    rec = recommend([0.58], [-118], [-102])  # EV = 0.58 * 1.8475 - 1 = +0.0716
    assert rec.side[0] == "OVER"
    assert rec.reason[0] == "p=0.58 >= 0.55 and EV=+0.07 >= 0.03"


def test_a_low_probability_of_over_recommends_the_under() -> None:
    rec = recommend([0.38], [-110], [-110])
    assert rec.side[0] == "UNDER"
    assert rec.probability[0] == pytest.approx(0.62)
    assert rec.ev[0] == pytest.approx(0.62 * (1 + 100 / 110) - 1)
    assert rec.reason[0].startswith("p=0.62 >= 0.55")


def test_a_likely_side_at_a_steep_price_is_a_pass() -> None:
    rec = recommend([0.58], [-150], [120])  # EV over = 0.58 * 1.6667 - 1 = -0.033
    assert rec.side[0] == "PASS"
    assert rec.stake[0] == 0.0
    assert rec.reason[0] == "edge below threshold: OVER p=0.58 >= 0.55 and EV=-0.03 < 0.03"


def test_missing_prices_are_no_line() -> None:
    rec = recommend([0.7, 0.7, np.nan], [np.nan, -110, -110], [np.nan, np.nan, -110])
    assert rec.side.tolist() == ["NO_LINE", "NO_LINE", "PASS"]
    assert rec.reason.tolist() == ["no line", "no price for one side", "no probability"]
    assert rec.stake.tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(rec.ev[:2]).all()


def test_stakes_are_capped() -> None:
    rec = recommend([0.70], [100], [-120])
    # Full Kelly at even money is 2p - 1 = 0.40; a quarter is 0.10, capped at 0.02.
    assert rec.stake[0] == pytest.approx(0.02)
    assert kelly_stake([0.70], [2.0], fraction=0.25, cap=1.0)[0] == pytest.approx(0.10)
    assert kelly_stake([0.40], [2.0], fraction=0.25, cap=1.0)[0] == 0.0


def test_thresholds_are_configurable() -> None:
    strict = Thresholds(min_probability=0.6, min_ev=0.10, kelly_fraction=0.5, max_stake=0.05)
    rec = recommend([0.55, 0.62], [-110, -110], [-110, -110], thresholds=strict)
    assert rec.side.tolist() == ["PASS", "OVER"]
    assert rec.reason[1] == "p=0.62 >= 0.60 and EV=+0.18 >= 0.10"
    # Kelly on the probability shrunk halfway to the market's 0.50: 0.56.
    full = (0.56 * (100 / 110) - 0.44) / (100 / 110)
    assert rec.stake[1] == pytest.approx(min(0.5 * full, 0.05))


def test_invalid_thresholds_and_prices_are_rejected() -> None:
    with pytest.raises(ValueError, match="min_probability"):
        Thresholds(min_probability=1.2)
    with pytest.raises(ValueError, match="kelly_fraction"):
        Thresholds(kelly_fraction=0.0)
    with pytest.raises(ValueError, match="American"):
        decimal_prices([-50])
    with pytest.raises(ValueError, match="lie in"):
        recommend([1.5], [-110], [-110])


def test_a_whole_slate_is_decided_row_by_row_consistently() -> None:
    rng = np.random.default_rng(9)
    n = 5_000
    p = rng.uniform(0.3, 0.7, n)
    over = rng.choice([-130, -120, -115, -110, -105, 100, 105], n).astype(float)
    under = rng.choice([-130, -120, -115, -110, -105, 100, 105], n).astype(float)
    rec = recommend(p, over, under)
    picked = np.isin(rec.side, ["OVER", "UNDER"])
    assert (rec.probability[picked] >= 0.55).all()
    assert (rec.ev[picked] >= 0.03).all()
    assert (rec.stake[picked] > 0).all()
    assert (rec.stake <= 0.02).all()
    assert (rec.stake[~picked] == 0).all()
    np.testing.assert_allclose(rec.fair_over + rec.fair_under, 1.0)


def test_a_push_chance_on_a_whole_line_returns_stakes_and_shrinks_the_under() -> None:
    # Line 20 at -110/-110 with P(over) 0.45 and P(push) 0.07: P(under) is 0.48, not 0.55.
    rec = recommend([0.45], [-110], [-110], p_push=[0.07])
    assert rec.side[0] == "PASS"
    assert rec.ev_under[0] == pytest.approx(0.48 * (1 + 100 / 110) - 1 + 0.07)
    # With a push chance, full Kelly is (b p - q) / (b (p + q)): b = 1, p = 0.6, q = 0.3 -> 1/3.
    assert kelly_stake([0.6], [2.0], [0.1], fraction=1.0, cap=1.0)[0] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="must not exceed 1"):
        recommend([0.95], [-110], [-110], p_push=[0.1])


def test_kelly_is_sized_on_the_edge_shrunk_toward_the_market() -> None:
    # Quarter-Kelly at -110 reaches the 2% cap at a believed P of 0.5619; believing half the edge over
    # an even market, that takes a calibrated P of 0.5 + 2 * 0.0619 = 0.624 (0.562 without shrinking).
    p = np.linspace(0.555, 0.70, 30)
    rec = recommend(p, np.full(30, -110.0), np.full(30, -110.0))
    assert (rec.side == "OVER").all()
    assert (np.diff(rec.stake) >= 0).all()
    below_cap = rec.stake < 0.02 - 1e-12
    assert below_cap[p < 0.62].all()
    assert not below_cap[p > 0.625].any()
    # A side that clears the thresholds but whose shrunk edge does not beat the vig is not a bet.
    thin = recommend([0.57], [-125], [105], thresholds=Thresholds(min_ev=0.0))  # EV +0.026
    assert thin.side[0] == "PASS"
    assert thin.stake[0] == 0.0
    assert thin.reason[0].startswith("no stake: edge shrunk toward the market")


def test_edge_adjusted_ev_of_stored_picks_matches_the_recommendation() -> None:
    rec = recommend([0.62, 0.30, 0.5], [-110, 120, -110], [-110, -140, -110], p_push=[0.0, 0.05, 0.0])
    again = edge_adjusted_ev(
        rec.side,
        [0.62, 0.30, 0.5],
        [-110, 120, -110],
        [-110, -140, -110],
        p_push=[0.0, 0.05, 0.0],
        shrink=0.5,
    )
    assert rec.side.tolist() == ["OVER", "UNDER", "PASS"]
    np.testing.assert_allclose(again[:2], rec.adjusted_ev[:2])
    assert np.isnan(again[2])


def _slate(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    stake = np.where(rng.uniform(size=n) < 0.6, rng.uniform(0.002, 0.02, n), 0.0)
    score = rng.uniform(0.0, 0.2, n)
    games = rng.integers(0, 6, n)
    teams = np.char.add("T", (2 * games + rng.integers(0, 2, n)).astype(str))
    return stake, score, np.char.add("G", games.astype(str)), teams


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_slate_stays_within_every_cap(seed: int) -> None:
    caps = SlateCaps(max_game=0.03, max_team=0.02, max_day=0.08, max_picks_per_team=2)
    stake, score, games, teams = _slate(120, seed)
    sized, dropped = size_slate(stake, score, games, teams, caps)
    assert (sized <= stake + 1e-15).all()  # caps only ever shrink a stake
    assert (sized[stake == 0] == 0).all()
    assert sized.sum() <= caps.max_day + 1e-12
    for key, cap in ((games, caps.max_game), (np.char.add(games, teams), caps.max_team)):
        for value in np.unique(key):
            assert sized[key == value].sum() <= cap + 1e-12
    for team in np.unique(teams):
        mine = (teams == team) & (stake > 0)
        kept = mine & ~dropped
        assert kept.sum() == min(2, mine.sum())
        # the survivors are the team's best picks by edge-adjusted EV
        if (mine & dropped).any():
            assert score[kept].min() >= score[mine & dropped].max()
    assert (sized[dropped] == 0).all()


def test_seven_unders_on_one_team_keep_the_two_best_and_the_team_cap() -> None:
    stake = np.full(7, 0.02)
    score = np.array([0.05, 0.09, 0.01, 0.07, 0.03, 0.08, 0.02])
    sized, dropped = size_slate(stake, score, ["G1"] * 7, ["BOS"] * 7, SlateCaps())
    assert dropped.tolist() == [True, False, True, True, True, False, True]
    # two 2% picks on one team exceed its 3% cap: both scaled to 1.5%
    np.testing.assert_allclose(sized, [0, 0.015, 0, 0, 0, 0.015, 0])


def test_caps_come_from_the_settings() -> None:
    from nbaprops.settings import load_settings

    settings = load_settings(stake_max_day=0.1, stake_max_picks_per_team=3, stake_market_shrink=0.25)
    assert SlateCaps.from_settings(settings) == SlateCaps(
        max_game=0.05, max_team=0.03, max_day=0.1, max_picks_per_team=3
    )
    assert Thresholds.from_settings(settings).market_shrink == 0.25
    with pytest.raises(ValueError, match="max_picks_per_team"):
        SlateCaps(max_picks_per_team=0)
