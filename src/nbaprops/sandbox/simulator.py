"""The deterministic league simulator: one seed and a season label in, one ``Season`` out.

The recipe: draw rosters of synthetic players with latent skills, build the calendar, plan every
absence, then play each game. A team's shot attempts per zone are fixed by the game's pace and its
style; they are shared among the players who play in proportion to minutes and shot rates (with a
game-to-game hot/cold factor), and made at the player's rate adjusted for the opponent's zone
defence, home court and rest. The expectation of each player's points under the same model, before
the randomness, is kept as ``expected_pts``; the books see a noisier version of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from nbaprops.dates import season_start_of
from nbaprops.identity import TEAMS
from nbaprops.sandbox.books import TeamView, rotation_weights
from nbaprops.sandbox.injuries import Listing, plan_team
from nbaprops.sandbox.model import PlayerGame, PlayStatus, Season, SimGame, SimPlayer
from nbaprops.sandbox.roster import TeamTraits, make_roster
from nbaprops.sandbox.schedule import make_schedule

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# League shot volume per 100 possessions by zone (paint, mid-range, three) and free throws.
_ZONE_BASE = (36.0, 15.0, 37.0)
_FTA_BASE = 22.0
_ZONE_VALUE = (2, 2, 3)
HOME_EDGE = 0.014  # shooting multiplier either way: about +3 points of home margin
B2B_COST = 0.015  # second night of a back-to-back: about -1.7 team points


def _team_view(
    roster: list[SimPlayer],
    traits: TeamTraits,
    opp: TeamTraits,
    poss: float,
    *,
    is_home: bool,
    second_night: bool,
) -> TeamView:
    """Everything needed to compute this team's expectations for any set of available players."""
    import numpy as np

    mult = (
        traits.offence
        * (1 + (HOME_EDGE if is_home else -HOME_EDGE))
        * (1 - (B2B_COST if second_night else 0))
    )
    rates = np.array([[p.paint_rate, p.mid_rate, p.three_rate, p.fta_rate] for p in roster])
    pcts = np.array([[p.paint_pct, p.mid_pct, p.three_pct, p.ft_pct] for p in roster])
    pcts[:, :3] *= mult * np.array(opp.defence)
    minutes = np.array([p.minutes_mean for p in roster])
    if second_night:
        minutes = np.where(minutes >= 28, minutes * 0.95, minutes)
    attempts = np.array(
        [*(b * s * poss / 100 for b, s in zip(_ZONE_BASE, traits.style, strict=True)), _FTA_BASE * poss / 100]
    )
    return TeamView(rates=rates, pcts=np.clip(pcts, 0.05, 0.97), minutes=minutes, attempts=attempts)


def _seconds(minutes: NDArray[np.float64], total: int) -> NDArray[np.int64]:
    import numpy as np

    raw = minutes / minutes.sum() * total
    secs = np.floor(raw).astype(np.int64)
    order = np.argsort(secs - raw)
    secs[order[: total - int(secs.sum())]] += 1
    return np.asarray(secs, dtype=np.int64)


def _box_stats(
    rng: np.random.Generator,
    view: TeamView,
    play: NDArray[np.bool_],
    minutes: NDArray[np.float64],
    attempts: NDArray[np.int64],
    *,
    hot: float,
) -> NDArray[np.int64]:
    """Attempts and makes per zone for the players who play: columns att0, made0, … att3, made3."""
    import numpy as np

    idx = np.flatnonzero(play)
    out = np.zeros((len(minutes), 8), dtype=np.int64)
    form = rng.gamma(hot, 1 / hot, size=len(idx))
    for zone in range(4):
        weights = view.rates[idx, zone] * minutes[idx] * form
        if weights.sum() <= 0:
            continue
        att = rng.multinomial(int(attempts[zone]), weights / weights.sum())
        out[idx, 2 * zone] = att
        out[idx, 2 * zone + 1] = rng.binomial(att, view.pcts[idx, zone])
    return out


