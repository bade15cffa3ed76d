"""Sandbox profiles: the demo's tidy league, or a past season served the way the real APIs serve one.

``default`` is the league the demo and most tests use: every source answers for every game.
``real-history`` plays what a backfill of a past season meets against the real hosts:

- play-by-play is missing for about one game in ten (the CDN answers 403 AccessDenied);
- the injury-report PDF is missing on about one date in seven (403, as for a name never published);
- the NBA.com player index answers 404;
- Ball Don't Lie injuries are only the notes in force at the server's clock (as in every profile);
- historical odds come at the snapshot in force at the requested ``date=`` (as in every profile),
  in-play ones included;
- its cast (``real_history_cast``) has one full name shared by players of two teams, a name with
  a ``Đ`` that NBA.com prints as such, Ball Don't Lie folds to ``D`` and the books write ``Dj``,
  and two players traded for each other mid-season.

What is missing is chosen from the game id or the date alone, so every run leaves out the same.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from nbaprops.errors import ConfigError
from nbaprops.sandbox.model import InjuryEntry, PlayerGame, PropLine

if TYPE_CHECKING:
    from nbaprops.sandbox.model import Season, SimPlayer

_T = TypeVar("_T", PlayerGame, InjuryEntry, PropLine)

DEFAULT = "default"
REAL_HISTORY = "real-history"
TRADE_AFTER_DAYS = 70  # the trade happens on the first game date this many days after opening night
ROTATION_MINUTES = 20.0


@dataclass(frozen=True, slots=True)
class Profile:
    """What the server leaves out on top of what its clock hides (shares are of games or dates)."""

    name: str
    missing_pbp_share: float = 0.0
    missing_injury_pdf_share: float = 0.0
    serves_player_index: bool = True

    def has_pbp(self, game_id: str) -> bool:
        """Whether the CDN serves this game's play-by-play."""
        return not _picked(game_id, self.missing_pbp_share)

    def has_injury_pdf(self, day: date) -> bool:
        """Whether the injury reports published on this ET date exist."""
        return not _picked(day.isoformat(), self.missing_injury_pdf_share)


PROFILES: dict[str, Profile] = {
    DEFAULT: Profile(DEFAULT),
    REAL_HISTORY: Profile(
        REAL_HISTORY, missing_pbp_share=0.1, missing_injury_pdf_share=0.15, serves_player_index=False
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; ``ConfigError`` naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown sandbox profile {name!r} (known: {', '.join(PROFILES)})") from None


def _picked(key: str, share: float) -> bool:
    return share > 0 and zlib.crc32(key.encode()) % 1000 < share * 1000


def profile_season(profile: Profile, seed: int, label: str) -> Season:
    """The simulated season a profile serves: the generated one, recast for ``real-history``."""
    from nbaprops.sandbox.simulator import generate_season

    season = generate_season(seed, label)
    return real_history_cast(season) if profile.name == REAL_HISTORY else season


@dataclass(frozen=True, slots=True)
class Cast:
    """The players ``real_history_cast`` changed, for the checks that follow them."""

    namesakes: tuple[int, int]  # player ids sharing one full name, on two teams
    transliterated: int  # "Nikola Đurđević" / BDL "Nikola Durdevic" / books "Nikola Djurdjevic"
    traded: tuple[int, int]  # traded for each other
    trade_at: datetime  # the first tip after which each plays for the other's team


def _rotation(season: Season, tricode: str, rank: int) -> SimPlayer:
    """The ``rank``-th player of a team by expected minutes (0 = the most)."""
    players = sorted(season.roster[tricode], key=lambda p: (-p.minutes_mean, p.player_id))
    return [p for p in players if p.minutes_mean >= ROTATION_MINUTES][rank]


def cast_of(season: Season) -> Cast:
    """Who ``real_history_cast`` picks in ``season`` (the same players before and after the recast)."""
    first_tip = min(g.tip_utc for g in season.games)
    start = first_tip + timedelta(days=TRADE_AFTER_DAYS)
    trade_at = min(g.tip_utc for g in season.games if g.tip_utc >= start)
    return Cast(
        namesakes=(_rotation(season, "BOS", 3).player_id, _rotation(season, "PHX", 3).player_id),
        transliterated=_rotation(season, "DEN", 2).player_id,
        traded=(_rotation(season, "MIA", 2).player_id, _rotation(season, "SAC", 2).player_id),
        trade_at=trade_at,
    )


def real_history_cast(season: Season) -> Season:
    """``season`` with a shared name, a transliterated name and a mid-season trade (see the module doc)."""
    cast = cast_of(season)
    by_id = season.player_by_id
    first, second = (by_id[pid] for pid in cast.namesakes)
    renamed = {
        second.player_id: replace(
            second,
            first_name=first.first_name,
            last_name=first.last_name,
            bdl_first_name=first.bdl_first_name,
            bdl_last_name=first.bdl_last_name,
            book_name=first.book_name,
        ),
        cast.transliterated: replace(
            by_id[cast.transliterated],
            first_name="Nikola",
            last_name="Đurđević",
            bdl_first_name="Nikola",
            bdl_last_name="Durdevic",
            book_name="Nikola Djurdjevic",
        ),
    }
    x, y = cast.traded
    renamed[x] = replace(by_id[x], team=by_id[y].team)
    renamed[y] = replace(by_id[y], team=by_id[x].team)
    swap = {x: y, y: x}
    after = {g.game_id for g in season.games if g.tip_utc >= cast.trade_at}

    def moved(row: _T) -> _T:
        # After the trade each takes the other's place in his new team's games.
        if row.player_id in swap and row.game_id in after:
            return replace(row, player_id=swap[row.player_id])
        return row

    return replace(
        season,
        players=tuple(renamed.get(p.player_id, p) for p in season.players),
        box=tuple(moved(r) for r in season.box),
        injury_reports=tuple(
            replace(report, entries=tuple(moved(e) for e in report.entries))
            for report in season.injury_reports
        ),
        prop_lines=tuple(moved(p) for p in season.prop_lines),
    )
