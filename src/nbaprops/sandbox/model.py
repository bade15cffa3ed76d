"""The data model of a simulated season.

The simulator (``simulator.py``) produces one ``Season``; the renderers turn slices of it into
each real API's payloads, and the server decides which slices exist at its clock's time. Nothing
here knows about HTTP or payload formats. All times are aware UTC datetimes; ``game_date`` is the
US/Eastern date of tip-off.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Literal

from nbaprops.identity import ascii_fold

GAME_LENGTH = timedelta(hours=2, minutes=30)  # tip to final, the same rule every sandbox module uses
InjuryStatus = Literal["Out", "Doubtful", "Questionable", "Probable", "Available"]
PlayStatus = Literal["played", "dnp_coach", "inactive"]


@dataclass(frozen=True, slots=True)
class SimPlayer:
    """A synthetic player, his spellings in each source, and his latent skills."""

    player_id: int  # NBA.com PERSON_ID style (7 digits)
    bdl_id: int
    first_name: str  # NBA.com spelling: diacritics kept, suffix inside last_name ("Butler III")
    last_name: str
    bdl_first_name: str  # Ball Don't Lie spelling (usually ASCII-folded; may drop a suffix)
    bdl_last_name: str
    book_name: str  # how sportsbooks print him in player_points outcomes
    team: str  # NBA.com tricode; no trades in the sandbox
    position: str  # G, F, C, G-F, F-C, C-F, F-G
    jersey: str | None
    height: str  # "6-8"
    weight: int
    college: str | None
    country: str
    draft_year: int | None
    draft_round: int | None
    draft_number: int | None
    from_year: int
    # latent skills (per-36-minute rates unless noted)
    minutes_mean: float  # expected minutes when healthy and in the rotation
    usage: float  # share of team possessions used while on court
    paint_rate: float  # field-goal attempts at the rim/paint per 36
    mid_rate: float
    three_rate: float
    fta_rate: float  # free-throw attempts per 36
    paint_pct: float
    mid_pct: float
    three_pct: float
    ft_pct: float
    reb_rate: float
    ast_rate: float

    @property
    def display_name(self) -> str:
        """NBA.com's "First Last" ("Nikola Jokić", "Jimmy Butler III")."""
        return f"{self.first_name} {self.last_name}"

    @property
    def bdl_name(self) -> str:
        """Ball Don't Lie's "First Last"."""
        return f"{self.bdl_first_name} {self.bdl_last_name}"

    @property
    def injury_report_name(self) -> str:
        """The injury PDF's "Last, First", diacritics dropped ("Duke Jr., David")."""
        return ascii_fold(f"{self.last_name}, {self.first_name}")


@dataclass(frozen=True, slots=True)
class SimGame:
    """One scheduled regular-season game and its final line score."""

    game_id: str  # NBA.com 10-digit id, "00225" + 5-digit sequence
    bdl_id: int
    espn_id: int
    odds_event_id: str  # 32 lower-case hex characters
    game_date: date  # ET date of tip
    tip_utc: datetime
    home: str
    away: str
    home_periods: tuple[int, ...]  # points per period, 4 + one per overtime
    away_periods: tuple[int, ...]
    attendance: int = 18000

    @property
    def home_score(self) -> int:
        """Final home points."""
        return sum(self.home_periods)

    @property
    def away_score(self) -> int:
        """Final away points."""
        return sum(self.away_periods)

    @property
    def periods(self) -> int:
        """Periods played: 4, or more with overtime."""
        return len(self.home_periods)


@dataclass(frozen=True, slots=True)
class PlayerGame:
    """One roster player's line in one game; ``status`` says whether he played."""

    game_id: str
    player_id: int
    team: str
    opponent: str
    is_home: bool
    status: PlayStatus
    dnp_reason: str | None  # "DNP - Coach's Decision", "Injury/Illness - Left Ankle; Sprain", …
    starter: bool
    seconds: int
    paint_fgm: int
    paint_fga: int
    mid_fgm: int
    mid_fga: int
    fg3m: int
    fg3a: int
    ftm: int
    fta: int
    oreb: int
    dreb: int
    ast: int
    stl: int
    blk: int
    tov: int
    pf: int
    plus_minus: int
    expected_pts: float  # the simulator's true expectation before the game; evaluation only

    @property
    def fgm(self) -> int:
        """Field goals made (all zones)."""
        return self.paint_fgm + self.mid_fgm + self.fg3m

    @property
    def fga(self) -> int:
        """Field goals attempted (all zones)."""
        return self.paint_fga + self.mid_fga + self.fg3a

    @property
    def pts(self) -> int:
        """Points scored."""
        return 2 * (self.paint_fgm + self.mid_fgm) + 3 * self.fg3m + self.ftm

    @property
    def reb(self) -> int:
        """Total rebounds."""
        return self.oreb + self.dreb

    @property
    def minutes(self) -> int:
        """Whole minutes, rounded the way box scores print them."""
        return round(self.seconds / 60)


