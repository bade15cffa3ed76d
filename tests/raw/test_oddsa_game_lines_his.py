"""The Odds API game lines: FACTS of oddsa_game_lines_his/raw_b722994c.json plus typed errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers import oddsa_events_his, oddsa_game_lines_his

EVENT = "cd0bc7d0c238f4446ce1c03d0cea7ec4"


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "oddsa_game_lines_his" / "raw_b722994c.json").read_bytes()


def _line(rows: list[dict[str, object]], book: str, market: str, outcome: str) -> dict[str, object]:
    (row,) = [r for r in rows if (r["book"], r["market"], r["outcome_name"]) == (book, market, outcome)]
    return row


def test_fact1_event_books_and_markets(raw: bytes) -> None:
    rows = oddsa_game_lines_his.parse(raw)
    assert len(rows) == 8
    assert {r["event_id"] for r in rows} == {EVENT}
    assert {(r["home_team"], r["home_team_name"], r["away_team"], r["away_team_name"]) for r in rows} == {
        ("GSW", "Golden State Warriors", "ATL", "Atlanta Hawks")
    }
    assert {r["commence_time"] for r in rows} == {"2024-01-25T03:20:30Z"}
    assert {(r["book"], r["market"]) for r in rows} == {
        ("draftkings", "spreads"),
        ("draftkings", "totals"),
        ("fanduel", "spreads"),
        ("fanduel", "totals"),
    }


def test_fact2_draftkings_lines(raw: bytes) -> None:
    rows = oddsa_game_lines_his.parse(raw)
    hawks = _line(rows, "draftkings", "spreads", "Atlanta Hawks")
    warriors = _line(rows, "draftkings", "spreads", "Golden State Warriors")
    assert (hawks["team"], hawks["point"], hawks["price"]) == ("ATL", 6.5, 1.91)
    assert (warriors["team"], warriors["point"], warriors["price"]) == ("GSW", -6.5, 1.83)
    over, under = _line(rows, "draftkings", "totals", "Over"), _line(rows, "draftkings", "totals", "Under")
    assert (over["point"], over["price"], under["point"], under["price"]) == (248.5, 1.87, 248.5, 1.87)
    assert hawks["bookmaker_last_update"] == "2024-01-25T03:55:22Z"


def test_fact3_fanduel_lines(raw: bytes) -> None:
    rows = oddsa_game_lines_his.parse(raw)
    assert _line(rows, "fanduel", "spreads", "Atlanta Hawks")["point"] == 7.5
    assert _line(rows, "fanduel", "spreads", "Golden State Warriors")["point"] == -7.5
    assert _line(rows, "fanduel", "spreads", "Golden State Warriors")["price"] == 1.88
    assert (
        _line(rows, "fanduel", "totals", "Over")["price"],
        _line(rows, "fanduel", "totals", "Under")["price"],
    ) == (
        1.87,
        1.88,
    )
    assert _line(rows, "fanduel", "totals", "Under")["point"] == 247.5
    assert _line(rows, "fanduel", "totals", "Over")["bookmaker_last_update"] == "2024-01-25T03:55:01Z"


def test_fact4_joins_the_third_event_of_the_events_list(raw: bytes, real_fixtures: Path) -> None:
    events = oddsa_events_his.parse((real_fixtures / "oddsa_events_his" / "raw_4c3bc8f6.json").read_bytes())
    matches = [i for i, e in enumerate(events) if e["event_id"] == EVENT]
    assert matches == [2]


def test_decimal_prices_are_detected_converted_and_flagged_in_play(raw: bytes) -> None:
    rows = oddsa_game_lines_his.parse(raw)
    assert {r["price_format"] for r in rows} == {"decimal"}
    hawks = _line(rows, "draftkings", "spreads", "Atlanta Hawks")
    assert hawks["price_american"] == -110
    assert hawks["implied_probability"] == pytest.approx(1 / 1.91, abs=1e-6)
    assert all(r["in_play"] is True for r in rows)  # snapshot 03:55:40Z is after the 03:20:30Z tip
    assert {r["game_date"] for r in rows} == {"2024-01-24"}


def test_a_live_bare_event_parses_with_american_prices(raw: bytes) -> None:
    event = json.loads(raw)["data"]
    for book in event["bookmakers"]:
        for market in book["markets"]:
            for outcome in market["outcomes"]:
                outcome["price"] = -110
    rows = oddsa_game_lines_his.parse(json.dumps(event).encode())
    assert len(rows) == 8
    assert {r["price_format"] for r in rows} == {"american"}
    assert {r["in_play"] for r in rows} == {None}


def test_an_event_without_books_is_legitimately_empty(raw: bytes) -> None:
    document = json.loads(raw)
    document["data"]["bookmakers"] = []
    assert oddsa_game_lines_his.parse(json.dumps(document).encode()) == []


def test_truncated_bytes_are_a_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="not valid JSON"):
        oddsa_game_lines_his.parse(raw[:-3])


def test_an_html_page_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="HTML"):
        oddsa_game_lines_his.parse(b"\n<html><title>429 Too Many Requests</title></html>")


def test_a_renamed_field_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="outcomes is missing"):
        oddsa_game_lines_his.parse(raw.replace(b'"outcomes"', b'"results"', 1))


def test_a_wrong_type_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="price must be a number"):
        oddsa_game_lines_his.parse(raw.replace(b'"price":1.91', b'"price":"1.91"'))


def test_unmirrored_spreads_are_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="do not mirror"):
        oddsa_game_lines_his.parse(raw.replace(b'"point":-6.5', b'"point":-5.5'))


def test_mixed_price_formats_are_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="one format"):
        oddsa_game_lines_his.parse(raw.replace(b'"price":1.91', b'"price":-110'))


def test_live_odds_without_bookmaker_last_update_still_parse(raw: bytes) -> None:
    """Live event odds carry last_update per market only; the historical snapshot adds it per book."""
    document = json.loads(raw)
    for book in document["data"]["bookmakers"]:
        del book["last_update"]
    rows = oddsa_game_lines_his.parse(json.dumps(document["data"]).encode())
    assert len(rows) == 8
    assert {r["bookmaker_last_update"] for r in rows} == {None}
