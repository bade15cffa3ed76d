"""Who is who across sources: player-name normalization and team codes.

Every source names teams its own way (NBA.com tricodes, ESPN's ``NO NY WSH SA GS UTAH``, The Odds
API's full names, Ball Don't Lie's numeric ids); this module maps them all to the NBA.com tricode.
Player names are reduced to a ``player_lookup`` key (lower-case ASCII letters and digits only)
so that "Nikola Jokić", "Nikola Jokic" and "JOKIC, NIKOLA" can meet in the registry.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

# Letters that NFKD does not decompose into an ASCII base plus a combining mark.
_SPECIAL_LETTERS = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ı": "i",
        "þ": "th",
        "ð": "d",
    }
)
# Letters that sources transliterate more than one way, ascii_fold's choice first: NBA.com prints
# "Đorđević" (folded "Dordevic") where books and Ball Don't Lie write "Djordjevic"; "Schröder" is
# also "Schroeder", "Søren" also "Soeren", "Jæger" also "Jager", "Strauß" also "Straus".
_TRANSLITERATIONS: dict[str, tuple[str, ...]] = {
    "đ": ("d", "dj"),
    "ø": ("o", "oe"),
    "æ": ("ae", "a"),
    "ß": ("ss", "s"),
    "ä": ("a", "ae"),
    "ö": ("o", "oe"),
    "ü": ("u", "ue"),
}
_NON_ALNUM = re.compile(r"[^a-z0-9]")
_SUFFIXES = ("jr", "sr", "ii", "iii", "iv", "v")


def ascii_fold(text: str) -> str:
    """Drop diacritics: "Dončić" -> "Doncic", "Đurišić" -> "Durisic"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def transliterations(name: str) -> tuple[str, ...]:
    """The name (lower-cased) as each transliteration convention writes it, ascii_fold's first.

    "Nikola Đurđević" -> ("nikola durdevic", "nikola djurdjevic"); a name without such letters
    gives itself alone. One convention per letter across the whole name: sources do not mix them.
    """
    text = unicodedata.normalize("NFC", name.lower())
    present = [letter for letter in _TRANSLITERATIONS if letter in text]
    spellings: dict[str, None] = {}
    for choice in itertools.product(*(_TRANSLITERATIONS[letter] for letter in present)):
        spelled = text
        for letter, written in zip(present, choice, strict=True):
            spelled = spelled.replace(letter, written)
        spellings[ascii_fold(spelled)] = None
    return tuple(spellings)


def player_lookup(name: str) -> str:
    """The normalized lookup key of a display name: "Nikola Jokić" -> "nikolajokic".

    Lower-cased, accents folded, every space and punctuation mark removed. Suffixes are kept
    ("Jaren Jackson Jr." -> "jarenjacksonjr"); ``lookup_without_suffix`` drops them for aliasing.
    """
    return _NON_ALNUM.sub("", ascii_fold(name).lower())


def lookup_without_suffix(name: str) -> str:
    """``player_lookup`` with a trailing generational suffix removed ("Jimmy Butler III" -> "jimmybutler")."""
    words = [w for w in re.split(r"[\s,]+", ascii_fold(name).lower()) if w]
    while len(words) > 2 and words[-1].strip(".") in _SUFFIXES:
        words.pop()
    return _NON_ALNUM.sub("", "".join(words))


def last_first_to_display(name: str) -> str:
    """Turn the injury report's "Last, First" into "First Last" ("Duke Jr., David" -> "David Duke Jr.").

    A suffix set off by its own comma stays with the last name: "Milicic, Jr., Igor" -> "Igor Milicic Jr.".
    """
    parts = [p.strip() for p in name.split(",")]
    if len(parts) < 2:
        return name.strip()
    first = parts[-1]
    last = " ".join(p for p in parts[:-1] if p)
    return f"{first} {last}".strip()


@dataclass(frozen=True, slots=True)
class Team:
    """One franchise and its code in every source."""

    tricode: str
    nba_id: int
    city: str
    nickname: str
    slug: str
    espn_abbr: str
    espn_id: int
    bdl_id: int
    conference: str
    division: str

    @property
    def full_name(self) -> str:
        """The name The Odds API and Ball Don't Lie use ("Los Angeles Clippers" differs, see odds_name)."""
        return f"{self.city} {self.nickname}"

    @property
    def odds_name(self) -> str:
        """The Odds API's team name; it spells the Clippers "Los Angeles Clippers"."""
        return "Los Angeles Clippers" if self.tricode == "LAC" else self.full_name


