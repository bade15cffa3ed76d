import pytest

from nbaprops.identity import (
    TEAMS,
    UnknownTeam,
    last_first_to_display,
    lookup_without_suffix,
    player_lookup,
    team,
    tricode_from_bdl_id,
    tricode_from_espn,
    tricode_from_name,
    tricode_from_nba_id,
)


@pytest.mark.parametrize(
    ("name", "lookup"),
    [
        ("Nikola Jokić", "nikolajokic"),
        ("Kristaps Porziņģis", "kristapsporzingis"),
        ("Egor Dëmin", "egordemin"),
        ("Nikola Đurišić", "nikoladurisic"),
        ("D'Angelo Russell", "dangelorussell"),
        ("Shai Gilgeous-Alexander", "shaigilgeousalexander"),
        ("Jaren Jackson Jr.", "jarenjacksonjr"),
        ("  Kel'el   Ware ", "kelelware"),
    ],
)
def test_player_lookup_folds_accents_and_punctuation(name: str, lookup: str) -> None:
    assert player_lookup(name) == lookup


def test_suffix_insensitive_lookup_matches_bdl_spelling() -> None:
    assert lookup_without_suffix("Jimmy Butler III") == player_lookup("Jimmy Butler")
    assert lookup_without_suffix("Igor Miličić, Jr.") == "igormilicic"
    # A two-word name is never shortened to one word.
    assert lookup_without_suffix("Jr Smith") == "jrsmith"


def test_injury_report_names_turn_into_display_names() -> None:
    assert last_first_to_display("Duke Jr., David") == "David Duke Jr."
    assert last_first_to_display("Payton II, Gary") == "Gary Payton II"
    assert last_first_to_display("Nance") == "Nance"
    assert last_first_to_display("Milicic, Jr., Igor") == "Igor Milicic Jr."


def test_thirty_teams_with_unique_codes_everywhere() -> None:
    assert len(TEAMS) == 30
    for attr in ("tricode", "nba_id", "espn_abbr", "espn_id", "bdl_id", "full_name"):
        assert len({getattr(t, attr) for t in TEAMS}) == 30, attr


def test_source_codes_map_to_nba_tricodes() -> None:
    espn = {"NO": "NOP", "NY": "NYK", "WSH": "WAS", "SA": "SAS", "GS": "GSW", "UTAH": "UTA", "BOS": "BOS"}
    assert {k: tricode_from_espn(k) for k in espn} == espn
    assert tricode_from_name("Los Angeles Clippers") == "LAC"
    assert tricode_from_name("LA Clippers") == "LAC"
    assert tricode_from_name("Los Angeles Lakers") == "LAL"
    assert tricode_from_name("Philadelphia 76ers") == "PHI"
    assert tricode_from_name("Denver Nuggets") == "DEN"
    assert tricode_from_bdl_id(30) == "WAS"
    assert tricode_from_nba_id(1610612744) == "GSW"
    assert team("okc").full_name == "Oklahoma City Thunder"


def test_non_nba_teams_are_unknown() -> None:
    with pytest.raises(UnknownTeam):
        tricode_from_name("New Zealand Breakers")
    with pytest.raises(UnknownTeam):
        team("NZB")
