"""League schedule v2: the README's FACTS for the 2024-25 capture, and typed errors."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.identity import TEAMS
from nbaprops.raw.parsers.nbac_schedule_api import parse

Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "nbac_schedule_api" / "raw_80cb1fd6.json.gz").read_bytes()


@pytest.fixture(scope="module")
def document(raw: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(gzip.decompress(raw))
    return loaded


@pytest.fixture(scope="module")
def rows(raw: bytes) -> Rows:
    return parse(raw)


@pytest.fixture(scope="module")
def by_id(rows: Rows) -> dict[str, dict[str, Any]]:
    return {r["game_id"]: r for r in rows}


def test_fact1_whole_season_of_final_games(rows: Rows, document: dict[str, Any]) -> None:
    schedule = document["leagueSchedule"]
    assert schedule["seasonYear"] == "2024-25"
    assert len(schedule["gameDates"]) == 231
    assert (schedule["gameDates"][0]["gameDate"], schedule["gameDates"][-1]["gameDate"]) == (
        "10/04/2024 00:00:00",
        "06/22/2025 00:00:00",
    )
    assert len(rows) == 1400
    assert len({r["game_id"] for r in rows}) == 1400
    assert {r["status"] for r in rows} == {3}
    assert {r["season_year"] for r in rows} == {"2024-25"}
    assert min(r["game_date"] for r in rows) == "2024-10-04"
    assert max(r["game_date"] for r in rows) == "2025-06-22"


def test_fact2_season_types_from_the_game_id_prefix(rows: Rows) -> None:
    assert Counter(r["season_type"] for r in rows) == {
        "preseason": 73,
        "regular": 1230,
        "all_star": 6,
        "playoffs": 84,
        "play_in": 6,
        "cup_final": 1,
    }


def test_fact3_every_franchise_plays_82_regular_season_games(rows: Rows) -> None:
    games: Counter[str] = Counter()
    for r in rows:
        if r["season_type"] == "regular":
            games.update([r["home_team"], r["away_team"]])
    assert games == {team.tricode: 82 for team in TEAMS}


def test_fact4_status_texts_and_periods(rows: Rows) -> None:
    assert Counter(r["status_text"] for r in rows) == {"Final": 1330, "Final/OT": 66, "Final/OT2": 4}
    assert Counter(r["periods"] for r in rows) == {4: 1330, 5: 66, 6: 4}


def test_fact5_finals_game_7(by_id: dict[str, dict[str, Any]]) -> None:
    game = by_id["0042400407"]
    assert (game["game_date"], game["game_code"]) == ("2025-06-22", "20250622/INDOKC")
    assert game["season_type"] == "playoffs"
    assert (game["away_team"], game["away_score"]) == ("IND", 91)
    assert (game["home_team"], game["home_score"]) == ("OKC", 103)
    assert game["series_text"] == "OKC wins 4-3"
    assert game["points_leaders_count"] == 1
    assert (game["points_leader_id"], game["points_leader_name"]) == (1628983, "Shai Gilgeous-Alexander")
    assert game["points_leader_points"] == 29
    assert game["tip_utc"] == "2025-06-23T00:00:00Z"  # 8 pm ET: the next UTC day, the same ET date


def test_fact6_cup_final_is_its_own_season_type(by_id: dict[str, dict[str, Any]]) -> None:
    game = by_id["0062400001"]
    assert (game["game_date"], game["season_type"]) == ("2024-12-17", "cup_final")
    scores = {game["home_team"]: game["home_score"], game["away_team"]: game["away_score"]}
    assert scores == {"MIL": 97, "OKC": 81}
    assert (game["game_label"], game["game_sub_label"]) == ("Emirates NBA Cup", "Championship")
    assert game["game_subtype"] == "in-season-knockout"


def test_fact7_named_games_and_leaders(by_id: dict[str, dict[str, Any]]) -> None:
    ot = by_id["0022400561"]
    assert (ot["game_date"], ot["tip_utc"]) == ("2025-01-15", "2025-01-16T00:00:00Z")
    assert (ot["away_team"], ot["away_score"], ot["home_team"], ot["home_score"]) == ("NYK", 125, "PHI", 119)
    assert (ot["status_text"], ot["periods"]) == ("Final/OT", 5)
    assert (ot["points_leader_name"], ot["points_leader_points"]) == ("Jalen Brunson", 38)
    den = by_id["0022400975"]
    assert (den["game_date"], den["away_team"], den["away_score"], den["home_team"], den["home_score"]) == (
        "2025-03-15",
        "WAS",
        126,
        "DEN",
        123,
    )
    assert (den["points_leader_name"], den["points_leader_lookup"], den["points_leader_points"]) == (
        "Nikola Jokic",
        "nikolajokic",
        40,
    )


def test_fact8_games_per_date(rows: Rows) -> None:
    days = ("2025-03-15", "2025-01-15")
    per_day = {day: sorted(r["game_id"] for r in rows if r["game_date"] == day) for day in days}
    assert per_day["2025-03-15"] == [f"00224009{n}" for n in range(68, 76)]
    assert per_day["2025-01-15"] == [f"00224005{n}" for n in range(61, 72)]


def test_fact9_points_leader_ties_and_envelope_lists(rows: Rows, document: dict[str, Any]) -> None:
    assert Counter(r["points_leaders_count"] for r in rows) == {1: 1296, 2: 95, 3: 6, 4: 3}
    assert len(document["leagueSchedule"]["weeks"]) == 36
    assert len(document["leagueSchedule"]["broadcasterList"]) == 129


def test_fact10_counts_disagree_with_the_origin_summary_for_good_reason(rows: Rows) -> None:
    types = Counter(r["season_type"] for r in rows)
    assert types["preseason"] + types["cup_final"] == 74  # the origin counted the Cup final as preseason
    assert types["playoffs"] + types["play_in"] == 90


def test_non_nba_teams_have_no_tricode_but_keep_their_source_code(by_id: dict[str, dict[str, Any]]) -> None:
    breakers = by_id["0012400002"]
    assert (breakers["away_team"], breakers["away_source_code"]) == (None, "NZB")
    assert breakers["is_nba_matchup"] is False
    all_star = by_id["0032400004"]
    assert (all_star["home_team"], all_star["home_source_code"]) == (None, "TMC")
    assert all_star["game_date"] == "2025-02-14"  # 02:15Z on the 15th is 9:15 pm ET on the 14th
    assert sum(not r["is_nba_matchup"] for r in by_id.values()) == 10


def _mutate(document: dict[str, Any], change: Any) -> bytes:
    copy = json.loads(json.dumps(document))
    change(copy["leagueSchedule"]["gameDates"][5]["games"][0])
    return json.dumps(copy).encode()


def test_bad_bytes_are_payload_errors(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="gzip"):
        parse(raw[:1000])
    with pytest.raises(PayloadError, match="not valid JSON"):
        parse(gzip.decompress(raw)[:5000])
    with pytest.raises(PayloadError, match="HTML"):
        parse(b"<!doctype html><title>403</title>")


def test_renamed_key_wrong_type_and_mismatched_tricode_are_drift(document: dict[str, Any]) -> None:
    def rename(game: dict[str, Any]) -> None:
        game["gameDateTimeUtc"] = game.pop("gameDateTimeUTC")

    def wrong_type(game: dict[str, Any]) -> None:
        game["homeTeam"]["score"] = "103"

    def mismatch(game: dict[str, Any]) -> None:
        game["homeTeam"]["teamTricode"] = "XXX"

    def bad_prefix(game: dict[str, Any]) -> None:
        game["gameId"] = "0092400001"

    for change, needle in [
        (rename, "gameDateTimeUTC"),
        (wrong_type, "score"),
        (mismatch, "XXX"),
        (bad_prefix, "known prefix"),
    ]:
        with pytest.raises(SchemaDrift, match=needle):
            parse(_mutate(document, change))


def test_a_schedule_without_games_is_drift() -> None:
    empty = {"leagueSchedule": {"seasonYear": "2024-25", "gameDates": []}}
    with pytest.raises(SchemaDrift, match="no games"):
        parse(json.dumps(empty).encode())