TEAMS: tuple[Team, ...] = (
    Team("ATL", 1610612737, "Atlanta", "Hawks", "hawks", "ATL", 1, 1, "East", "Southeast"),
    Team("BOS", 1610612738, "Boston", "Celtics", "celtics", "BOS", 2, 2, "East", "Atlantic"),
    Team("BKN", 1610612751, "Brooklyn", "Nets", "nets", "BKN", 17, 3, "East", "Atlantic"),
    Team("CHA", 1610612766, "Charlotte", "Hornets", "hornets", "CHA", 30, 4, "East", "Southeast"),
    Team("CHI", 1610612741, "Chicago", "Bulls", "bulls", "CHI", 4, 5, "East", "Central"),
    Team("CLE", 1610612739, "Cleveland", "Cavaliers", "cavaliers", "CLE", 5, 6, "East", "Central"),
    Team("DAL", 1610612742, "Dallas", "Mavericks", "mavericks", "DAL", 6, 7, "West", "Southwest"),
    Team("DEN", 1610612743, "Denver", "Nuggets", "nuggets", "DEN", 7, 8, "West", "Northwest"),
    Team("DET", 1610612765, "Detroit", "Pistons", "pistons", "DET", 8, 9, "East", "Central"),
    Team("GSW", 1610612744, "Golden State", "Warriors", "warriors", "GS", 9, 10, "West", "Pacific"),
    Team("HOU", 1610612745, "Houston", "Rockets", "rockets", "HOU", 10, 11, "West", "Southwest"),
    Team("IND", 1610612754, "Indiana", "Pacers", "pacers", "IND", 11, 12, "East", "Central"),
    Team("LAC", 1610612746, "LA", "Clippers", "clippers", "LAC", 12, 13, "West", "Pacific"),
    Team("LAL", 1610612747, "Los Angeles", "Lakers", "lakers", "LAL", 13, 14, "West", "Pacific"),
    Team("MEM", 1610612763, "Memphis", "Grizzlies", "grizzlies", "MEM", 29, 15, "West", "Southwest"),
    Team("MIA", 1610612748, "Miami", "Heat", "heat", "MIA", 14, 16, "East", "Southeast"),
    Team("MIL", 1610612749, "Milwaukee", "Bucks", "bucks", "MIL", 15, 17, "East", "Central"),
    Team("MIN", 1610612750, "Minnesota", "Timberwolves", "timberwolves", "MIN", 16, 18, "West", "Northwest"),
    Team("NOP", 1610612740, "New Orleans", "Pelicans", "pelicans", "NO", 3, 19, "West", "Southwest"),
    Team("NYK", 1610612752, "New York", "Knicks", "knicks", "NY", 18, 20, "East", "Atlantic"),
    Team("OKC", 1610612760, "Oklahoma City", "Thunder", "thunder", "OKC", 25, 21, "West", "Northwest"),
    Team("ORL", 1610612753, "Orlando", "Magic", "magic", "ORL", 19, 22, "East", "Southeast"),
    Team("PHI", 1610612755, "Philadelphia", "76ers", "sixers", "PHI", 20, 23, "East", "Atlantic"),
    Team("PHX", 1610612756, "Phoenix", "Suns", "suns", "PHX", 21, 24, "West", "Pacific"),
    Team("POR", 1610612757, "Portland", "Trail Blazers", "blazers", "POR", 22, 25, "West", "Northwest"),
    Team("SAC", 1610612758, "Sacramento", "Kings", "kings", "SAC", 23, 26, "West", "Pacific"),
    Team("SAS", 1610612759, "San Antonio", "Spurs", "spurs", "SA", 24, 27, "West", "Southwest"),
    Team("TOR", 1610612761, "Toronto", "Raptors", "raptors", "TOR", 28, 28, "East", "Atlantic"),
    Team("UTA", 1610612762, "Utah", "Jazz", "jazz", "UTAH", 26, 29, "West", "Northwest"),
    Team("WAS", 1610612764, "Washington", "Wizards", "wizards", "WSH", 27, 30, "East", "Southeast"),
)

BY_TRICODE: dict[str, Team] = {t.tricode: t for t in TEAMS}
_BY_NBA_ID = {t.nba_id: t for t in TEAMS}
_BY_ESPN = {t.espn_abbr: t for t in TEAMS}
_BY_BDL_ID = {t.bdl_id: t for t in TEAMS}
_BY_NAME = {player_lookup(name): t for t in TEAMS for name in {t.full_name, t.odds_name}} | {
    # Names NBA.com standings and other feeds also use.
    player_lookup("L.A. Lakers"): BY_TRICODE["LAL"],
    player_lookup("L.A. Clippers"): BY_TRICODE["LAC"],
    player_lookup("LA Lakers"): BY_TRICODE["LAL"],
}
# Nicknames alone ("Golden State", "San Antonio" and the injury PDF's "Denver Nuggets") resolve too.
_BY_NAME |= {player_lookup(t.city): t for t in TEAMS if t.city not in {"Los Angeles", "LA"}}


class UnknownTeam(KeyError):
    """A team code or name that maps to no NBA franchise (e.g. an exhibition opponent)."""


def team(tricode: str) -> Team:
    """The franchise with this NBA.com tricode."""
    try:
        return BY_TRICODE[tricode.upper()]
    except KeyError:
        raise UnknownTeam(tricode) from None


def tricode_from_nba_id(team_id: int) -> str:
    """NBA.com team id (1610612737…) -> tricode."""
    try:
        return _BY_NBA_ID[int(team_id)].tricode
    except KeyError:
        raise UnknownTeam(str(team_id)) from None


def tricode_from_espn(abbr: str) -> str:
    """ESPN abbreviation (``NO NY WSH SA GS UTAH`` and the shared ones) -> tricode."""
    try:
        return _BY_ESPN[abbr.upper()].tricode
    except KeyError:
        raise UnknownTeam(abbr) from None


def tricode_from_bdl_id(team_id: int) -> str:
    """Ball Don't Lie team id (1-30, alphabetical by full name) -> tricode."""
    try:
        return _BY_BDL_ID[int(team_id)].tricode
    except KeyError:
        raise UnknownTeam(str(team_id)) from None


def tricode_from_name(name: str) -> str:
    """A full or city name in any source's spelling ("Los Angeles Clippers", "LA Clippers") -> tricode."""
    try:
        return _BY_NAME[player_lookup(name)].tricode
    except KeyError:
        raise UnknownTeam(name) from None
