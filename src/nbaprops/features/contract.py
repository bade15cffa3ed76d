"""The feature contract: the ordered, versioned, append-only list of features a prediction reads.

Position matters (models are trained on the order), so the list only ever grows at the end; a
test compares it with a committed snapshot of the names and fails when one is removed, renamed or
moved. ``FEATURE_VERSION`` is derived from the names, so any change to the list changes the
version stamped on every ``feature_store`` row.

Each feature says what it means, which table it comes from, the value used when it cannot be
computed, whether it is required and which group it belongs to. A required feature that falls
back to its default makes the row unpredictable (recorded with the reason), never silently
filled. Optional features (the ``line`` group and a few context counts) may be NULL or defaulted
without blocking a prediction. docs/features.md documents each formula.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

Group = Literal["scoring", "minutes_usage", "rest_load", "opponent", "team_context", "shot_zones", "line"]
GROUPS: tuple[Group, ...] = (
    "scoring",
    "minutes_usage",
    "rest_load",
    "opponent",
    "team_context",
    "shot_zones",
    "line",
)


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature of the contract."""

    name: str
    meaning: str
    source_table: str
    default: float | None
    """Value used when the feature cannot be computed (None: stays NULL; only optional features)."""
    required: bool
    group: Group


_CACHE = "player_daily_cache"
_COMPOSITE = "player_composite_factors"
_DEFENSE = "team_defense_zone_analysis"
_ZONES = "player_shot_zone_analysis"
_CONTEXT = "upcoming_player_game_context"
_LINES = "raw_oddsa_player_props"
_GAME_LINES = "raw_oddsa_game_lines"
_ABSENCE = "player_teammate_absence"
_PBP_ZONES = "player_zone_matchup"


def _f(
    name: str, meaning: str, source: str, default: float | None, group: Group, *, required: bool = True
) -> Feature:
    return Feature(name, meaning, source, default, required, group)


