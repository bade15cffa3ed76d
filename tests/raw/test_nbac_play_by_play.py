"""liveData play-by-play: the README's FACTS for game 0022400561 (NYK @ PHI, OT), and typed errors."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers.nbac_play_by_play import parse, summarize

Rows = list[dict[str, Any]]


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "nbac_play_by_play" / "raw_416e8d5c.json.gz").read_bytes()


@pytest.fixture(scope="module")
def rows(raw: bytes) -> Rows:
    return parse(raw)


@pytest.fixture(scope="module")
def summary(raw: bytes) -> dict[str, Any]:
    return summarize(raw)


def test_fact1_action_counts_per_period(summary: dict[str, Any]) -> None:
    assert summary["game_id"] == "0022400561"
    assert summary["actions"] == 506
    assert summary["actions_by_period"] == {"1": 117, "2": 123, "3": 104, "4": 122, "5": 40}
    assert summary["period_types"]["5"] == "OVERTIME"


def test_fact2_scores_at_period_ends_and_last_action(summary: dict[str, Any]) -> None:
    assert summary["period_end_scores"] == [[21, 30], [47, 60], [85, 85], [109, 109], [119, 125]]
    assert summary["last_action"] == "Game End"
    assert (summary["home_team"], summary["away_team"]) == ("PHI", "NYK")


def test_fact3_points_from_made_shots_per_player_and_team(rows: Rows) -> None:
    points: Counter[int] = Counter()
    team_points: Counter[str] = Counter()
    last_total: dict[int, int] = {}
    for r in rows:
        points[r["player_source_id"]] += r["points"]
        team_points[r["team"]] += r["points"]
        if r["points_total"] is not None:
            last_total[r["player_source_id"]] = r["points_total"]
    assert points[1628973] == 38  # Jalen Brunson
    assert points[1630178] == 33  # Tyrese Maxey
    assert points[202331] == 26  # Paul George
    by_name: Counter[str] = Counter()
    for r in rows:
        by_name[r["player_name"]] += r["points"]
    assert (by_name["M. Bridges"], by_name["O. Anunoby"], by_name["K. Oubre Jr."]) == (23, 17, 16)
    assert team_points == {"NYK": 125, "PHI": 119}
    assert all(last_total[player] == total for player, total in points.items() if total)


def test_fact4_action_type_counts(summary: dict[str, Any], rows: Rows) -> None:
    assert summary["actions_by_type"] == {
        "2pt": 106,
        "rebound": 93,
        "substitution": 80,
        "3pt": 72,
        "freethrow": 38,
        "foul": 33,
        "turnover": 28,
        "steal": 18,
        "timeout": 15,
        "period": 10,
        "block": 5,
        "violation": 4,
        "jumpball": 3,
        "game": 1,
    }
    assert len(rows) == 106 + 72 + 38


def test_rows_follow_order_number_not_action_number(rows: Rows) -> None:
    orders = [r["order_number"] for r in rows]
    assert orders == sorted(orders)
    assert [r["action_number"] for r in rows] != sorted(r["action_number"] for r in rows)


def test_zones_follow_the_documented_rule(rows: Rows) -> None:
    zones = Counter((r["action_type"], r["zone"]) for r in rows)
    assert zones == {
        ("3pt", "three"): 72,
        ("freethrow", "free_throw"): 38,
        ("2pt", "paint"): 80,
        ("2pt", "mid_range"): 26,
    }
    assert all(r["zone"] == "paint" for r in rows if r["area"] == "Restricted Area")
    first = rows[0]
    assert (first["player_name"], first["area"], first["zone"], first["made"]) == (
        "J. Brunson",
        "Mid-Range",
        "mid_range",
        False,
    )
    assert first["clock_seconds"] == 701.0  # PT11M41.00S
    ot = [r for r in rows if r["period"] == 5]
    assert ot
    assert {r["period_type"] for r in ot} == {"OVERTIME"}
    assert all(0.0 <= r["clock_seconds"] <= 300.0 for r in ot)


def test_zone_falls_back_to_coordinates_then_shot_type(raw: bytes) -> None:
    document = json.loads(gzip.decompress(raw))
    twos = [a for a in document["game"]["actions"] if a["actionType"] == "2pt"]
    for action in twos:
        action.pop("area")
        action.pop("areaDetail")
    jumpers = [a for a in twos if a["subType"] == "Jump Shot"]
    near = next(a for a in jumpers if abs(a["xLegacy"]) < 40 and a["yLegacy"] < 60)
    far = next(a for a in jumpers if a["yLegacy"] > 160)
    layup = next(a for a in twos if a["subType"] == "Layup")
    layup["xLegacy"] = layup["yLegacy"] = None
    rows = {r["action_number"]: r for r in parse(json.dumps(document).encode())}
    assert rows[near["actionNumber"]]["zone"] == "paint"
    assert rows[far["actionNumber"]]["zone"] == "mid_range"
    assert rows[layup["actionNumber"]]["zone"] == "paint"


def _mutate(raw: bytes, change: Any) -> bytes:
    document = json.loads(gzip.decompress(raw))
    change(document["game"]["actions"])
    return json.dumps(document).encode()


def test_bad_bytes_are_payload_errors(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="gzip"):
        parse(raw[:-100])
    with pytest.raises(PayloadError, match="not valid JSON"):
        parse(gzip.decompress(raw)[:2000])
    with pytest.raises(PayloadError, match="HTML"):
        parse(b"<html><head><title>404</title></head></html>")


def test_renamed_key_wrong_type_and_inconsistent_scores_are_drift(raw: bytes) -> None:
    def rename(actions: list[dict[str, Any]]) -> None:
        actions[10]["orderNo"] = actions[10].pop("orderNumber")

    def wrong_type(actions: list[dict[str, Any]]) -> None:
        actions[10]["period"] = "1"

    def extra_made_shot(actions: list[dict[str, Any]]) -> None:
        shot = next(a for a in actions if a["actionType"] == "3pt" and a["shotResult"] == "Missed")
        shot["shotResult"] = "Made"

    def bad_clock(actions: list[dict[str, Any]]) -> None:
        next(a for a in actions if a["actionType"] == "3pt")["clock"] = "11:41"

    for change, needle in [
        (rename, "orderNumber"),
        (wrong_type, "period"),
        (extra_made_shot, "add up to .* but the last score"),
        (bad_clock, "clock"),
    ]:
        with pytest.raises(SchemaDrift, match=needle):
            parse(_mutate(raw, change))


def test_a_game_before_tip_has_no_rows(raw: bytes) -> None:
    def clear(actions: list[dict[str, Any]]) -> None:
        actions.clear()

    assert parse(_mutate(raw, clear)) == []
