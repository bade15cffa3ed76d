"""The composite factors: documented formulas as pure, vectorized functions of numpy arrays.

Every input describes only games strictly before the game date and injury snapshots before tip;
the SQL model ``player_composite_factors_inputs.sql`` gathers them, these functions turn them into
scores. NaN in, NaN out: a factor whose inputs are missing stays missing (the feature store then
records a default and blocks the prediction when the feature is required) — never a quiet zero.

Signs, because the analog read one backwards: a HIGHER ``fatigue_score`` means a FRESHER player;
positive ``pace_score``, ``shot_zone_mismatch_score`` and ``usage_spike_score`` all mean "more
scoring expected than the player's recent baseline".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

STAR_USAGE = 25.0
"""A listed-out teammate whose season-to-date usage rate is at least this (%) counts as a star."""


def fatigue_score(
    days_rest: FloatArray,
    games_last_7: FloatArray,
    minutes_last_7: FloatArray,
    back_to_backs_last_14: FloatArray,
) -> FloatArray:
    """Freshness 0..100 (HIGHER = FRESHER)::

        100
        - 15 if back-to-back (days_rest == 0)   else + 5 if days_rest >= 3
        - 10 if games_last_7 >= 4
        - 10 if minutes_last_7 > 240
        -  8 if minutes_last_7 / games_last_7 > 35   (heavy minutes per game)
        - 12 if back_to_backs_last_14 >= 2       else - 5 if == 1
        clamped to [0, 100]

    ``days_rest`` is days between the previous game played and this one minus 1 (0 = the player
    played yesterday); the other inputs count games played in the 7 / 14 days before the date
    (``back_to_backs_last_14`` counts earlier back-to-back pairs, not this game's).
    """
    import numpy as np

    rest = np.asarray(days_rest, dtype=np.float64)
    games = np.asarray(games_last_7, dtype=np.float64)
    minutes = np.asarray(minutes_last_7, dtype=np.float64)
    b2b14 = np.asarray(back_to_backs_last_14, dtype=np.float64)
    score = np.full(rest.shape, 100.0)
    score -= np.where(rest == 0, 15.0, np.where(rest >= 3, -5.0, 0.0))
    score -= np.where(games >= 4, 10.0, 0.0)
    score -= np.where(minutes > 240, 10.0, 0.0)
    per_game = np.divide(minutes, games, out=np.zeros_like(minutes), where=games > 0)
    score -= np.where(per_game > 35, 8.0, 0.0)
    score -= np.where(b2b14 >= 2, 12.0, np.where(b2b14 == 1, 5.0, 0.0))
    score = np.clip(score, 0.0, 100.0)
    missing = np.isnan(rest) | np.isnan(games) | np.isnan(minutes) | np.isnan(b2b14)
    return np.where(missing, np.nan, score)


def shot_zone_mismatch(
    share_two: FloatArray,
    share_three: FloatArray,
    opp_two_delta: FloatArray,
    opp_three_delta: FloatArray,
) -> FloatArray:
    """Zone mismatch -10..+10::

        raw = share_two * opp_two_delta + share_three * opp_three_delta
        score = clamp(1.2 * raw if |raw| > 5 else raw, -10, 10)

    ``share_*`` are the player's shares of field-goal attempts by zone (last 10 games played, sum
    to 1); ``opp_*_delta`` is the opponent's FG% allowed in that zone minus the league's, in
    percentage points, over its last 15 games. Positive: the player shoots where this opponent
    defends worse than the league does.
    """
    import numpy as np

    raw = np.asarray(share_two, dtype=np.float64) * np.asarray(opp_two_delta, dtype=np.float64) + np.asarray(
        share_three, dtype=np.float64
    ) * np.asarray(opp_three_delta, dtype=np.float64)
    boosted = np.where(np.abs(raw) > 5, raw * 1.2, raw)
    return np.clip(boosted, -10.0, 10.0)


def pace_score(opponent_pace: FloatArray, league_pace: FloatArray) -> FloatArray:
    """Pace factor -3..+3: ``clamp((opponent_pace - league_pace) / 2, -3, 3)``.

    Paces are possessions per 48 minutes over the last 15 games (opponent) and over every team's
    last 15 games (league). Positive: a faster game than average, more possessions to score in.
    """
    import numpy as np

    diff = np.asarray(opponent_pace, dtype=np.float64) - np.asarray(league_pace, dtype=np.float64)
    return np.clip(diff / 2.0, -3.0, 3.0)


def usage_spike(
    recent_usage: FloatArray,
    out_usage_load: FloatArray,
    stars_out: FloatArray,
) -> FloatArray:
    """Usage spike -3..+3 when teammates are out::

        projected = recent_usage / (1 - out_usage_load)     (out_usage_load capped at 0.5)
        spike     = 0.3 * (projected - recent_usage)
        spike    *= 1.15 if stars_out == 1, 1.30 if stars_out >= 2  (only when spike > 0)
        score     = clamp(spike, -3, 3)

    ``recent_usage`` is the player's usage rate (%) over his last 10 games played.
    ``out_usage_load`` is the share of the team's possessions normally used by teammates listed
    OUT in the last injury report before tip: sum of usage_i/100 * minutes_i/240 over them (240
    player-minutes per game, usage_i and minutes_i their means over this season's games before the
    date), i.e. possessions that the remaining players share out in proportion to their usage.
    ``stars_out`` counts those with usage >= ``STAR_USAGE``. Nobody out gives 0.
    """
    import numpy as np

    usage = np.asarray(recent_usage, dtype=np.float64)
    load = np.clip(np.nan_to_num(np.asarray(out_usage_load, dtype=np.float64), nan=0.0), 0.0, 0.5)
    stars = np.nan_to_num(np.asarray(stars_out, dtype=np.float64), nan=0.0)
    projected = usage / (1.0 - load)
    spike = 0.3 * (projected - usage)
    boost = np.where(stars >= 2, 1.30, np.where(stars == 1, 1.15, 1.0))
    spike = np.where(spike > 0, spike * boost, spike)
    return np.clip(spike, -3.0, 3.0)


def rest_advantage(team_days_rest: FloatArray, opponent_days_rest: FloatArray) -> FloatArray:
    """``clamp(team_days_rest - opponent_days_rest, -2, 2)`` (team-level rest, days minus 1)."""
    import numpy as np

    diff = np.asarray(team_days_rest, dtype=np.float64) - np.asarray(opponent_days_rest, dtype=np.float64)
    return np.clip(diff, -2.0, 2.0)
