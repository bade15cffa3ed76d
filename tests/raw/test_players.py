"""Name resolution (pure): the real captures' spellings and the sandbox's deliberate variants."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from nbaprops.identity import last_first_to_display
from nbaprops.raw.players import (
    Aliases,
    Match,
    RegistryPlayer,
    SourceName,
    default_aliases,
    load_aliases,
    match_rates,
    resolve_names,
)
from nbaprops.raw.registry import Row, maybe_gunzip, parser_for
from nbaprops.sandbox.model import Season

BUTLER, BRUNSON, JOKIC, MILICIC, KJ_MARTIN = 202710, 1628973, 203999, 1642945, 1630231


REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


@cache
def real_rows(kind: str) -> list[Row]:
    path = next(p for p in sorted((REAL / kind).iterdir()) if p.suffix in {".json", ".gz", ".pdf"})
    return parser_for(kind).parse(maybe_gunzip(path.read_bytes()))


def test_the_real_captures_are_where_the_conftest_says(real_fixtures: Path) -> None:
    assert real_fixtures.resolve() == REAL.resolve()


@cache
def real_registry() -> tuple[RegistryPlayer, ...]:
    """NBA.com's player index (2025-26 rosters) and box scores (2025-03-15), as the registry holds them."""
    names: dict[int, set[str]] = {}
    teams: dict[int, set[str]] = {}
    for row in real_rows("nbac_player_list") + real_rows("nbac_player_boxscore"):
        pid = int(row["player_source_id"])
        names.setdefault(pid, set()).add(row["player_name"])
        teams.setdefault(pid, set()).add(row["team"])
    return tuple(RegistryPlayer(pid, n, frozenset(teams[pid])) for pid, ns in names.items() for n in ns)


def source_names(kind: str) -> list[SourceName]:
    found: dict[SourceName, None] = {}
    for row in real_rows(kind):
        if not row.get("player_name"):
            continue
        pid = row.get("player_source_id")
        source_id = None if pid is None else str(pid)
        found[SourceName(row["source"], source_id, row["player_name"], row.get("team"))] = None
    return list(found)


def one(
    name: SourceName,
    registry: tuple[RegistryPlayer, ...] | None = None,
    *,
    aliases: Aliases | None = None,
    known_ids: dict[tuple[str, str], int] | None = None,
) -> Match:
    chosen = registry if registry is not None else real_registry()
    [match] = resolve_names(chosen, [name], aliases=aliases, known_ids=known_ids)
    return match


# --- the real captures ------------------------------------------------------------------------


def test_bdl_jimmy_butler_resolves_to_nbacom_jimmy_butler_iii() -> None:
    match = one(SourceName("bdl", "666", "Jimmy Butler", "GSW"))
    assert (match.player_id, match.method) == (BUTLER, "lookup_without_suffix")


def test_bdl_box_scores_resolve_at_least_94_percent_and_never_two_ids_to_one_player() -> None:
    matches = resolve_names(real_registry(), source_names("bdl_box_scores"))
    rates = match_rates(matches)
    assert len(matches) == 347
    assert rates["resolved"] >= 0.94, rates
    ids = Counter(m.player_id for m in matches if m.player_id is not None)
    assert ids.most_common(1)[0][1] == 1  # each resolved BDL player is a different NBA.com player
    by_name = {m.name.name: m.player_id for m in matches}
    assert by_name["Nikola Jokic"] == JOKIC  # BDL folds the accent of "Nikola Jokić"


def test_bdl_names_absent_from_the_registry_stay_unresolved_with_a_reason() -> None:
    matches = resolve_names(real_registry(), source_names("bdl_box_scores"))
    unresolved = {m.name.name: m.reason for m in matches if m.method == "unresolved"}
    # Two-way and late signings of 2025-26 are not in the July 2025 player index.
    assert unresolved["Orlando Robinson"] == "no_candidate"
    assert all(m.player_id is None for m in matches if m.method == "unresolved")


