"""Which registry player a source's name means: pure matching, no database.

The registry holds canonical players (``player_id`` = NBA.com PERSON_ID). Every other source names
players its own way: Ball Don't Lie drops "III" and most accents, the injury PDF prints
"Last, First" without accents, books print nicknames ("KJ Martin"), play-by-play prints "J. Brunson".
``resolve_names`` tries, for each distinct source name, the methods below in order and stops at the
first that yields exactly one player:

1. ``source_id``: the source's own player id was matched before (or is an NBA.com id in the registry);
2. ``alias``: a documented whole-name row of ``player_aliases.csv`` names the canonical player;
3. ``exact_lookup``: the ``player_lookup`` key equals one registry player's, under any of the
   transliterations sources use ("Djurdjevic" = "Đurđević" = "Durdevic", ``identity.transliterations``;
   they apply to the steps below too);
4. ``lookup_without_suffix``: equal once generational suffixes are dropped on both sides
   ("Jimmy Butler" = "Jimmy Butler III");
5. ``alias`` again: equal once documented first-name nicknames are expanded on both sides
   ("KJ Martin" = "Kenyon Martin Jr.");
6. ``team_context``: among the players of the row's team (or the game's two teams), one shares the
   last name, and the first name is its initial, a shortening or a nickname ("J. Brunson",
   "Alex Sarr" for "Alexandre Sarr").

Two candidates at any step is ``unresolved`` (reason ``ambiguous``) unless the team narrows them to
one: the matcher never guesses. Names nothing matches are ``unresolved`` with reason ``no_candidate``;
an NBA.com player id the registry lacks is ``unresolved`` (``nba_id_not_in_registry``) whatever the
name says, since NBA.com ids are the registry's own.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from nbaprops.identity import ascii_fold, lookup_without_suffix, player_lookup, transliterations

Method = Literal["source_id", "alias", "exact_lookup", "lookup_without_suffix", "team_context", "unresolved"]
METHODS: tuple[Method, ...] = (
    "source_id",
    "alias",
    "exact_lookup",
    "lookup_without_suffix",
    "team_context",
    "unresolved",
)
NBACOM = "nbacom"
"""The source whose player ids are the registry's ids."""
ANY_SOURCE = "*"
"""``source`` value of an alias row that applies to every source."""
ALIASES_PATH = Path(__file__).with_name("player_aliases.csv")
_ALIAS_COLUMNS = ("source", "name", "canonical_name", "reason")
_WORDS = re.compile(r"[\s,]+")


@dataclass(frozen=True, slots=True)
class RegistryPlayer:
    """A canonical player: NBA.com id, display name, and every team the player was seen on."""

    player_id: int
    display_name: str
    teams: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SourceName:
    """One distinct player reference in a source.

    ``team`` is the player's team when the source says it; ``game_teams`` the two teams of the game
    when it does not (odds props name a player and an event, not a team).
    """

    source: str
    source_player_id: str | None
    name: str
    team: str | None = None
    game_date: date | None = None
    game_teams: tuple[str, ...] = ()

    @property
    def context_teams(self) -> frozenset[str]:
        """The teams the player can belong to, as far as the row tells."""
        return frozenset([self.team]) if self.team else frozenset(self.game_teams)


@dataclass(frozen=True, slots=True)
class Match:
    """The outcome for one source name: a player id and how it was found, or why it was not."""

    name: SourceName
    player_id: int | None
    method: Method
    reason: str | None = None
    candidates: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Aliases:
    """Documented spelling differences: whole names per source, and first-name nicknames."""

    full: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(source or "*", player_lookup of the source's name) -> canonical display name."""
    given: Mapping[str, str] = field(default_factory=dict)
    """player_lookup of a nickname ("kj", "nic") -> player_lookup of the given name."""

    def canonical(self, source: str, name: str) -> str | None:
        """The canonical name a whole-name alias gives, preferring the source's own row."""
        key = player_lookup(name)
        return self.full.get((source, key)) or self.full.get((ANY_SOURCE, key))


def load_aliases(path: Path = ALIASES_PATH) -> Aliases:
    """Read an alias file (columns ``source,name,canonical_name,reason``; ``#`` lines are comments).

    A one-word ``name`` is a first-name nickname ("KJ" -> "Kenyon"); it is only applied together
    with a matching last name. A row without a reason is refused: every alias must say why.
    """
    full: dict[tuple[str, str], str] = {}
    given: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.lstrip().startswith("#"))
        reader = csv.DictReader(lines)
        if tuple(reader.fieldnames or ()) != _ALIAS_COLUMNS:
            raise ValueError(f"{path}: header must be {','.join(_ALIAS_COLUMNS)}")
        for number, row in enumerate(reader, start=2):
            source, name, canonical, reason = (str(row[c] or "").strip() for c in _ALIAS_COLUMNS)
            if not (source and name and canonical and reason):
                raise ValueError(f"{path} row {number}: every column is required, reason included")
            if len(_WORDS.split(name)) == 1:
                given[player_lookup(name)] = player_lookup(canonical)
            else:
                full[(source, player_lookup(name))] = canonical
    return Aliases(full, given)


