"""Ball Don't Lie injuries: FACTS of bdl_injuries/raw_49fd60fb.json plus typed errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nbaprops.errors import PayloadError, SchemaDrift
from nbaprops.raw.parsers import bdl_injuries


@pytest.fixture(scope="module")
def raw(real_fixtures: Path) -> bytes:
    return (real_fixtures / "bdl_injuries" / "raw_49fd60fb.json").read_bytes()


@pytest.fixture(scope="module")
def rows(raw: bytes) -> list[dict[str, object]]:
    return bdl_injuries.parse(raw)


def test_fact1_entries_ids_and_cursor(raw: bytes, rows: list[dict[str, object]]) -> None:
    assert len(rows) == 100
    assert len({r["player_source_id"] for r in rows}) == 100
    assert bdl_injuries.next_cursor(raw) == 4082934
    assert {r["next_cursor"] for r in rows} == {4082934}
    assert {(r["source"], r["kind"]) for r in rows} == {("bdl", "bdl_injuries")}
    json.dumps(rows)


def test_fact2_statuses(rows: list[dict[str, object]]) -> None:
    assert Counter(r["status"] for r in rows) == {"Day-To-Day": 91, "Out": 9}


def test_fact3_return_dates_keep_their_text_and_month_day(rows: list[dict[str, object]]) -> None:
    assert Counter(r["return_date_text"] for r in rows) == {
        "Oct 1": 69,
        "Jul 18": 15,
        "Jul 17": 11,
        "Nov 1": 3,
        "Feb 1": 1,
        "Jan 1": 1,
    }
    assert {(r["return_month"], r["return_day"]) for r in rows if r["return_date_text"] == "Oct 1"} == {
        (10, 1)
    }


def test_fact4_the_nine_out_players(rows: list[dict[str, object]]) -> None:
    out = {r["player_name"]: r for r in rows if r["status"] == "Out"}
    assert set(out) == {
        "Jayson Tatum",
        "Darius Garland",
        "Kyrie Irving",
        "Tyrese Haliburton",
        "Zach Edey",
        "Dejounte Murray",
        "Thomas Sorber",
        "Dominick Barlow",
        "Dylan Harper",
    }
    tatum = out["Jayson Tatum"]
    assert (tatum["player_source_id"], tatum["return_date_text"], tatum["team"]) == (434, "Feb 1", "BOS")
    assert tatum["player_lookup"] == "jaysontatum"
    assert out["Kyrie Irving"]["return_date_text"] == "Jan 1"
    assert out["Tyrese Haliburton"]["return_date_text"] == "Oct 1"


def test_fact5_note_dates_are_extracted(rows: list[dict[str, object]]) -> None:
    assert sum(1 for r in rows if r["note_date_text"] == "Jul 3") == 52
    assert all(str(r["description"]).startswith(f"{r['note_date_text']}:") for r in rows)


def test_teams_come_from_the_player_team_id(rows: list[dict[str, object]]) -> None:
    toppin = next(r for r in rows if r["player_name"] == "Jacob Toppin")
    assert (toppin["team_source_id"], toppin["team"]) == (1, "ATL")


def test_the_last_page_has_no_cursor() -> None:
    assert bdl_injuries.next_cursor(b'{"data": [], "meta": {"next_cursor": null, "per_page": 100}}') is None
    # The last page of a real cursor walk leaves next_cursor out altogether.
    assert bdl_injuries.next_cursor(b'{"data": [], "meta": {"per_page": 100}}') is None


def test_an_empty_page_is_legitimately_empty() -> None:
    assert bdl_injuries.parse(b'{"data": [], "meta": {"next_cursor": null, "per_page": 25}}') == []


def test_truncated_bytes_are_a_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="bdl_injuries: not valid JSON"):
        bdl_injuries.parse(raw[:1000])


def test_an_html_page_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="HTML"):
        bdl_injuries.parse(b"<!doctype html><h1>Bad gateway</h1>")


def test_a_renamed_field_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="team_id is missing"):
        bdl_injuries.parse(raw.replace(b'"team_id"', b'"team"', 1))


def test_a_wrong_type_is_schema_drift(raw: bytes) -> None:
    document = json.loads(raw)
    document["data"][5]["status"] = 3
    with pytest.raises(SchemaDrift, match=r"data\[5\]\.status must be a non-empty string"):
        bdl_injuries.parse(json.dumps(document).encode())


def test_an_unknown_status_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="'Gone Fishing' is not one of"):
        bdl_injuries.parse(raw.replace(b'"status":"Out"', b'"status":"Gone Fishing"', 1))


def test_an_impossible_return_date_is_schema_drift(raw: bytes) -> None:
    with pytest.raises(SchemaDrift, match="no day 31 in Feb"):
        bdl_injuries.parse(raw.replace(b'"return_date":"Feb 1"', b'"return_date":"Feb 31"', 1))