FEATURES: tuple[Feature, ...] = (
    # scoring: averages over the player's games strictly before the game date (DNPs excluded)
    _f("points_avg_last_5", "mean points, last 5 games played", _CACHE, 10.0, "scoring"),
    _f("points_avg_last_10", "mean points, last 10 games played", _CACHE, 10.0, "scoring"),
    _f("points_avg_season", "mean points, every game played this season", _CACHE, 10.0, "scoring"),
    _f(
        "points_std_last_10",
        "sample std of points, last 10 games played (>= 2 games)",
        _CACHE,
        5.0,
        "scoring",
    ),
    _f("points_avg_last_3", "mean points, last 3 games played", _CACHE, 10.0, "scoring"),
    _f(
        "pts_slope_10g",
        "OLS slope of points over the last 10 games played (points per game)",
        _CACHE,
        0.0,
        "scoring",
    ),
    _f(
        "pts_vs_season_zscore",
        "(last-5 mean - season mean) / max(season std, 1), >= 2 games",
        _CACHE,
        0.0,
        "scoring",
    ),
    _f(
        "ppm_avg_last_10",
        "points per minute over the last 10 games played (sum pts / sum min)",
        _CACHE,
        0.4,
        "scoring",
    ),
    _f(
        "pct_free_throw",
        "free-throw points / points, last 10 games played, capped at 0.5",
        _CACHE,
        0.15,
        "scoring",
    ),
    # minutes and usage
    _f("minutes_avg_last_10", "mean minutes, last 10 games played", _CACHE, 25.0, "minutes_usage"),
    _f("minutes_std_last_10", "sample std of minutes, last 10 games played", _CACHE, 5.0, "minutes_usage"),
    _f("minutes_change", "last-5 minutes mean / season minutes mean - 1", _CACHE, 0.0, "minutes_usage"),
    _f(
        "usage_rate_last_10",
        "usage rate (share of team possessions used on court, %), last 10",
        _CACHE,
        20.0,
        "minutes_usage",
    ),
    _f(
        "dnp_rate_last_10",
        "share of the team's last 10 games the player was listed but did not play",
        _CACHE,
        0.0,
        "minutes_usage",
    ),
    _f(
        "usage_spike_score",
        "composite -3..+3: usage expected from teammates out vs recent usage",
        _COMPOSITE,
        0.0,
        "minutes_usage",
    ),
    # rest and load (the game itself is never counted)
    _f(
        "days_rest",
        "days between the previous game played and this one, minus 1 (capped at 10)",
        _COMPOSITE,
        1.0,
        "rest_load",
    ),
    _f("back_to_back", "1 when the player played the previous calendar day", _COMPOSITE, 0.0, "rest_load"),
    _f(
        "games_in_last_7_days",
        "games played in the 7 days before the game date",
        _COMPOSITE,
        3.0,
        "rest_load",
    ),
    _f(
        "minutes_load_last_7d",
        "minutes played in the 7 days before the game date",
        _COMPOSITE,
        80.0,
        "rest_load",
    ),
    _f(
        "fatigue_score",
        "composite 0..100, higher = fresher (rest, back-to-backs, 7-day load)",
        _COMPOSITE,
        50.0,
        "rest_load",
    ),
    _f("rest_advantage", "team rest days - opponent rest days, clamped to +-2", _COMPOSITE, 0.0, "rest_load"),
    # opponent (last 15 team games before the date)
    _f(
        "opponent_def_rating",
        "opponent points allowed per 100 possessions, last 15 games",
        _DEFENSE,
        112.0,
        "opponent",
    ),
    _f("opponent_pace", "opponent possessions per 48 minutes, last 15 games", _DEFENSE, 100.0, "opponent"),
    _f("pace_score", "composite -3..+3: (opponent pace - league pace) / 2", _COMPOSITE, 0.0, "opponent"),
    _f(
        "shot_zone_mismatch_score",
        "composite -10..+10: player zone shares x opponent FG% allowed vs league per zone",
        _COMPOSITE,
        0.0,
        "opponent",
    ),
    _f(
        "avg_points_vs_opponent",
        "mean points against this opponent earlier this season",
        _CACHE,
        None,
        "opponent",
        required=False,
    ),
    _f(
        "games_vs_opponent",
        "games played against this opponent earlier this season",
        _CACHE,
        0.0,
        "opponent",
        required=False,
    ),
    # team context
    _f("home_away", "1 home, 0 away", _CONTEXT, 0.5, "team_context"),
    _f("team_pace", "own team possessions per 48 minutes, last 10 games", _CACHE, 100.0, "team_context"),
    _f(
        "team_off_rating", "own team points per 100 possessions, last 10 games", _CACHE, 112.0, "team_context"
    ),
    _f("team_win_pct", "own team wins / games this season", _CACHE, 0.5, "team_context"),
    _f(
        "injury_risk",
        "injury status at the as-of: available 0, probable 1, questionable 2, doubtful 3",
        _CONTEXT,
        0.0,
        "team_context",
        required=False,
    ),
    _f(
        "star_teammates_out",
        "teammates listed OUT at the as-of whose last-10 usage >= 25%",
        _COMPOSITE,
        0.0,
        "team_context",
        required=False,
    ),
    # shot zones (share of field-goal attempts, last 10 games played)
    _f("pct_two", "two-point attempts / field-goal attempts, last 10 games", _ZONES, 0.6, "shot_zones"),
    _f("pct_three", "three-point attempts / field-goal attempts, last 10 games", _ZONES, 0.4, "shot_zones"),
    _f("fta_per_fga", "free-throw attempts / field-goal attempts, last 10 games", _ZONES, 0.25, "shot_zones"),
    # line-derived (optional: absent lines never block a prediction)
    _f(
        "vegas_points_line",
        "player points line, last snapshot at the as-of (DraftKings first, else the median across books)",
        _LINES,
        None,
        "line",
        required=False,
    ),
    _f(
        "vegas_opening_line",
        "player points line, first snapshot (same book choice)",
        _LINES,
        None,
        "line",
        required=False,
    ),
    _f("vegas_line_move", "line at the as-of - opening line", _LINES, None, "line", required=False),
    _f("has_vegas_line", "1 when a points line exists at the as-of", _LINES, 0.0, "line", required=False),
    _f(
        "multi_book_line_std",
        "std of each book's last line at the as-of",
        _LINES,
        None,
        "line",
        required=False,
    ),
    _f(
        "game_total_line",
        "game over/under, last snapshot at the as-of (median across books)",
        _GAME_LINES,
        None,
        "line",
        required=False,
    ),
    _f(
        "spread_magnitude",
        "abs(own team's spread), last snapshot at the as-of",
        _GAME_LINES,
        None,
        "line",
        required=False,
    ),
    _f(
        "implied_team_total",
        "(total - own spread) / 2, last snapshot at the as-of",
        _GAME_LINES,
        None,
        "line",
        required=False,
    ),
    # who is out (appended: teammates listed Out/Doubtful at the cut-off, over the team's last 10 games)
    _f(
        "teammates_out_minutes",
        "minutes per team game left by teammates listed Out/Doubtful (team's last 10 games)",
        _ABSENCE,
        0.0,
        "minutes_usage",
        required=False,
    ),
    _f(
        "teammates_out_usage",
        "usage load (usage% x minutes / 240) per team game left by those teammates",
        _ABSENCE,
        0.0,
        "minutes_usage",
        required=False,
    ),
    # play-by-play shot zones (NULL where no play-by-play is loaded)
    _f(
        "pbp_share_paint",
        "paint attempts / field-goal attempts, last 10 games with play-by-play",
        _PBP_ZONES,
        None,
        "shot_zones",
        required=False,
    ),
    _f(
        "pbp_share_mid",
        "mid-range attempts / field-goal attempts, last 10 games with play-by-play",
        _PBP_ZONES,
        None,
        "shot_zones",
        required=False,
    ),
    _f(
        "pbp_share_corner3",
        "corner-three attempts / field-goal attempts, last 10 games with play-by-play",
        _PBP_ZONES,
        None,
        "shot_zones",
        required=False,
    ),
    _f(
        "pbp_share_above_break3",
        "above-the-break three attempts / field-goal attempts, last 10 games with play-by-play",
        _PBP_ZONES,
        None,
        "shot_zones",
        required=False,
    ),
    _f(
        "pbp_zone_points_delta",
        "FGA/game x sum over 4 zones of share x value x (opponent FG% allowed - league FG%)",
        _PBP_ZONES,
        None,
        "opponent",
        required=False,
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
REQUIRED_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.required)
FEATURE_VERSION: str = "v1-" + hashlib.sha256("\n".join(FEATURE_NAMES).encode()).hexdigest()[:10]
"""Stamped on every feature_store row; changes whenever the list changes."""

_BY_NAME = {f.name: f for f in FEATURES}
if len(_BY_NAME) != len(FEATURES):
    raise ValueError("the feature contract declares a name twice")


def feature(name: str) -> Feature:
    """The contract entry for ``name`` (KeyError for an unknown name)."""
    return _BY_NAME[name]


def features_in(group: Group) -> tuple[Feature, ...]:
    """The features of one group, in contract order."""
    return tuple(f for f in FEATURES if f.group == group)