def _points(stats: NDArray[np.int64]) -> NDArray[np.int64]:
    return 2 * stats[:, 1] + 2 * stats[:, 3] + 3 * stats[:, 5] + stats[:, 7]


def _other_stats(
    rng: np.random.Generator, roster: list[SimPlayer], minutes: NDArray[np.float64], play: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """oreb, dreb, ast, stl, blk, tov, pf for each player (zeros for those who sit)."""
    import numpy as np

    per36 = np.array(
        [
            [
                p.reb_rate * 0.25,
                p.reb_rate * 0.75,
                p.ast_rate,
                1.0 if p.position[0] == "G" else 0.8,
                1.5 if p.position[0] == "C" else 0.45,
                1.2 + 0.09 * (p.paint_rate + p.mid_rate + p.three_rate),
                2.9,
            ]
            for p in roster
        ]
    )
    lam = per36 * (np.where(play, minutes, 0.0) / 36)[:, None]
    stats = rng.poisson(lam).astype(np.int64)
    stats[:, 6] = np.minimum(stats[:, 6], 6)
    return stats


def _plus_minus(rng: np.random.Generator, seconds: NDArray[np.int64], margin: int) -> NDArray[np.int64]:
    """Per-player plus-minus summing to exactly five times the team's margin."""
    import numpy as np

    share = seconds / seconds.sum()
    noise = rng.normal(0, 5.0, size=len(seconds)) * np.sqrt(share * 5)
    noise -= share * noise.sum()
    raw = np.where(seconds > 0, 5 * margin * share + noise, 0.0)
    pm = np.round(raw).astype(np.int64)
    pm[int(np.argmax(seconds))] += 5 * margin - int(pm.sum())
    return pm


@dataclass
class _Side:
    team: str
    roster: list[SimPlayer]
    listings: list[Listing | None]
    view: TeamView
    play: NDArray[np.bool_]
    expected: NDArray[np.float64]
    exp_minutes: NDArray[np.float64]
    stats: NDArray[np.int64]  # shooting columns (8)
    seconds: NDArray[np.int64]


def _rotation(
    rng: np.random.Generator, roster: list[SimPlayer], listings: list[Listing | None]
) -> NDArray[np.bool_]:
    """Who plays: every available player in the top eight by minutes; deeper bench only sometimes."""
    import numpy as np

    avail = np.array([1.0 if lst is None or lst.plays else 0.0 for lst in listings])
    chance = rotation_weights(np.array([p.minutes_mean for p in roster]), avail)
    return rng.random(len(roster)) < chance


def _overtime(rng: np.random.Generator, side: _Side, poss: float) -> tuple[int, NDArray[np.int64]]:
    """One five-minute overtime: its points, and the added seconds per player."""
    import numpy as np

    order = np.argsort(-np.where(side.play, side.exp_minutes, -1.0), kind="stable")
    extra = np.zeros(len(side.roster), dtype=np.int64)
    for i, secs in zip(order[:6], (300, 300, 300, 300, 180, 120), strict=False):
        if side.play[i]:
            extra[i] = secs
    attempts = rng.poisson(side.view.attempts * poss / 100 * 5 / 48 * 100 / poss)
    stats = _box_stats(rng, side.view, extra > 0, extra.astype(np.float64), attempts, hot=6.0)
    side.stats += stats
    side.seconds += extra
    return int(_points(stats).sum()), extra


def _play_side(rng: np.random.Generator, side: _Side, poss_ratio: float, hot: float) -> None:
    import numpy as np

    noise = np.where(side.exp_minutes >= 15, 0.12, 0.35)
    minutes = np.where(side.play, side.exp_minutes * rng.lognormal(0.0, noise), 0.0)
    minutes = np.minimum(minutes / minutes.sum() * 240, 46.0)
    side.seconds = _seconds(minutes, 14400)
    attempts = np.rint(side.view.attempts * poss_ratio * rng.normal(1, [0.03, 0.05, 0.03, 0.08])).astype(
        np.int64
    )
    side.stats = _box_stats(rng, side.view, side.play, minutes, np.maximum(attempts, 0), hot=hot)


HOT = 30.0  # shape of the game-to-game usage factor; smaller means streakier scorers


def generate_season(seed: int = 2025, label: str = "2025-26") -> Season:
    """Simulate a whole regular season, deterministically from ``seed`` and ``label``."""
    import numpy as np

    from nbaprops.sandbox.books import GameMarket, in_play_lines, make_lines
    from nbaprops.sandbox.injuries import make_reports, report_times

    start_year = season_start_of(label)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, start_year]).spawn(6)]
    r_roster, r_sched, r_inj, r_game, r_book, r_ids = streams
    players, traits = make_roster(r_roster, start_year)
    slots = make_schedule(r_sched, start_year)
    rosters: dict[str, list[SimPlayer]] = {}
    for p in players:
        rosters.setdefault(p.team, []).append(p)

    team_games: dict[str, list[int]] = {t.tricode: [] for t in TEAMS}
    for gi, slot in enumerate(slots):
        team_games[slot.home].append(gi)
        team_games[slot.away].append(gi)
    second_night: dict[tuple[int, str], bool] = {}
    listings: dict[tuple[int, str], list[Listing | None]] = {}
    for team, idxs in team_games.items():
        flags = [
            k > 0 and slots[g].game_date - slots[idxs[k - 1]].game_date == timedelta(days=1)
            for k, g in enumerate(idxs)
        ]
        roster = rosters[team]
        two_way = [rank >= 13 for rank in range(len(roster))]
        plan = plan_team(r_inj, [p.minutes_mean for p in roster], two_way, flags)
        for k, g in enumerate(idxs):
            second_night[(g, team)] = flags[k]
            listings[(g, team)] = plan[k]

    prefix = f"002{start_year % 100:02d}"
    games: list[SimGame] = []
    box: list[PlayerGame] = []
    markets: list[GameMarket] = []
    day_games: dict[
        date,
        list[
            tuple[
                str,
                datetime,
                tuple[str, str],
                tuple[list[int], list[int]],
                tuple[list[Listing | None], list[Listing | None]],
            ]
        ],
    ] = {}
    first_tip: dict[date, datetime] = {}
    for slot in slots:
        first_tip.setdefault(slot.game_date, slot.tip_utc)
    event_ids = [r_ids.bytes(16).hex() for _ in slots]
    for gi, slot in enumerate(slots):
        game_id = f"{prefix}{gi + 1:05d}"
        pace = (traits[slot.home].pace + traits[slot.away].pace) / 2
        sides: list[_Side] = []
        for team, opp, is_home in ((slot.home, slot.away, True), (slot.away, slot.home, False)):
            roster = rosters[team]
            lst = listings[(gi, team)]
            view = _team_view(
                roster,
                traits[team],
                traits[opp],
                pace,
                is_home=is_home,
                second_night=second_night[(gi, team)],
            )
            play = _rotation(r_game, roster, lst)
            expected, exp_minutes = view.expected(play.astype(np.float64))
            sides.append(
                _Side(
                    team,
                    roster,
                    lst,
                    view,
                    play,
                    expected,
                    exp_minutes,
                    np.zeros((len(roster), 8), np.int64),
                    np.zeros(len(roster), np.int64),
                )
            )
        poss_ratio = float(r_game.normal(1.0, 0.02))
        for side in sides:
            _play_side(r_game, side, poss_ratio, HOT)
        score = [int(_points(s.stats).sum()) for s in sides]
        gap = score[0] - score[1]
        if 0 < abs(gap) <= 2 and r_game.random() < 0.4:
            # A late equaliser: the trailing side's go-to player makes the free throws that force OT.
            trailing = sides[1 if gap > 0 else 0]
            star = int(np.argmax(np.where(trailing.play, trailing.expected, -1.0)))
            trailing.stats[star, 6] += abs(gap)
            trailing.stats[star, 7] += abs(gap)
            score = [int(_points(s.stats).sum()) for s in sides]
        regulation = list(score)
        periods = [list(r_game.multinomial(total, r_game.dirichlet([80.0] * 4))) for total in regulation]
        while score[0] == score[1]:
            for k, side in enumerate(sides):
                pts, _ = _overtime(r_game, side, pace)
                periods[k].append(pts)
                score[k] += pts
        margin = score[0] - score[1]
        for k, side in enumerate(sides):
            other = _other_stats(r_game, side.roster, side.seconds / 60, side.play)
            pm = _plus_minus(r_game, side.seconds, margin if k == 0 else -margin)
            starters = set(
                np.argsort(-np.where(side.play, side.exp_minutes, -1.0), kind="stable")[:5].tolist()
            )
            opp = sides[1 - k].team
            for i, p in enumerate(side.roster):
                listing = side.listings[i]
                played = bool(side.play[i])
                status: PlayStatus = (
                    "played"
                    if played
                    else ("inactive" if listing is not None and not listing.plays else "dnp_coach")
                )
                reason = (
                    None
                    if played
                    else (listing.reason if status == "inactive" and listing else "DNP - Coach's Decision")
                )
                st = side.stats[i]
                o = other[i]
                box.append(
                    PlayerGame(
                        game_id,
                        p.player_id,
                        side.team,
                        opp,
                        k == 0,
                        status,
                        reason,
                        played and i in starters,
                        int(side.seconds[i]),
                        int(st[0 * 2 + 1]),
                        int(st[0]),
                        int(st[3]),
                        int(st[2]),
                        int(st[5]),
                        int(st[4]),
                        int(st[7]),
                        int(st[6]),
                        int(o[0]),
                        int(o[1]),
                        int(o[2]),
                        int(o[3]),
                        int(o[4]),
                        int(o[5]),
                        int(o[6]),
                        int(pm[i]) if played else 0,
                        round(float(side.expected[i]), 3) if played else 0.0,
                    )
                )
        games.append(
            SimGame(
                game_id=game_id,
                bdl_id=15_900_000 + gi * 3 + int(r_ids.integers(3)),
                espn_id=401_810_000 + gi + 1,
                odds_event_id=event_ids[gi],
                game_date=slot.game_date,
                tip_utc=slot.tip_utc,
                home=slot.home,
                away=slot.away,
                home_periods=tuple(int(x) for x in periods[0]),
                away_periods=tuple(int(x) for x in periods[1]),
                attendance=int(r_ids.integers(15_500, 21_000)),
            )
        )
        ids = ([p.player_id for p in sides[0].roster], [p.player_id for p in sides[1].roster])
        lists = (sides[0].listings, sides[1].listings)
        pre_tip = [t for t in report_times(slot.game_date, first_tip[slot.game_date]) if t < slot.tip_utc]
        markets.append(
            GameMarket(
                game_id,
                slot.game_date,
                slot.tip_utc,
                pre_tip,
                (tuple(ids[0]), tuple(ids[1])),
                (sides[0].view, sides[1].view),
                lists,
            )
        )
        day_games.setdefault(slot.game_date, []).append(
            (game_id, slot.tip_utc, (slot.home, slot.away), ids, lists)
        )

    reports = [r for day, items in day_games.items() for r in make_reports(r_inj, day, items)]
    reports.sort(key=lambda r: r.published_utc)
    props, game_lines, snaps = make_lines(r_book, markets)
    live_props, live_lines, live_snaps = in_play_lines(games, box, props, game_lines)
    props += live_props
    game_lines += live_lines
    snaps = {game_id: times + live_snaps[game_id] for game_id, times in snaps.items()}
    return Season(
        label=label,
        seed=seed,
        players=tuple(players),
        games=tuple(games),
        box=tuple(box),
        injury_reports=tuple(reports),
        prop_lines=tuple(props),
        game_lines=tuple(game_lines),
        snapshot_times=snaps,
    )