def test_a_teammate_with_the_same_last_name_and_initial_is_not_a_match() -> None:
    # Real case: BDL's "Chaney Johnson" (BKN, two-way) is not his former teammate Cameron Johnson.
    match = one(SourceName("bdl", "1", "Chaney Johnson", "BKN"))
    assert (match.player_id, match.method, match.reason) == (None, "unresolved", "no_candidate")


def test_a_shortened_first_name_on_the_same_team_resolves_by_team_context() -> None:
    match = one(SourceName("bdl", "2", "Alexandre Sarr", "WAS"))  # NBA.com: "Alex Sarr"
    assert (match.player_id, match.method) == (1642259, "team_context")


def test_injury_report_names_resolve_after_turning_last_first_around() -> None:
    matches = resolve_names(real_registry(), source_names("nbac_injury_report"))
    by_name = {m.name.name: m for m in matches}
    assert len(matches) == 14
    assert by_name["Draymond Green"].player_id == 203110
    assert sum(m.player_id is not None for m in matches) == 12  # two had left the league by 2025-26


def test_injury_report_comma_suffix_order_resolves_igor_milicic_jr() -> None:
    spelled = last_first_to_display("Milicic, Jr., Igor")  # -> "Jr., Igor Milicic"
    match = one(SourceName("nbacom", None, spelled, "PHI"))
    assert match.player_id == MILICIC


def test_bdl_injuries_resolve_completely() -> None:
    matches = resolve_names(real_registry(), source_names("bdl_injuries"))
    assert match_rates(matches)["resolved"] == 1.0


def test_play_by_play_short_names_resolve_within_the_team() -> None:
    brunson = one(SourceName("nbacom", None, "J. Brunson", "NYK"))
    oubre = one(SourceName("nbacom", None, "K. Oubre Jr.", "PHI"))
    assert (brunson.player_id, brunson.method) == (BRUNSON, "team_context")
    assert (oubre.player_id, oubre.method) == (1626162, "team_context")


def test_play_by_play_ids_are_registry_ids() -> None:
    matches = resolve_names(real_registry(), source_names("nbac_play_by_play"))
    assert {m.method for m in matches} == {"source_id"}
    assert all(m.player_id == int(str(m.name.source_player_id)) for m in matches)


def test_an_nbacom_id_missing_from_the_registry_is_unresolved_whatever_the_name() -> None:
    match = one(SourceName("nbacom", "999", "J. Brunson", "NYK"))
    assert (match.player_id, match.reason) == (None, "nba_id_not_in_registry")


def test_a_source_id_matched_before_wins_over_the_name() -> None:
    match = one(SourceName("bdl", "70", "Someone Else", "BOS"), known_ids={("bdl", "70"): JOKIC})
    assert (match.player_id, match.method) == (JOKIC, "source_id")


def test_sportsbook_name_without_team_resolves_by_lookup_or_stays_unresolved() -> None:
    names = [
        SourceName("oddsapi", None, row["player_name"], None, game_teams=(row["home_team"], row["away_team"]))
        for row in real_rows("oddsa_player_props")
    ]
    by_name = {m.name.name: m for m in resolve_names(real_registry(), names)}
    assert by_name["Cade Cunningham"].method == "exact_lookup"
    assert by_name["Bojan Bogdanovic"].reason == "no_candidate"  # retired before 2025-26


# --- aliases and ambiguity ---------------------------------------------------------------------


def test_kj_martin_alias_works_in_both_directions() -> None:
    given = (RegistryPlayer(5, "Kenyon Martin Jr.", frozenset({"UTA"})),)
    match = one(SourceName("oddsapi", None, "KJ Martin"), given)
    assert (match.player_id, match.method) == (5, "alias")
    # NBA.com's 2025-26 index prints "KJ Martin"; BDL's older spelling finds him too.
    reverse = one(SourceName("bdl", "9", "Kenyon Martin Jr.", "UTA"))
    assert (reverse.player_id, reverse.method) == (KJ_MARTIN, "alias")


