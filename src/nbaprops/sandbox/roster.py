"""The league's people: 13-17 synthetic players per team with latent skills, and team traits.

A player's role (his rank on the depth chart) sets his minutes and scoring volume; his position sets
his shot mix, size and rebounding; make rates spread around league averages (paint ~0.62, mid ~0.42,
three ~0.36, free throws ~0.78). Teams differ in pace, shooting, zone defence and shot mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbaprops.identity import TEAMS
from nbaprops.sandbox.model import SimPlayer
from nbaprops.sandbox.names import make_names

if TYPE_CHECKING:
    import numpy as np

_PROFILE = {  # share of a player's field-goal attempts by zone, by primary position
    "G": (0.32, 0.18, 0.50),
    "F": (0.42, 0.17, 0.41),
    "C": (0.70, 0.12, 0.18),
}
_POSITIONS = ("G", "G", "G-F", "F-G", "F", "F", "F-C", "C-F", "C", "G", "F", "C")
_MINUTES = (34, 33, 32, 31, 30, 24, 21, 18, 15, 11, 8, 6, 5, 4, 3, 2, 2)
_PTS36 = (20.5, 18.5, 17, 16, 15, 16, 15, 14, 13, 12, 12, 11, 11, 10, 10, 10, 10)
_COUNTRIES = (
    "Serbia",
    "Slovenia",
    "Latvia",
    "Russia",
    "Montenegro",
    "Germany",
    "France",
    "Spain",
    "Lithuania",
    "Greece",
    "Canada",
    "Australia",
    "Nigeria",
)
_COLLEGES = (
    "Duke",
    "Kentucky",
    "Kansas",
    "North Carolina",
    "UCLA",
    "Gonzaga",
    "Villanova",
    "Arizona",
    "Michigan",
    "Baylor",
    "Texas",
    "Florida",
    "UConn",
    "Auburn",
    "Houston",
    "Purdue",
)


@dataclass(frozen=True, slots=True)
class TeamTraits:
    """A team's pace, shooting quality, zone defence and shot mix."""

    pace: float
    offence: float
    defence: tuple[float, float, float]  # multiplier on the opponent's make rate by zone
    style: tuple[float, float, float]  # multiplier on the league's shot mix by zone


def make_roster(rng: np.random.Generator, start_year: int) -> tuple[list[SimPlayer], dict[str, TeamTraits]]:
    """13-17 players per team with names, ids, bio and latent skills, and each team's traits."""
    import numpy as np

    sizes = rng.choice([13, 14, 15, 16, 17], size=len(TEAMS), p=[0.05, 0.15, 0.35, 0.3, 0.15])
    names = make_names(rng, int(sizes.sum()))
    person_ids = rng.choice(np.arange(1626000, 1643000), size=len(names), replace=False)
    bdl_small = rng.choice(np.arange(1, 4000), size=len(names), replace=False)
    players: list[SimPlayer] = []
    traits: dict[str, TeamTraits] = {}
    k = 0
    for team, size in zip(TEAMS, sizes, strict=True):
        three = float(rng.normal(1.0, 0.06))
        traits[team.tricode] = TeamTraits(
            pace=float(np.clip(rng.normal(99.5, 1.6), 95.5, 104.0)),
            offence=float(rng.normal(1.0, 0.012)),
            defence=(float(rng.normal(1, 0.02)), float(rng.normal(1, 0.025)), float(rng.normal(1, 0.02))),
            style=(2.0 - three, 1.0, three),
        )
        for rank in range(int(size)):
            name = names[k]
            position = _POSITIONS[int(rng.integers(len(_POSITIONS)))]
            base = position[0]
            pts36 = _PTS36[rank] * float(rng.lognormal(0.0, 0.16))
            fga36 = pts36 / 1.22
            profile = np.array(_PROFILE[base]) * rng.lognormal(0.0, 0.15, size=3)
            profile /= profile.sum()
            big = base == "C"
            draft_year = None if rng.random() < 0.2 else start_year - int(rng.integers(0, 15))
            drafted = draft_year is not None
            international = name.kind == "accent" or rng.random() < 0.08
            pick = int(rng.integers(1, 61)) if drafted else None
            height_in = int(rng.normal({"G": 76, "F": 80, "C": 83}[base], 1.5))
            bdl_id = int(bdl_small[k]) if rng.random() < 0.7 else int(rng.integers(17_000_000, 1_060_010_672))
            players.append(
                SimPlayer(
                    player_id=int(person_ids[k]),
                    bdl_id=bdl_id,
                    first_name=name.first_name,
                    last_name=name.last_name,
                    bdl_first_name=name.bdl_first_name,
                    bdl_last_name=name.bdl_last_name,
                    book_name=name.book_name,
                    team=team.tricode,
                    position=position,
                    jersey=None if rng.random() < 0.04 else str(int(rng.integers(0, 100))),
                    height=f"{height_in // 12}-{height_in % 12}",
                    weight=int(rng.normal({"G": 195, "F": 220, "C": 245}[base], 10)),
                    college=None if international else _COLLEGES[int(rng.integers(len(_COLLEGES)))],
                    country=_COUNTRIES[int(rng.integers(len(_COUNTRIES)))] if international else "USA",
                    draft_year=draft_year,
                    draft_round=(1 if pick is not None and pick <= 30 else 2) if drafted else None,
                    draft_number=pick,
                    from_year=draft_year + 1
                    if draft_year is not None
                    else start_year - int(rng.integers(0, 6)),
                    minutes_mean=float(np.clip(_MINUTES[rank] + rng.normal(0, 1.5), 1.0, 37.0)),
                    usage=float(np.clip((fga36 * 1.1 + 0.44 * fga36 * 0.25) / 75, 0.08, 0.38)),
                    paint_rate=float(fga36 * profile[0]),
                    mid_rate=float(fga36 * profile[1]),
                    three_rate=float(fga36 * profile[2]),
                    fta_rate=float(fga36 * rng.lognormal(np.log(0.28 if big else 0.24), 0.3)),
                    paint_pct=float(np.clip(rng.normal(0.655 if big else 0.61, 0.045), 0.45, 0.78)),
                    mid_pct=float(np.clip(rng.normal(0.42, 0.04), 0.3, 0.55)),
                    three_pct=float(np.clip(rng.normal(0.33 if big else 0.362, 0.03), 0.22, 0.45)),
                    ft_pct=float(np.clip(rng.normal(0.70 if big else 0.80, 0.07), 0.45, 0.94)),
                    reb_rate=float(rng.lognormal(np.log(10.5 if big else 5.5 if base == "F" else 4.2), 0.2)),
                    ast_rate=float(
                        rng.lognormal(np.log(6.0 if base == "G" else 3.0 if base == "F" else 2.5), 0.3)
                    ),
                )
            )
            k += 1
    return players, traits
