"""Ball Don't Lie injuries: FACTS of bdl_injuries/raw_49fd60fb.json plus typed errors."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
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


FETCHED = datetime(2025, 7, 18, 14, 0, tzinfo=UTC)  # the capture's notes run up to Jul 17


def test_in_force_dates_a_note_from_its_own_date_to_the_fetch(rows: list[dict[str, object]]) -> None:
    dated = [bdl_injuries.in_force(row, FETCHED) for row in rows]
    assert {d["in_force_to"] for d in dated} == {date(2025, 7, 18)}
    by_text = {row["note_date_text"]: d for row, d in zip(rows, dated, strict=True)}
    assert by_text["Jul 17"]["note_date"] == by_text["Jul 17"]["in_force_from"] == date(2025, 7, 17)
    assert by_text["Jun 24"]["note_date"] == date(2025, 6, 24)
    # a return month before the note's month is next year's
    feb = next(d for row, d in zip(rows, dated, strict=True) if row["return_date_text"] == "Feb 1")
    assert feb["return_date"] == date(2026, 2, 1)
    assert all(d["in_force_from"] <= d["in_force_to"] for d in dated)


def test_a_note_date_after_the_fetch_day_is_last_year() -> None:
    row = {"note_month": 12, "note_day": 30, "return_month": 1, "return_day": 5}
    dated = bdl_injuries.in_force(row, datetime(2026, 1, 2, 16, 0, tzinfo=UTC))
    assert (dated["note_date"], dated["return_date"]) == (date(2025, 12, 30), date(2026, 1, 5))
    undated = {"note_month": None, "note_day": None, "return_month": None, "return_day": None}
    late_evening = datetime(2026, 1, 3, 3, 30, tzinfo=UTC)  # 10:30 pm ET on Jan 2
    assert bdl_injuries.in_force(undated, late_evening)["in_force_from"] == date(2026, 1, 2)


def test_a_page_fetched_during_a_backfill_is_never_filed_under_the_past_date(raw: bytes) -> None:
    """A backfill of 2025-01-10 fetches BDL today and stores it under that date: the notes stay on today."""
    from nbaprops.lake import LakeObject
    from nbaprops.raw.loaders import load_payload
    from nbaprops.warehouse import create_schema
    from nbaprops.warehouse.duckdb import DuckDBWarehouse

    obj = LakeObject(
        path="bdl/injuries/2025-01-10/20250718T140000Z_0000000000000001.json",
        source="bdl",
        endpoint="injuries",
        game_date=date(2025, 1, 10),
        fetched_at=FETCHED,
        sha256="0" * 64,
        size=len(raw),
        content_type="application/json",
    )
    with DuckDBWarehouse(":memory:", query_timeout_s=30) as wh:
        create_schema(wh)
        result = load_payload(wh, kind="bdl_injuries", obj=obj, payload=raw, loaded_at=FETCHED)
        assert result.rows_written == 100
        in_force_on = "SELECT COUNT(*) FROM raw_bdl_injuries WHERE ? BETWEEN in_force_from AND in_force_to"
        assert wh.query_rows(in_force_on, [date(2025, 1, 10)]) == [(0,)]
        assert wh.query_rows(in_force_on, [date(2025, 7, 18)]) == [(100,)]
        # on Jul 2 only the four notes dated Jun 24 and Jun 28 were in force already
        assert wh.query_rows(in_force_on, [date(2025, 7, 2)]) == [(4,)]
        assert wh.query_rows(in_force_on, [date(2025, 6, 23)]) == [(0,)]