def test_first_name_nicknames_from_the_alias_file_expand_on_both_sides() -> None:
    registry = (RegistryPlayer(1, "Sebastian Okafor", frozenset({"MIA"})),)
    match = one(SourceName("oddsapi", None, "Bas Okafor"), registry)
    assert (match.player_id, match.method) == (1, "alias")


def test_two_players_with_one_name_are_ambiguous_unless_the_team_decides() -> None:
    registry = (
        RegistryPlayer(1, "Jalen Williams", frozenset({"OKC"})),
        RegistryPlayer(2, "Jalen Williams", frozenset({"DEN"})),
    )
    blind = one(SourceName("oddsapi", None, "Jalen Williams"), registry)
    assert (blind.player_id, blind.reason, blind.candidates) == (None, "ambiguous", (1, 2))
    placed = one(SourceName("bdl", "3", "Jalen Williams", "DEN"), registry)
    assert (placed.player_id, placed.method) == (2, "team_context")
    both = one(SourceName("oddsapi", None, "Jalen Williams", game_teams=("OKC", "DEN")), registry)
    assert both.method == "unresolved"


@pytest.mark.parametrize(
    ("registered", "spelled"),
    [
        ("Nikola Đurđević", "Nikola Djurdjevic"),  # books and Ball Don't Lie
        ("Nikola Đurđević", "Nikola Durdevic"),  # a plain fold
        ("Nikola Djurdjevic", "Nikola Đurđević"),  # the other way round
        ("Dennis Schröder", "Dennis Schroeder"),
        ("Dennis Schröder", "Dennis Schroder"),
        ("Mikkel Søgaard", "Mikkel Soegaard"),
        ("Jonas Jæger", "Jonas Jager"),
        ("Paul Strauß", "Paul Straus"),
        ("Paul Strauß", "Paul Strauss"),
        ("Jakub Włodarczyk", "Jakub Wlodarczyk"),
        ("Kerem Kanıtkaya", "Kerem Kanitkaya"),  # Turkish dotless i
        ("Nikola Đurđević Jr.", "Nikola Djurdjevic"),  # a transliteration and a dropped suffix at once
    ],
)
def test_transliteration_variants_resolve_to_the_registered_player(registered: str, spelled: str) -> None:
    registry = (
        RegistryPlayer(1, registered, frozenset({"DEN"})),
        RegistryPlayer(2, "Nikola Jokić", frozenset({"DEN"})),
    )
    match = one(SourceName("oddsapi", None, spelled, game_teams=("DEN", "LAL")), registry)
    assert match.player_id == 1, match


def test_a_transliterated_initial_resolves_within_the_team() -> None:
    registry = (RegistryPlayer(1, "Nikola Đurđević", frozenset({"DEN"})),)
    match = one(SourceName("nbacom", None, "N. Djurdjevic", "DEN"), registry)
    assert (match.player_id, match.method) == (1, "team_context")


@pytest.mark.parametrize(
    "spelled", ["Jaren Jackson", "Jaren Jackson Jr", "Jaren Jackson, Jr.", "Gary Payton", "Gary Payton II"]
)
def test_dropped_or_respelled_suffixes_resolve(spelled: str) -> None:
    registry = (
        RegistryPlayer(1, "Jaren Jackson Jr.", frozenset({"MEM"})),
        RegistryPlayer(2, "Gary Payton II", frozenset({"GSW"})),
    )
    match = one(SourceName("oddsapi", None, spelled, game_teams=("MEM", "GSW")), registry)
    assert match.player_id == (1 if "Jackson" in spelled else 2)


