"""playerindex: the README's FACTS for the 2025-26 capture, and typed errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers.nbac_player_list import parse

Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "nbac_player_list" / "raw_7af00b51.json").read_bytes()


@pytest.fixture(scope="module")
def rows(raw: bytes) -> Rows:
    return parse(raw)


def test_fact1_594_rostered_players_on_30_teams(rows: Rows) -> None:
    assert len(rows) == 594
    assert len({r["player_source_id"] for r in rows}) == 594
    assert len({r["team_id"] for r in rows}) == 30
    assert {r["roster_status"] for r in rows} == {1}
    assert {r["to_year"] for r in rows} == {"2025"}
    assert {r["season"] for r in rows} == {"2025-26"}


def test_fact2_players_per_team(rows: Rows) -> None:
    per_team = Counter(r["team"] for r in rows)
    assert per_team.most_common(2) == [("CHA", 24), ("PHI", 23)]
    assert all(per_team[t] == 22 for t in ("NOP", "WAS", "CHI", "SAC", "DAL"))
    assert min(per_team.values()) == 17
    assert {t for t, n in per_team.items() if n == 17} == {"HOU", "ATL", "MIN"}


def test_fact3_positions(rows: Rows) -> None:
    assert Counter(r["position"] for r in rows) == {
        "G": 239,
        "F": 184,
        "C": 60,
        "G-F": 42,
        "F-C": 30,
        "C-F": 20,
        "F-G": 11,
        None: 8,
    }


def test_fact4_named_players_with_suffix_inside_the_last_name(rows: Rows) -> None:
    by_id = {r["player_source_id"]: r for r in rows}
    expected = {
        1629029: ("Luka", "Dončić", "Luka Dončić", "lukadoncic", "LAL"),
        202710: ("Jimmy", "Butler III", "Jimmy Butler III", "jimmybutleriii", "GSW"),
        203999: ("Nikola", "Jokić", "Nikola Jokić", "nikolajokic", "DEN"),
        204001: ("Kristaps", "Porziņģis", "Kristaps Porziņģis", "kristapsporzingis", "ATL"),
    }
    for player_id, fields in expected.items():
        row = by_id[player_id]
        names = (row["first_name"], row["last_name"], row["player_name"], row["player_lookup"])
        assert (*names, row["team"]) == fields


def test_fact5_comma_suffix_and_nulls(rows: Rows) -> None:
    milicic = next(r for r in rows if r["last_name"] == "Miličić, Jr.")
    assert (milicic["player_name"], milicic["player_lookup"]) == ("Igor Miličić Jr.", "igormilicicjr")
    assert all(r["pts"] is None and r["reb"] is None for r in rows)
    assert sum(r["jersey_number"] is None for r in rows) == 30
    assert sum(r["draft_year"] is None for r in rows) == 133
    json.dumps(rows)


def test_bad_bytes_are_payload_errors(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="nbac_player_list: not valid JSON"):
        parse(raw[:777])
    with pytest.raises(PayloadError, match="HTML"):
        parse(b"<html>Forbidden</html>")


def test_renamed_header_wrong_type_and_foreign_team_are_drift(raw: bytes) -> None:
    def mutate(change: Any) -> bytes:
        document = json.loads(raw)
        change(document["resultSets"][0])
        return json.dumps(document).encode()

    def rename(rs: dict[str, Any]) -> None:
        rs["headers"][rs["headers"].index("PERSON_ID")] = "PLAYER_ID"

    def text_id(rs: dict[str, Any]) -> None:
        rs["rowSet"][0][0] = "1630173"

    def foreign_team(rs: dict[str, Any]) -> None:
        rs["rowSet"][0][rs["headers"].index("TEAM_ID")] = 15020

    def no_rows(rs: dict[str, Any]) -> None:
        rs["rowSet"] = []

    for change, needle in [
        (rename, "PERSON_ID"),
        (text_id, "PERSON_ID"),
        (foreign_team, "15020"),
        (no_rows, "empty"),
    ]:
        with pytest.raises(SchemaDrift, match=needle):
            parse(mutate(change))
