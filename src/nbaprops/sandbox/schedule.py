"""The regular-season calendar: who plays whom, on which date, at what time.

Matchups follow the NBA's shape: every pair meets twice (home and away), division rivals twice more,
six conference opponents twice more and four once more, so each team plays 82 games, 41 at home.
Dates are filled one day at a time, most-behind teams first, under the league's hard rules (no team
twice in a day, never three games in three days, at most 16 back-to-backs) and its habits (busier
weekends, dark Thanksgiving and Christmas Eve, a six-day All-Star break).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from nbaprops.dates import et_datetime
from nbaprops.errors import ConfigError
from nbaprops.identity import TEAMS

if TYPE_CHECKING:
    import numpy as np

MAX_BACK_TO_BACKS = 16
B2B_PENALTY = 0.05
GAMMA_K = 10.0
# Relative share of the day's slate by weekday (Mon..Sun); Thursdays and Sundays are lighter.
_WEEKDAY_WEIGHT = (1.0, 0.95, 1.15, 0.75, 1.2, 1.05, 0.9)
_PACIFIC = {"GSW", "LAC", "LAL", "PHX", "POR", "SAC"}
_MOUNTAIN = {"DEN", "UTA"}


@dataclass(frozen=True, slots=True)
class Slot:
    """One scheduled game before ids are given: its date, tip time and teams."""

    game_date: date
    tip_utc: datetime
    home: str
    away: str


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def season_calendar(start_year: int) -> tuple[date, date, set[date]]:
    """Opening night (the Tuesday of Oct 20-26), the last day (a Sunday of Apr 9-15) and dark days."""
    opening = next(date(start_year, 10, d) for d in range(20, 27) if date(start_year, 10, d).weekday() == 1)
    closing = next(
        date(start_year + 1, 4, d) for d in range(9, 16) if date(start_year + 1, 4, d).weekday() == 6
    )
    thanksgiving = _nth_weekday(start_year, 11, 3, 4)
    presidents_day = _nth_weekday(start_year + 1, 2, 0, 3)
    dark = {thanksgiving, date(start_year, 12, 24)}
    dark |= {presidents_day + timedelta(days=k) for k in range(-4, 2)}  # Thursday to Tuesday
    return opening, closing, dark


def _matchups(rng: np.random.Generator) -> list[tuple[str, str]]:
    """(home, away) pairs: 82 games per team, 41 at home."""
    games: list[tuple[str, str]] = []
    for i, a in enumerate(TEAMS):
        for b in TEAMS[i + 1 :]:
            games += [(a.tricode, b.tricode), (b.tricode, a.tricode)]
            if a.conference != b.conference:
                continue
            if a.division == b.division:
                games += [(a.tricode, b.tricode), (b.tricode, a.tricode)]
    for conference in ("East", "West"):
        divisions = sorted({t.division for t in TEAMS if t.conference == conference})
        members = {d: [t.tricode for t in TEAMS if t.division == d] for d in divisions}
        for x in range(3):
            for y in range(x + 1, 3):
                left = [members[divisions[x]][int(k)] for k in rng.permutation(5)]
                right = [members[divisions[y]][int(k)] for k in rng.permutation(5)]
                # Each team meets two opponents of the other division four times and three once more:
                # the pairs (i, i) and (i, i+1) form one 10-cycle; walking it orients one home, one away.
                cycle = [(left[i], right[i], right[(i + 1) % 5]) for i in range(5)]
                for host, guest, other in cycle:
                    games.append((host, guest))  # a hosts its "i" partner an extra time
                    games.append((other, host))  # and visits its "i+1" partner
                # The remaining three opponents from the other division get two extra games each.
                for i in range(5):
                    for j in range(5):
                        if j not in (i, (i + 1) % 5):
                            games += [(left[i], right[j]), (right[j], left[i])]
    return games


def _fill_dates(
    rng: np.random.Generator, games: list[tuple[str, str]], days: list[date]
) -> list[tuple[date, str, str]]:
    remaining = list(games)
    per_team_left = dict.fromkeys((t.tricode for t in TEAMS), 82)
    last_played: dict[str, list[date]] = {t.tricode: [] for t in TEAMS}
    b2b = dict.fromkeys(per_team_left, 0)
    out: list[tuple[date, str, str]] = []
    # Day-to-day noise gives the real spread of slates, from two games to fourteen.
    weights = [_WEEKDAY_WEIGHT[d.weekday()] * float(rng.gamma(GAMMA_K, 1 / GAMMA_K)) for d in days]
    for idx, day in enumerate(days):
        days_left = len(days) - idx
        games_left = len(remaining)
        capacity = games_left * weights[idx] / sum(weights[idx:])
        target = min(15, max(1, int(capacity + rng.random())))
        if days_left == 1:
            target = 15
        urgency = {t: per_team_left[t] / days_left for t in per_team_left}
        scored: list[tuple[float, int]] = []
        for k, (home, away) in enumerate(remaining):
            score = urgency[home] + urgency[away] + 0.05 * rng.random()
            for team in (home, away):
                played = last_played[team]
                if played and played[-1] == day - timedelta(days=1):
                    if (len(played) > 1 and played[-2] == day - timedelta(days=2)) or b2b[
                        team
                    ] >= MAX_BACK_TO_BACKS:
                        score = -1e9
                    else:
                        # Back-to-backs are allowed at the league's pace (~14 a season) and priced beyond it.
                        score -= B2B_PENALTY + 0.4 * max(0.0, b2b[team] + 1 - 14 * (idx + 1) / len(days))
            if score > -1e8:
                scored.append((score, k))
        scored.sort(reverse=True)
        busy: set[str] = set()
        chosen: list[int] = []
        for _, k in scored:
            home, away = remaining[k]
            if home in busy or away in busy:
                continue
            busy |= {home, away}
            chosen.append(k)
            if len(chosen) >= target:
                break
        for k in sorted(chosen, reverse=True):
            home, away = remaining.pop(k)
            out.append((day, home, away))
            for team in (home, away):
                played = last_played[team]
                if played and played[-1] == day - timedelta(days=1):
                    b2b[team] += 1
                played.append(day)
                per_team_left[team] -= 1
    if remaining:
        raise ValueError(f"{len(remaining)} games left unscheduled")
    return out


def _tip_times(
    rng: np.random.Generator, day: date, pairs: list[tuple[str, str]], holiday: bool
) -> list[datetime]:
    """ET tips: western home teams late, weekends and holidays with some afternoon games."""
    weekend = day.weekday() >= 5 or holiday
    tips: list[datetime] = []
    afternoon_left = (2 if day.month == 12 and day.day == 25 else int(rng.integers(0, 3))) if weekend else 0
    for home, _ in pairs:
        if afternoon_left and home not in _PACIFIC and rng.random() < 0.6:
            afternoon_left -= 1
            hour, minute = [(12, 0), (13, 0), (15, 30), (15, 0)][int(rng.integers(4))]
        elif home in _PACIFIC:
            hour, minute = [(22, 0), (22, 30), (22, 0)][int(rng.integers(3))]
        elif home in _MOUNTAIN:
            hour, minute = [(21, 0), (21, 0), (21, 30)][int(rng.integers(3))]
        else:
            hour, minute = [(19, 0), (19, 30), (19, 0), (20, 0), (19, 30), (20, 30)][int(rng.integers(6))]
        tips.append(et_datetime(day, hour, minute))
    return tips


def make_schedule(rng: np.random.Generator, start_year: int) -> list[Slot]:
    """All 1,230 games of the season, ordered by tip time (then home tricode)."""
    opening, closing, dark = season_calendar(start_year)
    days = [opening + timedelta(days=k) for k in range((closing - opening).days + 1)]
    days = [d for d in days if d not in dark]
    holidays = {date(start_year, 12, 25), _nth_weekday(start_year + 1, 1, 0, 3)}
    for attempt in range(20):
        try:
            dated = _fill_dates(rng, _matchups(rng), days)
            break
        except ValueError:
            if attempt == 19:
                raise ConfigError("could not build a schedule that meets the league's rules") from None
    by_day: dict[date, list[tuple[str, str]]] = {}
    for day, home, away in dated:
        by_day.setdefault(day, []).append((home, away))
    slots: list[Slot] = []
    for day, pairs in by_day.items():
        for (home, away), tip in zip(pairs, _tip_times(rng, day, pairs, day in holidays), strict=True):
            slots.append(Slot(day, tip, home, away))
    slots.sort(key=lambda s: (s.tip_utc, s.home))
    return slots