def test_namesakes_on_two_teams_are_told_apart_by_each_event_s_teams() -> None:
    registry = (
        RegistryPlayer(1, "Jalen Foster", frozenset({"ATL"})),
        RegistryPlayer(2, "Jalen Foster", frozenset({"POR"})),
    )
    for teams, expected in ((("HOU", "ATL"), 1), (("ATL", "HOU"), 1), (("POR", "BOS"), 2)):
        match = one(SourceName("oddsapi", None, "Jalen Foster", game_teams=teams), registry)
        assert (match.player_id, match.method) == (expected, "team_context")


def test_initials_shared_by_two_teammates_are_ambiguous_but_a_suffix_decides() -> None:
    registry = (
        RegistryPlayer(1, "Dalton Ross", frozenset({"DET"})),
        RegistryPlayer(2, "Derrick Ross Jr.", frozenset({"DET"})),
        RegistryPlayer(3, "Jalen Ross", frozenset({"DET"})),
        RegistryPlayer(4, "Jared Ross", frozenset({"DET"})),
    )
    assert one(SourceName("nbacom", None, "D. Ross Jr.", "DET"), registry).player_id == 2
    assert one(SourceName("nbacom", None, "D. Ross", "DET"), registry).player_id == 1
    assert one(SourceName("nbacom", None, "J. Ross", "DET"), registry).candidates == (3, 4)


def test_the_committed_alias_file_loads_and_every_row_has_a_reason() -> None:
    aliases = default_aliases()
    assert aliases.canonical("bdl", "KJ Martin") == "Kenyon Martin Jr."
    assert aliases.given["kj"] == "kenyon"


def test_an_alias_row_without_a_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("source,name,canonical_name,reason\n*,Moe Wagner,Moritz Wagner,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="reason"):
        load_aliases(path)


def test_a_source_specific_alias_applies_only_to_that_source() -> None:
    registry = (RegistryPlayer(1, "Robert Smith", frozenset()), RegistryPlayer(2, "Bobby Jones", frozenset()))
    aliases = Aliases(full={("bdl", "bobbyjones"): "Robert Smith"})
    assert one(SourceName("bdl", "1", "Bobby Jones"), registry, aliases=aliases).player_id == 1
    assert one(SourceName("espn", None, "Bobby Jones"), registry, aliases=aliases).player_id == 2


# --- the sandbox league ------------------------------------------------------------------------


def test_every_sandbox_spelling_resolves_to_the_right_player(sandbox_season: Season) -> None:
    league = sandbox_season
    registry = tuple(RegistryPlayer(p.player_id, p.display_name, frozenset({p.team})) for p in league.players)
    spellings = {
        "bdl": [SourceName("bdl", str(p.bdl_id), p.bdl_name, p.team) for p in league.players],
        "book": [
            SourceName("oddsapi", None, p.book_name, game_teams=(p.team, "XXX")) for p in league.players
        ],
        "injury": [
            SourceName("nbacom", None, last_first_to_display(p.injury_report_name), p.team)
            for p in league.players
        ],
    }
    truth = [p.player_id for p in league.players]
    for source, names in spellings.items():
        matches = resolve_names(registry, names)
        assert [m.player_id for m in matches] == truth, source
    kinds = Counter(m.method for m in resolve_names(registry, spellings["bdl"]) if m.method != "exact_lookup")
    assert kinds["alias"] >= 2  # nicknames
    assert kinds["lookup_without_suffix"] >= 1  # dropped "III"s


def test_sandbox_play_by_play_short_names_never_pick_the_wrong_teammate(sandbox_season: Season) -> None:
    league = sandbox_season
    registry = tuple(RegistryPlayer(p.player_id, p.display_name, frozenset({p.team})) for p in league.players)
    names = [SourceName("nbacom", None, f"{p.first_name[:1]}. {p.last_name}", p.team) for p in league.players]
    matches = resolve_names(registry, names)
    pairs = zip(matches, league.players, strict=True)
    wrong = [m for m, p in pairs if m.player_id not in (None, p.player_id)]
    assert wrong == []
    assert match_rates(matches)["resolved"] >= 0.98