@dataclass(frozen=True, slots=True)
class InjuryEntry:
    """One player's line on one injury report."""

    game_id: str
    team: str
    player_id: int
    status: InjuryStatus
    reason: str  # "Injury/Illness - Left Ankle; Sprain", "G League - Two-Way", "Rest", …


@dataclass(frozen=True, slots=True)
class InjuryReport:
    """One official report: published at ``published_utc``, listing the games of ``game_dates``."""

    published_utc: datetime
    game_dates: tuple[date, ...]
    entries: tuple[InjuryEntry, ...]
    not_submitted: tuple[tuple[str, str], ...]  # (game_id, team) whose list is not in yet


@dataclass(frozen=True, slots=True)
class PropLine:
    """A book's player-points line at one snapshot (American prices)."""

    game_id: str
    player_id: int
    book: str  # draftkings, fanduel, betmgm, …
    snapshot_utc: datetime
    point: float  # always x.5
    over_price: int
    under_price: int


@dataclass(frozen=True, slots=True)
class GameLine:
    """A book's spread and total for a game at one snapshot (American prices)."""

    game_id: str
    book: str
    snapshot_utc: datetime
    home_spread: float  # negative when home is favoured
    home_spread_price: int
    away_spread_price: int
    total: float
    over_price: int
    under_price: int


BOOK_TITLES: dict[str, str] = {
    "draftkings": "DraftKings",
    "fanduel": "FanDuel",
    "betmgm": "BetMGM",
    "caesars": "Caesars",
    "betrivers": "BetRivers",
}


@dataclass(frozen=True)
class Season:
    """Everything that happens in one simulated season, with lookup indexes built on first use."""

    label: str  # "2025-26"
    seed: int
    players: tuple[SimPlayer, ...]
    games: tuple[SimGame, ...]  # ordered by tip time
    box: tuple[PlayerGame, ...]  # every roster player of both teams, played or not
    injury_reports: tuple[InjuryReport, ...]  # ordered by published_utc
    prop_lines: tuple[PropLine, ...]  # pre-tip snapshots, then in-play ones (snapshot_utc > tip)
    game_lines: tuple[GameLine, ...]
    snapshot_times: dict[str, tuple[datetime, ...]] = field(default_factory=dict)  # game_id -> odds snapshots

    @cached_property
    def player_by_id(self) -> dict[int, SimPlayer]:
        """Players by NBA.com id."""
        return {p.player_id: p for p in self.players}

    @cached_property
    def game_by_id(self) -> dict[str, SimGame]:
        """Games by NBA.com id."""
        return {g.game_id: g for g in self.games}

    @cached_property
    def games_by_date(self) -> dict[date, list[SimGame]]:
        """Games grouped by ET game date, in tip order."""
        out: dict[date, list[SimGame]] = defaultdict(list)
        for g in self.games:
            out[g.game_date].append(g)
        return dict(out)

    @cached_property
    def box_by_game(self) -> dict[str, list[PlayerGame]]:
        """Box-score lines grouped by game id."""
        out: dict[str, list[PlayerGame]] = defaultdict(list)
        for line in self.box:
            out[line.game_id].append(line)
        return dict(out)

    @cached_property
    def roster(self) -> dict[str, list[SimPlayer]]:
        """Players grouped by team tricode."""
        out: dict[str, list[SimPlayer]] = defaultdict(list)
        for p in self.players:
            out[p.team].append(p)
        return dict(out)

    @cached_property
    def props_by_game(self) -> dict[str, list[PropLine]]:
        """Player-points lines grouped by game id."""
        out: dict[str, list[PropLine]] = defaultdict(list)
        for line in self.prop_lines:
            out[line.game_id].append(line)
        return dict(out)

    @cached_property
    def game_lines_by_game(self) -> dict[str, list[GameLine]]:
        """Spread/total lines grouped by game id."""
        out: dict[str, list[GameLine]] = defaultdict(list)
        for line in self.game_lines:
            out[line.game_id].append(line)
        return dict(out)

    @property
    def first_date(self) -> date:
        """Opening night."""
        return self.games[0].game_date

    @property
    def last_date(self) -> date:
        """Last day of the regular season."""
        return self.games[-1].game_date
