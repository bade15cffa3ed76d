"""Ball Don't Lie box scores: FACTS of bdl_box_scores/raw_71b3c5b2.json plus typed errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers import bdl_box_scores

CORE = {
    "game_id",
    "source_game_id",
    "game_date",
    "season",
    "team",
    "opponent",
    "is_home",
    "player_source_id",
    "player_name",
    "player_lookup",
    "played",
    "minutes",
    "fgm",
    "fga",
    "fg3m",
    "fg3a",
    "ftm",
    "fta",
    "oreb",
    "dreb",
    "reb",
    "ast",
    "stl",
    "blk",
    "tov",
    "pf",
    "pts",
    "plus_minus",
}


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "bdl_box_scores" / "raw_71b3c5b2.json").read_bytes()


@pytest.fixture(scope="module")
def rows(raw: bytes) -> list[dict[str, object]]:
    return bdl_box_scores.parse(raw)


def _player(rows: list[dict[str, object]], name: str) -> dict[str, object]:
    (row,) = [r for r in rows if r["player_name"] == name]
    return row


def test_rows_carry_the_shared_box_score_fields_and_are_json(rows: list[dict[str, object]]) -> None:
    assert all(set(r) >= CORE for r in rows)
    assert {(r["source"], r["kind"], r["game_id"]) for r in rows} == {("bdl", "bdl_box_scores", None)}
    json.dumps(rows)


def test_fact1_games_players_and_dnps(raw: bytes, rows: list[dict[str, object]]) -> None:
    games = bdl_box_scores.games(raw)
    assert [g["source_game_id"] for g in games] == [str(i) for i in range(18447346, 18447356)]
    assert {(g["status"], g["period"], g["postseason"], g["season"]) for g in games} == {
        ("Final", 4, False, "2025-26")
    }
    assert len(rows) == 347
    assert len({r["player_source_id"] for r in rows}) == 347
    dnps = [r for r in rows if not r["played"]]
    assert len(dnps) == 139
    assert {r["minutes"] for r in dnps} == {0.0}
    assert not _player(rows, "Shai Gilgeous-Alexander")["played"]
    assert not _player(rows, "Nikola Jokic")["played"]


def test_fact2_results(raw: bytes) -> None:
    results = [
        (g["visitor_team"], g["visitor_score"], g["home_team"], g["home_score"])
        for g in bdl_box_scores.games(raw)
    ]
    assert results == [
        ("TOR", 117, "BOS", 125),
        ("PHI", 103, "ORL", 91),
        ("NOP", 128, "WAS", 107),
        ("LAC", 121, "BKN", 105),
        ("OKC", 117, "MEM", 116),
        ("ATL", 110, "DEN", 87),
        ("NYK", 107, "PHX", 112),
        ("SAC", 103, "GSW", 137),
        ("HOU", 105, "POR", 111),
        ("MIL", 105, "LAL", 101),
    ]


def test_fact3_player_points_and_quarters_add_up_to_the_scores(
    raw: bytes, rows: list[dict[str, object]]
) -> None:
    points: Counter[tuple[object, object]] = Counter()
    for r in rows:
        points[(r["source_game_id"], r["team"])] += int(r["pts"])  # type: ignore[call-overload]
    for g in bdl_box_scores.games(raw):
        for side in ("home", "visitor"):
            assert points[(g["source_game_id"], g[f"{side}_team"])] == g[f"{side}_score"]
            assert sum(int(g[f"{side}_q{q}"]) for q in range(1, 5)) == g[f"{side}_score"]


def test_fact4_top_scorers(rows: list[dict[str, object]]) -> None:
    top = max(rows, key=lambda r: int(r["pts"]))  # type: ignore[call-overload]
    assert (top["player_name"], top["player_source_id"], top["team"], top["pts"], top["minutes"]) == (
        "Trey Murphy III",
        18677986,
        "NOP",
        35,
        36.0,
    )
    for name, pts in (
        ("Zion Williamson", 31),
        ("James Harden", 31),
        ("Devin Booker", 31),
        ("Tyrese Maxey", 29),
    ):
        assert _player(rows, name)["pts"] == pts
    durant = _player(rows, "Kevin Durant")
    assert (durant["pts"], durant["team"], durant["reb"]) == (30, "HOU", 12)


def test_fact5_lakers_bucks(rows: list[dict[str, object]]) -> None:
    luka = _player(rows, "Luka Doncic")
    assert (
        luka["player_source_id"],
        luka["source_game_id"],
        luka["pts"],
        luka["minutes"],
        luka["plus_minus"],
    ) == (
        132,
        "18447355",
        24,
        36.0,
        -14,
    )
    assert (luka["team"], luka["opponent"], luka["is_home"]) == ("LAL", "MIL", True)
    assert _player(rows, "LeBron James")["pts"] == 26
    assert _player(rows, "LeBron James")["player_source_id"] == 237
    assert _player(rows, "Giannis Antetokounmpo")["pts"] == 21


def test_fact6_zero_attempt_percentages_keep_zero_and_null(rows: list[dict[str, object]]) -> None:
    no_ft = Counter(r["ft_pct"] for r in rows if r["fta"] == 0)
    no_3 = Counter(r["fg3_pct"] for r in rows if r["fg3a"] == 0)
    assert (no_ft[0], no_ft[None]) == (239, 5)
    assert (no_3[0], no_3[None]) == (172, 1)
    assert Counter(r["fg_pct"] for r in rows if r["fga"] == 0) == Counter({0: 148})
    queta = _player(rows, "Neemias Queta")
    assert (queta["player_source_id"], queta["team"], queta["pts"], queta["source_game_id"]) == (
        17553967,
        "BOS",
        10,
        "18447346",
    )
    assert queta["fg3_pct"] is None
    assert queta["ft_pct"] == 1.0


def test_fact7_the_et_game_date_comes_from_the_utc_tip(raw: bytes) -> None:
    first = bdl_box_scores.games(raw)[0]
    assert (first["tip_utc"], first["game_date"]) == ("2026-01-10T00:00:00Z", "2026-01-09")


def test_accented_names_get_a_folded_lookup(rows: list[dict[str, object]]) -> None:
    assert _player(rows, "Hugo González")["player_lookup"] == "hugogonzalez"


def test_an_empty_day_is_legitimately_empty() -> None:
    assert bdl_box_scores.parse(b'{"data": []}') == []


def test_truncated_bytes_are_a_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="bdl_box_scores: not valid JSON"):
        bdl_box_scores.parse(raw[:-10])


def test_an_html_page_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="HTML"):
        bdl_box_scores.parse(b"<html><body>Unauthorized</body></html>")


def test_a_renamed_field_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="turnover is missing"):
        bdl_box_scores.parse(raw.replace(b'"turnover"', b'"tov"', 1))


def test_a_wrong_type_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="pts must be an integer"):
        bdl_box_scores.parse(raw.replace(b'"pts":25', b'"pts":"25"', 1))


def test_negative_points_are_schema_drift(raw: bytes) -> None:
    document = json.loads(raw)
    document["data"][0]["home_team"]["players"][0]["pts"] = -25
    with pytest.raises(SchemaDrift, match=r"outside 0\.\.200"):
        bdl_box_scores.parse(json.dumps(document).encode())


def test_a_score_that_does_not_match_its_parts_is_schema_drift(raw: bytes) -> None:
    document = json.loads(raw)
    document["data"][0]["home_q1"] += 1
    with pytest.raises(SchemaDrift, match="periods add up to 126, not the score 125"):
        bdl_box_scores.parse(json.dumps(document).encode())


def test_too_many_minutes_are_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="more than 70 minutes"):
        bdl_box_scores.parse(raw.replace(b'"min":"37"', b'"min":"97"', 1))


def test_a_date_that_disagrees_with_the_tip_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="is not the ET date"):
        bdl_box_scores.parse(raw.replace(b'"date":"2026-01-09"', b'"date":"2026-01-10"', 1))
