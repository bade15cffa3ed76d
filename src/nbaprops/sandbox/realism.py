"""Realism figures of a simulated season, to set beside the real NBA's.

``realism_report`` measures what docs/sandbox.md quotes and what the tests hold in bands: scoring
distribution, minutes, DNP share, home edge, overtime rate, back-to-backs, and how good the books'
lines are (MAE against actual points, bias, over rate) at the last snapshot before tip.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date

from nbaprops.sandbox.books import PRIMARY_BOOK
from nbaprops.sandbox.model import PropLine, Season


def closing_lines(season: Season, book: str = PRIMARY_BOOK) -> dict[tuple[str, int], PropLine]:
    """The latest pre-tip line of ``book`` for each (game, player)."""
    latest: dict[tuple[str, int], PropLine] = {}
    for line in season.prop_lines:
        if line.book != book or line.snapshot_utc >= season.game_by_id[line.game_id].tip_utc:
            continue
        key = (line.game_id, line.player_id)
        if key not in latest or line.snapshot_utc > latest[key].snapshot_utc:
            latest[key] = line
    return latest


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def _sd(xs: list[float]) -> float:
    m = _mean(xs)
    return (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 if len(xs) > 1 else float("nan")


def realism_report(season: Season) -> dict[str, float]:
    """Measured figures of the season, keyed by name (shares in 0-1, points, minutes)."""
    played = [r for r in season.box if r.status == "played"]
    pts = [float(r.pts) for r in played]
    team_pts = [float(g.home_score) for g in season.games] + [float(g.away_score) for g in season.games]
    team_dates: dict[str, list[date]] = defaultdict(list)
    for g in season.games:
        team_dates[g.home].append(g.game_date)
        team_dates[g.away].append(g.game_date)
    b2b = [sum(1 for a, b in itertools.pairwise(ds) if (b - a).days == 1) for ds in team_dates.values()]
    actual = {(r.game_id, r.player_id): r for r in played}
    errors: list[float] = []
    overs = 0
    closing = closing_lines(season)
    tips = {g.game_id: g.tip_utc for g in season.games}
    for key, line in closing.items():
        row = actual.get(key)
        if row is None:
            continue
        errors.append(row.pts - line.point)
        overs += row.pts > line.point
    truth_err = [abs(r.pts - r.expected_pts) for key, r in actual.items() if key in closing]
    return {
        "pts_mean": _mean(pts),
        "pts_sd": _sd(pts),
        "zero_pts_share": sum(1 for p in pts if p == 0) / len(pts),
        "pts30_share": sum(1 for p in pts if p >= 30) / len(pts),
        "minutes_mean": _mean([r.seconds / 60 for r in played]),
        "team_pts_mean": _mean(team_pts),
        "team_pts_sd": _sd(team_pts),
        "not_played_share": 1 - len(played) / len(season.box),
        "inactive_share": sum(1 for r in season.box if r.status == "inactive") / len(season.box),
        "home_win_share": sum(1 for g in season.games if g.home_score > g.away_score) / len(season.games),
        "overtime_share": sum(1 for g in season.games if g.periods > 4) / len(season.games),
        "b2b_mean": _mean([float(x) for x in b2b]),
        "b2b_min": float(min(b2b)),
        "b2b_max": float(max(b2b)),
        "players": float(len(season.players)),
        "prop_lines": float(sum(1 for ln in season.prop_lines if ln.snapshot_utc < tips[ln.game_id])),
        "line_mae": _mean([abs(e) for e in errors]),
        "line_bias": _mean(errors),
        "line_over_share": overs / len(errors) if errors else float("nan"),
        "truth_mae": _mean(truth_err),
        "truth_bias": _mean([r.pts - r.expected_pts for r in played]),
    }
