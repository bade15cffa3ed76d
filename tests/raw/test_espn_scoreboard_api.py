"""ESPN scoreboard: FACTS of espn_scoreboard_api/raw_92de7c9a.json plus typed errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers import espn_scoreboard_api


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "espn_scoreboard_api" / "raw_92de7c9a.json").read_bytes()


@pytest.fixture(scope="module")
def rows(raw: bytes) -> dict[str, dict[str, object]]:
    return {str(r["source_game_id"]): r for r in espn_scoreboard_api.parse(raw)}


def test_fact1_eleven_final_events(rows: dict[str, dict[str, object]]) -> None:
    assert sorted(rows) == [str(i) for i in range(401585183, 401585194)]
    assert {r["status"] for r in rows.values()} == {"STATUS_FINAL"}
    assert {r["season"] for r in rows.values()} == {"2023-24"}
    assert {(r["source"], r["kind"], r["game_id"]) for r in rows.values()} == {
        ("espn", "espn_scoreboard_api", None)
    }
    json.dumps(list(rows.values()))


def test_fact2_rockets_at_sixers(rows: dict[str, dict[str, object]]) -> None:
    game = rows["401585183"]
    assert game["name"] == "Houston Rockets at Philadelphia 76ers"
    assert (game["home_team"], game["home_score"], game["away_team"], game["away_score"]) == (
        "PHI",
        124,
        "HOU",
        115,
    )
    assert [game[f"home_q{q}"] for q in range(1, 5)] == [33, 33, 32, 26]
    assert (game["home_points_leader"], game["home_points_leader_pts"]) == ("Joel Embiid", 41)


def test_fact3_the_only_overtime_game(rows: dict[str, dict[str, object]]) -> None:
    game = rows["401585190"]
    assert (game["away_team"], game["home_team"]) == ("MIA", "BKN")
    assert [game[f"away_q{q}"] for q in range(1, 5)] + [game["away_ot"]] == [16, 15, 37, 20, 8]
    assert [game[f"home_q{q}"] for q in range(1, 5)] + [game["home_ot"]] == [22, 23, 24, 19, 7]
    assert (game["away_score"], game["home_score"], game["period"], game["periods"]) == (96, 95, 5, 5)
    assert [gid for gid, r in rows.items() if r["periods"] != 4] == ["401585190"]


def test_fact4_evening_tips_dated_next_utc_day_land_on_the_eastern_date(
    rows: dict[str, dict[str, object]],
) -> None:
    late = sorted(str(r["tip_utc"]) for r in rows.values() if str(r["tip_utc"]).startswith("2024-01-16"))
    assert late == [
        "2024-01-16T00:00:00Z",
        "2024-01-16T00:30:00Z",
        "2024-01-16T00:30:00Z",
        "2024-01-16T02:00:00Z",
        "2024-01-16T03:30:00Z",
    ]
    assert {r["game_date"] for r in rows.values()} == {"2024-01-15"}


def test_fact5_espn_abbreviations_map_to_tricodes(rows: dict[str, dict[str, object]]) -> None:
    abbrs = {r[f"{s}_abbr"] for r in rows.values() for s in ("home", "away")}
    assert abbrs == {
        "ATL",
        "BKN",
        "BOS",
        "CHI",
        "CLE",
        "DAL",
        "DET",
        "GS",
        "HOU",
        "IND",
        "LAL",
        "MEM",
        "MIA",
        "NO",
        "NY",
        "OKC",
        "ORL",
        "PHI",
        "SA",
        "TOR",
        "UTAH",
        "WSH",
    }
    pairs = {(r[f"{s}_abbr"], r[f"{s}_team"]) for r in rows.values() for s in ("home", "away")}
    assert {
        ("NO", "NOP"),
        ("NY", "NYK"),
        ("WSH", "WAS"),
        ("SA", "SAS"),
        ("GS", "GSW"),
        ("UTAH", "UTA"),
    } <= pairs


def test_an_empty_scoreboard_is_legitimately_empty() -> None:
    assert espn_scoreboard_api.parse(b'{"leagues": [], "events": []}') == []


def test_truncated_bytes_are_a_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="espn_scoreboard_api: not valid JSON"):
        espn_scoreboard_api.parse(raw[:50_000])


def test_an_html_page_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="HTML"):
        espn_scoreboard_api.parse(b"<html><body>Gateway Timeout</body></html>")


def test_a_renamed_field_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="homeAway is missing"):
        espn_scoreboard_api.parse(raw.replace(b'"homeAway"', b'"side"', 1))


def test_a_wrong_type_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="score '124x' is not a points total"):
        espn_scoreboard_api.parse(raw.replace(b'"score":"124"', b'"score":"124x"', 1))


def test_linescores_that_miss_the_score_are_schema_drift(raw: bytes) -> None:
    document = json.loads(raw)
    document["events"][0]["competitions"][0]["competitors"][0]["score"] = "125"
    with pytest.raises(SchemaDrift, match="linescores add up to 124, not the score 125"):
        espn_scoreboard_api.parse(json.dumps(document).encode())


def test_an_unknown_abbreviation_is_schema_drift(raw: bytes) -> None:
    document = json.loads(raw)
    document["events"][0]["competitions"][0]["competitors"][0]["team"]["abbreviation"] = "SEA"
    with pytest.raises(SchemaDrift, match="'SEA' is not an NBA team"):
        espn_scoreboard_api.parse(json.dumps(document).encode())
