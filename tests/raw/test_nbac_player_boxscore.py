"""leaguegamelog player rows: the README's FACTS for the 2025-03-15 capture, and typed errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers.nbac_player_boxscore import parse

Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "nbac_player_boxscore" / "raw_2ad17718.json").read_bytes()


@pytest.fixture(scope="module")
def rows(raw: bytes) -> Rows:
    return parse(raw)


def _player(rows: Rows, player_id: int) -> dict[str, Any]:
    return next(row for row in rows if row["player_source_id"] == player_id)


def test_fact1_157_rows_of_8_games_on_one_date(rows: Rows) -> None:
    assert len(rows) == 157
    assert sorted({r["game_id"] for r in rows}) == [f"00224009{n}" for n in range(68, 76)]
    assert {r["game_date"] for r in rows} == {"2025-03-15"}
    assert {r["season_id"] for r in rows} == {"22024"}
    assert {r["season"] for r in rows} == {"2024-25"}
    assert Counter(r["wl"] for r in rows) == {"W": 80, "L": 77}
    assert all(r["played"] is True and r["source"] == "nbacom" for r in rows)


def test_fact2_rows_per_game(rows: Rows) -> None:
    assert Counter(r["game_id"] for r in rows) == {
        "0022400971": 22,
        "0022400969": 21,
        "0022400972": 20,
        "0022400973": 20,
        "0022400974": 19,
        "0022400970": 19,
        "0022400975": 18,
        "0022400968": 18,
    }


def test_fact3_team_points_equal_final_scores_and_home_side_from_matchup(rows: Rows) -> None:
    assert sum(r["pts"] for r in rows) == 1814
    points: Counter[tuple[str, bool]] = Counter()
    for r in rows:
        points[r["team"], r["is_home"]] += r["pts"]
    assert points == {
        ("BOS", False): 115,
        ("BKN", True): 113,
        ("OKC", False): 113,
        ("DET", True): 107,
        ("CHI", False): 114,
        ("HOU", True): 117,
        ("MIA", False): 91,
        ("MEM", True): 125,
        ("IND", False): 119,
        ("MIL", True): 126,
        ("NOP", False): 115,
        ("SAS", True): 119,
        ("NYK", False): 94,
        ("GSW", True): 97,
        ("WAS", False): 126,
        ("DEN", True): 123,
    }
    wizards = next(r for r in rows if r["team"] == "WAS")
    assert (wizards["opponent"], wizards["matchup"]) == ("DEN", "WAS @ DEN")


def test_fact4_named_players_lines(rows: Rows) -> None:
    sga = _player(rows, 1628983)
    assert (sga["pts"], sga["minutes"], sga["team"]) == (48, 38.0, "OKC")
    assert (sga["opponent"], sga["is_home"]) == ("DET", False)
    assert sga["pts"] == max(r["pts"] for r in rows)
    jokic = _player(rows, 203999)
    assert (jokic["player_name"], jokic["player_lookup"]) == ("Nikola Jokić", "nikolajokic")
    assert (jokic["pts"], jokic["reb"], jokic["ast"]) == (40, 13, 9)
    assert (jokic["minutes"], jokic["is_home"]) == (39.0, True)
    assert _player(rows, 1642259)["pts"] == 34
    by_name = {r["player_name"]: r for r in rows}
    assert (by_name["Karl-Anthony Towns"]["pts"], by_name["Karl-Anthony Towns"]["team"]) == (29, "NYK")
    assert (by_name["Stephen Curry"]["pts"], by_name["Stephen Curry"]["team"]) == (28, "GSW")


def test_fact5_zero_minute_rows_keep_null_percentages(rows: Rows) -> None:
    zero = {r["player_name"]: r for r in rows if r["minutes"] == 0.0}
    assert set(zero) == {"Andre Jackson Jr.", "Adam Flagler"}
    assert (zero["Andre Jackson Jr."]["team"], zero["Andre Jackson Jr."]["pf"]) == ("MIL", 1)
    assert zero["Adam Flagler"]["team"] == "OKC"
    for row in zero.values():
        assert (row["fg_pct"], row["fg3_pct"], row["ft_pct"]) == (None, None, None)
    assert sum(r["ft_pct"] is None for r in rows) == 72
    assert sum(r["fg3_pct"] is None for r in rows) == 27
    assert sum(r["fg_pct"] is None for r in rows) == 5


def test_fact6_suffixes_and_diacritics_survive(rows: Rows) -> None:
    butler = _player(rows, 202710)
    assert (butler["player_name"], butler["pts"], butler["team"]) == ("Jimmy Butler III", 11, "GSW")
    assert butler["player_lookup"] == "jimmybutleriii"
    kp = _player(rows, 204001)
    assert (kp["player_name"], kp["pts"]) == ("Kristaps Porziņģis", 24)
    assert kp["player_lookup"] == "kristapsporzingis"


def test_fact7_rows_are_typed_and_json_serializable(rows: Rows) -> None:
    json.dumps(rows)
    assert all(isinstance(r["minutes"], float) and isinstance(r["pts"], int) for r in rows)


def _mutated(raw: bytes, change: Any) -> bytes:
    document = json.loads(raw)
    change(document["resultSets"][0])
    return json.dumps(document).encode()


def test_truncated_and_html_payloads_are_payload_errors(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="nbac_player_boxscore: not valid JSON"):
        parse(raw[: len(raw) // 2])
    with pytest.raises(PayloadError, match="HTML"):
        parse(b"<html><body>Service Unavailable</body></html>")


def test_renamed_header_is_schema_drift_naming_it(raw: bytes) -> None:
    def rename(rs: dict[str, Any]) -> None:
        rs["headers"][rs["headers"].index("PTS")] = "POINTS"

    with pytest.raises(SchemaDrift, match="PTS"):
        parse(_mutated(raw, rename))


def test_wrong_type_negative_points_and_absurd_minutes_are_drift(raw: bytes) -> None:
    def set_cell(header: str, value: object) -> Any:
        def change(rs: dict[str, Any]) -> None:
            rs["rowSet"][3][rs["headers"].index(header)] = value

        return change

    for header, value, needle in [
        ("PTS", "28", "PTS"),
        ("PTS", -2, "minimum"),
        ("MIN", 71, "more than 70"),
        ("MATCHUP", "GSW v NYK", "MATCHUP"),
        ("PTS", 99, "does not match its makes"),
    ]:
        with pytest.raises(SchemaDrift, match=needle):
            parse(_mutated(raw, set_cell(header, value)))


def test_empty_rowset_is_a_legitimate_empty_day(raw: bytes) -> None:
    def empty(rs: dict[str, Any]) -> None:
        rs["rowSet"] = []

    assert parse(_mutated(raw, empty)) == []
