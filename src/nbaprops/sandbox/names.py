"""Synthetic player names, with the hard cases real feeds throw at a name matcher.

Most players get an ordinary first and last name. A meaningful share carry what breaks naive
matching: diacritics ("Vukčević"), apostrophes ("Kel'el", "O'Neale"), hyphens ("Karl-Anthony",
"Horton-Tucker") and generational suffixes inside the last name ("Butler III", one "Miličić, Jr.").
Each name also gets the spelling Ball Don't Lie and the sportsbooks would print, which differ the way
the real ones do: BDL folds most accents but keeps a few and drops some "III"s, nicknames replace
given names ("KJ Martin" for "Kenyon Martin Jr."), and books drop suffixes or accents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbaprops.identity import ascii_fold, lookup_without_suffix, player_lookup

if TYPE_CHECKING:
    import numpy as np


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    """
    Aaron Adrian Alec Andre Anthony Austin Brandon Brice Bryce Caleb Cameron Chris Cole Collin Corey
    Dalton Damian Daniel Darius Dean Derrick Devin Dillon Donovan Drew Dylan Elijah Eric Evan
    Garrett Grant Isaac Isaiah Jabari Jacob Jaden Jalen Jamal Jarrett Jason Javon Jaylen Jeremiah
    Jordan Josh Julian Justin Kai Keegan Keith Kendall Kevin Keyonte Kobe Lamar Landry Lonnie Malik
    Marcus Mason Max Miles Mitchell Nate Nick Noah Omari Paul Quentin Reggie Ricky Ryan Scottie Seth
    Shane Spencer Terrance Tobias Trey Tristan Tyler Tyrese Walker Wendell Xavier Zach Zeke Amen
    Ausar Brandin Cason Dereck Gradey Jett Kyshawn Trayce
    """
)
_LAST = _words(
    """
    Adams Allen Bailey Barnes Bates Bell Brooks Bryant Carter Clark Coleman Collins Cooper
    Cunningham Davis Dawson Dixon Edwards Ellis Evans Fisher Fleming Ford Foster Garrett Gibson
    Graham Grant Green Griffin Hale Hall Harper Harris Hayes Henderson Hill Holmes Howard Hughes
    Hunter Jackson Jenkins Johnson Jordan Keller Kennedy King Knight Lawson Lewis Lyons Marshall
    Mason McCoy Miles Mills Mitchell Moore Morgan Morris Murray Nelson Owens Palmer Parker Patterson
    Payne Perry Porter Powell Price Reed Reeves Rhodes Richards Robinson Rogers Ross Sanders Shaw
    Simmons Sims Spencer Stevens Stewart Sullivan Taylor Thomas Thompson Tucker Turner Vaughn Wade
    Walker Wallace Ward Warren Washington Watson Wells West Wheeler Whitfield Wiggins Williams
    Wilson Wright Young Banton Okafor Achterberg Castleton Sheppard Tillman
    """
)
_ACCENT_FIRST = _words(
    """
    Nikola Luka Dario Bogdan Jusuf Vasilije Aleksej Karlo Filip Matas Egor Tomáš Théo Álex Goran
    Dāvis
    """
)
_ACCENT_LAST = _words(
    """
    Vukčević Marjanović Šarić Jokić Dončić Porziņģis Dëmin Đurišić Schröder Matković Jović Nurkić
    Bogdanović Krstić Petrović Šimanić Mičić Ilić Kalaitzakis Bertāns Valančiūnas Kleber Sabonis
    Núñez Müller Løvberg
    """
)
_APOSTROPHE_FIRST = _words(
    """
    D'Angelo Kel'el De'Aaron Jae'Sean Ja'Kobe De'Anthony Day'Ron Nah'Shon Sha'Quan Ja'Vonte
    """
)
_APOSTROPHE_LAST = ("O'Neale", "O'Brien", "O'Connor", "D'Amico", "O'Bannon", "O'Mara")
_HYPHEN_FIRST = ("Karl-Anthony", "Jean-Luc", "Jean-Pierre", "Olivier-Maxence", "Mo-Bamba", "Kyle-Ray")
_HYPHEN_LAST = _words(
    """
    Gilgeous-Walker Horton-Tucker Robinson-Earl Caldwell-Pope Smith-Rowe Walker-Kidd Hayes-Davis
    Jones-Garcia Ellis-Moore Lee-Bradley
    """
)
_SUFFIXES = ("Jr.", "II", "III", "IV")
# (given name, nickname): NBA.com prints the given name, BDL and books print the nickname.
_NICKNAMES = (
    ("Kenyon", "KJ"),
    ("Nicolas", "Nic"),
    ("Cameron", "Cam"),
    ("Jeffrey", "Jeff"),
    ("Patrick", "PJ"),
    ("Herbert", "Herb"),
    ("Sebastian", "Bas"),
    ("Ronald", "Ron"),
)

NameKind = str  # "plain", "accent", "apostrophe", "hyphen", "suffix", "nickname"


@dataclass(frozen=True, slots=True)
class PlayerName:
    """One player's name in NBA.com, Ball Don't Lie and sportsbook spellings."""

    first_name: str
    last_name: str
    bdl_first_name: str
    bdl_last_name: str
    book_name: str
    kind: NameKind

    @property
    def display_name(self) -> str:
        """NBA.com "First Last"."""
        return f"{self.first_name} {self.last_name}"


def _pick(rng: np.random.Generator, items: tuple[str, ...] | list[str]) -> str:
    return items[int(rng.integers(len(items)))]


def _candidate(rng: np.random.Generator, kind: NameKind, comma_suffix: bool) -> PlayerName:
    first, last = _pick(rng, _FIRST), _pick(rng, _LAST)
    if kind == "accent":
        first = _pick(rng, _ACCENT_FIRST) if rng.random() < 0.6 else first
        last = _pick(rng, _ACCENT_LAST)
        # BDL folds most accents but keeps some (it prints "Dāvis Bertāns"-style names as given).
        keep = rng.random() < 0.25
        bdl_first, bdl_last = (first, last) if keep else (ascii_fold(first), ascii_fold(last))
        book = ascii_fold(f"{first} {last}") if rng.random() < 0.85 else f"{first} {last}"
        return PlayerName(first, last, bdl_first, bdl_last, book, kind)
    if kind == "apostrophe":
        if rng.random() < 0.65:
            first = _pick(rng, _APOSTROPHE_FIRST)
        else:
            last = _pick(rng, _APOSTROPHE_LAST)
    elif kind == "hyphen":
        if rng.random() < 0.35:
            first = _pick(rng, _HYPHEN_FIRST)
        else:
            last = _pick(rng, _HYPHEN_LAST)
    elif kind == "suffix":
        suffix = _pick(rng, _SUFFIXES)
        if comma_suffix:
            # NBA.com's player index prints one player as "Miličić, Jr." — comma and accent both.
            last = "Miličić"
            suffix = "Jr."
            full_last = f"{last}, {suffix}"
            book = f"{first} {ascii_fold(last)} Jr."
            return PlayerName(first, full_last, first, f"{ascii_fold(last)} Jr.", book, kind)
        full_last = f"{last} {suffix}"
        bdl_last = last if suffix == "III" and rng.random() < 0.6 else full_last
        book = f"{first} {last}" if rng.random() < 0.4 else f"{first} {full_last}"
        return PlayerName(first, full_last, first, bdl_last, book, kind)
    elif kind == "nickname":
        given, nick = _NICKNAMES[int(rng.integers(len(_NICKNAMES)))]
        suffix = " Jr." if rng.random() < 0.5 else ""
        return PlayerName(given, last + suffix, nick, last, f"{nick} {last}", kind)
    return PlayerName(first, last, first, last, f"{first} {last}", kind)


def _keys(name: PlayerName) -> set[str]:
    spellings = {name.display_name, f"{name.bdl_first_name} {name.bdl_last_name}", name.book_name}
    return {player_lookup(s) for s in spellings} | {lookup_without_suffix(s) for s in spellings}


def make_names(rng: np.random.Generator, count: int) -> list[PlayerName]:
    """``count`` distinct names; every spelling of every player is unique by lookup key league-wide.

    Shares: ~7% each of accents, apostrophes, hyphens and suffixes, ~1.5% nicknames, the rest plain.
    """
    kinds = rng.choice(
        ["plain", "accent", "apostrophe", "hyphen", "suffix", "nickname"],
        size=count,
        p=[0.705, 0.075, 0.07, 0.07, 0.065, 0.015],
    )
    # Guarantee the rarest cases so every season has them, whatever the draw.
    kinds[:4] = ["nickname", "nickname", "suffix", "accent"]
    comma_at = 2
    used: set[str] = set()
    names: list[PlayerName] = []
    for i, kind in enumerate(kinds):
        while True:
            name = _candidate(rng, str(kind), comma_suffix=i == comma_at)
            keys = _keys(name)
            if not keys & used:
                used |= keys
                names.append(name)
                break
    order = rng.permutation(count)
    return [names[int(j)] for j in order]
