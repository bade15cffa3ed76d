"""scoreboardV2: the README's FACTS for 2025-01-15, and typed errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers.nbac_scoreboard_v2 import parse, standings, team_leaders

Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "nbac_scoreboard_v2" / "raw_06a65a50.json").read_bytes()


@pytest.fixture(scope="module")
def rows(raw: bytes) -> Rows:
    return parse(raw)


def test_fact1_eleven_final_games(rows: Rows) -> None:
    assert sorted(r["game_id"] for r in rows) == [f"00224005{n}" for n in range(61, 72)]
    assert {r["status"] for r in rows} == {3}
    assert {r["game_date"] for r in rows} == {"2025-01-15"}
    assert {r["season"] for r in rows} == {"2024-25"}
    warriors = next(r for r in rows if r["game_id"] == "0022400565")
    assert (warriors["away_team"], warriors["home_team"], warriors["game_sequence"]) == ("GSW", "MIN", 9)


def test_fact2_overtime_game_line_score(rows: Rows) -> None:
    game = next(r for r in rows if r["game_id"] == "0022400561")
    away = [game[f"away_q{n}"] for n in range(1, 5)]
    home = [game[f"home_q{n}"] for n in range(1, 5)]
    assert (game["away_team"], away, game["away_ot1"], game["away_pts"]) == ("NYK", [30, 30, 25, 24], 16, 125)
    assert (game["home_team"], home, game["home_ot1"], game["home_pts"]) == ("PHI", [21, 26, 38, 24], 10, 119)
    assert (game["periods"], game["ot_periods"], game["status_text"]) == (5, 1, "Final")
    overtime = [r["game_id"] for r in rows if r["home_ot1"] or r["away_ot1"]]
    assert overtime == ["0022400561"]


def test_fact3_periods_add_up_to_points_for_every_side(rows: Rows) -> None:
    for r in rows:
        for side in ("home", "away"):
            quarters = sum(r[f"{side}_q{n}"] for n in range(1, 5))
            assert quarters + r[f"{side}_ot"] == r[f"{side}_pts"]


def test_fact3_a_line_score_that_does_not_add_up_is_drift(raw: bytes) -> None:
    document = json.loads(raw)
    line = next(rs for rs in document["resultSets"] if rs["name"] == "LineScore")
    line["rowSet"][0][line["headers"].index("PTS_QTR2")] += 1
    with pytest.raises(SchemaDrift, match="add up to 126, not PTS 125"):
        parse(json.dumps(document).encode())


def test_fact4_points_leaders(raw: bytes) -> None:
    leaders = team_leaders(raw)
    assert len(leaders) == 22
    top = max(leaders, key=lambda r: int(str(r["pts"])))
    assert (top["pts_player_name"], top["team"], top["pts"]) == ("Jalen Brunson", "NYK", 38)
    scorers = {(r["pts_player_name"], r["team"]): r["pts"] for r in leaders}
    assert scorers[("Tyrese Maxey", "PHI")] == 33
    assert scorers[("Stephen Curry", "GSW")] == 31
    assert scorers[("Tyler Herro", "MIA")] == 34
    assert scorers[("Jalen Green", "HOU")] == 34


def test_fact5_leader_names_keep_diacritics_and_apostrophes(raw: bytes) -> None:
    leaders = team_leaders(raw)
    rebounds = {(r["reb_player_name"], r["team"]): r["reb"] for r in leaders}
    assists = {(r["ast_player_name"], r["team"]): r["ast"] for r in leaders}
    assert rebounds[("Nikola Vučević", "CHI")] == 16
    assert rebounds[("Kel'el Ware", "MIA")] == 11
    assert assists[("Dario Šarić", "DEN")] == 5
    assert assists[("Nikola Jović", "MIA")] == 8
    ware = next(r for r in leaders if r["reb_player_name"] == "Kel'el Ware")
    assert ware["reb_player_lookup"] == "kelelware"


def test_fact6_conference_leaders(raw: bytes) -> None:
    table = standings(raw)
    assert len(table) == 30
    east = next(r for r in table if r["conference"] == "East" and r["rank"] == 1)
    west = next(r for r in table if r["conference"] == "West" and r["rank"] == 1)
    assert (east["team_name"], east["wins"], east["losses"], east["win_pct"]) == ("Cleveland", 34, 5, 0.872)
    assert (west["team_name"], west["wins"], west["losses"]) == ("Oklahoma City", 33, 6)
    assert west["win_pct"] == 0.846
    assert {(r["standings_date"], r["season_id"]) for r in table} == {("2025-01-15", "22024")}


def test_fact7_rows_are_json_serializable(rows: Rows) -> None:
    assert len(json.loads(json.dumps(rows))) == 11


def test_bad_bytes_are_payload_errors(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="nbac_scoreboard_v2: not valid JSON"):
        parse(raw[:-40])
    with pytest.raises(PayloadError, match="HTML"):
        parse(b"  <HTML><BODY>blocked</BODY></HTML>")


def test_renamed_header_wrong_type_and_missing_side_are_drift(raw: bytes) -> None:
    def mutate(name: str, change: Any) -> bytes:
        document = json.loads(raw)
        change(next(rs for rs in document["resultSets"] if rs["name"] == name))
        return json.dumps(document).encode()

    def rename(rs: dict[str, Any]) -> None:
        rs["headers"][rs["headers"].index("PTS_QTR1")] = "PTS_Q1"

    def text_points(rs: dict[str, Any]) -> None:
        rs["rowSet"][0][rs["headers"].index("PTS")] = "125"

    def drop_row(rs: dict[str, Any]) -> None:
        rs["rowSet"].pop()

    for name, change, needle in [
        ("LineScore", rename, "PTS_QTR1"),
        ("LineScore", text_points, "PTS"),
        ("LineScore", drop_row, "no LineScore row"),
    ]:
        with pytest.raises(SchemaDrift, match=needle):
            parse(mutate(name, change))
