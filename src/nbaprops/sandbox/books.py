"""Sportsbooks: player-points lines, spreads and totals at several snapshots before each tip, and in-play.

A book prices a player from the same model the simulator plays the game with, but it knows less: it
sees only the injury report published before its snapshot (not the late scratch), it carries a
market-wide error about each player plus its own, a small per-book bias, and noise that shrinks as
tip-off nears. Lines are that estimate rounded to the nearest x.5; the price leans toward the side
the rounding favours, with about 4.5% of vig.

Books keep trading after tip. ``in_play_lines`` posts two in-play snapshots per game whose lines lean
toward what the game is producing; nothing that predicts before tip may read them, which is what
makes them useful: a leakage check that lets one through sees a line that already knows the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from nbaprops.dates import et_datetime
from nbaprops.sandbox.model import GAME_LENGTH, GameLine, PlayerGame, PropLine, SimGame

if TYPE_CHECKING:
    from datetime import date

    import numpy as np
    from numpy.typing import NDArray

    from nbaprops.sandbox.injuries import Listing

BOOKS = ("draftkings", "fanduel", "betmgm")
PRIMARY_BOOK = "draftkings"
MIN_POSTED_MINUTES = 15.0
_REGULATION_MINUTES = 240.0
_VALUES = (2.0, 2.0, 3.0, 1.0)
_VIG = 0.045
# Averaging over who might come off the bench leaves the model's expectation ~1% low for rotation
# players; books calibrate against results, so they carry that back.
CALIBRATION = 0.012
MEDIAN_SHIFT = 0.3
# How likely the market thinks a listed player is to play, by his latest status.
_CHANCE: dict[str | None, float] = {"Out": 0.0, "Doubtful": 0.0, "Questionable": 0.55}
IN_PLAY_AFTER = (timedelta(minutes=45), timedelta(minutes=100))  # in-play snapshots, after tip


def rotation_weights(minutes: NDArray[np.float64], available: NDArray[np.float64]) -> NDArray[np.float64]:
    """Chance each player gets on the floor, given his chance of being available (0-1).

    The top eight available players by minutes always play; the deeper bench only sometimes.
    """
    import numpy as np

    order = np.argsort(-np.where(available > 0, minutes, -1.0), kind="stable")
    rank = np.empty(len(minutes), dtype=np.int64)
    rank[order] = np.arange(len(minutes))
    bench = np.clip(minutes / 11.0, 0.1, 0.9)
    return available * np.where(rank < 8, 1.0, bench)


@dataclass(frozen=True, slots=True)
class TeamView:
    """One team in one game: per-player shot rates, make rates, minutes, and the team's expected attempts."""

    rates: NDArray[np.float64]  # players x (paint, mid, three, fta) per 36
    pcts: NDArray[np.float64]  # players x make rate, adjusted for opponent, home and rest
    minutes: NDArray[np.float64]  # minutes a player gets when healthy and in the rotation
    attempts: NDArray[np.float64]  # team attempts by zone expected in this game

    def expected(self, playing: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Expected points and minutes of each player, given each one's chance of playing (0-1)."""
        import numpy as np

        mins = self.minutes * playing
        for _ in range(3):  # share 240 minutes, nobody past 42
            total = mins.sum()
            if total <= 0:
                break
            mins = np.minimum(mins * _REGULATION_MINUTES / total, 42.0)
        weights = self.rates * mins[:, None]
        sums = weights.sum(axis=0)
        share = np.divide(weights, sums, out=np.zeros_like(weights), where=sums > 0)
        pts = (share * self.attempts * self.pcts * np.array(_VALUES)).sum(axis=1)
        return pts, mins


@dataclass(frozen=True, slots=True)
class GameMarket:
    """What the books need about one game: when it tips, its reports, both teams' views and listings."""

    game_id: str
    game_date: date
    tip_utc: datetime
    report_times: Sequence[datetime]  # the game date's injury reports published before tip
    player_ids: tuple[tuple[int, ...], tuple[int, ...]]  # home, away
    views: tuple[TeamView, TeamView]
    listings: tuple[Sequence[Listing | None], Sequence[Listing | None]]


def snapshot_times(game_date: date, tip: datetime) -> tuple[datetime, ...]:
    """Odds snapshots: an opening line (10:00 ET, or the night before for early tips), midday, T-60, T-10."""
    opening = et_datetime(game_date, 10)
    if opening > tip - timedelta(hours=2):
        opening = et_datetime(game_date - timedelta(days=1), 21)
    times = [opening]
    midday = et_datetime(game_date, 14)
    if opening < midday < tip - timedelta(minutes=90):
        times.append(midday)
    times += [tip - timedelta(minutes=60), tip - timedelta(minutes=10)]
    return tuple(times)


def _stage_at(market: GameMarket, when: datetime) -> int:
    from nbaprops.sandbox.injuries import stage_of

    seen = [t for t in market.report_times if t <= when]
    return stage_of(max(len(seen) - 1, 0), len(market.report_times))


def american(prob: float) -> int:
    """An implied probability as an American price, rounded to 5 (-125, +105)."""
    raw = -100 * prob / (1 - prob) if prob >= 0.5 else 100 * (1 - prob) / prob
    return int(5 * round(raw / 5)) if abs(raw) >= 100 else (-100 if raw < 0 else 100)


def _price_pair(rng: np.random.Generator, lean: float) -> tuple[int, int]:
    p_over = min(max(0.5 + lean + float(rng.normal(0, 0.008)), 0.3), 0.7)
    return american(p_over + _VIG / 2), american(1 - p_over + _VIG / 2)


def make_lines(
    rng: np.random.Generator, markets: Sequence[GameMarket]
) -> tuple[list[PropLine], list[GameLine], dict[str, tuple[datetime, ...]]]:
    """Every book's prop lines and game lines at every snapshot of every game."""
    import numpy as np

    book_bias = {b: CALIBRATION + float(rng.normal(0, 0.008)) for b in BOOKS}
    market_err: dict[int, float] = {}
    book_err: dict[tuple[str, int], float] = {}
    props: list[PropLine] = []
    game_lines: list[GameLine] = []
    snaps: dict[str, tuple[datetime, ...]] = {}
    for market in markets:
        times = snapshot_times(market.game_date, market.tip_utc)
        snaps[market.game_id] = times
        walk = dict.fromkeys(BOOKS, 0.0)
        total_noise = float(rng.normal(0, 3.0))
        spread_noise = float(rng.normal(0, 2.0))
        for s_idx, when in enumerate(times):
            stage = _stage_at(market, when)
            team_pts: list[float] = []
            estimates: list[tuple[int, float]] = []
            for side in range(2):
                listings = market.listings[side]
                chance = np.array([_CHANCE.get(lst.stages[stage] if lst else None, 1.0) for lst in listings])
                view = market.views[side]
                pts, mins = view.expected(rotation_weights(view.minutes, chance))
                team_pts.append(float(pts.sum()))
                # A prop is settled only if the player plays, so it is priced as if he does.
                conditional = np.divide(pts, chance, out=np.zeros_like(pts), where=chance > 0)
                cond_mins = np.divide(mins, chance, out=np.zeros_like(mins), where=chance > 0)
                for pid, p, m in zip(market.player_ids[side], conditional, cond_mins, strict=True):
                    if m >= MIN_POSTED_MINUTES:
                        estimates.append((pid, float(p)))
            for book in BOOKS:
                step_sd = 1.0 if s_idx == 0 else 0.3
                walk[book] = walk[book] * 0.6 + float(rng.normal(0, step_sd))
                for pid, est in estimates:
                    if pid not in market_err:
                        market_err[pid] = float(rng.normal(0, 0.8))
                    key = (book, pid)
                    if key not in book_err:
                        book_err[key] = float(rng.normal(0, 0.35))
                    guess = est * (1 + book_bias[book]) + market_err[pid] + book_err[key]
                    guess += walk[book] * (0.15 + 0.05 * est**0.5) + float(rng.normal(0, 0.45))
                    # Points are right-skewed: a line at the median, below the mean, splits the action.
                    guess = max(guess - MEDIAN_SHIFT, 1.0)
                    point = float(np.floor(guess)) + 0.5
                    over, under = _price_pair(rng, 0.065 * (guess - point))
                    props.append(PropLine(market.game_id, pid, book, when, point, over, under))
                margin = team_pts[0] - team_pts[1] + spread_noise + float(rng.normal(0, 0.5))
                total = sum(team_pts) + total_noise + float(rng.normal(0, 0.7))
                spread_prices = [(-110, -110), (-105, -115), (-115, -105), (-110, -110)][int(rng.integers(4))]
                total_prices = [(-110, -110), (-105, -115), (-115, -105), (-110, -110)][int(rng.integers(4))]
                game_lines.append(
                    GameLine(
                        market.game_id,
                        book,
                        when,
                        -round(margin * 2) / 2,
                        spread_prices[0],
                        spread_prices[1],
                        round(total * 2) / 2,
                        total_prices[0],
                        total_prices[1],
                    )
                )
    return props, game_lines, snaps


def _half_point(value: float) -> float:
    import math

    return float(math.floor(value)) + 0.5


def _round_half(value: float) -> float:
    return round(value * 2) / 2


def in_play_lines(
    games: Sequence[SimGame], box: Sequence[PlayerGame], props: Sequence[PropLine], lines: Sequence[GameLine]
) -> tuple[list[PropLine], list[GameLine], dict[str, tuple[datetime, ...]]]:
    """Every book's in-play lines at ``IN_PLAY_AFTER`` past each tip (no random draws: the season stays).

    At a share ``f`` of the game played, a line moves from the book's last pre-tip line toward the
    final result, ``f * final + (1 - f) * pre-tip``; players who do not play get no in-play line.
    """
    points = {(r.game_id, r.player_id): float(r.pts) for r in box if r.status == "played"}
    last_prop: dict[tuple[str, int, str], PropLine] = {}
    for prop in props:
        key = (prop.game_id, prop.player_id, prop.book)
        if key not in last_prop or prop.snapshot_utc > last_prop[key].snapshot_utc:
            last_prop[key] = prop
    last_line: dict[tuple[str, str], GameLine] = {}
    for line in lines:
        gkey = (line.game_id, line.book)
        if gkey not in last_line or line.snapshot_utc > last_line[gkey].snapshot_utc:
            last_line[gkey] = line
    by_game = {g.game_id: g for g in games}
    live_props: list[PropLine] = []
    live_lines: list[GameLine] = []
    times: dict[str, tuple[datetime, ...]] = {
        g.game_id: tuple(g.tip_utc + d for d in IN_PLAY_AFTER) for g in games
    }
    for after in IN_PLAY_AFTER:
        share = after / GAME_LENGTH
        for (game_id, player_id, book), pre in last_prop.items():
            final = points.get((game_id, player_id))
            if final is None:
                continue
            point = _half_point(share * final + (1 - share) * pre.point)
            when = by_game[game_id].tip_utc + after
            live_props.append(
                PropLine(game_id, player_id, book, when, point, pre.over_price, pre.under_price)
            )
        for (game_id, _), pre_line in last_line.items():
            game = by_game[game_id]
            margin = share * (game.home_score - game.away_score) - (1 - share) * pre_line.home_spread
            total = share * (game.home_score + game.away_score) + (1 - share) * pre_line.total
            live_lines.append(
                GameLine(
                    game_id,
                    pre_line.book,
                    game.tip_utc + after,
                    -_round_half(margin),
                    pre_line.home_spread_price,
                    pre_line.away_spread_price,
                    _round_half(total),
                    pre_line.over_price,
                    pre_line.under_price,
                )
            )
    return live_props, live_lines, times