@cache
def default_aliases() -> Aliases:
    """The committed ``player_aliases.csv``, read once."""
    return load_aliases()


@dataclass(frozen=True, slots=True)
class _Parts:
    """Keys of a "First Last" name: first name, last name with and without its suffix."""

    first: str
    last: str
    last_core: str


def _parts(name: str) -> _Parts:
    words = [w for w in _WORDS.split(ascii_fold(name).strip()) if w]
    if len(words) < 2:
        return _Parts("", "", "")
    rest = " ".join(words[1:])
    # lookup_without_suffix only strips past two words; a placeholder first word lets it treat
    # the last name alone ("Dowtin Jr." -> "dowtin").
    core = lookup_without_suffix("x " + rest)[1:]
    return _Parts(player_lookup(words[0]), player_lookup(rest), core)


def _suffix_last(name: str) -> str:
    """Move a leading suffix to the end: "Jr., Igor Milicic" -> "Igor Milicic Jr.".

    Turning the injury PDF's "Milicic, Jr., Igor" around at its first comma leaves the suffix in
    front; that order is never a real first name.
    """
    head, sep, tail = name.partition(",")
    # lookup_without_suffix drops ``head`` from a three-word name exactly when it is a suffix.
    if sep and tail.strip() and lookup_without_suffix(f"x y {head}") == "xy":
        return f"{tail.strip()} {head.strip()}"
    return name


@dataclass(frozen=True, slots=True)
class _Entry:
    player_id: int
    parts: _Parts
    teams: frozenset[str]


class PlayerIndex:
    """The registry indexed by every key the methods look up; build once per batch."""

    def __init__(self, players: Iterable[RegistryPlayer], given: Mapping[str, str]) -> None:
        self.given = given
        self.ids: set[int] = set()
        # Given name (nicknames expanded) + last name without suffix: "KJ Martin" and
        # "Kenyon Martin Jr." both become "kenyonmartin".
        self.by_given: dict[str, set[int]] = defaultdict(set)
        self.exact: dict[str, set[int]] = defaultdict(set)
        self.no_suffix: dict[str, set[int]] = defaultdict(set)
        self.by_last: dict[str, list[_Entry]] = defaultdict(list)
        self.teams: dict[int, frozenset[str]] = {}
        for player in players:
            self.ids.add(player.player_id)
            self.teams[player.player_id] = self.teams.get(player.player_id, frozenset()) | player.teams
            for spelled in transliterations(player.display_name):
                self.exact[player_lookup(spelled)].add(player.player_id)
                self.no_suffix[lookup_without_suffix(spelled)].add(player.player_id)
                parts = _parts(spelled)
                if parts.last_core:
                    self.by_last[parts.last_core].append(_Entry(player.player_id, parts, player.teams))
                    self.by_given[given.get(parts.first, parts.first) + parts.last_core].add(player.player_id)

    def narrow(self, candidates: set[int], teams: frozenset[str]) -> set[int]:
        """The candidates seen on one of ``teams`` (all of them when no team is known)."""
        if not teams:
            return candidates
        return {pid for pid in candidates if self.teams.get(pid, frozenset()) & teams}

    def on_teams(self, parts: _Parts, teams: frozenset[str]) -> set[int]:
        """Players of ``teams`` with this last name whose first name fits.

        An initial ("J." of "J. Brunson") fits any first name with that initial; a full first name
        fits only a shortening ("Alex" of "Alexandre") or a documented nickname ("Bas" of
        "Sebastian"): "Chaney Johnson" must never become his teammate "Cameron Johnson". A last
        name spelled with its suffix prefers the player who has that suffix ("D. Ross Jr." over
        his teammate "D. Ross").
        """
        found = [
            entry
            for entry in self.by_last.get(parts.last_core, ())
            if entry.teams & teams and entry.parts.first and self._fits(parts.first, entry.parts.first)
        ]
        same_spelling = {e.player_id for e in found if e.parts.last == parts.last}
        return same_spelling or {e.player_id for e in found}

    def _fits(self, first: str, registered: str) -> bool:
        if len(first) == 1:
            return registered[0] == first
        if registered.startswith(first) or first.startswith(registered):
            return True
        return self.given.get(first, first) == self.given.get(registered, registered)


