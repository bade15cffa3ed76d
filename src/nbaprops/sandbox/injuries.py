"""Who is unavailable for which game, and how the official injury report says so over the day.

Each team's season is walked game by game. Absences come from multi-game injuries, day-to-day
knocks (listed Questionable, Probable or Doubtful and decided late), rest on the second night of a
back-to-back, G League two-way and assignment stints, suspensions and personal leave. Every listed
player has a status per report *stage* (morning, midday, evening, final pre-tip); a late scratch is a
player still listed Questionable or Probable at the final stage who then does not play.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from nbaprops.dates import et_datetime
from nbaprops.sandbox.model import InjuryEntry, InjuryReport, InjuryStatus

if TYPE_CHECKING:
    import numpy as np

STAGES = 4
_BODY = (
    "Left Ankle; Sprain",
    "Right Ankle; Sprain",
    "Left Knee; Soreness",
    "Right Knee; Tendinitis",
    "Left Hamstring; Strain",
    "Right Hamstring; Strain",
    "Lower Back; Spasms",
    "Right Hand; Fracture",
    "Left Foot; Plantar Fasciitis",
    "Right Calf; Strain",
    "Left Groin; Strain",
    "Right Shoulder; Sprain",
    "Concussion Protocol",
    "Left Wrist; Sprain",
    "Right Hip; Contusion",
)
_KNOCKS = (
    "Illness",
    "Left Ankle; Sprain",
    "Right Knee; Soreness",
    "Lower Back; Soreness",
    "Left Thumb; Sprain",
    "Right Foot; Soreness",
    "Left Quad; Contusion",
)
TWO_WAY = "G League - Two-Way"
_OUT: tuple[InjuryStatus | None, ...] = ("Out", "Out", "Out", "Out")
ASSIGNMENT = "G League - On Assignment"


@dataclass(frozen=True, slots=True)
class Listing:
    """One player's availability for one game: does he play, why not, and his status per stage."""

    plays: bool
    reason: str
    stages: tuple[InjuryStatus | None, ...]  # None: not on that report

    @property
    def late_scratch(self) -> bool:
        """Listed as likely to play at the final stage, yet inactive."""
        return not self.plays and self.stages[-1] in ("Questionable", "Probable")


def _injury(rng: np.random.Generator, parts: tuple[str, ...]) -> str:
    return f"Injury/Illness - {parts[int(rng.integers(len(parts)))]}"


def _knock(rng: np.random.Generator) -> Listing:
    reason = _injury(rng, _KNOCKS)
    first: InjuryStatus
    plays_p: float
    choices: list[tuple[InjuryStatus, float]] = [
        ("Questionable", 0.55),
        ("Probable", 0.95),
        ("Doubtful", 0.12),
    ]
    first, plays_p = choices[int(rng.choice(3, p=[0.62, 0.28, 0.10]))]
    plays = bool(rng.random() < plays_p)
    stages: list[InjuryStatus | None] = [first] * STAGES
    if plays:
        if first != "Probable" and rng.random() < 0.5:
            upgrade: InjuryStatus = "Available" if rng.random() < 0.4 else "Probable"
            for k in range(int(rng.integers(1, STAGES)), STAGES):
                stages[k] = upgrade
    elif first == "Doubtful" or rng.random() > 0.3:
        for k in range(int(rng.integers(1, STAGES)), STAGES):
            stages[k] = "Out"
    # else: a late scratch, still Questionable/Probable on the final report
    return Listing(plays, reason, tuple(stages))


