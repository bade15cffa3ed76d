"""The feature contract is ordered and append-only; its version follows its names."""

from __future__ import annotations

import pytest

from nbaprops.features import contract
from nbaprops.features.contract import FEATURE_NAMES, FEATURE_VERSION, FEATURES, GROUPS

# The committed snapshot: features may only be appended after the last name. Removing, renaming
# or moving one breaks every model trained on positions, so this list is edited only by appending.
COMMITTED_NAMES = (
    "points_avg_last_5",
    "points_avg_last_10",
    "points_avg_season",
    "points_std_last_10",
    "points_avg_last_3",
    "pts_slope_10g",
    "pts_vs_season_zscore",
    "ppm_avg_last_10",
    "pct_free_throw",
    "minutes_avg_last_10",
    "minutes_std_last_10",
    "minutes_change",
    "usage_rate_last_10",
    "dnp_rate_last_10",
    "usage_spike_score",
    "days_rest",
    "back_to_back",
    "games_in_last_7_days",
    "minutes_load_last_7d",
    "fatigue_score",
    "rest_advantage",
    "opponent_def_rating",
    "opponent_pace",
    "pace_score",
    "shot_zone_mismatch_score",
    "avg_points_vs_opponent",
    "games_vs_opponent",
    "home_away",
    "team_pace",
    "team_off_rating",
    "team_win_pct",
    "injury_risk",
    "star_teammates_out",
    "pct_two",
    "pct_three",
    "fta_per_fga",
    "vegas_points_line",
    "vegas_opening_line",
    "vegas_line_move",
    "has_vegas_line",
    "multi_book_line_std",
    "game_total_line",
    "spread_magnitude",
    "implied_team_total",
)


def test_contract_only_appends_to_the_committed_names() -> None:
    assert FEATURE_NAMES[: len(COMMITTED_NAMES)] == COMMITTED_NAMES


def test_contract_names_are_unique() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_version_changes_when_the_names_change() -> None:
    import hashlib

    reordered = (FEATURE_NAMES[1], FEATURE_NAMES[0], *FEATURE_NAMES[2:])
    digest = hashlib.sha256("\n".join(reordered).encode()).hexdigest()[:10]
    assert FEATURE_VERSION.startswith("v1-")
    assert "v1-" + digest != FEATURE_VERSION


def test_required_features_all_have_a_default_and_lines_are_optional() -> None:
    for f in FEATURES:
        if f.required:
            assert f.default is not None, f.name
        assert f.group in GROUPS
    assert all(not f.required for f in contract.features_in("line"))
    assert contract.features_in("line")


def test_every_group_has_features_and_lookup_finds_them() -> None:
    for group in GROUPS:
        assert contract.features_in(group), group
    assert contract.feature("fatigue_score").group == "rest_load"
    with pytest.raises(KeyError):
        contract.feature("not_a_feature")
