"""The Odds API player props: FACTS of oddsa_player_props/sample_2023-12-28_det_bos.json plus errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers import oddsa_player_props


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "oddsa_player_props" / "sample_2023-12-28_det_bos.json").read_bytes()


def _by_player(raw: bytes) -> dict[str, dict[str, Any]]:
    return {str(r["player_name"]): r for r in oddsa_player_props.parse(raw)}


def test_fact1_three_players_one_book_paired_over_under(raw: bytes) -> None:
    rows = oddsa_player_props.parse(raw)
    assert len(rows) == 3
    assert {r["book"] for r in rows} == {"draftkings"}
    assert {r["market"] for r in rows} == {"player_points"}
    assert all(isinstance(r["over_price"], int) and isinstance(r["under_price"], int) for r in rows)


def test_fact2_lines_and_american_prices(raw: bytes) -> None:
    players = _by_player(raw)
    got = {name: (r["point"], r["over_price"], r["under_price"]) for name, r in players.items()}
    assert got == {
        "Bojan Bogdanovic": (17.5, -140, 110),
        "Cade Cunningham": (23.5, -120, -110),
        "Derrick White": (18.5, -105, -125),
    }
    assert players["Bojan Bogdanovic"]["player_lookup"] == "bojanbogdanovic"
    assert {r["price_format"] for r in players.values()} == {"american"}


def test_fact3_utc_tip_is_the_previous_eastern_date(raw: bytes) -> None:
    row = oddsa_player_props.parse(raw)[0]
    assert row["commence_time"] == "2023-12-29T00:40:00Z"
    assert row["game_date"] == "2023-12-28"
    assert (row["home_team"], row["away_team"]) == ("BOS", "DET")


def test_fact4_implied_probabilities_and_overround(raw: bytes) -> None:
    bogdanovic = _by_player(raw)["Bojan Bogdanovic"]
    assert round(float(bogdanovic["over_implied"]), 4) == 0.5833
    assert round(float(bogdanovic["under_implied"]), 4) == 0.4762
    assert round(float(bogdanovic["overround"]), 4) == 1.0595
    assert float(bogdanovic["over_no_vig"]) + float(bogdanovic["under_no_vig"]) == pytest.approx(1.0)


def test_the_historical_envelope_is_accepted(raw: bytes) -> None:
    envelope = {
        "timestamp": "2023-12-28T21:00:00Z",
        "previous_timestamp": None,
        "next_timestamp": "2023-12-28T21:05:00Z",
        "data": json.loads(raw),
    }
    rows = oddsa_player_props.parse(json.dumps(envelope).encode())
    assert len(rows) == 3
    assert rows[0]["snapshot_timestamp"] == "2023-12-28T21:00:00Z"
    assert rows[0]["started_before_snapshot"] is False


def test_decimal_prices_are_converted_to_american(raw: bytes) -> None:
    decimal = raw.replace(b'"price": -140', b'"price": 1.714').replace(b'"price": 110', b'"price": 2.1')
    for american, dec in ((b"-120", b"1.833"), (b"-110", b"1.909"), (b"-105", b"1.952"), (b"-125", b"1.8")):
        decimal = decimal.replace(b'"price": ' + american, b'"price": ' + dec)
    players = _by_player(decimal)
    assert {r["price_format"] for r in players.values()} == {"decimal"}
    assert (players["Bojan Bogdanovic"]["over_price"], players["Bojan Bogdanovic"]["under_price"]) == (
        -140,
        110,
    )


def test_a_player_at_two_points_gives_a_line_per_point(raw: bytes) -> None:
    event = json.loads(raw)
    outcomes = event["bookmakers"][0]["markets"][0]["outcomes"]
    outcomes += [dict(o, point=19.5) for o in outcomes[:2]]
    rows = oddsa_player_props.parse(json.dumps(event).encode())
    assert sorted(r["point"] for r in rows if r["player_name"] == "Bojan Bogdanovic") == [17.5, 19.5]


def test_an_unpaired_side_is_schema_drift(raw: bytes) -> None:
    event = json.loads(raw)
    del event["bookmakers"][0]["markets"][0]["outcomes"][1]
    with pytest.raises(SchemaDrift, match=r"Bojan Bogdanovic.*\['Over'\], expected Over and Under"):
        oddsa_player_props.parse(json.dumps(event).encode())


def test_an_event_without_books_is_legitimately_empty(raw: bytes) -> None:
    assert oddsa_player_props.parse(json.dumps(json.loads(raw) | {"bookmakers": []}).encode()) == []


def test_truncated_bytes_are_a_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="oddsa_player_props: not valid JSON"):
        oddsa_player_props.parse(raw[:400])


def test_an_html_page_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="HTML"):
        oddsa_player_props.parse(b"<html><body>Service Unavailable</body></html>")


def test_a_renamed_field_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="description is missing"):
        oddsa_player_props.parse(raw.replace(b'"description"', b'"player"', 1))


def test_a_wrong_type_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="point must be a number"):
        oddsa_player_props.parse(raw.replace(b'"point": 17.5', b'"point": "17.5"', 1))


def test_an_absurd_line_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="outside 0-200"):
        oddsa_player_props.parse(raw.replace(b'"point": 23.5', b'"point": -23.5'))


def test_combined_market_response_splits_between_props_and_game_lines(
    real_fixtures: Path, raw: bytes
) -> None:
    """One event-odds call asks for player_points,spreads,totals: each parser takes its own markets."""
    from nbaprops.raw.parsers import oddsa_game_lines_his

    props = json.loads(raw)
    lines = json.loads((real_fixtures / "oddsa_game_lines_his" / "raw_b722994c.json").read_bytes())["data"]
    combined = dict(lines)
    by_book = {b["key"]: b for b in combined["bookmakers"]}
    by_book["draftkings"]["markets"] += props["bookmakers"][0]["markets"]
    payload = json.dumps(combined).encode()
    prop_rows = oddsa_player_props.parse(payload)
    game_rows = oddsa_game_lines_his.parse(payload)
    assert {r["player_name"] for r in prop_rows} == {"Bojan Bogdanovic", "Cade Cunningham", "Derrick White"}
    assert {r["market"] for r in game_rows} == {"spreads", "totals"}
    assert len(game_rows) == 8