def _decide(name: SourceName, found: set[int], method: Method, index: PlayerIndex) -> Match | None:
    """A match when ``found`` is one player (or the team narrows it to one); else ambiguity or None."""
    if len(found) == 1:
        return Match(name, next(iter(found)), method)
    if not found:
        return None
    narrowed = index.narrow(found, name.context_teams)
    if len(narrowed) == 1 and name.context_teams:
        return Match(name, next(iter(narrowed)), "team_context")
    return Match(name, None, "unresolved", reason="ambiguous", candidates=tuple(sorted(found)))


def resolve_one(
    name: SourceName,
    index: PlayerIndex,
    aliases: Aliases,
    known_ids: Mapping[tuple[str, str], int],
) -> Match:
    """Resolve one source name (see the module docstring for the order of methods)."""
    if name.source_player_id is not None:
        known = known_ids.get((name.source, name.source_player_id))
        if known is not None:
            return Match(name, known, "source_id")
        nba_id = name.source_player_id
        if name.source == NBACOM and nba_id.isdigit():
            # An NBA.com id *is* a registry id: a name match would name some other player.
            if int(nba_id) in index.ids:
                return Match(name, int(nba_id), "source_id")
            return Match(name, None, "unresolved", reason="nba_id_not_in_registry")
    canonical = aliases.canonical(name.source, name.name)
    if canonical is not None:
        # A target missing from the registry (the other spelling is the registered one, or the
        # player is not registered yet) falls through to the lookups below.
        decided = _decide(name, set(index.exact.get(player_lookup(canonical), ())), "alias", index)
        if decided is not None:
            return decided
    spellings = transliterations(_suffix_last(name.name))
    parts_of = [_parts(spelled) for spelled in spellings]
    steps: tuple[tuple[Method, set[int]], ...] = (
        ("exact_lookup", _union(index.exact, (player_lookup(s) for s in spellings))),
        ("lookup_without_suffix", _union(index.no_suffix, (lookup_without_suffix(s) for s in spellings))),
        (
            "alias",
            _union(
                index.by_given,
                (aliases.given.get(p.first, p.first) + p.last_core for p in parts_of if p.last_core),
            ),
        ),
    )
    for method, found in steps:
        decided = _decide(name, found, method, index)
        if decided is not None:
            return decided
    teams = name.context_teams
    if teams:
        found = {pid for p in parts_of if p.first and p.last_core for pid in index.on_teams(p, teams)}
        if len(found) == 1:
            return Match(name, next(iter(found)), "team_context")
        if found:
            return Match(name, None, "unresolved", reason="ambiguous", candidates=tuple(sorted(found)))
    return Match(name, None, "unresolved", reason="no_candidate")


def _union(keyed: Mapping[str, set[int]], keys: Iterable[str]) -> set[int]:
    return {pid for key in keys for pid in keyed.get(key, ())}


def resolve_names(
    registry: Iterable[RegistryPlayer],
    names: Sequence[SourceName],
    *,
    aliases: Aliases | None = None,
    known_ids: Mapping[tuple[str, str], int] | None = None,
) -> list[Match]:
    """Resolve a batch of source names against the registry; one ``Match`` per name, in order.

    ``known_ids`` maps (source, source player id) to the player an earlier run matched.
    """
    chosen = default_aliases() if aliases is None else aliases
    index = PlayerIndex(registry, chosen.given)
    return [resolve_one(n, index, chosen, known_ids or {}) for n in names]


def match_rates(matches: Sequence[Match]) -> dict[str, float]:
    """Share of names per method (``resolved`` = every method but ``unresolved``)."""
    if not matches:
        return {"resolved": 0.0}
    counts = {m: sum(1 for x in matches if x.method == m) for m in METHODS}
    rates: dict[str, float] = {m: round(c / len(matches), 4) for m, c in counts.items() if c}
    rates["resolved"] = round(1 - counts["unresolved"] / len(matches), 4)
    return rates
