"""Sportsbooks: player-points lines, spreads and totals at several snapshots before each tip.

A book prices a player from the same model the simulator plays the game with, but it knows less: it
sees only the injury report published before its snapshot (not the late scratch), it carries a
market-wide error about each player plus its own, a small per-book bias, and noise that shrinks as
tip-off nears. Lines are that estimate rounded to the nearest x.5; the price leans toward the side
the rounding favours, with about 4.5% of vig.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from nbaprops.dates import et_datetime
from nbaprops.sandbox.model import GameLine, PropLine

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
