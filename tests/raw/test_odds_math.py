"""Price arithmetic: conversions between formats, implied probability, overround and no-vig."""

from __future__ import annotations

import pytest

from nbaprops.raw import odds_math


@pytest.mark.parametrize(
    ("american", "decimal"), [(-140, 1.0 + 100 / 140), (110, 2.1), (-110, 1.0 + 100 / 110), (100, 2.0)]
)
def test_american_and_decimal_convert_both_ways(american: int, decimal: float) -> None:
    assert odds_math.american_to_decimal(american) == pytest.approx(decimal)
    assert odds_math.decimal_to_american(decimal) == american


def test_decimal_prices_round_to_the_nearest_american_number() -> None:
    assert odds_math.decimal_to_american(1.91) == -110
    assert odds_math.decimal_to_american(1.87) == -115


def test_implied_probabilities_match_the_readme_figures() -> None:
    over = odds_math.implied_probability_american(-140)
    under = odds_math.implied_probability_american(110)
    assert round(over, 4) == 0.5833
    assert round(under, 4) == 0.4762
    assert round(odds_math.overround([over, under]), 4) == 1.0595
    assert odds_math.implied_probability(1.87, "decimal") == pytest.approx(1 / 1.87)


def test_no_vig_probabilities_sum_to_one_and_keep_the_favourite() -> None:
    fair = odds_math.no_vig([0.5833, 0.4762])
    assert sum(fair) == pytest.approx(1.0)
    assert fair[0] > fair[1]


@pytest.mark.parametrize("bad", [-99, 0, 50])
def test_american_prices_inside_plus_minus_100_are_rejected(bad: int) -> None:
    with pytest.raises(ValueError, match="not an American price"):
        odds_math.american_to_decimal(bad)


def test_decimal_prices_at_or_below_one_are_rejected() -> None:
    with pytest.raises(ValueError, match="not a decimal price"):
        odds_math.decimal_to_american(1.0)
    with pytest.raises(ValueError, match="not a decimal price"):
        odds_math.implied_probability_decimal(0.5)


def test_price_format_is_detected_and_must_be_shared() -> None:
    assert odds_math.price_format([-140, 110, -105]) == "american"
    assert odds_math.price_format([1.91, 1.83]) == "decimal"
    with pytest.raises(ValueError, match="one format"):
        odds_math.price_format([-140, 1.91])
    with pytest.raises(ValueError, match="not a price"):
        odds_math.classify_price(-50)


def test_overround_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        odds_math.overround([])