def plan_team(
    rng: np.random.Generator,
    minutes_means: list[float],
    two_way: list[bool],
    second_nights: list[bool],
) -> list[list[Listing | None]]:
    """Listings for one team: ``[game][player]``, ``None`` when a player is healthy and unlisted."""
    players = len(minutes_means)
    games = len(second_nights)
    out: list[list[Listing | None]] = [[None] * players for _ in range(games)]
    for p in range(players):
        g = 0
        on_assignment = bool(two_way[p] and rng.random() < 0.5)
        while g < games:
            if two_way[p]:
                # Two-way players shuttle between the G League and the parent club in runs of games.
                if rng.random() < 0.18:
                    on_assignment = not on_assignment
                if on_assignment:
                    out[g][p] = Listing(False, TWO_WAY, _OUT)
                    g += 1
                    continue
            u = rng.random()
            if u < 0.011:  # a multi-game injury
                length = int(
                    rng.choice([2, 3, 4, 6, 8, 12, 18, 25], p=[0.2, 0.17, 0.15, 0.14, 0.12, 0.1, 0.07, 0.05])
                )
                reason = _injury(rng, _BODY)
                for k in range(g, min(games, g + length)):
                    out[k][p] = Listing(False, reason, _OUT)
                g += length
                if g < games and out[g][p] is None:
                    # First game back: questionable in the morning, cleared later.
                    status: InjuryStatus = "Available" if rng.random() < 0.5 else "Probable"
                    out[g][p] = Listing(True, reason, ("Questionable", "Questionable", status, status))
                    g += 1
                continue
            if u < 0.011 + 0.035:
                out[g][p] = _knock(rng)
            elif u < 0.046 + 0.002:
                length = int(rng.integers(1, 4))
                for k in range(g, min(games, g + length)):
                    out[k][p] = Listing(False, "Personal Reasons", _OUT)
                g += length
                continue
            elif u < 0.048 + 0.0008:
                out[g][p] = Listing(False, "League Suspension", _OUT)
            elif u < 0.0488 + 0.0008:
                length = int(rng.integers(1, 6))
                for k in range(g, min(games, g + length)):
                    out[k][p] = Listing(False, "Not With Team", _OUT)
                g += length
                continue
            elif minutes_means[p] < 8 and not two_way[p] and u < 0.0496 + 0.02:
                length = int(rng.integers(2, 6))
                for k in range(g, min(games, g + length)):
                    out[k][p] = Listing(False, ASSIGNMENT, _OUT)
                g += length
                continue
            elif second_nights[g] and minutes_means[p] >= 30 and rng.random() < 0.12:
                out[g][p] = Listing(False, "Rest", (None, "Out", "Out", "Out"))
            g += 1
    return out


def report_times(day: date, first_tip: datetime) -> list[datetime]:
    """The day's reports: 10:30 AM, 1:30 PM, 5:30 PM ET and one half an hour before the first tip."""
    times = {et_datetime(day, 10, 30), et_datetime(day, 13, 30), et_datetime(day, 17, 30)}
    times.add(first_tip - timedelta(minutes=30))
    return sorted(times)


def stage_of(report_index: int, pre_tip_reports: int) -> int:
    """The listing stage a game's ``report_index``-th report shows; the last one before tip is final."""
    if report_index >= pre_tip_reports - 1:
        return STAGES - 1
    return min(report_index, STAGES - 2)


def make_reports(
    rng: np.random.Generator,
    day: date,
    games: Sequence[
        tuple[
            str,
            datetime,
            tuple[str, str],
            tuple[Sequence[int], Sequence[int]],
            tuple[Sequence[Listing | None], Sequence[Listing | None]],
        ]
    ],
) -> list[InjuryReport]:
    """The injury reports of one game date.

    ``games`` holds, per game: id, tip, (home, away), both teams' player ids and listings. A game's
    entries after its tip repeat its final stage. About one team in eight has not submitted by the
    morning report.
    """
    first_tip = min(g[1] for g in games)
    times = report_times(day, first_tip)
    late = {(g[0], team) for g in games for team in g[2] if rng.random() < 0.12}
    reports: list[InjuryReport] = []
    for idx, when in enumerate(times):
        entries: list[InjuryEntry] = []
        missing: list[tuple[str, str]] = []
        for game_id, tip, teams, ids, listings in games:
            pre_tip = sum(1 for t in times if t < tip)
            stage = stage_of(idx, pre_tip) if idx < pre_tip else STAGES - 1
            for side, team in enumerate(teams):
                if idx == 0 and pre_tip > 1 and (game_id, team) in late:
                    missing.append((game_id, team))
                    continue
                for pid, lst in zip(ids[side], listings[side], strict=True):
                    status = lst.stages[stage] if lst is not None else None
                    if lst is not None and status is not None:
                        entries.append(InjuryEntry(game_id, team, pid, status, lst.reason))
        reports.append(InjuryReport(when, (day,), tuple(entries), tuple(missing)))
    return reports
